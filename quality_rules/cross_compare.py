"""Order across datasets: a value stays below another dataset's value for the same key (no payment after death)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CompileContext, CrossCheck
from lakehub.quality_rules.cross_common import (
    LOOKUP_PREFIX,
    KeyedCrossKwargs,
    all_of,
    keyed_cross_check,
    keyed_lookup,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class LessThanKwargs(KeyedCrossKwargs):
    """column (in dataset) is below other_column of other_dataset for the same key (or equal, with or_equal).

    E.g. a payment's pay_date is on or before the recipient's death_date in population. Rows whose key the
    other dataset lacks, or where either value is missing (a living person), are not elements; with several
    rows per key the smallest value is the bound.
    """

    or_equal: bool = False


def compile_less_than(kwargs: LessThanKwargs, context: CompileContext) -> CrossCheck:
    """One aggregation (the smallest other value per key) and one left join; values not below it are unexpected."""
    bound = f"{LOOKUP_PREFIX}bound"

    def flag(frames: Mapping[str, DataFrame]) -> DataFrame:
        from pyspark.sql import functions as F

        checked = frames[kwargs.dataset]
        joined = keyed_lookup(frames, kwargs, F.min, bound)
        value, limit = column(kwargs.column), F.col(bound)
        element = all_of([column(c).isNotNull() for c in kwargs.key]) & value.isNotNull() & limit.isNotNull()
        passes = value <= limit if kwargs.or_equal else value < limit
        return joined.select(
            *[column(c) for c in checked.columns],
            limit,
            element.alias("_e"),
            (element & ~F.coalesce(passes, F.lit(False))).alias("_u"),
        )

    return keyed_cross_check(kwargs, flag, bound)
