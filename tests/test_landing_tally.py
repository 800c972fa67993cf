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


def _truth(spark: Any, staged: Any) -> tuple[Any, dict[int, list[str]]]:
    """The tally and quarantined rows' reasons computed the plain way: every row standardised, one groupBy."""
    from pyspark.sql import functions as F

    from lakehub.pipelines.classify import (
        LANDED,
        classify,
        duplicate_keys,
        landing_rules,
        parse_lines,
        read_lines,
        standardise_rows,
        tally,
    )

    rules = landing_rules(spark, POPULATION, resolve_suite("population"))
    rows = standardise_rows(
        parse_lines(read_lines(spark, staged, POPULATION, rules), staged, POPULATION), POPULATION, rules
    )
    classified = classify(rows, duplicate_keys(rows.where(F.size("_reasons") == 0), POPULATION), POPULATION)
    failing = {
        r["_row"]: list(r["_reasons"]) for r in classified.where(F.col("_disposition") != LANDED).collect()
    }
    return tally(classified, rules), failing


def test_one_pass_landing_counts_exactly_what_a_full_per_row_classification_counts(
    spark: Any, lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
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
