"""Spark: parse staged lines, standardise every column and classify each row landed/quarantined/rejected."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehub.pipelines.delta_io import landed_lines
from lakehub.pipelines.intake import ROW_SEPARATOR, StagedFile
from lakehub.pipelines.sources import SourceSpec
from lakehub.pipelines.standardise import (
    CSV_SPLIT_FUNCTION,
    error_column,
    instant,
    sql_name,
    sql_string,
    standardise_columns,
)
from lakehub.quality_rules import Suite, SuiteResult
from lakehub.quality_rules.compiled import CompiledRule, GroupCheck, RowCheck
from lakehub.quality_rules.engine_cross import check_predicates, compile_row_rules
from lakehub.quality_rules.engine_spark import check_columns, counted_result, with_derived

log = logging.getLogger(__name__)

LANDED = "landed"
QUARANTINED = "quarantined"
REJECTED = "rejected"
CORRUPT = "_corrupt"
RAW_PREFIX = "_raw_"
MALFORMED_ROW = "MALFORMED_ROW"


STANDARDISATION_VERSION = "1"
"""Bump when standardisation changes meaning, so lines landed before are processed again."""
LINE_HASHES = ("_line_hash", "_line_check")


@dataclass(frozen=True, slots=True)
class LandingRules:
    """The part of a source's suite checked while landing, compiled once per file.

    Row rules (per-row, pair and SQL-predicate expectations) run in the landing's own pass: error ones
    quarantine the row with the rule id as reason code, warn ones are counted. Uniqueness rules on the
    business key are enforced by DUPLICATE_KEY (the first readable row wins) and counted. Table-level
    rules, uniqueness on other columns and cross-table rules need the whole dataset: `quality run`.
    """

    suite: Suite
    row_rules: tuple[CompiledRule, ...]
    key_rules: tuple[CompiledRule, ...]
    skipped: tuple[str, ...]
    """Ids of the suite's rules not checked at landing."""

    @property
    def error_rules(self) -> tuple[CompiledRule, ...]:
        """Row rules that quarantine."""
        return tuple(r for r in self.row_rules if r.rule.severity == "error")

    @property
    def key_elements(self) -> tuple[Column, ...]:
        """Each key rule's element condition, in `key_rules` order (`duplicate_keys` counts them as `_ke<j>`)."""
        elements = []
        for item in self.key_rules:
            assert isinstance(item.check, GroupCheck)  # landing_rules keeps only key uniqueness here
            elements.append(item.check.element)
        return tuple(elements)

    @property
    def fingerprint(self) -> str:
        """Changes when a rule that decides a row's fate does (salts the line hashes)."""
        text = "".join(r.rule.model_dump_json(exclude={"origin", "line"}) for r in self.error_rules)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def landing_rules(
    spark: SparkSession, spec: SourceSpec, suite: Suite, *, as_of: dt.date | None = None
) -> LandingRules:
    """Compile the suite's rules that landing checks, before any data is read.

    A rule reading a column the spec lacks, or SQL that does not parse or fit the standardised columns'
    types, fails here naming the suite file, line and rule.
    """
    from lakehub.quality_rules.registry import REGISTRY

    single = suite.model_copy(
        update={"rules": tuple(r for r in suite.rules if not REGISTRY[r.expectation].is_cross)}
    )
    check_columns(spec.column_names, single)
    typed = spark.createDataFrame([], ", ".join(f"`{c.name}` {c.spark_type}" for c in spec.columns))
    check_predicates(typed, single)
    rows: list[CompiledRule] = []
    keys: list[CompiledRule] = []
    skipped = [r.id for r in suite.rules if REGISTRY[r.expectation].is_cross]
    for item in compile_row_rules(single, as_of=as_of):
        if isinstance(item.check, RowCheck):
            rows.append(item)
        elif isinstance(item.check, GroupCheck) and set(item.check.group_columns) == set(spec.business_key):
            keys.append(item)
        else:
            skipped.append(item.rule.id)
    if skipped:
        log.info("suite %s: %d rule(s) left to `quality run` at landing", suite.suite, len(skipped))
    return LandingRules(suite, tuple(rows), tuple(keys), tuple(skipped))


