"""What the cross-table expectations share: dataset aliases, join keys, and the keyed look-up join.

A cross-table rule checks the rows of one dataset (`dataset`, an alias of the suite's `datasets:`) against
another (`other_dataset`). pyspark is imported inside the helpers, so loading a suite never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import reduce
from typing import TYPE_CHECKING, Self

from pydantic import Field, model_validator

from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CrossCheck, SampleColumn
from lakehub.quality_rules.kwargs import ExpectationKwargs

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

ALIAS_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
LOOKUP_PREFIX = "_x_"
"""Prefix of the columns a cross check adds to the checked rows (keys and values from the other dataset)."""


class CrossKwargs(ExpectationKwargs):
    """Rows of `dataset` checked against `other_dataset` (both aliases of the suite's `datasets:`)."""

    dataset: str = Field(pattern=ALIAS_PATTERN)
    """Alias of the dataset whose rows are checked (the elements)."""
    other_dataset: str = Field(pattern=ALIAS_PATTERN)
    """Alias of the dataset they are checked against."""
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    @property
    def dataset_aliases(self) -> tuple[str, ...]:
        """dataset, other_dataset."""
        return tuple(dict.fromkeys((self.dataset, self.other_dataset)))

    @property
    def fraction(self) -> float | None:
        """The `mostly` share."""
        return self.mostly


class KeyedCrossKwargs(CrossKwargs):
    """A cross-table rule comparing `column` with `other_column` of the other dataset's rows with the same key."""

    key: tuple[str, ...] = Field(min_length=1)
    """Columns of `dataset` identifying the entity (e.g. [id_number])."""
    other_key: tuple[str, ...] | None = None
    """The same key's columns in `other_dataset` (default: the same names)."""
    column: str = Field(min_length=1)
    other_column: str | None = None
    """Column of `other_dataset` compared with `column` (default: the same name)."""

    @model_validator(mode="after")
    def _keys_pair_up(self) -> Self:
        if self.other_key is not None and len(self.other_key) != len(self.key):
            raise ValueError("other_key must name as many columns as key")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns read from `dataset`: the key, then the compared column."""
        return tuple(dict.fromkeys((*self.key, self.column)))

    @property
    def target_key(self) -> tuple[str, ...]:
        """The key's columns in `other_dataset`."""
        return self.other_key or self.key

    @property
    def target_column(self) -> str:
        """The compared column in `other_dataset`."""
        return self.other_column or self.column


def all_of(conditions: list[Column]) -> Column:
    """Conjunction of the conditions."""
    return reduce(lambda a, b: a & b, conditions)


def keyed_lookup(
    frames: Mapping[str, DataFrame],
    kwargs: KeyedCrossKwargs,
    aggregate: Callable[[Column], Column],
    value_name: str,
) -> DataFrame:
    """The checked rows left-joined (one join) with one aggregate per key of the other dataset's values.

    The other dataset is grouped by its key (one aggregation), so each checked row meets at most one
    look-up row; keys or values that are null never match.
    """
    from pyspark.sql import functions as F

    checked, other = frames[kwargs.dataset], frames[kwargs.other_dataset]
    keys = [f"{LOOKUP_PREFIX}k{i}" for i in range(len(kwargs.key))]
    target = column(kwargs.target_column)
    lookup = (
        other.where(all_of([column(c).isNotNull() for c in kwargs.target_key]) & target.isNotNull())
        .groupBy(*[column(c).alias(k) for c, k in zip(kwargs.target_key, keys, strict=True)])
        .agg(aggregate(target).alias(value_name))
    )
    condition = all_of([checked[c] == F.col(k) for c, k in zip(kwargs.key, keys, strict=True)])
    return checked.join(lookup, condition, "left").drop(*keys)


def keyed_cross_check(
    kwargs: KeyedCrossKwargs,
    flag: Callable[[Mapping[str, DataFrame]], DataFrame],
    looked_up: str,
    *,
    other_department: str | None = None,
) -> CrossCheck:
    """A check comparing each row with the value `looked_up` from the other dataset for the same key."""
    return CrossCheck(
        dataset=kwargs.dataset,
        reads={
            kwargs.dataset: kwargs.columns,
            kwargs.other_dataset: (*kwargs.target_key, kwargs.target_column),
        },
        flag=flag,
        sample_columns=(
            *[SampleColumn(c, kwargs.dataset, c) for c in kwargs.key],
            SampleColumn(kwargs.column, kwargs.dataset, kwargs.column),
            SampleColumn(looked_up, kwargs.other_dataset, kwargs.target_column),
        ),
        other_dataset=kwargs.other_dataset,
        other_department=other_department,
    )
