"""What a rule compiles to: a per-row check, a group (uniqueness) check, or a table-level aggregate check.

These are plain values holding Spark Column expressions; building them needs no session, file or clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column

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
