"""Table-level and column-aggregate expectations: row count, column type, freshness of the newest value."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CompileContext, TableCheck, TableFacts, TableVerdict
from lakehub.quality_rules.kwargs import ColumnKwargs, CountRange, TableKwargs


class RowCountKwargs(TableKwargs, CountRange):
    """The table has between min_value and max_value rows."""


def compile_row_count(kwargs: RowCountKwargs, context: CompileContext) -> TableCheck:
    """Judged on the pass's row count; needs no aggregate of its own."""

    def evaluate(values: tuple[Any, ...], facts: TableFacts) -> TableVerdict:
        rows = facts.row_count
        ok = (kwargs.min_value is None or rows >= kwargs.min_value) and (
            kwargs.max_value is None or rows <= kwargs.max_value
        )
        return TableVerdict(ok, rows, str(rows))

    return TableCheck(aggregates=(), evaluate=evaluate)


class OfTypeKwargs(ColumnKwargs):
    """The column's Spark type is type_: a class name (StringType, LongType, DateType) or SQL name (bigint)."""

    type_: str = Field(min_length=1)


def compile_of_type(kwargs: OfTypeKwargs, context: CompileContext) -> TableCheck:
    """Schema check; the element count is the column's non-null count."""
    from pyspark.sql import functions as F

    wanted = kwargs.type_.lower()

    def evaluate(values: tuple[Any, ...], facts: TableFacts) -> TableVerdict:
        class_name, simple = facts.column_types[kwargs.column]
        ok = wanted in (class_name.lower(), simple.lower(), simple.split("(")[0].lower())
        return TableVerdict(ok, int(values[0]), class_name)

    return TableCheck(aggregates=(F.count(column(kwargs.column)),), evaluate=evaluate)


class MaxWithinDaysKwargs(ColumnKwargs):
    """Freshness: the newest date or timestamp is at most max_age_days before the reference date."""

    max_age_days: int = Field(ge=0)


def compile_max_within_days(kwargs: MaxWithinDaysKwargs, context: CompileContext) -> TableCheck:
    """Aggregates count, max and age in days of the max (reference: as_of, else Spark's current_date)."""
    from pyspark.sql import functions as F

    value = column(kwargs.column)
    reference = F.lit(context.as_of) if context.as_of else F.current_date()
    newest = F.max(value)

    def evaluate(values: tuple[Any, ...], facts: TableFacts) -> TableVerdict:
        count, latest, age = values
        observed = None if latest is None else f"{latest} ({age} days old)"
        return TableVerdict(age is not None and age <= kwargs.max_age_days, int(count), observed)

    return TableCheck(
        aggregates=(F.count(value), newest.cast("string"), F.datediff(reference, F.to_date(newest))),
        evaluate=evaluate,
    )
