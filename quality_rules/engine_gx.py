"""The Great Expectations engine: a lakehub suite run through GX Core's own Spark execution engine.

Each rule becomes a GX expectation (GX's own class where GX has the expectation, lakehub's custom
expectations from `gx_expectations` otherwise) in one ExpectationSuite, validated on a whole-dataframe
batch of an ephemeral context's Spark data source. GX computes each expectation's metrics with its own
Spark jobs (many passes; see `SuiteResult.data_passes`), so this engine is the reference the one-pass
engine is held to, not the fast path.

GX's counts are mapped onto lakehub's definitions (the parity test holds every rule to them):
- map, pair and multicolumn rules: GX's `element_count` counts every row of the domain (after
  `row_condition`) and `missing_count` the rows it skips (nulls; rows `ignore_row_if` drops), while
  lakehub counts the rows it judges: element_count = GX element_count - missing_count;
- not-null: GX's element_count (every row) is lakehub's;
- table rules report no element count in GX: row count → the observed row count, column type → GX's
  non-null count metric for the column, freshness → the count its custom expectation reports.

Samples come from GX's partial unexpected list (the first 20 failing rows), rendered as Spark renders
values as text, masked by `masking.mask_value`, distinct, sorted, at most 5.
Importing this module imports Great Expectations (seconds); `engines.validate_frame` imports it only
when engine="gx".
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.validator.metric_configuration import MetricConfiguration
from great_expectations.validator.validator import Validator
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from lakehub.quality_rules import gx_expectations as lx
from lakehub.quality_rules.compiled import CompiledRule, TableCheck
from lakehub.quality_rules.engine_spark import (
    SAMPLE_SIZE,
    check_columns,
    compile_suite,
    rule_fields,
    sample_masks,
)
from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.masking import Sensitivity, mask_value
from lakehub.quality_rules.results import RuleResult, SuiteResult
from lakehub.quality_rules.suite import RuleSpec, Suite

log = logging.getLogger(__name__)

PARTIAL_UNEXPECTED_COUNT = 20
"""Failing rows GX returns per rule (its default); samples are picked from these."""
RULE_ID = "lakehub_rule_id"
"""Key in each GX expectation's `meta` naming the lakehub rule it came from."""

_ROW_CONDITION_DEPRECATION = ".*(row_condition|condition_parser) parameter is deprecated"
GxKwargs = Callable[[Any, str | None], dict[str, Any]]
"""(rule kwargs model, as_of ISO date or None) → the GX expectation's keyword arguments."""


def _column(kwargs: Any) -> dict[str, Any]:
    return {"column": kwargs.column, "mostly": kwargs.mostly}


def _pair(kwargs: Any) -> dict[str, Any]:
    return {
        "column_A": kwargs.column_A,
        "column_B": kwargs.column_B,
        "ignore_row_if": kwargs.ignore_row_if,
        "mostly": kwargs.mostly,
    }


def _range(kwargs: Any) -> dict[str, Any]:
    return {"min_value": kwargs.min_value, "max_value": kwargs.max_value}


def spark_type_class(type_: str) -> str:
    """The pyspark.types class name GX wants for a type lakehub accepts as class or SQL name ('bigint')."""
    names: dict[str, str] = {}
    for name in dir(T):
        kind = getattr(T, name)
        if not (isinstance(kind, type) and issubclass(kind, T.DataType) and name.endswith("Type")):
            continue
        names[name.lower()] = name
        try:
            names.setdefault(kind().simpleString().split("(")[0].lower(), name)
        except TypeError:  # types that need arguments (ArrayType, CharType, ...) have no bare SQL name
            continue
    return names.get(type_.lower().split("(")[0], type_)


