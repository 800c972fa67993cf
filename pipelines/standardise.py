"""Spark expressions that standardise delivered text into typed values, plus type-check reasons."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehub.pipelines.sources import ColumnSpec
from lakehub.quality_rules.cn_codes import (
    MOBILE_PATTERN,
    RESIDENT_ID_CHECK_MAP,
    RESIDENT_ID_PATTERN,
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
AMOUNT_PATTERN = r"^([+-]?\d+(\.\d+)?)(万元|万|元)?$"


@dataclass(frozen=True, slots=True)
class StandardisedColumn:
    """A typed value and the reason (or null) that the delivered text could not be read."""

    value: Column
    error: Column


def clean_text(raw: Column, *, free_text: bool, sentinels: tuple[str, ...]) -> Column:
    """Full-width→half-width, trim, and empty strings or sentinels → null."""
    source, target = (FULL_WIDTH_ALNUM, HALF_WIDTH_ALNUM) if free_text else (FULL_WIDTH, HALF_WIDTH)
    text = F.trim(F.translate(raw, source, target))
    return F.when((text == "") | text.isin(*sentinels), F.lit(None)).otherwise(text)


def _try_parse(function: str, text: Column, formats: tuple[str, ...]) -> Column:
    return F.coalesce(*[F.call_function(function, text, F.lit(fmt)) for fmt in formats])


def parse_date(text: Column) -> Column:
    """Dates in ISO, 20230105, 2023/1/5, 2023年1月5日 or Excel serial form; years 1900–2100."""
    serial = F.when(
        text.rlike(r"^\d{5}(\.0+)?$"),
        F.date_add(F.lit(EXCEL_EPOCH).cast("date"), text.cast("double").cast("int")),
    )
    with_time = F.when(
        text.rlike(r"^\d{4}-\d{2}-\d{2}[ T]"),
        F.call_function("try_to_date", F.substring(text, 1, 10), F.lit("yyyy-MM-dd")),
    )
    parsed = F.coalesce(serial, _try_parse("try_to_date", text, DATE_FORMATS), with_time)
    return F.when(F.year(parsed).between(1900, 2100), parsed)


def parse_timestamp(text: Column) -> Column:
    """Timestamps in common department formats; a bare date means midnight."""
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
    return F.when(F.year(parsed).between(1900, 2100), parsed)


def parse_amount(text: Column, unit: str | None) -> Column:
    """Amounts with optional 元/万元 suffix, separators and currency signs → decimal 元."""
    compact = F.regexp_replace(text, r"[,，¥￥\s]", "")
    number = F.regexp_extract(compact, AMOUNT_PATTERN, 1)
    suffix = F.regexp_extract(compact, AMOUNT_PATTERN, 3)
    default_factor = 10000 if unit == "万元" else 1
    factor = F.when(suffix.isin("万元", "万"), 10000).when(suffix == "元", 1).otherwise(default_factor)
    return F.when(number != "", F.round(number.cast("decimal(24,6)") * factor, 2).cast("decimal(18,2)"))


def standardise(raw: Column, spec: ColumnSpec, sentinels: tuple[str, ...]) -> StandardisedColumn:
    """Standardise one delivered column according to its spec type."""
    text = clean_text(raw, free_text=spec.type == "string", sentinels=sentinels)
    kind = spec.type
    if kind == "string":
        value: Column = text
        valid: Column = F.lit(True)
    elif kind == "resident_id":
        upper = F.upper(text)
        body = F.concat(F.substring(upper, 1, 6), F.lit("19"), F.substring(upper, 7, 9))
        value = F.when(upper.rlike(r"^\d{15}$"), F.concat(body, _check_char(body))).otherwise(upper)
        valid = value.rlike(RESIDENT_ID_PATTERN)
    elif kind == "uscc":
        value = F.upper(text)
        valid = value.rlike(USCC_PATTERN)
    elif kind == "mobile":
        value = F.regexp_replace(F.regexp_replace(text, r"[\s\-()]", ""), r"^\+?86(?=1\d{10}$)", "")
        valid = value.rlike(MOBILE_PATTERN)
    elif kind == "date":
        value = parse_date(text)
        valid = value.isNotNull()
    elif kind == "timestamp":
        value = parse_timestamp(text)
        valid = value.isNotNull()
    elif kind == "amount":
        value = parse_amount(text, spec.unit)
        valid = value.isNotNull()
    elif kind == "decimal":
        value = F.regexp_replace(text, ",", "").cast("decimal(18,2)")
        valid = value.isNotNull()
    elif kind == "int":
        value = F.when(
            text.rlike(r"^[+-]?\d{1,18}(\.0+)?$"), F.regexp_replace(text, r"\.0+$", "").cast("bigint")
        )
        valid = value.isNotNull()
    else:
        bound = 180 if kind == "lon" else 90
        value = F.when(text.cast("double").between(-bound, bound), text.cast("double"))
        valid = value.isNotNull()
    if kind != "string":
        value = F.when(valid, value)
    problems = F.when(text.isNull() & F.lit(spec.required), F.lit(f"REQUIRED_MISSING:{spec.name}")).when(
        text.isNotNull() & ~valid, F.lit(f"TYPE_INVALID:{spec.name}")
    )
    return StandardisedColumn(value=value, error=problems)


def _check_char(body: Column) -> Column:
    """GB 11643 check character of a 17-digit column (only evaluated for legacy 15-digit IDs)."""
    total = sum(
        (F.substring(body, i + 1, 1).cast("int") * weight for i, weight in enumerate(RESIDENT_ID_WEIGHTS)),
        F.lit(0),
    )
    return F.element_at(F.array(*[F.lit(c) for c in RESIDENT_ID_CHECK_MAP]), (total % 11).cast("int") + 1)
