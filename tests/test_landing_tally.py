"""Landing's counts, duplicates and quarantine against a plain per-row classification of the same file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehub.catalog import CatalogStore
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.intake import stage_file
from lakehub.pipelines.landing import land_file
from lakehub.quality_rules import resolve_suite
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985, POPULATION, population_row, write_population

pytestmark = pytest.mark.spark

ID_THIRD = "360404197001010042"
ID_LEGACY = "360421500101003"
ID_LEGACY_UPGRADED = "360421195001010031"
DELIVERY = [
    population_row(registered_date="2023/13/45"),  # unreadable: quarantined for itself, not the key's winner
    population_row(),  # first readable copy of ID_MALE_1985: lands
    population_row(phone="13900000000"),  # later readable copy: DUPLICATE_KEY
    population_row(id_number=ID_FEMALE_1990, name="李娜", gender="男", birth_date="1990-07-22"),  # error rule
    population_row(
        id_number=ID_THIRD, gender="女", birth_date="1970-01-01", registered_date="1960-01-01"
    ),  # warn
    population_row(id_number=ID_LEGACY, name="王芳", birth_date="19500101"),  # legacy ID, upgraded
    population_row(
        id_number=ID_LEGACY_UPGRADED, name="王芳", birth_date="1950-01-01"
    ),  # same key once upgraded
    population_row(id_number="ＸＸ", name="坏号"),  # unreadable key
]


def _plain_tally(classified: Any, rules: Any) -> Any:
    """Dispositions, reasons and rule counts the plain way: one groupBy over every classified row."""
    from pyspark.sql import functions as F

    from lakehub.pipelines.classify import REJECTED, Tally
    from lakehub.quality_rules.compiled import GroupCheck
    from lakehub.quality_rules.engine_spark import counted_result
    from lakehub.quality_rules.results import SuiteResult

    aggregates = [F.count(F.lit(1)).alias("_n")]
    counted = []
    for i, item in enumerate((*rules.row_rules, *rules.key_rules)):
        aggregates.append(F.count_if(item.check.element).alias(f"_e{i}"))
        warned = None
        if isinstance(item.check, GroupCheck):
            warned = f"_u{i}"
            aggregates.append(F.count_if(item.check.element & F.col("_repeated_key")).alias(warned))
        elif item.rule.severity != "error":
            warned = f"_u{i}"
            aggregates.append(F.count_if(item.check.unexpected).alias(warned))
        counted.append((item, f"_e{i}", warned))
    by_disposition: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    sums: dict[str, int] = {}
    for row in classified.groupBy("_disposition", "_reasons").agg(*aggregates).collect():
        by_disposition[row["_disposition"]] = by_disposition.get(row["_disposition"], 0) + row["_n"]
        for reason in row["_reasons"]:
            by_reason[reason] = by_reason.get(reason, 0) + row["_n"]
        if row["_disposition"] != REJECTED:
            for name, value in row.asDict().items():
                if name.startswith(("_e", "_u")):
                    sums[name] = sums.get(name, 0) + value
    results = {
        item.rule.id: counted_result(
            item.rule, sums.get(element, 0), sums.get(warned, 0) if warned else by_reason.get(item.rule.id, 0)
        )
        for item, element, warned in counted
    }
    suite = SuiteResult(
        suite=rules.suite.suite,
        dataset=rules.suite.dataset,
        row_count=sum(n for d, n in by_disposition.items() if d != REJECTED),
        results=tuple(results[r.id] for r in rules.suite.rules if r.id in results),
        data_passes=1,
    )
    return Tally(by_disposition, by_reason, suite)


def _truth(spark: Any, staged: Any) -> tuple[Any, dict[int, list[str]]]:
    """The tally and quarantined rows' reasons computed the plain way: every row classified, one groupBy."""
    from pyspark.sql import functions as F

    from lakehub.pipelines.classify import (
        LANDED,
        classify,
        duplicate_keys,
        landing_rules,
        parse_lines,
        read_lines,
        standardise_rows,
    )

    rules = landing_rules(spark, POPULATION, resolve_suite("population"))
    rows = standardise_rows(
        parse_lines(read_lines(spark, staged, POPULATION, rules), staged, POPULATION), POPULATION, rules
    )
    repeated = (
        rows.where(F.size("_reasons") == 0)
        .groupBy("id_number")
        .count()
        .where("count > 1")
        .select("id_number", F.lit(True).alias("_repeated_key"))
    )
    classified = classify(rows, duplicate_keys(rows, POPULATION), POPULATION).join(
        repeated, "id_number", "left"
    )
    classified = classified.withColumn("_repeated_key", F.coalesce("_repeated_key", F.lit(False)))
    failing = {
        r["_row"]: list(r["_reasons"]) for r in classified.where(F.col("_disposition") != LANDED).collect()
    }
    return _plain_tally(classified, rules), failing


