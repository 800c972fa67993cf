"""Landing raw → base: accounting, idempotence, MERGE of changes, quarantine, and safety on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehub.catalog import CatalogStore, RunStatus
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import InputFileError, LandingError
from lakehub.pipelines.landing import LandingResult, land_file
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985, POPULATION, population_row, write_population

pytestmark = pytest.mark.spark

ID_THIRD = "360404197001010042"
ID_LEGACY_UPGRADED = "360421195001010031"  # 360421500101003 upgraded to 18 digits
DELIVERY = [
    population_row(),
    population_row(id_number=ID_FEMALE_1990, name="李娜", gender="女", birth_date="1990年7月22日"),
    population_row(id_number="360421500101003", name="王芳", birth_date="19500101"),  # 15-digit legacy ID
    population_row(id_number="36040419850315001", name="坏号"),  # 17 digits: unreadable ID
    population_row(
        id_number=ID_THIRD, gender="女", birth_date="1970-01-01", registered_date="2023/13/45"
    ),  # impossible date
    population_row(id_number=ID_MALE_1985, phone="13900000000"),  # duplicate of row 1
]


def _land(spark: Any, config: LakehubConfig, store: CatalogStore, path: Path, **kwargs: Any) -> LandingResult:
    return land_file(config, store, POPULATION, path, spark_factory=lambda: spark, **kwargs)


def _table(spark: Any, config: LakehubConfig, tier: str) -> Any:
    return spark.read.format("delta").load(config.table_path(tier, "population"))


def _version(spark: Any, config: LakehubConfig, tier: str = "base") -> int:
    from lakehub.pipelines.delta_io import current_version

    version = current_version(spark, config.table_path(tier, "population"))
    assert version is not None
    return version


def test_first_load_lands_valid_rows_and_quarantines_the_rest_with_reasons(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    result = _land(spark, lakehub_config, catalog_store, path)
    assert (result.rows_read, result.rows_landed, result.rows_quarantined, result.rows_rejected) == (
        6,
        3,
        3,
        0,
    )
    assert result.accounting_holds and result.status is RunStatus.SUCCEEDED
    assert result.reasons == {
        "TYPE_INVALID:id_number": 1,
        "TYPE_INVALID:registered_date": 1,
        "DUPLICATE_KEY:id_number": 1,
    }
    base = {r["id_number"]: r for r in _table(spark, lakehub_config, "base").collect()}
    assert set(base) == {ID_MALE_1985, ID_FEMALE_1990, ID_LEGACY_UPGRADED}
    assert base[ID_MALE_1985]["phone"] == "13812345678", "the first of two rows with one key wins"
    assert str(base[ID_FEMALE_1990]["birth_date"]) == "1990-07-22"
    quarantine = {r["_source_row"]: r for r in _table(spark, lakehub_config, "quarantine").collect()}
    assert set(quarantine) == {4, 5, 6}
    assert quarantine[5]["registered_date"] == "2023/13/45", "quarantine keeps the value as delivered"
    run = catalog_store.get_run(result.run_id)
    assert run.counts is not None and run.counts.balanced and run.counts.read == 6
    assert run.details["reasons"]["DUPLICATE_KEY:id_number"] == 1


def test_same_file_twice_is_skipped_and_forced_recheck_commits_nothing(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    _land(spark, lakehub_config, catalog_store, path)
    versions = (_version(spark, lakehub_config), _version(spark, lakehub_config, "quarantine"))
    skipped = _land(spark, lakehub_config, catalog_store, path)
    assert skipped.status is RunStatus.SKIPPED and skipped.accounting_holds
    forced = _land(spark, lakehub_config, catalog_store, path, force=True)
    assert (forced.rows_inserted, forced.rows_updated, forced.rows_unchanged) == (0, 0, 3)
    assert forced.timings_s["unchanged_lines_skipped"] == 3, (
        "lines identical to landed rows are not re-standardised"
    )
    assert (forced.rows_read, forced.rows_landed, forced.rows_quarantined) == (6, 3, 3)
    assert (_version(spark, lakehub_config), _version(spark, lakehub_config, "quarantine")) == versions
    assert _table(spark, lakehub_config, "base").count() == 3
    assert _table(spark, lakehub_config, "quarantine").count() == 3


def test_changed_delivery_merges_only_new_and_changed_rows(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    _land(spark, lakehub_config, catalog_store, write_population(landing / "ga_population.csv", DELIVERY[:3]))
    before = _version(spark, lakehub_config)
    update = [
        population_row(phone="13700001111"),
        DELIVERY[1],
        DELIVERY[2],
        population_row(id_number="360404200002020028", name="赵敏", gender="女", birth_date="2000-02-02"),
    ]
    result = _land(
        spark, lakehub_config, catalog_store, write_population(landing / "ga_population_0002.csv", update)
    )
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (1, 1, 2)
    assert result.timings_s["unchanged_lines_skipped"] == 2
    assert _version(spark, lakehub_config) == before + 1
    phones = {r["id_number"]: r["phone"] for r in _table(spark, lakehub_config, "base").collect()}
    assert phones[ID_MALE_1985] == "13700001111" and len(phones) == 4
    history = catalog_store.history("base.population")
    assert [v.operation for v in history] == ["MERGE", "WRITE"]


def test_malformed_line_is_rejected_and_counted_not_fatal(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY[:2])
    text = path.read_bytes().decode("gbk").splitlines()
    text.insert(2, "360404,只有三列,男")
    path.write_bytes(("\n".join(text) + "\n").encode("gbk"))
    result = _land(spark, lakehub_config, catalog_store, path)
    assert (result.rows_read, result.rows_landed, result.rows_quarantined, result.rows_rejected) == (
        3,
        2,
        0,
        1,
    )
    rejected = _table(spark, lakehub_config, "quarantine").collect()
    assert [(r["_disposition"], r["_reasons"], r["_source_row"]) for r in rejected] == [
        ("rejected", ["MALFORMED_ROW"], 2)
    ]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(p.read_bytes()[:-40]), "truncated"),
        (lambda p: p.write_bytes(p.read_bytes().decode("gbk").encode("utf-8")), "not valid gbk"),
        (
            lambda p: p.write_bytes(p.read_bytes().decode("gbk").replace("phone", "tel").encode("gbk")),
            "unknown column",
        ),
        (
            lambda p: p.write_bytes(p.read_bytes().decode("gbk").splitlines()[0].encode("gbk") + b"\n"),
            "no data rows",
        ),
    ],
    ids=["empty", "truncated", "wrong-encoding", "unknown-column", "header-only"],
)
def test_bad_delivery_fails_clearly_and_leaves_landed_data_unchanged(
    spark: Any,
    lakehub_config: LakehubConfig,
    catalog_store: CatalogStore,
    tmp_path: Path,
    damage: Any,
    message: str,
) -> None:
    landing = tmp_path / "landing"
    _land(spark, lakehub_config, catalog_store, write_population(landing / "ga_population.csv", DELIVERY[:2]))
    before = (
        _version(spark, lakehub_config),
        sorted(r["id_number"] for r in _table(spark, lakehub_config, "base").collect()),
    )
    bad = write_population(
        landing / "ga_population_0002.csv", [*DELIVERY[:2], population_row(id_number=ID_THIRD)]
    )
    damage(bad)
    with pytest.raises(InputFileError, match=message) as caught:
        _land(spark, lakehub_config, catalog_store, bad)
    assert "ga_population_0002.csv" in str(caught.value) and "Fix:" in str(caught.value)
    after = (
        _version(spark, lakehub_config),
        sorted(r["id_number"] for r in _table(spark, lakehub_config, "base").collect()),
    )
    assert after == before
    failed = catalog_store.list_runs(source_id="population")[0]
    assert failed.status is RunStatus.FAILED and failed.error and "Fix:" in failed.error
    assert lakehub_config.local_warehouse is not None
    kept = list((lakehub_config.local_warehouse / "raw" / "population").rglob("ga_population_0002.csv"))
    if bad.stat().st_size:  # refused while staging: the raw tier keeps what was sent, as evidence
        assert [k.read_bytes() for k in kept] == [bad.read_bytes()]
    else:  # an empty file is refused before a run reads it
        assert kept == []


@pytest.mark.parametrize("failing_write", ["replace_file_rows", "merge_changed"])
def test_rerun_after_either_write_crashed_converges(
    spark: Any,
    lakehub_config: LakehubConfig,
    catalog_store: CatalogStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failing_write: str,
) -> None:
    """Base and quarantine are written side by side: whichever fails, the run fails and a rerun converges."""
    import lakehub.pipelines.delta_io as delta_io

    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(delta_io, failing_write, crash)
        with pytest.raises(LandingError, match="rerun converges"):
            _land(spark, lakehub_config, catalog_store, path)
    from lakehub.pipelines.delta_io import current_version

    crashed_version = current_version(spark, lakehub_config.table_path("base", "population"))
    result = _land(spark, lakehub_config, catalog_store, path)
    assert result.status is RunStatus.SUCCEEDED, "a crashed run is not taken as landed"
    assert (result.rows_landed, result.rows_quarantined) == (3, 3)
    if failing_write == "replace_file_rows":  # base was written by the crashed run: nothing new to commit
        assert result.rows_unchanged == 3
        assert _version(spark, lakehub_config) == crashed_version
    else:
        assert crashed_version is None and result.rows_inserted == 3
    assert _table(spark, lakehub_config, "base").count() == 3
    assert _table(spark, lakehub_config, "quarantine").count() == 3, "no quarantined row twice"


def test_landed_tables_are_registered_and_readable_by_delta_rs(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    from deltalake import DeltaTable

    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    result = _land(spark, lakehub_config, catalog_store, path)
    base = catalog_store.get_dataset("base.population")
    assert base.current_version == result.base_version and base.row_count == 3
    assert base.title == "户籍人口" and base.department == "区公安分局"
    assert {c.name: c.sensitivity for c in base.columns}["id_number"] == "resident_id"
    assert {d.name for d in catalog_store.list_datasets()} >= {
        "raw.population",
        "base.population",
        "quarantine.population",
    }
    table = DeltaTable(lakehub_config.table_path("base", "population"))
    assert table.version() == result.base_version
    assert sorted(table.to_pyarrow_table(columns=["id_number"]).column("id_number").to_pylist()) == sorted(
        [ID_MALE_1985, ID_FEMALE_1990, ID_LEGACY_UPGRADED]
    )


def test_provenance_columns_are_written_without_a_dictionary_and_files_without_parquet_statistics(
    spark: Any, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from lakehub.pipelines.delta_io import stats_columns
    from lakehub.pipelines.spark import UNIQUE_PER_ROW_COLUMNS

    # One repeated value per column, so that Parquet would keep a dictionary for any column it may use one for.
    names = [*UNIQUE_PER_ROW_COLUMNS, "id_number"]
    frame = spark.range(1000).select(*[F.lit(7).cast("long").alias(name) for name in names])
    target = tmp_path / "table"
    frame.coalesce(1).write.format("delta").options(**stats_columns("id_number")).save(str(target))
    (file,) = target.glob("*.parquet")
    group = pq.ParquetFile(file).metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(group.num_columns)}
    for name in UNIQUE_PER_ROW_COLUMNS:
        assert not any("DICTIONARY" in e for e in encodings[name]), (name, encodings[name])
    assert any("DICTIONARY" in e for e in encodings["id_number"]), encodings["id_number"]
    # Parquet's own min/max statistics are off; file skipping uses Delta's, still collected on the key.
    assert not any(group.column(i).is_stats_set for i in range(group.num_columns))
    log = (target / "_delta_log" / "00000000000000000000.json").read_text(encoding="utf-8")
    actions = [json.loads(line) for line in log.splitlines() if line.strip()]
    (stats,) = [json.loads(action["add"]["stats"]) for action in actions if "add" in action]
    assert stats["numRecords"] == 1000 and stats["minValues"] == {"id_number": 7}


@pytest.mark.parametrize("metrics", ["true", "false"])
def test_new_table_outcome_counts_rows_with_or_without_commit_metrics(
    spark: Any, tmp_path: Path, metrics: str
) -> None:
    from lakehub.pipelines.delta_io import merge_changed, replace_file_rows

    key = "spark.databricks.delta.history.metricsEnabled"
    spark.conf.set(key, metrics)
    try:
        rows = spark.createDataFrame(
            [(f"k{i}", i, "r1") for i in range(7)], "k string, v int, _run_id string"
        )
        base = merge_changed(spark, rows, str(tmp_path / "base"), ("k",))
        quarantine = rows.withColumnRenamed("k", "_source_sha256").limit(3)
        kept = replace_file_rows(spark, quarantine, str(tmp_path / "quarantine"), "k0", 3)
    finally:
        spark.conf.unset(key)
    assert (base.inserted, base.row_count, base.version, base.operation) == (7, 7, 0, "WRITE")
    assert (kept.inserted, kept.row_count, kept.version) == (3, 3, 0)


def test_last_commit_read_from_the_log_agrees_with_delta_history(spark: Any, tmp_path: Path) -> None:
    from delta.tables import DeltaTable

    from lakehub.pipelines.delta_io import last_commit

    path = str(tmp_path / "t")
    assert last_commit(spark, path) is None  # no folder
    (tmp_path / "t").mkdir()
    assert last_commit(spark, path) is None  # a folder without a log
    rows = spark.createDataFrame([(f"k{i}", i) for i in range(5)], "k string, v int")
    rows.write.format("delta").save(path)
    changes = spark.createDataFrame([("k1", 10), ("k9", 9)], "k string, v int")
    seen = []
    for step in ("write", "merge", "append"):
        if step == "merge":
            table = DeltaTable.forPath(spark, path).alias("t")
            table.merge(
                changes.alias("s"), "t.k = s.k"
            ).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
        elif step == "append":
            rows.limit(2).write.format("delta").mode("append").save(path)
        history = DeltaTable.forPath(spark, path).history(1).first()
        commit = last_commit(spark, path)
        assert commit is not None
        assert (commit.version, commit.operation, dict(commit.metrics)) == (
            history["version"],
            history["operation"],
            history["operationMetrics"],
        )
        metrics = commit.metrics
        seen.append(
            (
                commit.version,
                commit.operation,
                metrics.get("numTargetRowsInserted", metrics.get("numOutputRows")),
            )
        )
    assert seen == [(0, "WRITE", "5"), (1, "MERGE", "1"), (2, "WRITE", "2")]


def test_row_hash_tells_apart_values_that_moved_between_null_columns(spark: Any) -> None:
    from lakehub.pipelines.classify import row_hash

    frame = spark.createDataFrame(
        [("2020-01-01", None), (None, "2020-01-01"), ("2020-01-01", None)], "a string, b string"
    )
    hashes = [r[0] for r in frame.select(row_hash(("a", "b"))).collect()]
    assert hashes[0] != hashes[1] and hashes[0] == hashes[2]


@pytest.mark.parametrize(
    ("second_copy", "skipped"),
    [(population_row(), 0), (population_row(phone="13900000000"), 1)],
    ids=["identical-line-twice", "same-key-other-values"],
)
def test_repeat_of_an_already_landed_key_is_quarantined_as_duplicate(
    spark: Any,
    lakehub_config: LakehubConfig,
    catalog_store: CatalogStore,
    tmp_path: Path,
    second_copy: dict[str, str],
    skipped: int,
) -> None:
    landing = tmp_path / "landing"
    _land(
        spark,
        lakehub_config,
        catalog_store,
        write_population(landing / "ga_population.csv", [population_row()]),
    )
    again = write_population(landing / "ga_population_0002.csv", [population_row(), second_copy])
    result = _land(spark, lakehub_config, catalog_store, again)
    assert (result.rows_landed, result.rows_quarantined) == (1, 1)
    assert result.reasons == {"DUPLICATE_KEY:id_number": 1}
    assert result.timings_s["unchanged_lines_skipped"] == skipped, (
        "a repeated landed line sends every line through"
    )
    phones = [r["phone"] for r in _table(spark, lakehub_config, "base").collect()]
    assert phones == ["13812345678"], "the first delivered row wins"


def test_new_row_before_an_unchanged_copy_of_its_key_wins_as_in_a_full_check(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    _land(
        spark,
        lakehub_config,
        catalog_store,
        write_population(landing / "ga_population.csv", [population_row()]),
    )
    first_new = [population_row(phone="13900000000"), population_row()]
    result = _land(
        spark, lakehub_config, catalog_store, write_population(landing / "ga_population_0002.csv", first_new)
    )
    assert result.timings_s["unchanged_lines_skipped"] == 0
    assert (result.rows_updated, result.rows_quarantined) == (1, 1)
    assert [r["phone"] for r in _table(spark, lakehub_config, "base").collect()] == ["13900000000"]


def test_rows_failing_an_error_rule_are_quarantined_with_the_rule_id_and_warn_rules_only_counted(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    gender_rule = "expect_column_pair_values_to_match_cn_resident_id_gender:id_number,gender"
    delivery = [
        population_row(),
        population_row(id_number=ID_FEMALE_1990, name="李娜", gender="男", birth_date="1990-07-22"),
        population_row(
            id_number=ID_THIRD, gender="女", birth_date="1970-01-01", registered_date="1960-01-01"
        ),
        population_row(id_number="36040419850315001X", name="坏号"),  # 18 characters, wrong check digit
    ]
    path = write_population(tmp_path / "landing" / "ga_population.csv", delivery)
    result = _land(spark, lakehub_config, catalog_store, path)
    assert (result.rows_read, result.rows_landed, result.rows_quarantined, result.rows_rejected) == (
        4,
        2,
        2,
        0,
    )
    assert result.reasons == {
        gender_rule: 1,
        "expect_column_values_to_be_valid_cn_resident_id:id_number": 1,
    }
    quarantine = {
        r["_source_row"]: r["_reasons"] for r in _table(spark, lakehub_config, "quarantine").collect()
    }
    assert quarantine[2] == [gender_rule]
    assert set(quarantine) == {2, 4}
    suite = result.suite_result
    assert suite is not None and suite.suite == "population" and suite.row_count == 4
    by_id = {r.rule_id: r for r in suite.results}
    assert (by_id[gender_rule].element_count, by_id[gender_rule].unexpected_count) == (4, 1)
    phone = by_id["expect_column_values_to_be_valid_cn_mobile:phone"]
    assert phone.severity == "warn" and phone.unexpected_count == 0, (
        "12345678901 is not a mobile: TYPE_INVALID"
    )
    unique = by_id["expect_column_values_to_be_unique:id_number"]
    assert (unique.element_count, unique.unexpected_count) == (4, 0)
    assert "expect_table_row_count_to_be_between" not in by_id, "table rules are left to `quality run`"
    assert {r["id_number"] for r in _table(spark, lakehub_config, "base").collect()} == {
        ID_MALE_1985,
        ID_THIRD,
    }


def test_source_whose_suite_has_invalid_sql_fails_naming_the_suite_rule_and_line(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    suite = tmp_path / "bad_suite.yml"
    suite.write_text(
        "suite: population\ndataset: base.population\nrules:\n"
        "  - {expectation: expect_rows_to_satisfy_sql_predicate, id: dead_have_dates, dimension: 一致性,"
        " predicate: \"status <> '死亡注销' OR death_dat IS NOT NULL\"}\n",
        encoding="utf-8",
    )
    spec = POPULATION.model_copy(update={"suite": str(suite)})
    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY[:2])
    from lakehub.pipelines.errors import SourceSpecError

    with pytest.raises(SourceSpecError, match=r"Rule 'dead_have_dates' has a predicate.*death_dat.*line 4"):
        land_file(lakehub_config, catalog_store, spec, path, spark_factory=lambda: spark)
    assert not Path(lakehub_config.table_path("base", "population")).exists()


def test_raw_copy_is_written_beside_staging_and_a_failed_copy_lands_nothing(
    spark: Any,
    lakehub_config: LakehubConfig,
    catalog_store: CatalogStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The raw tier's copy is written while the delivery is staged (one core each): it holds the delivered
    bytes; when it cannot be written the run fails naming the copy and the fix before anything lands, leaves
    no partial file, and a rerun converges."""
    import lakehub.pipelines.landing as landing
    from lakehub.pipelines.delta_io import current_version

    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    assert lakehub_config.local_warehouse is not None
    raw = lakehub_config.local_warehouse / "raw" / "population"

    def disk_full(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        Path(target).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(landing.shutil, "copyfile", disk_full)
        with pytest.raises(
            LandingError, match=r"raw tier's copy .*No space left on device\)\. Fix: free space"
        ):
            _land(spark, lakehub_config, catalog_store, path)
    assert current_version(spark, lakehub_config.table_path("base", "population")) is None
    assert current_version(spark, lakehub_config.table_path("quarantine", "population")) is None
    assert not list(raw.rglob("*.partial")), "no partial copy is left behind"
    failed = catalog_store.list_runs(source_id="population")[0]
    assert failed.status is RunStatus.FAILED and failed.error and "Fix:" in failed.error

    result = _land(spark, lakehub_config, catalog_store, path)
    assert result.status is RunStatus.SUCCEEDED and (result.rows_landed, result.rows_quarantined) == (3, 3)
    copies = list(raw.rglob("*.csv"))
    assert [c.relative_to(raw).parts for c in copies] == [(result.sha256[:16], "ga_population.csv")]
    assert copies[0].read_bytes() == path.read_bytes()
    assert {"stage", "raw_copy", "rules", "stage_wait"} <= set(result.timings_s)


def test_issue_rows_taken_from_the_batch_are_the_quarantined_rows_of_each_failing_rule(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    """Landing records a failing rule's rows from the classified batch, before writing the quarantine: they
    must be exactly the quarantine's rows carrying that rule's id, with the values the quarantine holds."""
    gender_rule = "expect_column_pair_values_to_match_cn_resident_id_gender:id_number,gender"
    id_rule = "expect_column_values_to_be_valid_cn_resident_id:id_number"
    delivery = [
        population_row(),
        population_row(id_number=ID_FEMALE_1990, name="李娜", gender="男", birth_date="1990-07-22"),
        population_row(id_number="36040419850315001X", name="坏号"),  # wrong check digit
        population_row(id_number=ID_MALE_1985, phone="13900000000"),  # duplicate key: no rule's row
        population_row(  # unreadable date: no rule's row
            id_number=ID_THIRD, gender="女", birth_date="1970-01-01", registered_date="2023/13/45"
        ),
        population_row(id_number="36040419900722004X", name="赵敏", gender="男", birth_date="1990-07-22"),
    ]
    path = write_population(tmp_path / "landing" / "ga_population.csv", delivery)
    result = _land(spark, lakehub_config, catalog_store, path)
    assert result.reasons[gender_rule] == 2 and result.reasons[id_rule] == 1
    quarantined = {r["_source_row"]: r for r in _table(spark, lakehub_config, "quarantine").collect()}
    expected = {
        (reason, row): record
        for row, record in quarantined.items()
        for reason in record["_reasons"]
        if reason in (gender_rule, id_rule)
    }
    issues = catalog_store.list_issues(dataset="base.population")
    assert (
        {(i.rule_id, i.source_row) for i in issues}
        == set(expected)
        == {
            (gender_rule, 2),
            (gender_rule, 6),
            (id_rule, 3),
        }
    )
    for issue in issues:
        assert issue.source_file == "ga_population.csv"
        if issue.field == "gender":  # not sensitive: stored as delivered
            assert issue.value == expected[(issue.rule_id, issue.source_row)]["gender"] == "男"


def test_a_second_landing_in_the_same_jvm_compiles_no_code_again(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    """Spark's cache of generated classes keeps a landing's (67 for the population source) while other work
    runs; with Spark's default size of 100, evicting from 25 per quarter, a landing compiled them again."""
    from tests.conftest import make_config

    metric = spark._jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()
    path = write_population(tmp_path / "landing" / "ga_population.csv", DELIVERY)
    first = _land(spark, lakehub_config, catalog_store, path)
    for i in range(120):  # other work in between (other sources, models): code of its own
        spark.range(1).selectExpr(f"id * {i + 2} AS x").collect()
    compiled = metric.getCount()
    again = make_config(tmp_path / "again")
    with CatalogStore.open(again.effective_catalog_url) as store:
        result = land_file(again, store, POPULATION, path, spark_factory=lambda: spark)
    assert (
        (result.rows_landed, result.rows_quarantined) == (first.rows_landed, first.rows_quarantined) == (3, 3)
    )
    assert metric.getCount() == compiled, "the same landing into new tables generated code already compiled"


def test_a_delta_commit_runs_no_extra_job_to_check_its_checksum(spark: Any, tmp_path: Path) -> None:
    """In a non-UTC session (lakehub's Asia/Shanghai) Delta 4 replays the whole log after every commit
    (two jobs) to check the checksum's file list, unless lakehub turns the check off."""
    from lakehub.quality_rules.engine_gx import _counting_jobs

    assert spark.conf.get("spark.sql.session.timeZone") == "Asia/Shanghai"
    path = str(tmp_path / "t")
    frame = spark.range(10).selectExpr("id", "cast(id as string) AS s")
    frame.write.format("delta").save(path)
    with _counting_jobs(spark) as jobs:  # its own job group, the thread's restored after
        frame.write.format("delta").mode("append").save(path)
        assert jobs() == 1, "write job only"
    assert spark.read.format("delta").load(path).count() == 20