GX_EXPECTATIONS: dict[str, tuple[type[Any], GxKwargs]] = {
    "expect_column_values_to_not_be_null": (gxe.ExpectColumnValuesToNotBeNull, lambda k, a: _column(k)),
    "expect_column_values_to_be_between": (
        gxe.ExpectColumnValuesToBeBetween,
        lambda k, a: {**_column(k), **_range(k), "strict_min": k.strict_min, "strict_max": k.strict_max},
    ),
    "expect_column_values_to_be_in_set": (
        gxe.ExpectColumnValuesToBeInSet,
        lambda k, a: {**_column(k), "value_set": list(k.value_set)},
    ),
    "expect_column_values_to_match_regex": (
        gxe.ExpectColumnValuesToMatchRegex,
        lambda k, a: {**_column(k), "regex": k.regex},
    ),
    "expect_column_value_lengths_to_be_between": (
        gxe.ExpectColumnValueLengthsToBeBetween,
        lambda k, a: {**_column(k), **_range(k)},
    ),
    "expect_column_values_to_be_unique": (gxe.ExpectColumnValuesToBeUnique, lambda k, a: _column(k)),
    "expect_compound_columns_to_be_unique": (
        gxe.ExpectCompoundColumnsToBeUnique,
        lambda k, a: {
            "column_list": list(k.column_list),
            "ignore_row_if": k.ignore_row_if,
            "mostly": k.mostly,
        },
    ),
    "expect_column_values_to_be_of_type": (
        gxe.ExpectColumnValuesToBeOfType,
        lambda k, a: {"column": k.column, "type_": spark_type_class(k.type_)},
    ),
    "expect_column_max_to_be_within_days": (
        lx.ExpectColumnMaxToBeWithinDays,
        lambda k, a: {"column": k.column, "max_age_days": k.max_age_days, "as_of": a},
    ),
    "expect_table_row_count_to_be_between": (gxe.ExpectTableRowCountToBeBetween, lambda k, a: _range(k)),
    "expect_column_values_to_be_valid_cn_resident_id": (
        lx.ExpectColumnValuesToBeValidCnResidentId,
        lambda k, a: {**_column(k), "as_of": a},
    ),
    "expect_column_values_to_be_valid_cn_uscc": (
        lx.ExpectColumnValuesToBeValidCnUscc,
        lambda k, a: _column(k),
    ),
    "expect_column_values_to_be_valid_cn_mobile": (
        lx.ExpectColumnValuesToBeValidCnMobile,
        lambda k, a: _column(k),
    ),
    "expect_column_values_to_be_valid_cn_admin_code": (
        lx.ExpectColumnValuesToBeValidCnAdminCode,
        lambda k, a: {**_column(k), "lengths": k.lengths, "prefix": k.prefix, "value_set": k.value_set},
    ),
    "expect_column_pair_values_to_be_in_bbox": (
        lx.ExpectColumnPairValuesToBeInBbox,
        lambda k, a: {**_pair(k), "bbox": k.bbox},
    ),
    "expect_column_pair_values_A_to_be_greater_than_B": (
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        lambda k, a: {**_pair(k), "or_equal": k.or_equal},
    ),
    "expect_column_pair_values_to_match_cn_resident_id_gender": (
        lx.ExpectColumnPairValuesToMatchCnResidentIdGender,
        lambda k, a: {**_pair(k), "male_values": k.male_values, "female_values": k.female_values},
    ),
    "expect_column_pair_values_to_match_cn_resident_id_birth_date": (
        lx.ExpectColumnPairValuesToMatchCnResidentIdBirthDate,
        lambda k, a: _pair(k),
    ),
    "expect_rows_to_satisfy_sql_predicate": (
        lx.ExpectRowsToSatisfySqlPredicate,
        lambda k, a: {"predicate": k.predicate, "column_list": k.column_list, "mostly": k.mostly},
    ),
}
"""Every registry expectation → (GX expectation class, kwargs mapping)."""


