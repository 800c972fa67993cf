"""Lineage of a real (small) demo run: spec-valid events, parent runs, no row values, impact, the asset map."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lakehub.catalog import CatalogStore
from lakehub.lineage.asset_map import write_asset_map
from lakehub.lineage.exchange import export_events
from lakehub.lineage.query import query_lineage
from lakehub.pipelines.config import LakehubConfig, LineageSettings, TransportSettings
from lakehub.pipelines.jobs import DemoReport, demo
from tests.lineage_helpers import REPO, headless_chromium, official_validator

pytestmark = pytest.mark.spark

SCALE, SEED = 100, 11
SCREENSHOT = REPO / "docs" / "asset-map.png"


@pytest.fixture(scope="module")
def demo_run(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LakehubConfig, DemoReport, Path]:
    from tests.conftest import make_config

    root = tmp_path_factory.mktemp("lineage_demo")
    events_file = root / "events.ndjson"
    config = make_config(root).model_copy(
        update={
            "lineage": LineageSettings(
                transports=(
                    TransportSettings(kind="catalog"),
                    TransportSettings(kind="file", path=str(events_file)),
                )
            )
        }
    )
    report = demo(config, scale=SCALE, seed=SEED)
    assert report.landing.passed and report.models, "the demo lands every source and builds the models"
    return config, report, events_file


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_event_of_the_demo_validates_against_the_official_spec(
    demo_run: tuple[LakehubConfig, DemoReport, Path], tmp_path: Path
) -> None:
    config, _, events_file = demo_run
    exported = tmp_path / "exported.ndjson"
    export_events(config.effective_catalog_url, exported)
    from_file, from_catalog = _events(events_file), _events(exported)
    assert from_catalog == from_file and len(from_file) >= 2 * 9
    validator = official_validator()
    problems = {i: validator.problems(e) for i, e in enumerate(from_file)}
    assert {i: p for i, p in problems.items() if p} == {}


def test_each_landing_run_starts_and_completes_under_its_run_base_parent(
    demo_run: tuple[LakehubConfig, DemoReport, Path],
) -> None:
    _, report, events_file = demo_run
    by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in _events(events_file):
        by_run[event["run"]["runId"]].append(event)
    assert [e["eventType"] for e in by_run[report.landing.run_id]] == ["START", "COMPLETE"]
    assert by_run[report.landing.run_id][0]["job"]["name"] == "run.base"
    for result in report.landing.results:
        events = by_run[result.run_id]
        assert [e["eventType"] for e in events] == ["START", "COMPLETE"], result.source_id
        complete = events[1]
        assert complete["job"]["name"] == f"ingest.{result.source_id}"
        parent = complete["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == report.landing.run_id and parent["job"]["name"] == "run.base"
        outputs = {o["facets"]["symlinks"]["identifiers"][0]["name"]: o for o in complete["outputs"]}
        base = outputs[f"base.{result.source_id}"]
        assert base["facets"]["version"]["datasetVersion"] == str(result.base_version)
        assert (
            base["outputFacets"]["outputStatistics"]["rowCount"] == result.rows_inserted + result.rows_updated
        )
        assert base["facets"]["ownership"]["owners"][0]["name"] == f"department:{result.department}"
        assertions = base["facets"]["dataQualityAssertions"]["assertions"]
        unique = next(a for a in assertions if a["assertion"] == "expect_compound_columns_to_be_unique")
        duplicates = sum(n for code, n in result.reasons.items() if code.startswith("DUPLICATE_KEY"))
        assert unique["success"] == (duplicates == 0)
        lineage = base["facets"]["columnLineage"]["fields"]
        assert lineage["id_number" if "id_number" in lineage else next(iter(lineage))]["inputFields"][0][
            "name"
        ].endswith(f"/raw/{result.source_id}")
        assert f"quarantine.{result.source_id}" in outputs


def test_events_hold_no_resident_ids_or_phone_numbers(
    demo_run: tuple[LakehubConfig, DemoReport, Path], spark: Any
) -> None:
    config, _, events_file = demo_run
    text = events_file.read_text(encoding="utf-8")
    people = spark.read.format("delta").load(config.table_path("base", "population"))
    values = {v for row in people.select("id_number", "phone").collect() for v in row if v}
    assert len(values) > SCALE
    leaked = sorted(v for v in values if v in text)
    assert leaked == []


def test_impact_of_base_population_lists_the_theme_and_business_tables(
    demo_run: tuple[LakehubConfig, DemoReport, Path],
) -> None:
    config, _, _ = demo_run
    env = {**os.environ, "LAKEHUB_CATALOG_URL": config.effective_catalog_url}
    lakehub = str(Path(sys.executable).with_name("lakehub"))
    done = subprocess.run(
        [lakehub, "lineage", "impact", "base.population", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    impact = json.loads(done.stdout)
    depths = {n["name"]: n["depth"] for n in impact["nodes"]}
    assert depths["theme.person_profile"] == 1 and depths["business.form_autofill_coverage"] == 2
    assert {n.split(".")[0] for n in depths} == {"theme", "business"}
    mart = next(n for n in impact["nodes"] if n["name"] == "business.special_population_alert")
    assert mart["owner"] == "区民政局" and mart["jobs"] == ["model.business.special_population_alert"]
    up = query_lineage(config.effective_catalog_url, "upstream", "base.population")
    assert [(n.name, n.jobs) for n in up.nodes] == [("raw.population", ("ingest.population",))]


def test_resident_id_column_traces_from_the_raw_delivery_to_the_business_mart(
    demo_run: tuple[LakehubConfig, DemoReport, Path],
) -> None:
    config, _, _ = demo_run
    down = query_lineage(config.effective_catalog_url, "column", "raw.population.id_number", direction="down")
    reached = {n.name: n.depth for n in down.nodes}
    assert reached["base.population.id_number"] == 1 and reached["quarantine.population.id_number"] == 1
    assert reached["theme.person_profile.id_number"] == 2
    assert reached["business.special_population_alert.id_number"] == 2
    up = query_lineage(config.effective_catalog_url, "column", "business.special_population_alert.id_number")
    assert [n.name for n in up.nodes][-1] == "raw.population.id_number"


def test_asset_map_renders_every_dataset_and_search_finds_them(
    demo_run: tuple[LakehubConfig, DemoReport, Path], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    config, _, _ = demo_run
    page = tmp_path / "map.html"
    report = write_asset_map(config.effective_catalog_url, page)
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html.split("<script", 1)[0] and "<script src" not in html
    with CatalogStore.open(config.effective_catalog_url) as store:
        catalogued = {d.name for d in store.list_datasets()}
    expected = catalogued | {f"raw.{r.source_id}" for r in demo_run[1].landing.results}
    assert report.datasets == len(expected)
    browser = headless_chromium()
    try:
        browser.get(page.as_uri())
        drawn = set(browser.execute_script("return window.lakehubMap.cy.nodes('.dataset').map(n => n.id())"))
        assert drawn == expected
        assert browser.execute_script(
            "return window.lakehubMap.cy.nodes('.dataset').filter(n => n.renderedWidth() > 0).length"
        ) == len(expected)
        search = browser.find_element(By.ID, "search")
        search.send_keys("household_address")
        hits = [
            li.get_attribute("data-id")
            for li in browser.find_elements(By.CSS_SELECTOR, "#results li[data-id]")
        ]
        assert set(hits) == {
            "raw.population",
            "base.population",
            "quarantine.population",
            "theme.person_profile",
        }
        assert sorted(
            browser.execute_script("return window.lakehubMap.cy.nodes('.match').map(n => n.id())")
        ) == sorted(hits)
        search.clear()
        search.send_keys("免申即享")
        assert [
            li.get_attribute("data-id")
            for li in browser.find_elements(By.CSS_SELECTOR, "#results li[data-id]")
        ] == ["business.subsidy_eligibility"]
        browser.execute_script("window.lakehubMap.search('')")
        browser.execute_script("window.lakehubMap.show('base.population')")
        browser.find_element(By.CSS_SELECTOR, '#details .col[data-col="id_number"]').click()
        traces = browser.find_element(By.ID, "traces").text
        assert "theme.person_profile.id_number" in traces and "raw.population.id_number" in traces
        assert browser.execute_script("return window.lakehubMap.cy.edges('.coledge').length") >= 3
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))
    finally:
        browser.quit()
    assert SCREENSHOT.stat().st_size > 10_000
