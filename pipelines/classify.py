"""Spark: parse staged lines, standardise every column and classify each row landed/quarantined/rejected."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lakehub.pipelines.intake import ROW_SEPARATOR, StagedFile
from lakehub.pipelines.sources import SourceSpec
from lakehub.pipelines.standardise import standardise

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


def classify(parsed: DataFrame, spec: SourceSpec) -> DataFrame:
    """Typed columns, raw columns, _reasons and _disposition for every delivered row."""
    columns = [
        standardise(F.col(f"`{c.name}`"), c, spec.sentinels) if c.name in parsed.columns else None
        for c in spec.columns
    ]
    errors: list[Column] = [s.error for s in columns if s is not None]
    for key in spec.business_key:
        errors.append(F.when(F.col(key).isNull(), F.lit(f"KEY_MISSING:{key}")))
    typed = [
        (s.value if s is not None else F.lit(None).cast("string")).alias(c.name)
        for c, s in zip(spec.columns, columns, strict=True)
    ]
    raw = [F.col(f"`{c.name}`").alias(RAW_PREFIX + c.name) for c in spec.columns if c.name in parsed.columns]
    malformed = F.col(CORRUPT).isNotNull()
    step = parsed.select(
        "_row",
        *typed,
        *raw,
        F.col(CORRUPT),
        F.when(malformed, F.array(F.lit(MALFORMED_ROW)))
        .otherwise(F.filter(F.array(*errors), lambda e: e.isNotNull()))
        .alias("_reasons"),
    )
    readable = F.size("_reasons") == 0
    order = Window.partitionBy(*spec.business_key, readable).orderBy("_row")
    duplicate = readable & (F.row_number().over(order) > 1)
    key_text = ",".join(spec.business_key)
    step = step.withColumn(
        "_reasons",
        F.when(duplicate, F.array(F.lit(f"DUPLICATE_KEY:{key_text}"))).otherwise(F.col("_reasons")),
    )
    disposition = (
        F.when(malformed, F.lit(REJECTED))
        .when(F.size("_reasons") == 0, F.lit(LANDED))
        .otherwise(F.lit(QUARANTINED))
    )
    return step.withColumn("_disposition", disposition)


def base_rows(classified: DataFrame, spec: SourceSpec, *, run_id: str, file_name: str) -> DataFrame:
    """Landed rows with a content hash and provenance columns, as stored in base.<name>."""
    values = [F.col(c) for c in spec.column_names]
    return classified.where(F.col("_disposition") == LANDED).select(
        *values,
        F.xxhash64(*[F.coalesce(v.cast("string"), F.lit("\u0000")) for v in values]).alias("_row_hash"),
        F.lit(file_name).alias("_source_file"),
        F.col("_row").alias("_source_row"),
        F.lit(run_id).alias("_run_id"),
        F.current_timestamp().alias("_landed_at"),
    )


def quarantine_rows(
    classified: DataFrame, spec: SourceSpec, *, run_id: str, file_name: str, sha256: str
) -> DataFrame:
    """Quarantined and rejected rows as delivered (text), with reason codes and provenance."""
    raw = [
        (F.col(RAW_PREFIX + c) if RAW_PREFIX + c in classified.columns else F.lit(None).cast("string")).alias(
            c
        )
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


def reason_counts(classified: DataFrame) -> dict[str, int]:
    """How many rows carry each reason code (codes name columns, never values)."""
    exploded = classified.where(F.size("_reasons") > 0).select(F.explode("_reasons").alias("reason"))
    return {r["reason"]: int(r["count"]) for r in exploded.groupBy("reason").count().collect()}
