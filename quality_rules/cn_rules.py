"""National-standard expectations: resident ID (GB 11643), credit code (GB 32100), mobile, area code (GB/T 2260).

The Spark expressions live in cn_spark (twins of the pure-Python checks in cn_codes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from lakehub.quality_rules.cn_spark import (
    admin_code_valid,
    mobile_valid,
    resident_id_derived,
    resident_id_valid,
    uscc_valid,
)
from lakehub.quality_rules.column_rules import value_check
from lakehub.quality_rules.compiled import CompileContext, RowCheck
from lakehub.quality_rules.kwargs import ColumnMapKwargs

if TYPE_CHECKING:
    from pyspark.sql import Column


def reference_date(context: CompileContext) -> Column:
    """The date 'the future' starts after: as_of, else Spark's current_date()."""
    from pyspark.sql import functions as F

    return F.lit(context.as_of) if context.as_of else F.current_date()


class ResidentIdKwargs(ColumnMapKwargs):
    """Values are valid GB 11643 resident IDs (check digit, real birth date not in the future)."""


def compile_resident_id(kwargs: ResidentIdKwargs, context: CompileContext) -> RowCheck:
    """Invalid IDs are unexpected; samples are masked as resident IDs."""
    valid = resident_id_valid(kwargs.column, reference_date(context), precomputed=True)
    check = value_check(kwargs.column, valid)
    return RowCheck(
        check.unexpected,
        check.element,
        check.sample_columns,
        {kwargs.column: "resident_id"},
        resident_id_derived(kwargs.column),
    )


class UsccKwargs(ColumnMapKwargs):
    """Values are valid GB 32100 unified social credit codes."""


def compile_uscc(kwargs: UsccKwargs, context: CompileContext) -> RowCheck:
    """Invalid credit codes are unexpected."""
    return value_check(kwargs.column, uscc_valid(kwargs.column))


class MobileKwargs(ColumnMapKwargs):
    """Values are 11-digit mainland mobile numbers."""


def compile_mobile(kwargs: MobileKwargs, context: CompileContext) -> RowCheck:
    """Other values are unexpected; samples are masked as phones."""
    check = value_check(kwargs.column, mobile_valid(kwargs.column))
    return RowCheck(check.unexpected, check.element, check.sample_columns, {kwargs.column: "phone"})


class AdminCodeKwargs(ColumnMapKwargs):
    """Values are GB/T 2260 area codes: `lengths` digits (6; 2/4 for prefixes), known province, `prefix`."""

    lengths: tuple[Literal[2, 4, 6], ...] = Field((6,), min_length=1)
    prefix: tuple[str, ...] = ()
    """Allowed leading digits, e.g. ['3604'] for 九江市; a single string is accepted."""
    value_set: tuple[str, ...] | None = None
    """Exact allowed codes, checked on top of the format."""

    @field_validator("prefix", "value_set", mode="before")
    @classmethod
    def _codes_as_text(cls, value: object) -> object:
        """YAML reads `3604` as a number and a lone prefix as a scalar; codes are text."""
        if isinstance(value, str | int):
            return (str(value),)
        if isinstance(value, list | tuple):
            return tuple(str(v) if isinstance(v, int) else v for v in value)
        return value

    @field_validator("prefix")
    @classmethod
    def _digits(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.isdigit() or len(p) > 6 for p in value):
            raise ValueError("each prefix must be 1 to 6 digits")
        return value


def compile_admin_code(kwargs: AdminCodeKwargs, context: CompileContext) -> RowCheck:
    """Codes of the wrong form, province, prefix or outside value_set are unexpected."""
    return value_check(
        kwargs.column, admin_code_valid(kwargs.column, tuple(kwargs.lengths), kwargs.prefix, kwargs.value_set)
    )
