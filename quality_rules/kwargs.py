"""Keyword-argument models shared by the expectations: one column, a column pair, a column list, the table."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

PairIgnore = Literal["both_values_are_missing", "either_value_is_missing", "neither"]
MulticolumnIgnore = Literal["all_values_are_missing", "any_value_is_missing", "never"]


class ExpectationKwargs(BaseModel):
    """Base of every expectation's keyword arguments (as written in the suite YAML)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    supports_row_condition: ClassVar[bool] = True

    row_condition: str | None = Field(None, min_length=1)
    """Spark SQL predicate: only rows where it holds are checked (GE's row_condition)."""
    condition_parser: Literal["spark"] | None = None
    """How row_condition is read; only Spark SQL is supported."""

    @model_validator(mode="after")
    def _condition_allowed(self) -> Self:
        if self.row_condition is not None and not self.supports_row_condition:
            raise ValueError("row_condition is supported only by per-row (map and pair) expectations")
        if self.condition_parser is not None and self.row_condition is None:
            raise ValueError("condition_parser needs a row_condition")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the expectation reads, in kwargs order."""
        return ()

    @property
    def fraction(self) -> float | None:
        """GE's `mostly`: the share of elements that must pass (None for table-level expectations)."""
        return None

    @property
    def dataset_aliases(self) -> tuple[str, ...]:
        """Aliases of the suite's `datasets:` the expectation reads (cross-table rules only)."""
        return ()


class ColumnKwargs(ExpectationKwargs):
    """An expectation about one column's aggregate or type (no per-row verdict)."""

    supports_row_condition: ClassVar[bool] = False

    column: str = Field(min_length=1)
    """The column checked."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The one column."""
        return (self.column,)


class ColumnMapKwargs(ColumnKwargs):
    """A per-value expectation on one column; nulls are not elements (except for not-null)."""

    supports_row_condition: ClassVar[bool] = True

    mostly: float = Field(1.0, ge=0.0, le=1.0)
    """Share of non-null values that must pass (1.0: all)."""

    @property
    def fraction(self) -> float | None:
        """The `mostly` share."""
        return self.mostly


class ColumnPairKwargs(ExpectationKwargs):
    """A per-row expectation on two columns (GE column-pair semantics for missing values)."""

    column_A: str = Field(min_length=1)
    column_B: str = Field(min_length=1)
    ignore_row_if: PairIgnore = "both_values_are_missing"
    """Rows that are not elements: both values missing (GE default), either missing, or none."""
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    @property
    def columns(self) -> tuple[str, ...]:
        """column_A, column_B."""
        return (self.column_A, self.column_B)

    @property
    def fraction(self) -> float | None:
        """The `mostly` share."""
        return self.mostly


class MulticolumnKwargs(ExpectationKwargs):
    """A per-row expectation on several columns (GE multicolumn semantics for missing values)."""

    column_list: tuple[str, ...] = Field(min_length=1)
    ignore_row_if: MulticolumnIgnore = "all_values_are_missing"
    mostly: float = Field(1.0, ge=0.0, le=1.0)

    @property
    def columns(self) -> tuple[str, ...]:
        """The column list."""
        return self.column_list

    @property
    def fraction(self) -> float | None:
        """The `mostly` share."""
        return self.mostly


class TableKwargs(ExpectationKwargs):
    """An expectation about the whole table (no columns)."""

    supports_row_condition: ClassVar[bool] = False


class NeedsABound(BaseModel):
    """Mixin: at least one of min_value and max_value is given."""

    @model_validator(mode="after")
    def _one_bound(self) -> Self:
        if getattr(self, "min_value", None) is None and getattr(self, "max_value", None) is None:
            raise ValueError("give min_value, max_value or both")
        return self


class CountRange(NeedsABound):
    """Mixin: a range of non-negative counts (lengths, rows)."""

    min_value: int | None = Field(None, ge=0)
    max_value: int | None = Field(None, ge=0)