def spec_fingerprint(spec: SourceSpec, rules: LandingRules | None = None) -> str:
    """Changes whenever the spec, the standardisation or the landing's error rules do: part of every line hash."""
    text = STANDARDISATION_VERSION + spec.model_dump_json() + (rules.fingerprint if rules else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_lines(
    spark: SparkSession, staged: StagedFile, spec: SourceSpec, rules: LandingRules | None = None
) -> DataFrame:
    """Staged lines as (_row, _line, _line_hash, _line_check); the two hashes (96 bits) identify a delivered line."""
    text = spark.read.text(str(staged.staging_path))
    line = F.expr(f"substr(value, instr(value, '{ROW_SEPARATOR}') + 1)")
    fingerprint = F.lit(spec_fingerprint(spec, rules))
    return text.select(
        F.substring_index("value", ROW_SEPARATOR, 1).cast("long").alias("_row"),
        line.alias("_line"),
        F.xxhash64(fingerprint, line).alias("_line_hash"),
        F.hash(line, fingerprint).alias("_line_check"),
    )


def parse_lines(lines: DataFrame, staged: StagedFile, spec: SourceSpec) -> DataFrame:
    """One string column per delivered column, plus _row, the line hashes and _corrupt."""
    schema = ", ".join(f"`{c}` string" for c in staged.columns) + f", `{CORRUPT}` string"
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    if staged.payload == "csv":
        parsed = F.from_csv("_line", schema, {**options, "sep": spec.csv_delimiter, "nullValue": ""})
        if (
            len(spec.csv_delimiter) == 1
            and spec.csv_delimiter.isascii()
            and spec.csv_delimiter not in '"\\\r\0'
        ):
            # Lines without quotes, escapes or a wrong field count are split natively; from_csv reads the rest.
            # (The separators allowed here are the ones lakehub_csv_split accepts.)
            names = F.lit(ROW_SEPARATOR.join([*staged.columns, CORRUPT]))
            fields = F.call_function(CSV_SPLIT_FUNCTION, F.col("_line"), F.lit(spec.csv_delimiter), names)
            parsed = F.coalesce(fields, parsed)
    else:
        parsed = F.from_json("_line", schema, options)
    return lines.select("_row", *LINE_HASHES, parsed.alias("p")).select("_row", *LINE_HASHES, "p.*")


def read_staged(spark: SparkSession, staged: StagedFile, spec: SourceSpec) -> DataFrame:
    """Staged `row<US>line` text → one string column per delivered column, plus _row and _corrupt."""
    return parse_lines(read_lines(spark, staged, spec), staged, spec)


def standardise_rows(parsed: DataFrame, spec: SourceSpec, rules: LandingRules | None = None) -> DataFrame:
    """Typed columns and _reasons for every row; delivered text is kept only for rows with a reason.

    With `rules`, a row failing an error rule gets the rule id among its reasons, in the same projection.
    Clean rows carry no copy of their text, which keeps the cached batch small.
    """
    present = [c for c in spec.column_names if c in parsed.columns]
    hashes = [h for h in LINE_HASHES if h in parsed.columns]
    raw = parsed.select("_row", *hashes, CORRUPT, *[F.col(f"`{c}`").alias(RAW_PREFIX + c) for c in present])
    typed = standardise_columns(raw, {c: RAW_PREFIX + c for c in present}, spec.columns, spec.sentinels)
    # Helper columns the rules read (e.g. a resident ID's parsed body), computed once per row; they stay on
    # the batch so the tally's warn-rule counts can read them too (base and quarantine writes drop them).
    checks = [item.check for item in rules.row_rules] if rules is not None else []
    typed = with_derived(typed, checks)
    derived = list(
        dict.fromkeys(name for check in checks if isinstance(check, RowCheck) for name in check.derived)
    )
    # Reasons are concatenated one-element arrays, each under a condition of its own: unlike `filter`, which
    # Spark evaluates interpreted, this is generated code, and the conditions (always evaluated) share their
    # common sub-expressions, e.g. the digits of a resident ID that several rules read.
    empty, readable_sql = "CAST(array() AS ARRAY<STRING>)", f"{sql_name(CORRUPT)} IS NULL"
    none, readable_row = F.expr(empty), F.expr(readable_sql)
    parts = [  # as SQL text: one call into the JVM each (see standardise.py)
        F.expr(f"CASE WHEN {readable_sql} AND {e} IS NOT NULL THEN array({e}) ELSE {empty} END")
        for e in (sql_name(error_column(c)) for c in spec.column_names)
    ]
    parts += [
        F.expr(
            f"CASE WHEN {readable_sql} AND {sql_name(key)} IS NULL AND {sql_name(error_column(key))} IS NULL "
            f"THEN array({sql_string(f'KEY_MISSING:{key}')}) ELSE {empty} END"
        )
        for key in spec.business_key
    ]
    # A value that could not be read is reported once (TYPE_INVALID/REQUIRED_MISSING); rules judge the rest.
    for item in rules.error_rules if rules is not None else ():
        assert isinstance(item.check, RowCheck)
        readable = [F.col(error_column(c)).isNull() for c in item.rule.columns if c in spec.by_name]
        judged = reduce(lambda a, b: a & b, readable, readable_row & item.check.unexpected)
        parts.append(F.when(judged, F.array(F.lit(item.rule.id))).otherwise(none))
    malformed = F.when(~readable_row, F.array(F.lit(MALFORMED_ROW))).otherwise(none)
    reason_list = F.concat(malformed, *parts)
    reasons = typed.select(
        "_row",
        *hashes,
        *spec.column_names,
        *[RAW_PREFIX + c for c in present],
        *derived,
        CORRUPT,
        reason_list.alias("_reasons"),
    )
    flagged = F.size("_reasons") > 0
    return reasons.select(
        "_row",
        *hashes,
        *spec.column_names,
        *[F.when(flagged, F.col(RAW_PREFIX + c)).alias(RAW_PREFIX + c) for c in present],
        *derived,
        CORRUPT,
        "_reasons",
    )


def duplicate_keys(
    rows: DataFrame,
    spec: SourceSpec,
    landed: DataFrame | None = None,
    elements: Sequence[Column] = (),
) -> DataFrame:
    """Business keys carried by more than one readable row, with the first such row number.

    Every row split into columns (readable or not) is grouped by its key: `_copies` counts the readable ones,
    `_first_row` is the first of them, and `_ke<j>` counts the rows of the key for which `elements[j]`
    holds (the uniqueness rules' failing rows: every row sharing a repeated key). `landed` holds (_row, key)
    of delivered lines skipped because they already landed unchanged; for each key the result also tells
    how many such lines carry it (`_landed_copies`) and the first of them (`_first_landed`), which is how
    `prepare_batch` knows whether skipping them was safe.
    """
    keys = list(spec.business_key)
    counted = [e.alias(f"_ke{j}") for j, e in enumerate(elements)]
    split = rows.where(F.col(CORRUPT).isNull()).select(
        "_row", *keys, (F.size("_reasons") == 0).alias("_readable"), F.lit(False).alias("_landed"), *counted
    )
    if landed is not None:
        never = [F.lit(False).alias(f"_ke{j}") for j in range(len(elements))]
        split = split.unionByName(
            landed.select("_row", *keys, F.lit(True).alias("_readable"), F.lit(True).alias("_landed"), *never)
        )
    readable, was_landed = F.col("_readable"), F.col("_landed")
    return (
        split.groupBy(*keys)
        .agg(
            F.count_if(readable).alias("_copies"),
            F.min(F.when(readable, F.col("_row"))).alias("_first_row"),
            F.count_if(was_landed).alias("_landed_copies"),
            F.min(F.when(was_landed, F.col("_row"))).alias("_first_landed"),
            *[F.count_if(f"_ke{j}").alias(f"_ke{j}") for j in range(len(elements))],
        )
        .where(F.col("_copies") > 1)
    )


def classify(rows: DataFrame, duplicates: DataFrame, spec: SourceSpec) -> DataFrame:
    """Mark later copies of a key DUPLICATE_KEY (the first readable row wins) and set each row's _disposition."""
    keys = list(spec.business_key)
    joined = rows.join(F.broadcast(duplicates.select(*keys, "_first_row")), on=keys, how="left")
    later_copy = (
        (F.size("_reasons") == 0) & F.col("_first_row").isNotNull() & (F.col("_row") != F.col("_first_row"))
    )
    reasons = F.when(later_copy, F.array(F.lit(duplicate_reason(spec)))).otherwise(F.col("_reasons"))
    marked = joined.withColumn("_reasons", reasons).drop("_first_row")  # two calls, not three per column
    disposition = (
        F.when(F.col(CORRUPT).isNotNull(), F.lit(REJECTED))
        .when(F.size("_reasons") == 0, F.lit(LANDED))
        .otherwise(F.lit(QUARANTINED))
    )
    return marked.withColumn("_disposition", disposition)


def duplicate_reason(spec: SourceSpec) -> str:
    """The reason code of a later readable copy of a business key."""
    return f"DUPLICATE_KEY:{','.join(spec.business_key)}"


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
        *LINE_HASHES,
        F.lit(file_name).alias("_source_file"),
        F.col("_row").alias("_source_row"),
        F.lit(run_id).alias("_run_id"),
        instant("_row").alias("_landed_at"),
    )


