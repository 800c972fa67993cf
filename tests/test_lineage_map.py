"""The asset map: dot/mermaid text, and the HTML map staying readable at 200+ datasets in headless Chromium."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from lakehub.catalog import CatalogStore
from lakehub.catalog.lineage_assets import asset_graph
from lakehub.catalog.lineage_store import LineageRepository
from lakehub.lineage.asset_map import ROW_HEIGHT, ROWS_PER_COLUMN, layout, render, write_asset_map
from lakehub.lineage.errors import LineageError
from lakehub.lineage.events import EventBuilder
from lakehub.pipelines.config import LakehubConfig
from tests.lineage_helpers import REPO, headless_chromium, run_job

LARGE_SCREENSHOT = REPO / "docs" / "asset-map-240.png"


def _county_graph(store: CatalogStore, root: Path, datasets: int = 240, seed: int = 3) -> None:
    """raw → base → theme → business, 60 datasets per tier, each built from 1–3 datasets of the tier before."""
    rng = random.Random(seed)
    repo, builder = LineageRepository(store), EventBuilder()
    per_tier = datasets // 4
    tiers = ["raw", "base", "theme", "business"]
    for tier_index, tier in enumerate(tiers[1:], start=1):
        before = tiers[tier_index - 1]
        for index in range(per_tier):
            inputs = sorted(
                {f"{before}.{before}_{rng.randrange(per_tier):03d}" for _ in range(rng.randint(1, 3))}
            )
            if tier == "base":
                inputs = [f"raw.raw_{index:03d}"]
            run_job(repo, builder, root, f"model.{tier}_{index:03d}", inputs, [f"{tier}.{tier}_{index:03d}"])


def test_dot_and_mermaid_group_datasets_by_tier(catalog_store: CatalogStore, tmp_path: Path) -> None:
    run_job(
        LineageRepository(catalog_store),
        EventBuilder(),
        tmp_path,
        "model.theme.p",
        ["base.population"],
        ["theme.p"],
    )
    graph = asset_graph(catalog_store)
    dot = render(graph, "dot")
    assert (
        "subgraph cluster_base {" in dot and '"base.population" -> "theme.p" [label="model.theme.p"];' in dot
    )
    mermaid = render(graph, "mermaid")
    assert (
        'subgraph theme["主题库 theme"]' in mermaid
        and "n_base_population -->|model.theme.p| n_theme_p" in mermaid
    )
    with pytest.raises(LineageError, match="Valid values are: html, dot, mermaid"):
        render(graph, "svg")


def test_layout_keeps_every_dataset_apart_in_its_tier_lane(
    catalog_store: CatalogStore, tmp_path: Path
) -> None:
    _county_graph(catalog_store, tmp_path)
    graph = asset_graph(catalog_store)
    positions = layout(graph)
    assert len(positions) == len(graph.nodes) == 240
    tiers = ("raw", "base", "theme", "business")
    lane_x: dict[str, list[float]] = {tier: [] for tier in tiers}
    by_column: dict[float, list[float]] = {}
    for name, (x, y) in positions.items():
        lane_x[name.split(".")[0]].append(x)
        by_column.setdefault(x, []).append(y)
    assert all(max(lane_x[a]) < min(lane_x[b]) for a, b in itertools.pairwise(tiers))
    for ys in by_column.values():
        assert len(ys) <= ROWS_PER_COLUMN
        ordered = sorted(ys)
        assert all(b - a >= ROW_HEIGHT for a, b in itertools.pairwise(ordered))


def test_html_map_draws_240_datasets_offline_and_finds_one_by_name(
    catalog_store: CatalogStore, lakehub_config: LakehubConfig, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    _county_graph(catalog_store, tmp_path)
    page = tmp_path / "map.html"
    report = write_asset_map(lakehub_config.effective_catalog_url, page)
    assert report.datasets == 240
    html = page.read_text(encoding="utf-8")
    assert "<script src" not in html and "<link" not in html and "Cytoscape Consortium" in html
    browser = headless_chromium()
    try:
        browser.get(page.as_uri())
        assert browser.execute_script("return window.lakehubMap.cy.nodes('.dataset').length") == 240
        assert browser.execute_script("return window.lakehubMap.cy.edges().length") == report.edges
        browser.find_element(By.ID, "search").send_keys("theme_017")
        hits = [
            li.get_attribute("data-id")
            for li in browser.find_elements(By.CSS_SELECTOR, "#results li[data-id]")
        ]
        assert hits == ["theme.theme_017"]
        assert browser.execute_script("return window.lakehubMap.cy.nodes('.faded').length") == 239
        browser.execute_script("window.lakehubMap.search(''); window.lakehubMap.cy.fit()")
        LARGE_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(LARGE_SCREENSHOT))
    finally:
        browser.quit()
