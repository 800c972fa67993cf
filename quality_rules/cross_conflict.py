"""One-source conflicts (一数一源): the same key carries different values in two departments' datasets."""

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


class AgreeKwargs(KeyedCrossKwargs):
    """column (in dataset) equals other_column of other_dataset for the same key (一数一源), e.g. addresses.

    Rows whose key the other dataset lacks, or where either value is missing, are not elements. When the
    other dataset holds several values for a key, agreeing with one of them passes. The result names both
    departments (`department` and `other_department`).
    """

    other_department: str | None = None
    """Department responsible for other_dataset; the conflict is reported to it as well."""


def compile_agree(kwargs: AgreeKwargs, context: CompileContext) -> CrossCheck:
    """One aggregation (the other dataset's values per key) and one left join; differing values are unexpected."""
    values, shown = f"{LOOKUP_PREFIX}values", f"{LOOKUP_PREFIX}other"

    def flag(frames: Mapping[str, DataFrame]) -> DataFrame:
        from pyspark.sql import functions as F

        checked = frames[kwargs.dataset]
        joined = keyed_lookup(frames, kwargs, F.collect_set, values)
        value = column(kwargs.column)
        element = all_of([column(c).isNotNull() for c in kwargs.key]) & value.isNotNull()
        element = element & F.col(values).isNotNull()
        return joined.select(
            *[column(c) for c in checked.columns],
            F.array_min(F.col(values)).alias(shown),
            element.alias("_e"),
            (element & ~F.coalesce(F.array_contains(F.col(values), value), F.lit(False))).alias("_u"),
        )

    return keyed_cross_check(kwargs, flag, shown, other_department=kwargs.other_department)