def delivered_values(rows: DataFrame, spec: SourceSpec) -> list[Column]:
    """Each spec column as the quarantine stores it: the delivered text of a flagged row, else the typed value."""
    return [
        (
            F.coalesce(F.col(RAW_PREFIX + c), F.col(c).cast("string"))
            if RAW_PREFIX + c in rows.columns
            else F.col(c).cast("string")
        ).alias(c)
        for c in spec.column_names
    ]


def quarantine_rows(
    classified: DataFrame, spec: SourceSpec, *, run_id: str, file_name: str, sha256: str
) -> DataFrame:
    """Quarantined and rejected rows as delivered (duplicates: as standardised), with reasons and provenance."""
    return classified.where(F.col("_disposition") != LANDED).select(
        *delivered_values(classified, spec),
        F.col("_reasons"),
        F.col("_disposition"),
        F.col(CORRUPT).alias("_raw_record"),
        F.lit(file_name).alias("_source_file"),
        F.lit(sha256).alias("_source_sha256"),
        F.col("_row").alias("_source_row"),
        F.lit(run_id).alias("_run_id"),
        instant("_row").alias("_quarantined_at"),
    )


def flagged_rows(rows: DataFrame, spec: SourceSpec, *, file_name: str) -> DataFrame:
    """Readable rows of a batch with reasons of their own, as `quarantine_rows` writes them (values, _reasons,
    _source_file, _source_row): every row a landing rule quarantined, without the join that finds later
    copies of a key (their only reason is DUPLICATE_KEY, no rule's)."""
    return rows.where(F.col(CORRUPT).isNull() & (F.size("_reasons") > 0)).select(
        *delivered_values(rows, spec),
        F.col("_reasons"),
        F.lit(file_name).alias("_source_file"),
        F.col("_row").alias("_source_row"),
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """Rows per disposition and per reason code (codes name columns and rules, never values), and the suite."""

    by_disposition: dict[str, int]
    by_reason: dict[str, int]
    suite_result: SuiteResult | None


def tally(batch: Batch, spec: SourceSpec, rules: LandingRules | None = None) -> Tally:
    """Dispositions, reason codes and the landing rules' counts of a batch, without classifying its rows.

    Two small jobs: one over the duplicate keys (building them, and the batch with them, on first use) and
    one aggregation of the batch's rows by reasons. A later readable copy of a key moves from landed to
    DUPLICATE_KEY; every key's copies but the first are such copies, so their number is a sum over the
    duplicate keys, as are the uniqueness rules' failing rows (`duplicate_keys`' `_ke<j>`). Error rules are
    counted from the reasons, warn rules and every rule's elements in the aggregation. Rejected rows (not
    split into columns) are no rule's elements.
    """
    counted: list[tuple[CompiledRule, str, str | None]] = []
    aggregates = [F.count(F.lit(1)).alias("_n")]
    key_rules = rules.key_rules if rules else ()
    for i, item in enumerate(rules.row_rules if rules else ()):
        check = item.check
        assert isinstance(check, RowCheck)
        aggregates.append(F.count_if(check.element).alias(f"_e{i}"))
        warned = None
        if item.rule.severity != "error":
            warned = f"_u{i}"
            aggregates.append(F.count_if(check.unexpected).alias(warned))
        counted.append((item, f"_e{i}", warned))
    for j, (item, element) in enumerate(zip(key_rules, rules.key_elements if rules else (), strict=True)):
        aggregates.append(F.count_if(element).alias(f"_ek{j}"))
        counted.append((item, f"_ek{j}", f"_ke{j}"))
    repeated = batch.duplicates.agg(
        F.sum(F.col("_copies") - 1).alias("_later"),
        *[F.sum(f"_ke{j}").alias(f"_ke{j}") for j in range(len(key_rules))],
    ).first()
    assert repeated is not None
    later = int(repeated["_later"] or 0)
    sums = {f"_ke{j}": int(repeated[f"_ke{j}"] or 0) for j in range(len(key_rules))}
    by_disposition = {LANDED: -later, QUARANTINED: later} if later else {}
    by_reason = {duplicate_reason(spec): later} if later else {}
    rejected = F.col(CORRUPT).isNotNull().alias("_rejected")
    for row in batch.rows.groupBy(rejected, "_reasons").agg(*aggregates).collect():
        count = int(row["_n"])
        disposition = REJECTED if row["_rejected"] else QUARANTINED if row["_reasons"] else LANDED
        by_disposition[disposition] = by_disposition.get(disposition, 0) + count
        for reason in row["_reasons"]:
            by_reason[reason] = by_reason.get(reason, 0) + count
        if not row["_rejected"]:
            for name in row.asDict():
                if name.startswith(("_e", "_u")):
                    sums[name] = sums.get(name, 0) + int(row[name])
    by_disposition = {d: n for d, n in by_disposition.items() if n}
    if rules is None:
        return Tally(by_disposition, by_reason, None)
    results = {
        item.rule.id: counted_result(
            item.rule, sums.get(element, 0), sums.get(warned, 0) if warned else by_reason.get(item.rule.id, 0)
        )
        for item, element, warned in counted
    }
    checked = sum(n for d, n in by_disposition.items() if d != REJECTED)
    suite = rules.suite
    outcome = SuiteResult(
        suite=suite.suite,
        dataset=suite.dataset,
        row_count=checked,
        results=tuple(results[r.id] for r in suite.rules if r.id in results),
        data_passes=1,
    )
    return Tally(by_disposition, by_reason, outcome)


def keep_rows(frame: DataFrame) -> DataFrame:
    """`frame`, computed by the first job that reads it and kept (memory, then local disk) for the next ones.

    The rows are kept as their UnsafeRow bytes packed into chunks of 4 MB (`KeptRows.java`), read back by
    pointing one row at each in turn. Earlier ways, on 1M population rows (155 MB staged): Spark's cache
    encodes column batches in a job of its own (standardise and keep: 5.0 s instead of 3.7 s); a local
    checkpoint of row objects takes 437 MB as 2M small objects that the young collections copy into the
    old generation; a serialized one runs every row through Java serialization on each of the landing's
    three later reads. Chunks: eight 1M-row first loads alternating with row objects in two JVMs, median
    10.8 s against 12.1 s, 20.0 against 22.4 CPU-s (README, "Benchmarks", session 19). A lost chunk is recomputed
    from the delivery (the lineage is kept). `release` frees them, and their arrays wait in a pool for the
    next frame kept in the JVM (already in the old generation: no fresh memory for the collector to fill).
    """
    jvm = frame.sparkSession._jvm
    assert jvm is not None  # a classic (py4j) session
    level = jvm.org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK()  # deserialized: chunk objects
    return DataFrame(jvm.lakehub.udf.KeptRows.keep(frame._jdf, level), frame.sparkSession)


def release(frame: DataFrame) -> None:
    """Free a `keep_rows` (or persisted) frame's stored rows now rather than when the JVM collects them."""
    frame.unpersist()
    plan = frame._jdf.queryExecution().logical()  # kept rows: a LogicalRDD over the chunks' replay
    if plan.getClass().getSimpleName() == "LogicalRDD":
        frame.sparkSession._jvm.lakehub.udf.KeptRows.release(plan.rdd())  # type: ignore[union-attr]


@dataclass(frozen=True, slots=True)
class Batch:
    """A delivery ready to classify: standardised rows plus lines skipped as already landed."""

    rows: DataFrame
    """Standardised rows to classify (`keep_rows`: kept for the tally and the two writes)."""
    duplicates: DataFrame
    """`duplicate_keys` of the rows and the skipped lines (persisted), with the key rules' `_ke<j>`."""
    unchanged_lines: int
    """Lines identical to a landed row (same text, spec and standardisation), not reprocessed."""
    split: DataFrame | None = None
    """The delivered lines joined with the landed line hashes (persisted); `rows` and `duplicates` read it."""

    def release(self) -> None:
        """Drop the kept frames."""
        for frame in (self.duplicates, self.rows, self.split):
            if frame is not None:
                release(frame)


def prepare_batch(
    spark: SparkSession,
    staged: StagedFile,
    spec: SourceSpec,
    base_path: str,
    rules: LandingRules | None = None,
) -> Batch:
    """Standardise the delivery, skipping lines whose exact text already landed (full extracts re-send most rows).

    Every line is processed instead when skipping could change the outcome: an already-landed line
    repeated, or a new line with the same key coming before it (the first delivered row wins). One join
    with the base table's line hashes splits the delivery; the duplicate keys computed to decide whether
    skipping is safe are the ones classification needs anyway.
    """
    keys = list(spec.business_key)
    elements = rules.key_elements if rules else ()
    lines = read_lines(spark, staged, spec, rules)
    known = landed_lines(spark, base_path, spec.business_key, LINE_HASHES)

    def standardised(frame: DataFrame) -> DataFrame:
        return keep_rows(standardise_rows(parse_lines(frame, staged, spec), spec, rules))

    def full() -> Batch:
        rows = standardised(lines)
        duplicates = duplicate_keys(rows, spec, elements=elements).persist(StorageLevel.MEMORY_AND_DISK)
        return Batch(rows, duplicates, 0)

    if known is None:
        return full()
    landed = F.col("_landed").isNotNull()
    split = (
        lines.join(known.withColumn("_landed", F.lit(True)), on=list(LINE_HASHES), how="left")
        .select("_row", *LINE_HASHES, F.when(~landed, F.col("_line")).alias("_line"), *keys, "_landed")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    matched = split.where(landed).select("_row", *keys)
    unchanged = matched.count()
    if unchanged == 0:
        split.unpersist()
        return full()
    rows = standardised(split.where(~landed).select("_row", "_line", *LINE_HASHES))
    duplicates = duplicate_keys(rows, spec, matched, elements).persist(StorageLevel.MEMORY_AND_DISK)
    batch = Batch(rows, duplicates, unchanged, split)
    skipped_copy_loses = (F.col("_landed_copies") > 1) | (
        (F.col("_landed_copies") == 1) & (F.col("_first_landed") != F.col("_first_row"))
    )
    try:
        unsafe = duplicates.where(skipped_copy_loses).limit(1).count() > 0
    except BaseException:
        batch.release()  # kept rows are freed by release only (their chunks go back to the pool)
        raise
    if unsafe:
        batch.release()
        return full()
    return batch
