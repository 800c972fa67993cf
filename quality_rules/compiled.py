"""What a rule compiles to: a per-row check, a group (uniqueness) check, or a table-level aggregate check.

These are plain values holding Spark Column expressions; building them needs no session, file or clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from lakehub.quality_rules.masking import Sensitivity
    from lakehub.quality_rules.suite import RuleSpec


@dataclass(frozen=True, slots=True)
class CompileContext:
    """Inputs a compiler may use besides the rule's kwargs."""

    as_of: dt.date | None = None
    """Reference date for 'not in the future' and freshness; None means Spark's current_date()."""


@dataclass(frozen=True, slots=True)
class RowCheck:
    """A verdict per row: `unexpected` is true when the row fails (never null), `element` when it counts."""

    unexpected: Column
    element: Column
    sample_columns: tuple[str, ...]
    """Columns whose (masked) values illustrate a failing row; empty for no samples."""
    masks: Mapping[str, Sensitivity] = field(default_factory=dict)
    """Sensitivity the expectation itself implies (a resident-ID rule masks its column)."""
    derived: Mapping[str, Column] = field(default_factory=dict)
    """Helper columns computed once per row before the checks that read them (e.g. a parsed ID body)."""


@dataclass(frozen=True, slots=True)
class GroupCheck:
    """Rows whose `group_columns` values occur more than once among all rows are unexpected."""

    group_columns: tuple[str, ...]
    element: Column
    sample_columns: tuple[str, ...]
    masks: Mapping[str, Sensitivity] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TableFacts:
    """What a table-level check may look at besides its own aggregates."""

    row_count: int
    column_types: Mapping[str, tuple[str, str]]
    """Column name → (Spark type class name, simple string), e.g. ('StringType', 'string')."""


@dataclass(frozen=True, slots=True)
class TableVerdict:
    """A table-level check's outcome."""

    success: bool
    element_count: int
    observed_value: str | None


@dataclass(frozen=True, slots=True)
class TableCheck:
    """Aggregates computed in the suite's one pass, then judged in Python."""

    aggregates: tuple[Column, ...]
    evaluate: Callable[[tuple[Any, ...], TableFacts], TableVerdict]


Check = RowCheck | GroupCheck | TableCheck


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule from a suite and the check it compiled to."""

    rule: RuleSpec
    check: Check


@dataclass(frozen=True, slots=True)
class SampleColumn:
    """A column of a cross-table check's flagged rows shown in samples, and where its values come from."""

    name: str
    """Column name in the flagged rows."""
    dataset: str
    """Alias of the dataset the value comes from."""
    source: str
    """Column name in that dataset (its sensitivity decides the masking)."""


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """A cross-table check: one join or aggregation over named datasets flags the rows of one of them.

    `flag` receives the frames by alias and returns one row per checked row (or per returned row for a
    SQL query) with boolean `_e` (the row is an element) and `_u` (it is unexpected, never null), the
    columns of `sample_columns`, and, for checks that keep them, the checked dataset's own columns.
    """

    dataset: str
    """Alias of the dataset whose rows are the elements."""
    reads: Mapping[str, tuple[str, ...]]
    """Alias → columns the check reads (checked before any data is read)."""
    flag: Callable[[Mapping[str, DataFrame]], DataFrame]
    sample_columns: tuple[SampleColumn, ...]
    keeps_rows: bool = True
    """Whether the flagged rows are the checked dataset's rows, one each, with its columns."""
    other_dataset: str | None = None
    """Alias of the dataset the rows are compared with, reported with the result."""
    other_department: str | None = None
    """Department holding the other dataset, told of the result too (一数一源 conflicts)."""
    returned_rows: Callable[[Mapping[str, DataFrame]], DataFrame] | None = None
    """Checks that do not keep the checked rows (SQL queries): the failing rows as they return them."""
