"""The generated county sample lands end to end, and standardisation repairs exactly what the manifest says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.jobs import TierRun, demo, registered_sources
from lakehub.sample_data import Manifest, read_manifest

pytestmark = pytest.mark.spark

REPAIRED_BY_STANDARDISATION = {
    "id_15_digit",
    "id_lowercase_x",
    "fullwidth_digits",
    "amount_in_wan",
    "mixed_date_format",
    "sentinel_value",
}
QUARANTINED_AT_LANDING = {"duplicate_person", "lonlat_swapped"}
SCALE, SEED = 200, 7


@pytest.fixture(scope="module")
def landed_sample(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LakehubConfig, Manifest, TierRun]:
    from tests.conftest import make_config

    config = make_config(tmp_path_factory.mktemp("sample"))
    report = demo(config, scale=SCALE, seed=SEED)
    return config, read_manifest(config.landing_path), report.landing


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def test_every_source_lands_with_row_accounting_that_adds_up(
    landed_sample: tuple[LakehubConfig, Manifest, TierRun],
) -> None:
    config, manifest, run = landed_sample
    assert run.passed and not run.missing and not run.failed
    by_source = {r.source_id: r for r in run.results}
    assert set(by_source) == set(registered_sources(config)) == set(manifest.sources)
    for source, result in by_source.items():
        assert result.rows_read == manifest.sources[source].rows, source
        assert result.rows_read == result.rows_landed + result.rows_quarantined + result.rows_rejected


def test_quarantine_holds_exactly_the_rows_landing_must_refuse(
    spark: Any, landed_sample: tuple[LakehubConfig, Manifest, TierRun]
) -> None:
    config, manifest, _ = landed_sample
    for source in manifest.sources:
        expected = {
            d.row for d in manifest.defects if d.source == source and d.kind in QUARANTINED_AT_LANDING
        }
        table = spark.read.format("delta").load(config.table_path("quarantine", source))
        assert {r["_source_row"] for r in table.select("_source_row").collect()} == expected, source


def test_standardisation_repairs_every_fixable_defect_to_the_manifest_value(
    spark: Any, landed_sample: tuple[LakehubConfig, Manifest, TierRun]
) -> None:
    config, manifest, _ = landed_sample
    specs = registered_sources(config)
    fixable = [d for d in manifest.defects if d.kind in REPAIRED_BY_STANDARDISATION]
    assert {d.kind for d in fixable} == REPAIRED_BY_STANDARDISATION
    checked = 0
    for source in {d.source for d in fixable}:
        spec = specs[source]
        rows = spark.read.format("delta").load(config.table_path("base", source)).collect()
        by_row = {r["_source_row"]: r for r in rows}
        for defect in (d for d in fixable if d.source == source):
            landed = by_row.get(defect.row)
            assert landed is not None, f"{source} row {defect.row} ({defect.kind}) did not land"
            assert _text(landed[defect.column]) == defect.expected, (
                source,
                defect.row,
                defect.kind,
                defect.column,
            )
            checked += 1
        assert spec.business_key
    assert checked == len(fixable)


def test_demo_rerun_from_the_cli_skips_every_source_without_starting_spark(
    landed_sample: tuple[LakehubConfig, Manifest, TierRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    import lakehub.pipelines.jobs as jobs
    from lakehub.cli.main import app

    config, manifest, _ = landed_sample

    def no_spark(_config: LakehubConfig) -> Any:
        def refuse() -> Any:
            raise AssertionError("a rerun of identical deliveries must not start Spark")

        return refuse

    monkeypatch.setattr(jobs, "spark_factory", no_spark)
    monkeypatch.setenv("LAKEHUB_WAREHOUSE", config.warehouse_path)
    monkeypatch.setenv("LAKEHUB_LANDING_DIR", str(config.landing_path))
    result = CliRunner().invoke(app, ["demo", "--scale", str(SCALE), "--seed", str(SEED), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["defects"] == len(manifest.defects)
    rows = report["landing"]["results"]
    assert {r["source_id"] for r in rows} == set(manifest.sources)
    assert {r["status"] for r in rows} == {"skipped"}
    assert all(r["rows_read"] == r["rows_landed"] + r["rows_quarantined"] + r["rows_rejected"] for r in rows)
