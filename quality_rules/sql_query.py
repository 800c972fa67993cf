"""Custom SQL over named datasets: a query returning the failing rows (Great Expectations' UnexpectedRowsExpectation)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from lakehub.quality_rules.compiled import CompileContext, CrossCheck, SampleColumn
from lakehub.quality_rules.cross_common import ALIAS_PATTERN
from lakehub.quality_rules.kwargs import ExpectationKwargs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

BATCH = "batch"
"""Placeholder and alias of the suite's own dataset (GE writes `{batch}`)."""


def placeholders(query: str) -> tuple[str, ...]:
    """Names written as `{name}` in a query, in order of first use."""
    return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(query) if name))


class UnexpectedRowsKwargs(ExpectationKwargs):
    """unexpected_rows_query, Spark SQL over the suite's datasets written `{alias}`, returns the failing rows.

    The rows of `dataset` (default: the suite's own, `{batch}`) are the elements; each returned row is one
    unexpected row. `sample_columns` are columns of the query's result shown (masked) as samples.
    """

    supports_row_condition: ClassVar[bool] = False

    unexpected_rows_query: str = Field(min_length=1)
    dataset: str = Field(BATCH, pattern=ALIAS_PATTERN)
    sample_columns: tuple[str, ...] = ()
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    @field_validator("unexpected_rows_query")
    @classmethod
    def _placeholders(cls, query: str) -> str:
        try:
            names = placeholders(query)
        except ValueError as err:
            raise ValueError(f"braces must enclose a dataset alias such as {{population}} ({err})") from err
        if not names:
            raise ValueError("the query must read at least one dataset, written {alias} (or {batch})")
        for name in names:
            if not name.isidentifier():
                raise ValueError(f"'{{{name}}}' is not a dataset alias")
        return query

    @property
    def dataset_aliases(self) -> tuple[str, ...]:
        """The checked dataset and every dataset the query reads."""
        return tuple(dict.fromkeys((self.dataset, *placeholders(self.unexpected_rows_query))))

    @property
    def fraction(self) -> float | None:
        """The `mostly` share."""
        return self.mostly


def run_query(kwargs: UnexpectedRowsKwargs, frames: Mapping[str, DataFrame]) -> DataFrame:
    """The query's rows (parsed and analysed now, so a bad query fails before any data is read)."""
    spark = frames[kwargs.dataset].sparkSession
    names = placeholders(kwargs.unexpected_rows_query)
    tables: dict[str, Any] = {name: frames[name] for name in names}
    return spark.sql(kwargs.unexpected_rows_query, None, **tables)


def compile_query(kwargs: UnexpectedRowsKwargs, context: CompileContext) -> CrossCheck:
    """The checked rows count as elements and the query's rows as unexpected, in one aggregation."""
    samples = kwargs.sample_columns

    def flag(frames: Mapping[str, DataFrame]) -> DataFrame:
        from pyspark.sql import functions as F

        unexpected = run_query(kwargs, frames)
        nulls = [F.lit(None).cast("string").alias(c) for c in samples]
        elements = frames[kwargs.dataset].select(*nulls, F.lit(True).alias("_e"), F.lit(False).alias("_u"))
        failing = unexpected.select(
            *[F.col(f"`{c}`").cast("string").alias(c) for c in samples],
            F.lit(False).alias("_e"),
            F.lit(True).alias("_u"),
        )
        return elements.unionByName(failing)

    return CrossCheck(
        dataset=kwargs.dataset,
        reads={},
        flag=flag,
        sample_columns=tuple(SampleColumn(c, "", c) for c in samples),
        keeps_rows=False,
        returned_rows=lambda frames: run_query(kwargs, frames),
    )
