"""lakehub's own expectations as Great Expectations custom expectations on GX's Spark execution engine.

Importing this module imports Great Expectations (seconds) and registers, by GX's metaclasses, one
expectation and one metric provider per lakehub expectation GX lacks: the national-standard checks
(GB 11643 resident ID, GB 32100 credit code, mobile, GB/T 2260 area code), the bounding box, the resident
ID's gender and birth-date agreement, freshness of a column's newest date, and a Spark SQL predicate every
row satisfies. Each metric's Spark condition is the expression `cn_spark` (or `sql_predicate`) builds for
the one-pass engine (not a re-implementation); GX contributes its own domain handling (null filtering,
`ignore_row_if`, `row_condition`), counting, `mostly` and partial unexpected lists. Only `engine_gx`
imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar, Literal

from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.metric_function_types import MetricPartialFunctionTypes
from great_expectations.execution_engine import SparkDFExecutionEngine
from great_expectations.expectations.expectation import (
    BatchExpectation,
    ColumnAggregateExpectation,
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    _format_map_output,
    _mostly_success,
)
from great_expectations.expectations.expectation_configuration import parse_result_format
from great_expectations.expectations.metrics import (
    ColumnAggregateMetricProvider,
    ColumnMapMetricProvider,
    MapMetricProvider,
    column_aggregate_partial,
)
from great_expectations.expectations.metrics.map_metric_provider import ColumnPairMapMetricProvider
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)
from great_expectations.expectations.metrics.metric_provider import metric_partial
from great_expectations.expectations.model_field_types import ConditionParser, MostlyField
from great_expectations.expectations.row_conditions import RowConditionType
from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehub.quality_rules.cn_spark import (
    admin_code_valid,
    bbox_contains,
    mobile_valid,
    resident_id_birth_date_matches,
    resident_id_gender_matches,
    resident_id_valid,
    uscc_valid,
)
from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.sql_predicate import predicate_violated


def reference_date(as_of: str | None) -> Column:
    """The date 'the future' starts after: `as_of` (ISO date), else Spark's current_date()."""
    return F.lit(dt.date.fromisoformat(as_of)) if as_of else F.current_date()


# --- metric providers: the Spark condition of each lakehub map expectation -------------------------


class ColumnValuesValidCnResidentId(ColumnMapMetricProvider):
    """GB 11643 resident ID: check digit, real birth date within 1900-01-01..as_of."""

    condition_metric_name = "column_values.valid_cn_resident_id"
    condition_value_keys = ("as_of",)

    @column_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column: Column, as_of: str | None = None, **kwargs: Any) -> Column:
        return resident_id_valid(kwargs["_accessor_domain_kwargs"]["column"], reference_date(as_of))


class ColumnValuesValidCnUscc(ColumnMapMetricProvider):
    """GB 32100 unified social credit code."""

    condition_metric_name = "column_values.valid_cn_uscc"

    @column_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column: Column, **kwargs: Any) -> Column:
        return uscc_valid(kwargs["_accessor_domain_kwargs"]["column"])


class ColumnValuesValidCnMobile(ColumnMapMetricProvider):
    """Mainland mobile number 1[3-9] + 9 digits."""

    condition_metric_name = "column_values.valid_cn_mobile"

    @column_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column: Column, **kwargs: Any) -> Column:
        return mobile_valid(kwargs["_accessor_domain_kwargs"]["column"])