def to_gx_expectation(spec: RuleSpec, *, as_of: dt.date | None = None) -> Any:
    """The GX expectation for one rule, carrying the rule id in its meta."""
    if spec.expectation not in GX_EXPECTATIONS:
        raise RuleError(
            f"Rule '{spec.id}' in {spec.origin} line {spec.line} uses {spec.expectation}, which the Great "
            "Expectations engine does not map: it reads several datasets, outside GX's one-batch validation, "
            "and cross-table rules run on the one-pass engine. Fix: validate the suite with "
            "`lakehub quality run` (or lakehub.quality_rules.validate_datasets)."
        )
    kind, mapping = GX_EXPECTATIONS[spec.expectation]
    kwargs = mapping(spec.kwargs, as_of.isoformat() if as_of else None)
    if spec.kwargs.row_condition is None:
        return kind(**kwargs, meta={RULE_ID: spec.id})
    # GX 1.24 deprecates string row conditions in favour of Condition objects, which cannot express an
    # arbitrary Spark SQL predicate; the `spark` parser is still supported, so its warning is silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning, message=".*(row_condition|condition_parser)"
        )
        return kind(
            **kwargs,
            row_condition=spec.kwargs.row_condition,
            condition_parser="spark",
            meta={RULE_ID: spec.id},
        )


def to_gx_suite(suite: Suite, *, as_of: dt.date | None = None) -> Any:
    """A GX ExpectationSuite with one expectation per rule."""
    gx_suite = gx.ExpectationSuite(name=suite.suite)
    for spec in suite.rules:
        gx_suite.add_expectation(to_gx_expectation(spec, as_of=as_of))
    return gx_suite


@contextmanager
def _counting_jobs(spark: SparkSession) -> Iterator[Callable[[], int]]:
    """Run the block in its own Spark job group; yields a function counting the jobs started in it."""
    context = spark.sparkContext
    previous = context.getLocalProperty("spark.jobGroup.id")
    previous_description = context.getLocalProperty("spark.job.description")
    group = f"lakehub-gx-{uuid.uuid4().hex}"
    context.setJobGroup(group, "lakehub quality check (Great Expectations)")
    try:
        yield lambda: len(context.statusTracker().getJobIdsForGroup(group))
    finally:
        context.setLocalProperty("spark.jobGroup.id", previous)  # type: ignore[arg-type]  # None clears it
        context.setLocalProperty("spark.job.description", previous_description)  # type: ignore[arg-type]


def _batch(frame: DataFrame) -> tuple[Any, Any]:
    """(context, batch): a whole-dataframe batch of a Spark data source in a fresh ephemeral context."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_spark(name="lakehub", persist=False)
    asset = source.add_dataframe_asset(name="frame")
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    return context, batch


def _counts(context: Any, batch: Any, columns: Sequence[str]) -> tuple[int, dict[str, int]]:
    """GX's row count and per-column non-null counts of the batch (for table rules' element counts).

    Batch.compute_metrics always draws progress bars; a Validator bound to the context honours its setting.
    """
    validator = Validator(execution_engine=batch.data.execution_engine, data_context=context, batches=[batch])
    rows_metric = MetricConfiguration("table.row_count", {"batch_id": batch.id})
    nulls = {
        name: MetricConfiguration(
            "column_values.nonnull.unexpected_count", {"batch_id": batch.id, "column": name}
        )
        for name in columns
    }
    values, aborted = validator.compute_metrics([rows_metric, *nulls.values()], None)
    if aborted:
        raise RuleError(
            f"Great Expectations could not count the rows and nulls of the batch: {list(aborted)}."
        )
    rows = int(values[rows_metric.id])
    return rows, {name: rows - int(values[metric.id]) for name, metric in nulls.items()}


def spark_text(value: Any) -> str:
    """A Python value as Spark's CAST(... AS STRING) writes it (the one-pass engine's sample text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, dt.datetime):
        text = value.replace(tzinfo=None).isoformat(sep=" ")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)


def _java_double(value: float) -> str:
    """Java's Double.toString: plain between 1e-3 and 1e7, else d.dddEn."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    assert isinstance(exponent, int)
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{len(text) - 1 + exponent}"


def _samples(
    values: Sequence[Any], columns: tuple[str, ...], masks: Mapping[str, Sensitivity]
) -> tuple[str, ...]:
    """Distinct masked texts of GX's partial unexpected values (a pair's or list's values joined by '|')."""
    texts = set()
    for value in values:
        if isinstance(value, dict):
            parts = [value.get(c) for c in columns]
        elif isinstance(value, list | tuple):
            parts = list(value)
        else:
            parts = [value]
        texts.add(
            "|".join(
                "null" if p is None else mask_value(spark_text(p), masks.get(c)) or ""
                for c, p in zip(columns, parts, strict=True)
            )
        )
    return tuple(sorted(texts)[:SAMPLE_SIZE])


