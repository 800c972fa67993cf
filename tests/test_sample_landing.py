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
PAIR_GT = "expect_column_pair_values_A_to_be_greater_than_B"
# Defects the sources' suites refuse at landing, with the one reason code each such row carries
# (None: a standardisation reason, checked only by row).
RULE_REASONS: dict[tuple[str, str], str | None] = {
    ("population", "duplicate_person"): "DUPLICATE_KEY:id_number",
    ("population", "id_check_digit"): "expect_column_values_to_be_valid_cn_resident_id:id_number",
    (
        "population",
        "gender_mismatch",
    ): "expect_column_pair_values_to_match_cn_resident_id_gender:id_number,gender",
    (
        "population",
        "birth_date_mismatch",
    ): "expect_column_pair_values_to_match_cn_resident_id_birth_date:id_number,birth_date",
    ("social_insurance", "id_check_digit"): "expect_column_values_to_be_valid_cn_resident_id:id_number",
    ("market_entity", "uscc_check_char"): "expect_column_values_to_be_valid_cn_uscc:uscc",
    ("market_entity", "closed_before_created"): f"{PAIR_GT}:deregistered_date,established_date",
    ("grid_event", "closed_before_created"): f"{PAIR_GT}:closed_at,created_at",
    **{(s, "lonlat_swapped"): None for s in ("housing", "grid_event", "hazard_enterprise", "agri_operator")},
    **{
        (s, "lonlat_outside_county"): "expect_column_pair_values_to_be_in_bbox:lon,lat"
        for s in ("housing", "grid_event", "hazard_enterprise", "agri_operator")
    },
}
QUARANTINED_AT_LANDING = {kind for _, kind in RULE_REASONS}
LEFT_TO_CROSS_RULES = {"deceased_still_paid", "imprisoned_still_paid", "address_conflict"}
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
    refused = {(d.source, d.row): d.kind for d in manifest.defects if (d.source, d.kind) in RULE_REASONS}
    assert {kind for _, kind in RULE_REASONS} == set(refused.values()), "the sample has every refused kind"
    for source in manifest.sources:
        expected = {row for (s, row) in refused if s == source}
        table = spark.read.format("delta").load(config.table_path("quarantine", source))
        reasons = {r["_source_row"]: r["_reasons"] for r in table.select("_source_row", "_reasons").collect()}
        assert set(reasons) == expected, source
        for row, codes in reasons.items():
            code = RULE_REASONS[(source, refused[(source, row)])]
            assert code is None or codes == [code], (source, row, codes)


def test_landing_counts_each_rule_of_the_source_suite(
    landed_sample: tuple[LakehubConfig, Manifest, TierRun],
) -> None:
    _, manifest, run = landed_sample
    for result in run.results:
        suite = result.suite_result
        assert suite is not None and suite.suite == result.source_id, result.source_id
        assert suite.row_count == result.rows_read - result.rows_rejected
        by_id = {r.rule_id: r for r in suite.results}
        for (source, kind), code in RULE_REASONS.items():
            if source == result.source_id and code in by_id:
                defects = sum(1 for d in manifest.defects if d.source == source and d.kind == kind)
                assert by_id[code].unexpected_count == defects, (source, code)
                assert result.reasons[code] == defects and by_id[code].severity == "error"


def test_landing_stores_its_validation_and_refused_rows_as_rectification_issues(
    landed_sample: tuple[LakehubConfig, Manifest, TierRun],
) -> None:
    from lakehub.catalog import CatalogStore

    config, manifest, run = landed_sample
    with CatalogStore.open(config.effective_catalog_url) as store:
        latest = {v.dataset: v for v in store.latest_validations()}
        issues = store.list_issues(dataset="base.population")
    for result in run.results:
        stored = latest[f"base.{result.source_id}"]
        assert result.suite_result is not None
        assert stored.run_id == result.run_id and stored.delta_version == result.base_version
        assert {r.rule_id: r.unexpected_count for r in stored.rules} == {
            r.rule_id: r.unexpected_count for r in result.suite_result.results
        }
    code = RULE_REASONS[("population", "id_check_digit")]
    defects = {
        d.row: d.key for d in manifest.defects if d.source == "population" and d.kind == "id_check_digit"
    }
    listed = [i for i in issues if i.rule_id == code]
    assert {i.source_row for i in listed} == set(defects)
    assert {i.department for i in listed} == {"区公安分局"}
    assert not any(defects[i.source_row] in i.record_key for i in listed), "keys leave the base tier masked"