class ColumnValuesValidCnAdminCode(ColumnMapMetricProvider):
    """GB/T 2260 area code of an allowed length, known province, optional prefixes and value set."""

    condition_metric_name = "column_values.valid_cn_admin_code"
    condition_value_keys = ("lengths", "prefix", "value_set")

    @column_condition_partial(engine=SparkDFExecutionEngine)
    def _spark(
        cls,
        column: Column,
        lengths: list[int] | None = None,
        prefix: list[str] | None = None,
        value_set: tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> Column:
        name = kwargs["_accessor_domain_kwargs"]["column"]
        return admin_code_valid(name, tuple(lengths or (6,)), tuple(prefix or ()), value_set)


def _spark_condition(
    domain_type: MetricDomainTypes, names: tuple[str, ...]
) -> Callable[[Callable[..., Column]], Callable[..., tuple[Column, dict[str, Any], dict[str, Any]]]]:
    """A GX map-condition partial for Spark over `domain_type`, passing the metric the domain's column *names*.

    The metric returns the expected condition; GX gets its negation (the unexpected rows).
    """

    def decorate(
        metric_fn: Callable[..., Column],
    ) -> Callable[..., tuple[Column, dict[str, Any], dict[str, Any]]]:
        @metric_partial(
            engine=SparkDFExecutionEngine,
            partial_fn_type=MetricPartialFunctionTypes.MAP_CONDITION_FN,
            domain_type=domain_type,
        )
        @wraps(metric_fn)
        def inner(
            cls: type,
            execution_engine: SparkDFExecutionEngine,
            metric_domain_kwargs: dict[str, Any],
            metric_value_kwargs: dict[str, Any],
            metrics: dict[str, Any],
            runtime_configuration: dict[str, Any],
        ) -> tuple[Column, dict[str, Any], dict[str, Any]]:
            _, compute_kwargs, accessor_kwargs = execution_engine.get_compute_domain(
                domain_kwargs=metric_domain_kwargs, domain_type=domain_type
            )
            expected = metric_fn(cls, *(accessor_kwargs[n] for n in names), **metric_value_kwargs)
            return ~expected, compute_kwargs, accessor_kwargs

        return inner

    return decorate


spark_pair_condition = _spark_condition(MetricDomainTypes.COLUMN_PAIR, ("column_A", "column_B"))
"""GX's column-pair condition partial for Spark, passing column names (GX's own passes `F.col(name)`
objects; the resident-ID conditions are built from the name, as cn_spark writes them in Spark SQL)."""
spark_row_condition = _spark_condition(MetricDomainTypes.TABLE, ())
"""A condition on whole rows of the (row_condition) domain: GX has no row-domain partial of its own."""


class ColumnPairValuesInBbox(ColumnPairMapMetricProvider):
    """column_A (longitude), column_B (latitude) inside [west, south, east, north]."""

    condition_metric_name = "column_pair_values.in_bbox"
    condition_value_keys = ("bbox",)

    @spark_pair_condition
    def _spark(cls, column_a: str, column_b: str, bbox: list[float], **kwargs: Any) -> Column:
        west, south, east, north = bbox
        return bbox_contains(column(column_a), column(column_b), (west, south, east, north))


class ColumnPairValuesMatchCnResidentIdGender(ColumnPairMapMetricProvider):
    """The gender in column_B does not contradict the resident ID in column_A."""

    condition_metric_name = "column_pair_values.match_cn_resident_id_gender"
    condition_value_keys = ("male_values", "female_values")

    @spark_pair_condition
    def _spark(
        cls, column_a: str, column_b: str, male_values: list[str], female_values: list[str], **kwargs: Any
    ) -> Column:
        return resident_id_gender_matches(
            column_a, column(column_b), tuple(male_values), tuple(female_values)
        )


class ColumnPairValuesMatchCnResidentIdBirthDate(ColumnPairMapMetricProvider):
    """The birth date in column_B equals the one in the resident ID in column_A."""

    condition_metric_name = "column_pair_values.match_cn_resident_id_birth_date"

    @spark_pair_condition
    def _spark(cls, column_a: str, column_b: str, **kwargs: Any) -> Column:
        return resident_id_birth_date_matches(column_a, column(column_b))


class ColumnMaxAgeDays(ColumnAggregateMetricProvider):
    """Days from the column's newest date (or timestamp) to the reference date (as_of, else today)."""

    metric_name = "column.max_age_days"
    value_keys = ("as_of",)

    @column_aggregate_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column: Column, as_of: str | None = None, **kwargs: Any) -> Column:
        return F.datediff(reference_date(as_of), F.to_date(F.max(column)))


class RowsSatisfySqlPredicate(MapMetricProvider):
    """Rows of the batch (after `row_condition`) satisfy a Spark SQL predicate; null satisfies it."""

    condition_metric_name = "rows.satisfy_sql_predicate"
    condition_value_keys = ("predicate",)

    @spark_row_condition
    def _spark(cls, predicate: str, **kwargs: Any) -> Column:
        return ~predicate_violated(predicate)


class _PairExpectation(ColumnPairMapExpectation):
    """A lakehub column-pair expectation: GX's pair base plus `ignore_row_if`, as GX's own pair expectations have."""

    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "both_values_are_missing"
    )

    map_metric: ClassVar[str | None] = None


# --- expectations ------------------------------------------------------------------------------------


class ExpectColumnValuesToBeValidCnResidentId(ColumnMapExpectation):
    """Values are GB 11643 resident IDs: 18 characters, real birth date not after as_of, check character."""

    as_of: str | None = None
    """ISO reference date for 'not in the future' (None: the day of validation)."""

    map_metric: ClassVar[str] = "column_values.valid_cn_resident_id"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "as_of")


