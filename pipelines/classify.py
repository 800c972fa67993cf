"""Spark: parse staged lines, standardise every column and classify each row landed/quarantined/rejected."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehub.pipelines.intake import ROW_SEPARATOR, StagedFile
from lakehub.pipelines.sources import SourceSpec
from lakehub.pipelines.standardise import error_column, standardise_columns

LANDED = "landed"
QUARANTINED = "quarantined"
REJECTED = "rejected"
CORRUPT = "_corrupt"
RAW_PREFIX = "_raw_"
MALFORMED_ROW = "MALFORMED_ROW"


def read_staged(spark: SparkSession, staged: StagedFile, spec: SourceSpec) -> DataFrame:
    """Staged `row<US>line` text → one string column per delivered column, plus _row and _corrupt."""
    text = spark.read.text(str(staged.staging_path))
    row = F.substring_index("value", ROW_SEPARATOR, 1).cast("long")
    line = F.expr(f"substr(value, instr(value, '{ROW_SEPARATOR}') + 1)")
    schema = ", ".join(f"`{c}` string" for c in staged.columns) + f", `{CORRUPT}` string"
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    if staged.payload == "csv":
        parsed = F.from_csv(line, schema, {**options, "sep": spec.csv_delimiter, "nullValue": ""})
    else:
        parsed = F.from_json(line, schema, options)
    return text.select(row.alias("_row"), parsed.alias("p")).select("_row", "p.*")


def standardise_rows(parsed: DataFrame, spec: SourceSpec) -> DataFrame:
    """Typed columns and _reasons for every row; delivered text is kept only for rows with a reason.

    Clean rows carry no copy of their text, which keeps the cached batch small.
    """
    present = [c for c in spec.column_names if c in parsed.columns]
    raw = parsed.select("_row", CORRUPT, *[F.col(f"`{c}`").alias(RAW_PREFIX + c) for c in present])
    typed = standardise_columns(raw, {c: RAW_PREFIX + c for c in present}, spec.columns, spec.sentinels)
    errors = [F.col(error_column(c)) for c in spec.column_names]
    errors += [
        F.when(F.col(key).isNull() & F.col(error_column(key)).isNull(), F.lit(f"KEY_MISSING:{key}"))
        for key in spec.business_key
    ]
    reasons = typed.select(
        "_row",
        *spec.column_names,
        *[RAW_PREFIX + c for c in present],
        CORRUPT,
        F.when(F.col(CORRUPT).isNotNull(), F.array(F.lit(MALFORMED_ROW)))
        .otherwise(F.filter(F.array(*errors), lambda e: e.isNotNull()))
        .alias("_reasons"),
    )
    flagged = F.size("_reasons") > 0
    return reasons.select(
        "_row",
        *spec.column_names,
        *[F.when(flagged, F.col(RAW_PREFIX + c)).alias(RAW_PREFIX + c) for c in present],
        CORRUPT,
        "_reasons",
    )


def duplicate_keys(rows: DataFrame, spec: SourceSpec) -> DataFrame:
    """Business keys carried by more than one readable row, with the first such row number."""
    return (
        rows.where(F.size("_reasons") == 0)
        .groupBy(*spec.business_key)
        .agg(F.count(F.lit(1)).alias("_copies"), F.min("_row").alias("_first_row"))
        .where(F.col("_copies") > 1)
        .select(*spec.business_key, "_first_row")
    )


def classify(rows: DataFrame, duplicates: DataFrame, spec: SourceSpec) -> DataFrame:
    """Mark later copies of a key DUPLICATE_KEY (the first row wins) and set each row's _disposition."""
    joined = rows.join(F.broadcast(duplicates), on=list(spec.business_key), how="left")
    later_copy = (
        (F.size("_reasons") == 0) & F.col("_first_row").isNotNull() & (F.col("_row") != F.col("_first_row"))
    )
    key_text = ",".join(spec.business_key)
    reasons = F.when(later_copy, F.array(F.lit(f"DUPLICATE_KEY:{key_text}"))).otherwise(F.col("_reasons"))
    marked = joined.select(*[c for c in rows.columns if c != "_reasons"], reasons.alias("_reasons"))
    disposition = (
        F.when(F.col(CORRUPT).isNotNull(), F.lit(REJECTED))
        .when(F.size("_reasons") == 0, F.lit(LANDED))
        .otherwise(F.lit(QUARANTINED))
    )
    return marked.withColumn("_disposition", disposition)


def row_hash(columns: tuple[str, ...]) -> Column:
    """xxhash64 of the typed values plus a null mask (Spark's hash skips nulls, so (x, null) = (null, x))."""
    null_mask = sum(
        (F.col(c).isNull().cast("long") * (1 << i) for i, c in enumerate(columns)), F.lit(0).cast("long")
    )
    return F.xxhash64(*[F.col(c) for c in columns], null_mask)


def base_rows(classified: DataFrame, spec: SourceSpec, *, run_id: str, file_name: str) -> DataFrame:
    """Landed rows with a content hash and provenance columns, as stored in base.<name>."""
    values = [F.col(c) for c in spec.column_names]
    return classified.where(F.col("_disposition") == LANDED).select(
        *values,
        row_hash(spec.column_names).alias("_row_hash"),
        F.lit(file_name).alias("_source_file"),
        F.col("_row").alias("_source_row"),
        F.lit(run_id).alias("_run_id"),
        F.current_timestamp().alias("_landed_at"),
    )


def quarantine_rows(
    classified: DataFrame, spec: SourceSpec, *, run_id: str, file_name: str, sha256: str
) -> DataFrame:
    """Quarantined and rejected rows as delivered (duplicates: as standardised), with reasons and provenance."""
    raw = [
        (
            F.coalesce(F.col(RAW_PREFIX + c), F.col(c).cast("string"))
            if RAW_PREFIX + c in classified.columns
            else F.col(c).cast("string")
        ).alias(c)
        for c in spec.column_names
    ]
    return classified.where(F.col("_disposition") != LANDED).select(
        *raw,
        F.col("_reasons"),
        F.col("_disposition"),
        F.col(CORRUPT).alias("_raw_record"),
        F.lit(file_name).alias("_source_file"),
        F.lit(sha256).alias("_source_sha256"),
        F.col("_row").alias("_source_row"),
        F.lit(run_id).alias("_run_id"),
        F.current_timestamp().alias("_quarantined_at"),
    )


def tally(classified: DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per disposition and per reason code, in one pass (codes name columns, never values)."""
    by_disposition: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for row in classified.groupBy("_disposition", "_reasons").count().collect():
        count = int(row["count"])
        by_disposition[row["_disposition"]] = by_disposition.get(row["_disposition"], 0) + count
        for reason in row["_reasons"]:
            by_reason[reason] = by_reason.get(reason, 0) + count
    return by_disposition, by_reason
