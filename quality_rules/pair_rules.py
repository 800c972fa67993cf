"""Column-pair expectations: point in a bounding box, A greater than B, resident ID agrees with gender/birth date.

Missing values follow GE's column-pair `ignore_row_if`: rows it ignores are not elements, and in the
other rows a missing value fails the comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Self

from pydantic import Field, model_validator

from lakehub.quality_rules.cn_spark import (
    bbox_contains,
    resident_id_birth_date_matches,
    resident_id_derived,
    resident_id_gender_matches,
)
from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CompileContext, RowCheck
from lakehub.quality_rules.kwargs import ColumnPairKwargs, PairIgnore

if TYPE_CHECKING:
    from pyspark.sql import Column

    from lakehub.quality_rules.masking import Sensitivity

COUNTY_BBOX = (115.55, 29.45, 116.25, 29.95)
"""九江市柴桑区 (west, south, east, north), WGS84 degrees."""


def pair_check(
    kwargs: ColumnPairKwargs,
    passes: Column,
    masks: Mapping[str, Sensitivity] | None = None,
    derived: Mapping[str, Column] | None = None,
) -> RowCheck:
    """Row check on two columns: ignore_row_if picks the elements; an element fails unless `passes` is true."""
    from pyspark.sql import functions as F

    a, b = column(kwargs.column_A).isNotNull(), column(kwargs.column_B).isNotNull()
    elements = {"both_values_are_missing": a | b, "either_value_is_missing": a & b, "neither": F.lit(True)}
    element = elements[kwargs.ignore_row_if]
    return RowCheck(
        unexpected=element & ~F.coalesce(passes, F.lit(False)),
        element=element,
        sample_columns=kwargs.columns,
        masks=dict(masks or {}),
        derived=dict(derived or {}),
    )


class BboxKwargs(ColumnPairKwargs):
    """column_A (longitude) and column_B (latitude) lie inside bbox = [west, south, east, north]."""

    bbox: tuple[float, float, float, float] = COUNTY_BBOX

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        west, south, east, north = self.bbox
        if not (west < east and south < north):
            raise ValueError("bbox must be [west, south, east, north] with west < east and south < north")
        return self


def compile_bbox(kwargs: BboxKwargs, context: CompileContext) -> RowCheck:
    """Points outside the box (or with one coordinate missing) are unexpected."""
    return pair_check(kwargs, bbox_contains(column(kwargs.column_A), column(kwargs.column_B), kwargs.bbox))


class GreaterThanKwargs(ColumnPairKwargs):
    """column_A > column_B (>= with or_equal), e.g. closed_at after created_at."""

    or_equal: bool = False


def compile_greater_than(kwargs: GreaterThanKwargs, context: CompileContext) -> RowCheck:
    """Rows where A is not greater than B are unexpected."""
    a, b = column(kwargs.column_A), column(kwargs.column_B)
    return pair_check(kwargs, a >= b if kwargs.or_equal else a > b)


class IdGenderKwargs(ColumnPairKwargs):
    """column_B (gender) does not contradict the sex digit of resident ID column_A (odd: male).

    A malformed ID, or a gender label in neither list, is left to the ID and value-set rules.
    """

    ignore_row_if: PairIgnore = "either_value_is_missing"
    male_values: tuple[str, ...] = Field(("男",), min_length=1)
    female_values: tuple[str, ...] = Field(("女",), min_length=1)


def compile_id_gender(kwargs: IdGenderKwargs, context: CompileContext) -> RowCheck:
    """Rows whose gender contradicts the ID's 17th digit are unexpected."""
    passes = resident_id_gender_matches(
        kwargs.column_A, column(kwargs.column_B), kwargs.male_values, kwargs.female_values, precomputed=True
    )
    return pair_check(kwargs, passes, {kwargs.column_A: "resident_id"}, resident_id_derived(kwargs.column_A))


class IdBirthDateKwargs(ColumnPairKwargs):
    """column_B (birth date: date, timestamp or ISO text) equals the birth date in resident ID column_A.

    A malformed ID or one without a real date is left to the ID rule.
    """

    ignore_row_if: PairIgnore = "either_value_is_missing"


def compile_id_birth_date(kwargs: IdBirthDateKwargs, context: CompileContext) -> RowCheck:
    """Rows whose birth date differs from the ID's are unexpected."""
    passes = resident_id_birth_date_matches(kwargs.column_A, column(kwargs.column_B), precomputed=True)
    return pair_check(kwargs, passes, {kwargs.column_A: "resident_id"}, resident_id_derived(kwargs.column_A))