def test_one_pass_landing_counts_exactly_what_a_full_per_row_classification_counts(
    spark: Any,
    lakehub_config: LakehubConfig,
    catalog_store: CatalogStore,
    tmp_path: Path,
) -> None:
    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    text = path.read_bytes().decode("gbk").splitlines()
    text.insert(5, "360404,只有三列,男")  # row 5: malformed, rejected
    path.write_bytes(("\n".join(text) + "\n").encode("gbk"))
    truth, failing = _truth(spark, stage_file(path, POPULATION, tmp_path / "staged.txt"))

    result = land_file(lakehub_config, catalog_store, POPULATION, path, spark_factory=lambda: spark)

    assert truth.by_reason["DUPLICATE_KEY:id_number"] == 2, "the fixture must exercise duplicates"
    assert truth.by_disposition == {"landed": 3, "quarantined": 5, "rejected": 1}
    assert result.reasons == truth.by_reason
    assert (result.rows_landed, result.rows_quarantined, result.rows_rejected) == (3, 5, 1)
    assert result.suite_result is not None and truth.suite_result is not None
    assert result.suite_result.results == truth.suite_result.results
    warn = {r.rule_id: r for r in result.suite_result.results}[
        "expect_column_pair_values_A_to_be_greater_than_B:registered_date,birth_date"
    ]
    assert warn.unexpected_count == 1, "warn rules are counted, not quarantined"
    unique = {r.rule_id: r for r in result.suite_result.results}[
        "expect_column_values_to_be_unique:id_number"
    ]
    assert (unique.element_count, unique.unexpected_count) == (7, 5), (
        "every split row sharing a key that two readable rows carry fails uniqueness (3 + 2 here)"
    )
    quarantine = spark.read.format("delta").load(lakehub_config.table_path("quarantine", "population"))
    assert {r["_source_row"]: list(r["_reasons"]) for r in quarantine.collect()} == failing
    assert sorted(failing) == [1, 3, 4, 5, 8, 9]
    base = spark.read.format("delta").load(lakehub_config.table_path("base", "population"))
    assert {(r["id_number"], r["_source_row"]) for r in base.collect()} == {
        (ID_MALE_1985, 2),
        (ID_THIRD, 6),
        (ID_LEGACY_UPGRADED, 7),
    }, "the first readable copy of a key lands, an unreadable earlier one does not count"


def test_forced_reingest_of_a_file_with_duplicates_and_failures_commits_nothing_and_keeps_counts(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    from lakehub.pipelines.delta_io import current_version

    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    first = land_file(lakehub_config, catalog_store, POPULATION, path, spark_factory=lambda: spark)
    versions = [
        current_version(spark, lakehub_config.table_path(t, "population")) for t in ("base", "quarantine")
    ]
    again = land_file(
        lakehub_config, catalog_store, POPULATION, path, spark_factory=lambda: spark, force=True
    )
    assert again.timings_s["unchanged_lines_skipped"] == first.rows_landed, (
        "landed lines are not parsed again"
    )
    assert (again.rows_landed, again.rows_quarantined, again.rows_rejected) == (
        first.rows_landed,
        first.rows_quarantined,
        first.rows_rejected,
    )
    assert again.reasons == first.reasons
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, first.rows_landed)
    assert [
        current_version(spark, lakehub_config.table_path(t, "population")) for t in ("base", "quarantine")
    ] == versions