class ExpectColumnValuesToBeValidCnUscc(ColumnMapExpectation):
    """Values are GB 32100 unified social credit codes (GB 11714 organisation and credit check)."""

    map_metric: ClassVar[str] = "column_values.valid_cn_uscc"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeValidCnMobile(ColumnMapExpectation):
    """Values are 11-digit mainland mobile numbers."""

    map_metric: ClassVar[str] = "column_values.valid_cn_mobile"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeValidCnAdminCode(ColumnMapExpectation):
    """Values are GB/T 2260 area codes of an allowed length, known province, prefix and value set."""

    lengths: tuple[int, ...] = (6,)
    prefix: tuple[str, ...] = ()
    value_set: tuple[str, ...] | None = None

    map_metric: ClassVar[str] = "column_values.valid_cn_admin_code"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "lengths", "prefix", "value_set")


class ExpectColumnPairValuesToBeInBbox(_PairExpectation):
    """column_A (longitude) and column_B (latitude) lie inside bbox = [west, south, east, north]."""

    bbox: tuple[float, float, float, float]

    map_metric: ClassVar[str] = "column_pair_values.in_bbox"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "ignore_row_if", "bbox")


class ExpectColumnPairValuesToMatchCnResidentIdGender(_PairExpectation):
    """The gender in column_B does not contradict the resident ID in column_A (odd 17th digit: male)."""

    male_values: tuple[str, ...] = ("男",)
    female_values: tuple[str, ...] = ("女",)

    map_metric: ClassVar[str] = "column_pair_values.match_cn_resident_id_gender"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "ignore_row_if", "male_values", "female_values")


class ExpectColumnPairValuesToMatchCnResidentIdBirthDate(_PairExpectation):
    """The birth date in column_B equals the one encoded in the resident ID in column_A."""

    map_metric: ClassVar[str] = "column_pair_values.match_cn_resident_id_birth_date"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "ignore_row_if")


class ExpectRowsToSatisfySqlPredicate(BatchExpectation):
    """Every row (of the `row_condition` domain) satisfies a Spark SQL boolean predicate; null satisfies it.

    A row-domain map expectation: GX has none for a whole row (its multicolumn base needs two or more
    columns and skips all-null rows; `UnexpectedRowsExpectation` has no `mostly` and no element count),
    so this one is built from GX's own pieces: the table row count of the domain, the map condition's
    unexpected count and rows, `mostly` and the map result format. Unexpected rows are reported by the
    values of `column_list`.
    """

    predicate: str
    column_list: tuple[str, ...] = ()
    mostly: MostlyField = 1
    row_condition: RowConditionType = None
    condition_parser: ConditionParser | None = None

    metric_dependencies: ClassVar[tuple[str, ...]] = (
        "table.row_count",
        "rows.satisfy_sql_predicate.unexpected_count",
        "rows.satisfy_sql_predicate.unexpected_rows",
    )
    domain_keys: ClassVar[tuple[str, ...]] = ("batch_id", "row_condition", "condition_parser")
    success_keys: ClassVar[tuple[str, ...]] = ("predicate", "mostly")

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        rows = metrics["table.row_count"]
        unexpected = metrics["rows.satisfy_sql_predicate.unexpected_count"]
        failing = metrics["rows.satisfy_sql_predicate.unexpected_rows"]
        success = rows == 0 or _mostly_success(rows, unexpected, self._get_success_kwarg("mostly"))
        return _format_map_output(
            result_format=parse_result_format(self._get_result_format(runtime_configuration)),
            success=success,
            element_count=rows,
            nonnull_count=rows,
            unexpected_count=unexpected,
            unexpected_list=[{name: row[name] for name in self.column_list} for row in failing],
        )


class ExpectColumnMaxToBeWithinDays(ColumnAggregateExpectation):
    """Freshness: the column's newest date or timestamp is at most max_age_days before as_of (else today)."""

    max_age_days: int
    as_of: str | None = None

    metric_dependencies: ClassVar[tuple[str, ...]] = (
        "column.max",
        "column.max_age_days",
        "column_values.nonnull.unexpected_count",
        "table.row_count",
    )
    success_keys: ClassVar[tuple[str, ...]] = ("max_age_days", "as_of")

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        latest, age = metrics["column.max"], metrics["column.max_age_days"]
        observed = None if latest is None else f"{latest} ({age} days old)"
        elements = metrics["table.row_count"] - metrics["column_values.nonnull.unexpected_count"]
        return {
            "success": age is not None and age <= self.max_age_days,
            "result": {"observed_value": observed, "element_count": elements},
        }
