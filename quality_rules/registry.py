"""Every expectation by name: its kwargs model and its Spark compiler. A new rule is one module plus one line here.

Single-table expectations compile to a per-row, group or table check (`compile`); cross-table ones compile
to a `CrossCheck` over named datasets (`compile_cross`, made with `RuleType.cross`). Importing the
registry never imports pyspark (the compilers import it when they run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lakehub.quality_rules import (
    cn_rules,
    column_rules,
    cross_compare,
    cross_conflict,
    cross_referential,
    pair_rules,
    sql_predicate,
    sql_query,
    table_rules,
)
from lakehub.quality_rules.compiled import Check, CompileContext, CrossCheck
from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.kwargs import ExpectationKwargs

K = TypeVar("K", bound=ExpectationKwargs)


@dataclass(frozen=True, slots=True)
class RuleType(Generic[K]):
    """An expectation: name, kwargs model and compiler."""

    name: str
    kwargs_model: type[K]
    compile: Callable[[K, CompileContext], Check]
    compile_cross: Callable[[K, CompileContext], CrossCheck] | None = None
    """Cross-table expectations only: the compiler to a check over the suite's named datasets."""

    @classmethod
    def cross(
        cls, name: str, kwargs_model: type[K], compile_cross: Callable[[K, CompileContext], CrossCheck]
    ) -> RuleType[K]:
        """A cross-table expectation (validated with `validate_datasets`, never on one frame alone)."""
        return cls(name, kwargs_model, _needs_datasets, compile_cross)

    @property
    def is_cross(self) -> bool:
        """Whether the expectation reads several datasets."""
        return self.compile_cross is not None

    @property
    def summary(self) -> str:
        """One line saying what the expectation checks (the kwargs model's docstring)."""
        return (self.kwargs_model.__doc__ or "").strip().splitlines()[0]


def _needs_datasets(kwargs: ExpectationKwargs, context: CompileContext) -> Check:
    raise RuleError(
        "A cross-table rule cannot run on one frame. Fix: validate the suite with "
        "lakehub.quality_rules.validate_datasets (or `lakehub quality run`)."
    )


_TYPES: tuple[RuleType[Any], ...] = (
    RuleType(
        "expect_column_values_to_not_be_null", column_rules.NotNullKwargs, column_rules.compile_not_null
    ),
    RuleType("expect_column_values_to_be_between", column_rules.BetweenKwargs, column_rules.compile_between),
    RuleType("expect_column_values_to_be_in_set", column_rules.InSetKwargs, column_rules.compile_in_set),
    RuleType(
        "expect_column_values_to_match_regex", column_rules.MatchRegexKwargs, column_rules.compile_match_regex
    ),
    RuleType(
        "expect_column_value_lengths_to_be_between",
        column_rules.LengthsBetweenKwargs,
        column_rules.compile_lengths_between,
    ),
    RuleType("expect_column_values_to_be_unique", column_rules.UniqueKwargs, column_rules.compile_unique),
    RuleType(
        "expect_compound_columns_to_be_unique",
        column_rules.CompoundUniqueKwargs,
        column_rules.compile_compound_unique,
    ),
    RuleType("expect_column_values_to_be_of_type", table_rules.OfTypeKwargs, table_rules.compile_of_type),
    RuleType(
        "expect_column_max_to_be_within_days",
        table_rules.MaxWithinDaysKwargs,
        table_rules.compile_max_within_days,
    ),
    RuleType(
        "expect_table_row_count_to_be_between", table_rules.RowCountKwargs, table_rules.compile_row_count
    ),
    RuleType(
        "expect_column_values_to_be_valid_cn_resident_id",
        cn_rules.ResidentIdKwargs,
        cn_rules.compile_resident_id,
    ),
    RuleType("expect_column_values_to_be_valid_cn_uscc", cn_rules.UsccKwargs, cn_rules.compile_uscc),
    RuleType("expect_column_values_to_be_valid_cn_mobile", cn_rules.MobileKwargs, cn_rules.compile_mobile),
    RuleType(
        "expect_column_values_to_be_valid_cn_admin_code",
        cn_rules.AdminCodeKwargs,
        cn_rules.compile_admin_code,
    ),
    RuleType("expect_column_pair_values_to_be_in_bbox", pair_rules.BboxKwargs, pair_rules.compile_bbox),
    RuleType(
        "expect_column_pair_values_A_to_be_greater_than_B",
        pair_rules.GreaterThanKwargs,
        pair_rules.compile_greater_than,
    ),
    RuleType(
        "expect_column_pair_values_to_match_cn_resident_id_gender",
        pair_rules.IdGenderKwargs,
        pair_rules.compile_id_gender,
    ),
    RuleType(
        "expect_column_pair_values_to_match_cn_resident_id_birth_date",
        pair_rules.IdBirthDateKwargs,
        pair_rules.compile_id_birth_date,
    ),
    RuleType(
        "expect_rows_to_satisfy_sql_predicate",
        sql_predicate.SqlPredicateKwargs,
        sql_predicate.compile_predicate,
    ),
    RuleType.cross(
        "expect_column_values_to_exist_in_other_dataset",
        cross_referential.ExistsKwargs,
        cross_referential.compile_exists,
    ),
    RuleType.cross(
        "expect_column_values_to_agree_with_other_dataset",
        cross_conflict.AgreeKwargs,
        cross_conflict.compile_agree,
    ),
    RuleType.cross(
        "expect_column_values_to_be_less_than_other_dataset_column",
        cross_compare.LessThanKwargs,
        cross_compare.compile_less_than,
    ),
    RuleType.cross("unexpected_rows_expectation", sql_query.UnexpectedRowsKwargs, sql_query.compile_query),
)

REGISTRY: dict[str, RuleType[Any]] = {rule_type.name: rule_type for rule_type in _TYPES}
"""Expectation name → RuleType."""


def expectation_names() -> tuple[str, ...]:
    """Every registered expectation name, sorted."""
    return tuple(sorted(REGISTRY))
