"""一表同享: how much of a standard application form the hub can fill in for each resident.

A Python model: ``build(inputs)`` receives the declared inputs as DataFrames and returns the output.
``COLUMN_LINEAGE`` declares which input columns each output column is computed from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PROFILE = "theme.person_profile"
FORM_ID = "MZ-DB-01"
FORM_TITLE = "城乡居民最低生活保障申请表"
FIELDS: tuple[tuple[str, str | None], ...] = (
    ("申请人姓名", "name"),
    ("公民身份号码", "id_number"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("民族", "ethnicity"),
    ("户籍地址", "household_address"),
    ("联系电话", "phone"),
    ("所在乡镇（街道）", "town"),
    ("参保情况", "insurance_types"),
    ("现享受救助", "assistance_programs"),
    ("自有住房面积", "house_area_sqm"),
    ("家庭年收入", None),
    ("银行账号", None),
    ("残疾等级", None),
)
"""(form field, profile column it is filled from — None when the hub holds no such fact)."""

COLUMN_LINEAGE: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "filled_persons": (
        *tuple((PROFILE, column, "AGGREGATION") for _, column in FIELDS if column),
        (PROFILE, "household_status", "FILTER"),
    ),
    "persons": ((PROFILE, "id_number", "AGGREGATION"), (PROFILE, "household_status", "FILTER")),
    "coverage_rate": tuple((PROFILE, column, "AGGREGATION") for _, column in FIELDS if column),
}
"""Output column → (input dataset, input column, OpenLineage subtype)."""


def build(inputs: Mapping[str, DataFrame]) -> DataFrame:
    """One row per form field: the source column and the share of living residents it can fill."""
    from pyspark.sql import functions as F

    profile = inputs[PROFILE].where(F.col("household_status") == "正常")
    sourced = [column for _, column in FIELDS if column]
    counts = profile.agg(
        F.count(F.lit(1)).alias("_persons"),
        *(F.count(F.col(c)).alias(c) for c in sourced),
    ).first()
    assert counts is not None
    persons = int(counts["_persons"])
    rows = [
        (
            FORM_ID,
            FORM_TITLE,
            order,
            title,
            PROFILE if column else None,
            column,
            column is not None,
            int(counts[column]) if column else 0,
            persons,
            round(int(counts[column]) / persons, 4) if column and persons else 0.0,
        )
        for order, (title, column) in enumerate(FIELDS, start=1)
    ]
    schema = (
        "form_id string, form_title string, field_order int, field_title string, source_dataset string, "
        "source_column string, fillable boolean, filled_persons bigint, persons bigint, coverage_rate double"
    )
    return profile.sparkSession.createDataFrame(rows, schema)
