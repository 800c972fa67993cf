"""Spark projections that standardise delivered text into typed values, plus type-check reasons.

Each step is its own projection over named columns, so no expression is copied into another
(nesting them made a 1.5 MB task binary and a 10× slower pass).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehub.pipelines.sources import ColumnSpec
from lakehub.quality_rules.cn_codes import (
    MOBILE_PATTERN,
    RESIDENT_ID_CHECK_CHARS,
    RESIDENT_ID_WEIGHTS,
    USCC_PATTERN,
)

FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
FULL_WIDTH_ALNUM = (
    "".join(chr(0xFF10 + i) for i in range(10))
    + "".join(chr(0xFF21 + i) for i in range(26))
    + "".join(chr(0xFF41 + i) for i in range(26))
    + "\u3000"
)
FULL_WIDTH_CLASS = "[\uff01-\uff5e\u3000]"
"""Translating is costly, so only text containing a full-width character is translated."""
HALF_WIDTH_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz "

DATE_FORMATS = ("yyyy-MM-dd", "yyyyMMdd", "yyyy/M/d", "yyyy年M月d日", "yyyy.M.d", "yyyy-M-d")
TIMESTAMP_FORMATS = (
    "yyyy-MM-dd HH:mm:ss",
    "yyyy/M/d H:mm:ss",
    "yyyy/M/d H:mm",
    "yyyy-MM-dd HH:mm",
    "yyyyMMddHHmmss",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy年M月d日 H:mm:ss",
)
EXCEL_EPOCH = "1899-12-30"
LEGACY_MARK = "#"
"""Stands in for the check character of a 15-digit ID upgraded to 18 digits until it is computed."""
AMOUNT_PATTERN = r"^([+-]?\d+(\.\d+)?)(万元|万|元)?$"


def text_column(name: str) -> str:
    """Column holding the cleaned delivered text of `name`."""
    return f"__t_{name}"


def error_column(name: str) -> str:
    """Column holding the reason `name` could not be read (or null)."""
    return f"__e_{name}"


def _clean(raw: Column, spec: ColumnSpec) -> Column:
    """Full-width→half-width and trim (free text keeps full-width punctuation)."""
    source, target = (
        (FULL_WIDTH_ALNUM, HALF_WIDTH_ALNUM) if spec.type == "string" else (FULL_WIDTH, HALF_WIDTH)
    )
    # Codes, numbers and dates are ASCII unless full-width: a length test is far cheaper than a regex.
    needs = raw.rlike(FULL_WIDTH_CLASS) if spec.type == "string" else F.octet_length(raw) != F.length(raw)
    widened = F.when(needs, F.translate(raw, source, target)).otherwise(raw)
    return F.trim(widened)


def _normalise(text: Column, spec: ColumnSpec) -> Column:
    """Type-specific spelling fixes before parsing: case, separators, country code."""
    if spec.type in ("resident_id", "uscc"):
        return F.upper(text)
    if spec.type == "mobile":
        spelled = F.regexp_replace(F.regexp_replace(text, r"[\s\-()]", ""), r"^\+?86(?=1\d{10}$)", "")
        return F.when(F.length(text) == 11, text).otherwise(spelled)
    if spec.type == "amount":
        return F.regexp_replace(text, r"[,，¥￥\s]", "")
    if spec.type in ("decimal", "int"):
        return F.regexp_replace(text, ",", "")
    return text


def _try_parse(function: str, text: Column, formats: tuple[str, ...]) -> Column:
    return F.coalesce(*[F.call_function(function, text, F.lit(fmt)) for fmt in formats])


def parse_date(text: Column) -> Column:
    """Dates in ISO, 20230105, 2023/1/5, 2023年1月5日 or Excel serial form."""
    serial = F.when(
        text.rlike(r"^\d{5}(\.0+)?$"),
        F.date_add(F.lit(EXCEL_EPOCH).cast("date"), text.cast("double").cast("int")),
    )
    with_time = F.when(
        text.rlike(r"^\d{4}-\d{2}-\d{2}[ T]"),
        F.call_function("try_to_date", F.substring(text, 1, 10), F.lit("yyyy-MM-dd")),
    )
    return F.coalesce(serial, _try_parse("try_to_date", text, DATE_FORMATS), with_time)


def parse_timestamp(text: Column) -> Column:
    """Local wall-clock timestamps (timestamp_ntz) in common forms; a bare date means midnight."""
    serial = F.when(
        text.rlike(r"^\d{5}(\.\d+)?$"),
        F.timestamp_seconds(
            F.unix_timestamp(F.lit(EXCEL_EPOCH + " 00:00:00"))
            + F.round(text.cast("double") * 86400).cast("long")
        ),
    )
    parsed = F.coalesce(
        _try_parse("try_to_timestamp", text, TIMESTAMP_FORMATS), serial, parse_date(text).cast("timestamp")
    )
    return parsed.cast("timestamp_ntz")


def parse_amount(text: Column, unit: str | None) -> Column:
    """Amounts with an optional 元/万元 suffix → decimal 元 (no suffix: the column's declared unit)."""
    number = F.regexp_extract(text, AMOUNT_PATTERN, 1)
    suffix = F.regexp_extract(text, AMOUNT_PATTERN, 3)
    default_factor = 10000 if unit == "万元" else 1
    factor = F.when(suffix.isin("万元", "万"), 10000).when(suffix == "元", 1).otherwise(default_factor)
    return F.when(number != "", F.round(number.cast("decimal(24,6)") * factor, 2).cast("decimal(18,2)"))


def _check_char(body: Column) -> Column:
    """GB 11643 check character of a 17-digit column (only evaluated for legacy 15-digit IDs)."""
    total = sum(
        (F.substring(body, i + 1, 1).cast("int") * weight for i, weight in enumerate(RESIDENT_ID_WEIGHTS)),
        F.lit(0),
    )
    return F.element_at(F.array(*[F.lit(c) for c in RESIDENT_ID_CHECK_CHARS]), (total % 11).cast("int") + 1)


def _convert(text: Column, spec: ColumnSpec) -> Column:
    """Candidate typed value from cleaned text (null when it cannot be parsed)."""
    kind = spec.type
    if kind == "resident_id":
        legacy = F.concat(F.substring(text, 1, 6), F.lit("19"), F.substring(text, 7, 9), F.lit(LEGACY_MARK))
        return F.when((F.length(text) == 15) & text.rlike(r"^\d{15}$"), legacy).otherwise(text)
    if kind == "date":
        return parse_date(text)
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "amount":
        return parse_amount(text, spec.unit)
    if kind == "decimal":
        return text.cast("decimal(18,2)")
    if kind == "int":
        return F.when(
            text.rlike(r"^[+-]?\d{1,18}(\.0+)?$"), F.regexp_replace(text, r"\.0+$", "").cast("bigint")
        )
    if kind in ("lon", "lat"):
        return text.cast("double")
    return text


def _finish(candidate: Column, spec: ColumnSpec) -> tuple[Column, Column]:
    """(final value, validity) from the candidate: check digits appended, patterns and ranges enforced."""
    kind = spec.type
    if kind == "resident_id":
        body = F.substring(candidate, 1, 17)
        value = F.when(candidate.endswith(LEGACY_MARK), F.concat(body, _check_char(body))).otherwise(
            candidate
        )
        return value, candidate.rlike(r"^\d{17}[\dX" + LEGACY_MARK + "]$")
    if kind == "uscc":
        return candidate, candidate.rlike(USCC_PATTERN)
    if kind == "mobile":
        return candidate, candidate.rlike(MOBILE_PATTERN)
    if kind in ("date", "timestamp"):
        return candidate, F.year(candidate).between(1900, 2100)
    if kind in ("lon", "lat"):
        bound = 180 if kind == "lon" else 90
        return candidate, candidate.between(-bound, bound)
    if kind == "string":
        return candidate, F.lit(True)
    return candidate, candidate.isNotNull()


def standardise_columns(
    frame: DataFrame, raw_names: dict[str, str], columns: Sequence[ColumnSpec], sentinels: tuple[str, ...]
) -> DataFrame:
    """Add, for each spec column, its typed value (named like the column) and its error column.

    raw_names maps a column name to the frame column holding its delivered text; columns the
    delivery lacks get null values.
    """
    present = [c for c in columns if c.name in raw_names]
    cleaned = frame.select(
        "*", *[_clean(F.col(raw_names[c.name]), c).alias(f"__x_{c.name}") for c in present]
    )
    texts = cleaned.select(
        *frame.columns,
        *[
            F.when(~F.col(f"__x_{c.name}").isin("", *sentinels), _normalise(F.col(f"__x_{c.name}"), c)).alias(
                text_column(c.name)
            )
            for c in present
        ],
    )
    candidates = texts.select(
        "*", *[_convert(F.col(text_column(c.name)), c).alias(f"__v_{c.name}") for c in present]
    )
    finals: list[Column] = []
    for c in columns:
        if c not in present:
            finals += [
                F.lit(None).cast(c.spark_type).alias(c.name),
                F.lit(None).cast("string").alias(error_column(c.name)),
            ]
            continue
        value, valid = _finish(F.col(f"__v_{c.name}"), c)
        text = F.col(text_column(c.name))
        finals.append(F.when(valid, value).alias(c.name))
        finals.append(
            F.when(text.isNull() & F.lit(c.required), F.lit(f"REQUIRED_MISSING:{c.name}"))
            .when(text.isNotNull() & ~F.coalesce(valid, F.lit(False)), F.lit(f"TYPE_INVALID:{c.name}"))
            .alias(error_column(c.name))
        )
    return candidates.select(*frame.columns, *finals)
