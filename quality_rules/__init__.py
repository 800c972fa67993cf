"""lakehub.quality_rules: the rule library (质量规则库).

Importing this package never imports pyspark or Great Expectations: suites, the registry, results and
masking are pure Python. `validate_frame(frame, suite, engine="spark"|"gx")` validates a Spark frame with
either engine, importing the chosen one when it runs. The one-pass engine is
`lakehub.quality_rules.engine_spark` (`validate`, `annotate`, `compile_rule`), the Great Expectations one
`lakehub.quality_rules.engine_gx`; `lakehub.quality_rules.check.check_frame` checks an unlanded delivery. `validate_datasets` (frames by
`tier.name`, single- or cross-table suites) imports Spark only when called.
"""

from lakehub.quality_rules.engines import ENGINES, Engine, parse_engine, validate_frame
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
    "ENGINES",
    "REGISTRY",
    "CheckOutcome",
    "DatasetMismatchError",
    "Engine",
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
    "parse_engine",
    "parse_suite",
    "resolve_suite",
    "validate_datasets",
    "validate_frame",
]