@pytest.mark.parametrize("level", ["MEMORY_AND_DISK", "DISK_ONLY"], ids=["in-memory", "spilled-to-disk"])
def test_kept_rows_come_back_identical_from_chunks_and_release_frees_them(spark: Any, level: str) -> None:
    """Rows kept as packed UnsafeRow bytes: every value (nulls, empty and multi-byte strings, a row larger
    than a 4 MB chunk, rows across many chunks) comes back unchanged, from memory and from disk (a chunk
    serializes), computed once by the first job; `release` frees the chunks and only them."""
    from pyspark.sql import functions as F

    from lakehub.pipelines.classify import keep_rows, release

    jvm = spark._jvm
    rows = 60_000  # ~8 MB of rows: at least two chunks per partition
    upstream = spark.range(0, rows, 1, 2).persist()  # another frame's stored rows, which release leaves
    upstream.count()
    frame = (
        upstream.withColumn(
            "text", F.when(F.col("id") % 7 == 0, None).otherwise(F.concat(F.lit("行·"), F.col("id")))
        )
        .withColumn("empty", F.when(F.col("id") % 5 == 0, F.lit("")).otherwise(F.lit(None).cast("string")))
        .withColumn("day", F.date_add(F.lit("2024-01-01").cast("date"), (F.col("id") % 400).cast("int")))
        .withColumn("big", F.when(F.col("id") == 3, F.repeat(F.lit("x"), 5 * 2**20)).otherwise(F.lit("y")))
        .withColumn("pad", F.repeat(F.lit("z"), 100))
    )
    storage = getattr(jvm.org.apache.spark.storage.StorageLevel, level)()
    kept_frame = keep_rows(frame) if level == "MEMORY_AND_DISK" else None
    if kept_frame is None:  # the same keeper, told to store on disk only
        from pyspark.sql import DataFrame

        kept_frame = DataFrame(jvm.lakehub.udf.KeptRows.keep(frame._jdf, storage), spark)
    chunks = kept_frame._jdf.queryExecution().logical().rdd().dependencies().head().rdd()
    assert chunks.getStorageLevel().equals(storage)

    def stored_blocks(other: bool = False) -> int:
        infos = spark.sparkContext._jsc.sc().getRDDStorageInfo()
        return sum(i.numCachedPartitions() for i in infos if (i.id() != chunks.id()) == other)

    assert stored_blocks() == 0, "nothing is computed before a job reads the frame"
    expected = sorted(tuple(r) for r in frame.collect())
    assert sorted(tuple(r) for r in kept_frame.collect()) == expected
    assert stored_blocks() == 2, "the first job kept both partitions"
    assert kept_frame.where(F.col("id") == 3).select(F.length("big")).first()[0] == 5 * 2**20
    assert kept_frame.count() == rows and sorted(tuple(r) for r in kept_frame.collect()) == expected

    others = stored_blocks(other=True)  # the upstream frame's two partitions among them
    assert others >= 2
    keeper = jvm.lakehub.udf.KeptRows
    keeper.setPoolBytes(0)  # empty the pool, then let it take up to 64 MB
    keeper.setPoolBytes(64 * 2**20)
    try:
        release(kept_frame)
        assert stored_blocks() == 0 and chunks.getStorageLevel().equals(
            jvm.org.apache.spark.storage.StorageLevel.NONE()
        )
        assert stored_blocks(other=True) == others, "the upstream frame's stored rows are left alone"
        pooled = keeper.pooledBytes()
        assert pooled >= 2 * 4 * 2**20, "the released 4 MB chunks wait for the next kept frame"

        # The next frame's rows go into those arrays and come back as they are, none of the old ones
        second = upstream.select(
            F.concat(F.lit("第二"), F.col("id")).alias("text"), F.repeat(F.lit("q"), 120)
        )
        again = keep_rows(second)
        assert sorted(tuple(r) for r in again.collect()) == sorted(tuple(r) for r in second.collect())
        assert keeper.pooledBytes() < pooled, "the second frame reused pooled arrays"
        release(again)
        assert keeper.pooledBytes() >= pooled, "its arrays went back to the pool"
    finally:
        keeper.setPoolBytes(0)
        keeper.setPoolBytes(int(jvm.java.lang.Runtime.getRuntime().maxMemory()) // 8)
    upstream.unpersist()
