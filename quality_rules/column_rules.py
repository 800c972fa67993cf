"""Per-value expectations in Great Expectations' vocabulary: null, range, set, regex, length, unique.

pyspark is imported inside the compilers so that loading a suite never imports it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from lakehub.quality_rules.cn_spark import regex_find
from lakehub.quality_rules.compiled import CompileContext, GroupCheck, RowCheck
from lakehub.quality_rules.kwargs import ColumnMapKwargs, CountRange, MulticolumnKwargs, NeedsABound

if TYPE_CHECKING:
    from pyspark.sql import Column

Bound = int | float | dt.datetime | dt.date | str
"""A comparable bound: number, date (YAML `2024-01-01`), timestamp or text."""


def column(name: str) -> Column:
    """A column by exact name (back-quoted, so dots and spaces are safe)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def value_check(name: str, passes: Column) -> RowCheck:
    """Map-check on one column: non-null values are elements, and unexpected unless `passes` is true."""
    from pyspark.sql import functions as F

    value = column(name)
    return RowCheck(
        unexpected=value.isNotNull() & ~F.coalesce(passes, F.lit(False)),
        element=value.isNotNull(),
        sample_columns=(name,),
    )


def range_condition(
    value: Column, low: Any, high: Any, *, strict_low: bool = False, strict_high: bool = False
) -> Column:
    """`low <= value <= high` (either bound optional, each optionally strict)."""
    from pyspark.sql import functions as F

    condition = F.lit(True)
    if low is not None:
        condition = condition & ((value > F.lit(low)) if strict_low else (value >= F.lit(low)))
    if high is not None:
        condition = condition & ((value < F.lit(high)) if strict_high else (value <= F.lit(high)))
    return condition


class NotNullKwargs(ColumnMapKwargs):
    """Values must not be null (every row is an element)."""


def compile_not_null(kwargs: NotNullKwargs, context: CompileContext) -> RowCheck:
    """Null values are unexpected."""
    from pyspark.sql import functions as F

    return RowCheck(unexpected=column(kwargs.column).isNull(), element=F.lit(True), sample_columns=())


class BetweenKwargs(ColumnMapKwargs, NeedsABound):
    """Values within [min_value, max_value]; numbers, dates and timestamps alike."""

    min_value: Bound | None = None
    max_value: Bound | None = None
    strict_min: bool = False
    strict_max: bool = False


def compile_between(kwargs: BetweenKwargs, context: CompileContext) -> RowCheck:
    """Values outside the range are unexpected."""
    passes = range_condition(
        column(kwargs.column),
        kwargs.min_value,
        kwargs.max_value,
        strict_low=kwargs.strict_min,
        strict_high=kwargs.strict_max,
    )
    return value_check(kwargs.column, passes)


class InSetKwargs(ColumnMapKwargs):
    """Values must be among value_set."""

    value_set: tuple[int | float | dt.date | str, ...] = Field(min_length=1)


def compile_in_set(kwargs: InSetKwargs, context: CompileContext) -> RowCheck:
    """Values not in the set are unexpected."""
    return value_check(kwargs.column, column(kwargs.column).isin(*kwargs.value_set))


class MatchRegexKwargs(ColumnMapKwargs):
    """Values must contain a match of regex (Java syntax, searched like GE; anchor with ^...$)."""

    regex: str = Field(min_length=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            re.compile(regex)
        except re.error as err:
            raise ValueError(f"not a valid regular expression ({err})") from err
        return regex


def compile_match_regex(kwargs: MatchRegexKwargs, context: CompileContext) -> RowCheck:
    """Values without a match are unexpected."""
    return value_check(kwargs.column, regex_find(column(kwargs.column), kwargs.regex))


class LengthsBetweenKwargs(ColumnMapKwargs, CountRange):
    """Value lengths (characters) within [min_value, max_value]."""


def compile_lengths_between(kwargs: LengthsBetweenKwargs, context: CompileContext) -> RowCheck:
    """Values whose length is outside the range are unexpected."""
    from pyspark.sql import functions as F

    length = F.length(column(kwargs.column).cast("string"))
    return value_check(kwargs.column, range_condition(length, kwargs.min_value, kwargs.max_value))


class UniqueKwargs(ColumnMapKwargs):
    """Non-null values must occur once; every copy of a repeated value is unexpected."""

    supports_row_condition: ClassVar[bool] = False


def compile_unique(kwargs: UniqueKwargs, context: CompileContext) -> GroupCheck:
    """Group check on the column; nulls are not elements."""
    return GroupCheck(
        group_columns=(kwargs.column,),
        element=column(kwargs.column).isNotNull(),
        sample_columns=(kwargs.column,),
    )


class CompoundUniqueKwargs(MulticolumnKwargs):
    """Combinations of column_list values must occur once (nulls compare equal, as in GE)."""

    supports_row_condition: ClassVar[bool] = False


def compile_compound_unique(kwargs: CompoundUniqueKwargs, context: CompileContext) -> GroupCheck:
    """Group check on the column list; ignore_row_if decides which rows are elements."""
    from functools import reduce

    from pyspark.sql import functions as F

    present = [column(name).isNotNull() for name in kwargs.column_list]
    if kwargs.ignore_row_if == "all_values_are_missing":
        element = reduce(lambda a, b: a | b, present)
    elif kwargs.ignore_row_if == "any_value_is_missing":
        element = reduce(lambda a, b: a & b, present)
    else:
        element = F.lit(True)
    return GroupCheck(group_columns=kwargs.column_list, element=element, sample_columns=kwargs.column_list)
