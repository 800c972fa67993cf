"""lakehub.quality_rules: the rule library (质量规则库).

Importing this package never imports pyspark: suites, the registry, results and masking are pure Python.
The Spark engine is `lakehub.quality_rules.engine_spark` (`validate`, `annotate`, `compile_rule`) and
`lakehub.quality_rules.check.check_frame`; import them where Spark runs. `validate_datasets` (frames by
`tier.name`, single- or cross-table suites) imports Spark only when called.
"""

from lakehub.quality_rules.errors import (
    DatasetMismatchError,
    RuleConfigError,
    RuleError,
    SuiteFileError,
    SuiteNotFoundError,
    UnknownExpectationError,
)
from lakehub.quality_rules.masking import Sensitivity, mask_value
from lakehub.quality_rules.registry import REGISTRY, RuleType, expectation_names
from lakehub.quality_rules.results import CheckOutcome, RuleResult, SuiteResult
from lakehub.quality_rules.suite import (
    DIMENSIONS,
    RuleSpec,
    Suite,
    builtin_cross_suite_names,
    builtin_suite_names,
    load_builtin_suite,
    load_suite,
    parse_suite,
    resolve_suite,
)
from lakehub.quality_rules.validation import validate_datasets

__all__ = [
    "DIMENSIONS",
    "REGISTRY",
    "CheckOutcome",
    "DatasetMismatchError",
    "RuleConfigError",
    "RuleError",
    "RuleResult",
    "RuleSpec",
    "RuleType",
    "Sensitivity",
    "Suite",
    "SuiteFileError",
    "SuiteNotFoundError",
    "SuiteResult",
    "UnknownExpectationError",
    "builtin_cross_suite_names",
    "builtin_suite_names",
    "expectation_names",
    "load_builtin_suite",
    "load_suite",
    "mask_value",
    "parse_suite",
    "resolve_suite",
    "validate_datasets",
]
