"""Referential integrity across datasets: every value of a column exists in another dataset's column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import Field

from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CompileContext, CrossCheck, SampleColumn
from lakehub.quality_rules.cross_common import LOOKUP_PREFIX, CrossKwargs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class ExistsKwargs(CrossKwargs):
    """Non-null values of column (in dataset) exist in other_column of other_dataset, e.g. payments → population."""

    column: str = Field(min_length=1)
    other_column: str | None = None
    """Column of other_dataset holding the known values (default: the same name)."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The checked column."""
        return (self.column,)


def compile_exists(kwargs: ExistsKwargs, context: CompileContext) -> CrossCheck:
    """One left join with the other dataset's distinct values; values without a match are unexpected."""
    target = kwargs.other_column or kwargs.column
    found = f"{LOOKUP_PREFIX}found"

    def flag(frames: Mapping[str, DataFrame]) -> DataFrame:
        from pyspark.sql import functions as F

        checked, other = frames[kwargs.dataset], frames[kwargs.other_dataset]
        known = (
            other.where(column(target).isNotNull())
            .select(column(target).alias(f"{LOOKUP_PREFIX}value"))
            .distinct()
            .withColumn(found, F.lit(True))
        )
        joined = checked.join(known, checked[kwargs.column] == F.col(f"{LOOKUP_PREFIX}value"), "left")
        element = column(kwargs.column).isNotNull()
        return joined.select(
            *[checked[c] for c in checked.columns],
            element.alias("_e"),
            (element & F.col(found).isNull()).alias("_u"),
        )

    return CrossCheck(
        dataset=kwargs.dataset,
        reads={kwargs.dataset: (kwargs.column,), kwargs.other_dataset: (target,)},
        flag=flag,
        sample_columns=(SampleColumn(kwargs.column, kwargs.dataset, kwargs.column),),
        other_dataset=kwargs.other_dataset,
    )