def _failure(spec: RuleSpec, info: Any) -> str | None:
    """GX's exception message for a rule, if evaluating it raised."""
    if not isinstance(info, dict):
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error").splitlines()[0][:300]
    return None


def _rule_result(
    item: CompiledRule,
    outcome: Any,
    nonnull: Mapping[str, int],
    masks: Mapping[str, Sensitivity],
) -> RuleResult:
    spec, check, gx_result = item.rule, item.check, dict(outcome.result or {})
    message = _failure(spec, outcome.exception_info)
    if message is not None:
        raise RuleError(
            f"Great Expectations could not evaluate rule '{spec.id}' ({spec.expectation}) in {spec.origin} "
            f"line {spec.line}: {message}. Fix: correct the rule's arguments for the column's type, "
            "or run the suite with --engine spark."
        )
    common: dict[str, Any] = {**rule_fields(spec), "success": bool(outcome.success)}
    if isinstance(check, TableCheck):
        observed = gx_result.get("observed_value")
        if "element_count" in gx_result:
            elements = int(gx_result["element_count"])
        elif spec.expectation == "expect_table_row_count_to_be_between":
            elements = int(str(observed))
        else:
            elements = nonnull[spec.columns[0]]
        return RuleResult(
            **common,
            element_count=elements,
            unexpected_count=0,
            unexpected_percent=None,
            sample_unexpected=(),
            observed_value=None if observed is None else str(observed),
        )
    elements = int(gx_result["element_count"]) - int(gx_result.get("missing_count") or 0)
    unexpected = int(gx_result["unexpected_count"])
    partial = gx_result.get("partial_unexpected_list") or []
    return RuleResult(
        **common,
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=None if elements == 0 else float(gx_result["unexpected_percent"]),
        sample_unexpected=_samples(partial, check.sample_columns, masks) if check.sample_columns else (),
    )


def validate(
    frame: DataFrame,
    suite: Suite,
    *,
    as_of: dt.date | None = None,
    sensitivity: Mapping[str, Sensitivity] | None = None,
    samples: bool = True,
) -> SuiteResult:
    """Validate a frame against a suite with Great Expectations' Spark engine (same result as engine_spark).

    Cache the frame first if it is expensive to recompute: GX reads it once per metric batch.
    """
    check_columns(frame.columns, suite)
    compiled = compile_suite(suite, as_of=as_of)
    masks = sample_masks(suite, compiled, sensitivity)
    typed = sorted(
        {s.columns[0] for s in suite.rules if s.expectation == "expect_column_values_to_be_of_type"}
    )
    result_format = {
        "result_format": "BASIC",
        "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT if samples else 0,
    }
    with _counting_jobs(frame.sparkSession) as jobs, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=_ROW_CONDITION_DEPRECATION)
        context, batch = _batch(frame)  # the context first: building a suite needs an active one
        validation = batch.validate(to_gx_suite(suite, as_of=as_of), result_format=result_format)
        row_count, nonnull = _counts(context, batch, typed)
        passes = jobs()
    outcomes = {r.expectation_config.meta[RULE_ID]: r for r in validation.results}
    results = tuple(_rule_result(item, outcomes[item.rule.id], nonnull, masks) for item in compiled)
    outcome = SuiteResult(
        suite=suite.suite, dataset=suite.dataset, row_count=row_count, results=results, data_passes=passes
    )
    log.info(
        "suite %s on %s (Great Expectations): %d rows, %d rules, %d failed, %d Spark jobs",
        suite.suite,
        suite.dataset,
        row_count,
        len(results),
        len(outcome.failed),
        passes,
    )
    return outcome
