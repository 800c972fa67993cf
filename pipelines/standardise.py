"""Spark projections that standardise delivered text into typed values, plus type-check reasons.

Each step is its own projection over named columns, so no expression is copied into another
(nesting them made a 1.5 MB task binary and a 10x slower pass). Reading a date, a time, a resident ID, a
mobile number or a credit code, and narrowing full-width text, are lakehub's native functions
(quality_rules/jvm Standardise.java): as Spark SQL (a regex and up to seven parse attempts per value) they
made the landing's generated method so large (18 KB of bytecode for the population source) that the JIT
sometimes left it interpreted for the rest of the run: the same 1M-row pass took 4 s or 15 s by chance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehub.pipelines.sources import ColumnSpec

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

AMOUNT_PATTERN = r"^([+-]?\d+(\.\d+)?)(万元|万|元)?$"

TEXT_FUNCTION = "lakehub_std_text"
"""(raw, alnum_only) -> full-width to half-width (free text: digits, letters and spaces only), trimmed."""
DATE_FUNCTION = "lakehub_std_date"
"""text -> date 1900-2100 (ISO, 2023-1-5, 2023/1/5, 2023.1.5, 2023年1月5日, 20230105, Excel serial) or null."""
TIMESTAMP_FUNCTION = "lakehub_std_timestamp"
"""text -> timestamp_ntz 1900-2100 (a date form, then optionally H:mm[:ss[.f]]; 20240301081500; serial)."""
RESIDENT_ID_FUNCTION = "lakehub_std_resident_id"
"""text -> 18-character resident ID (X upper-cased, 15-digit IDs upgraded) or null unless 17 digits + digit/X."""
MOBILE_FUNCTION = "lakehub_std_mobile"
"""text -> 11-digit mainland mobile (separators and +86 dropped) or null."""
USCC_FUNCTION = "lakehub_std_uscc"
"""text -> upper-cased unified social credit code of GB 32100's form (charset, digits 3-8) or null."""
CSV_SPLIT_FUNCTION = "lakehub_csv_split"
"""(line, separator, field names joined by U+001F) -> the line's fields as from_csv reads a line without
quotes, escapes or a wrong field count, else null (then from_csv reads it)."""
INSTANT_FUNCTION = "lakehub_instant"
"""(text, anchor) -> timestamp: the instant given as decimal microseconds since the epoch (see `instant`)."""
NATIVE_KINDS = {
    "date": DATE_FUNCTION,
    "timestamp": TIMESTAMP_FUNCTION,
    "resident_id": RESIDENT_ID_FUNCTION,
    "mobile": MOBILE_FUNCTION,
    "uscc": USCC_FUNCTION,
}
"""Column types read by one native function each: its null result means the text could not be read."""


def register_standardisation(spark: SparkSession) -> None:
    """Register the native standardisation functions on a session (its jars must include lakehub-udf.jar)."""
    jvm: Any = spark._jvm  # classic Spark: the functions are Catalyst expressions built in the JVM
    jvm.lakehub.udf.NativeFunctions.registerStandardisation(
        spark._jsparkSession,
        TEXT_FUNCTION,
        DATE_FUNCTION,
        TIMESTAMP_FUNCTION,
        RESIDENT_ID_FUNCTION,
        MOBILE_FUNCTION,
        USCC_FUNCTION,
    )
    jvm.lakehub.udf.CsvSplit.register(spark._jsparkSession, CSV_SPLIT_FUNCTION)
    jvm.lakehub.udf.NativeFunctions.registerInstant(spark._jsparkSession, INSTANT_FUNCTION)


def instant(anchor: str, at: dt.datetime | None = None) -> Column:
    """A timestamp column holding `at` (default: now) for every row, as a native call on a string literal.

    `current_timestamp()` and timestamp literals are written into Spark's generated code as numbers, so a
    write stage that stamps its rows became a new class on every run (compiled again by Janino, then by the
    JIT from the interpreter up); a string literal is passed to the code from outside, and the code stays the
    same from run to run. `anchor` names a number column of the frame (any values, nulls too): reading it
    keeps the optimiser from folding the call back into a literal.
    """
    moment = at or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("instant() needs a timezone-aware datetime")
    micros = (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    # Spark nulls a static call whose primitive argument is null: a null anchor must not null the stamp.
    anchored = F.coalesce(F.col(anchor).cast("bigint"), F.lit(0).cast("bigint"))
    return F.call_function(INSTANT_FUNCTION, F.lit(str(micros)), anchored)


def text_column(name: str) -> str:
    """Column holding the cleaned delivered text of `name`."""
    return f"__t_{name}"


def error_column(name: str) -> str:
    """Column holding the reason `name` could not be read (or null)."""
    return f"__e_{name}"


def sql_name(name: str) -> str:
    """A column name quoted for Spark SQL."""
    return "`" + name.replace("`", "``") + "`"


def sql_string(value: str) -> str:
    """A Spark SQL string literal holding exactly `value`."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# Landing builds a few thousand expressions per file; each PySpark column function is two or three calls
# into the JVM (~65 µs each), while an expression written as SQL text is one. The per-column expressions
# below that are plain SQL are written so (same expressions once parsed).


def _clean(raw: str, spec: ColumnSpec) -> Column:
    """Full-width→half-width and trim (free text keeps full-width punctuation) of the text in column `raw`."""
    return F.expr(f"{TEXT_FUNCTION}({sql_name(raw)}, {str(spec.type == 'string').lower()})")


def _blank(name: str, sentinels: Sequence[str]) -> Column:
    """Whether column `name` holds '' or one of the sentinels."""
    return F.expr(f"{sql_name(name)} IN ({', '.join(sql_string(v) for v in ('', *sentinels))})")


def _normalise(text: Column, spec: ColumnSpec) -> Column:
    """Separators dropped from numbers before parsing (native kinds normalise themselves)."""
    if spec.type == "amount":
        return F.regexp_replace(text, r"[,，¥￥\s]", "")
    if spec.type in ("decimal", "int"):
        return F.regexp_replace(text, ",", "")
    return text


def parse_amount(text: Column, unit: str | None) -> Column:
    """Amounts with an optional 元/万元 suffix → decimal 元 (no suffix: the column's declared unit)."""
    number = F.regexp_extract(text, AMOUNT_PATTERN, 1)
    suffix = F.regexp_extract(text, AMOUNT_PATTERN, 3)
    default_factor = 10000 if unit == "万元" else 1
    factor = F.when(suffix.isin("万元", "万"), 10000).when(suffix == "元", 1).otherwise(default_factor)
    return F.when(number != "", F.round(number.cast("decimal(24,6)") * factor, 2).cast("decimal(18,2)"))


def _convert(text: Column, spec: ColumnSpec) -> Column:
    """Candidate typed value from cleaned text (null when it cannot be parsed)."""
    kind = spec.type
    if kind in NATIVE_KINDS:
        return F.call_function(NATIVE_KINDS[kind], text)
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
    """(final value, validity) from the candidate: ranges enforced (native kinds check themselves)."""
    kind = spec.type
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
    cleaned = frame.select("*", *[_clean(raw_names[c.name], c).alias(f"__x_{c.name}") for c in present])
    texts = cleaned.select(
        *frame.columns,
        *[
            F.when(~_blank(f"__x_{c.name}", sentinels), _normalise(F.col(f"__x_{c.name}"), c)).alias(
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