def test_cross_suite_over_the_landed_tables_flags_exactly_the_cross_table_defects(
    spark: Any, landed_sample: tuple[LakehubConfig, Manifest, TierRun]
) -> None:
    from lakehub.quality_rules import load_builtin_suite, validate_datasets
    from lakehub.quality_rules.engine_cross import failing_rows

    config, manifest, _ = landed_sample
    suite = load_builtin_suite("cross_hub")
    frames = {
        name: spark.read.format("delta").load(config.table_path(*name.split(".")))
        for name in suite.required_datasets
    }
    flagged = {
        rule: {r["_source_row"] for r in rows.collect()}
        for rule, rows in failing_rows(frames, suite).items()
        if rule != "deceased_still_contributing"
    }
    expected = {
        "insured_address_matches_household": {
            d.row for d in manifest.defects if d.kind == "address_conflict"
        },
        "no_payment_after_death": {d.row for d in manifest.defects if d.kind == "deceased_still_paid"},
        "no_payment_in_custody": {d.row for d in manifest.defects if d.kind == "imprisoned_still_paid"},
    }
    assert all(expected.values()) and {d.kind for d in manifest.defects} >= LEFT_TO_CROSS_RULES
    assert flagged == {rule: expected.get(rule, set()) for rule in flagged}
    result = validate_datasets(frames, suite, samples=False)
    assert {r.rule_id for r in result.failed} == set(expected)


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


def test_quality_run_validates_every_landed_table_and_the_cross_suite_and_reports_to_lineage(
    spark: Any, landed_sample: tuple[LakehubConfig, Manifest, TierRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from lakehub.catalog import CatalogStore
    from lakehub.catalog.lineage_store import LineageRepository
    from lakehub.pipelines import quality_jobs

    config, manifest, _ = landed_sample
    monkeypatch.setattr(quality_jobs, "spark_factory", lambda _config: lambda: spark)
    outcome = quality_jobs.quality_run(config, issue_cap=5)
    by_suite = {v.result.suite: v for v in outcome.validations}
    assert set(by_suite) == {*manifest.sources, "cross_hub"}
    paid = next(r for r in by_suite["cross_hub"].result.results if r.rule_id == "no_payment_after_death")
    assert paid.unexpected_count == sum(1 for d in manifest.defects if d.kind == "deceased_still_paid")
    held = next(r for r in by_suite["cross_hub"].result.results if r.rule_id == "no_payment_in_custody")
    assert held.unexpected_count == sum(1 for d in manifest.defects if d.kind == "imprisoned_still_paid")
    with CatalogStore.open(config.effective_catalog_url) as store:
        events = [json.loads(t) for t in LineageRepository(store).event_texts()]
    mine = [e for e in events if e["run"]["runId"] == outcome.run_id]
    assert [e["eventType"] for e in mine] == ["START", "COMPLETE"]
    assertions = mine[-1]["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertions and all("success" in a for a in assertions)


def test_demo_lineage_impact_of_population_reaches_theme_and_business_down_to_the_resident_id_column(
    landed_sample: tuple[LakehubConfig, Manifest, TierRun],
) -> None:
    from lakehub.lineage.query import query_lineage

    config = landed_sample[0]
    impact = query_lineage(config.effective_catalog_url, "impact", "base.population")
    tiers = {node.dataset: node.tier for node in impact.nodes}
    assert {"theme.person_profile", "business.special_population_alert"} <= set(tiers)
    assert {"theme", "business"} <= set(tiers.values())
    assert all(node.jobs for node in impact.nodes), "each reached dataset names the jobs in between"
    trace = query_lineage(
        config.effective_catalog_url, "column", "base.population.id_number", direction="down"
    )
    reached = {(node.dataset, node.column) for node in trace.nodes}
    assert ("business.special_population_alert", "id_number") in reached
    assert any(dataset.startswith("theme.") for dataset, _ in reached)
