"""The data-asset map (数据资产地图): one self-contained HTML file, or Graphviz dot / Mermaid text.

The HTML inlines the vendored Cytoscape.js (lineage/assets, MIT licence kept in the file) and the
graph as JSON, so it opens offline. Datasets sit in tier lanes (raw → base → quarantine → theme →
business, then datasets of other producers); positions are computed here (lane by tier, order in the
lane by the mean position of upstream datasets) so the browser only draws.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LineageError

if TYPE_CHECKING:
    from lakehub.catalog.lineage_assets import AssetGraph

ASSETS = Path(__file__).resolve().parent / "assets"
LANES = ("raw", "base", "quarantine", "theme", "business", "external")
LANE_TITLES = {
    "raw": "原始层 raw",
    "base": "基础库 base",
    "quarantine": "隔离区 quarantine",
    "theme": "主题库 theme",
    "business": "业务库 business",
    "external": "其他来源",
}
LANE_WIDTH = 300
ROW_HEIGHT = 56
ROWS_PER_COLUMN = 24
FORMATS = ("html", "dot", "mermaid")


@dataclass(frozen=True, slots=True)
class MapReport:
    """What `lakehub lineage map` wrote."""

    path: str
    format: str
    datasets: int
    edges: int
    column_edges: int


@dataclass(frozen=True, slots=True)
class RenderedMap:
    """A rendered map and what it holds."""

    text: str
    format: str
    datasets: int
    edges: int
    column_edges: int


def lane_of(tier: str) -> str:
    """The lane a tier is drawn in."""
    return tier if tier in LANES else "external"


def lanes_in(graph: AssetGraph) -> list[str]:
    """The lanes that hold at least one dataset, left to right."""
    return [lane for lane in LANES if any(lane_of(n.tier) == lane for n in graph.nodes)]


def _lane_columns(graph: AssetGraph) -> dict[str, int]:
    """How many sub-columns each used lane needs so that no column is taller than ROWS_PER_COLUMN."""
    counts = {lane: sum(1 for n in graph.nodes if lane_of(n.tier) == lane) for lane in lanes_in(graph)}
    return {lane: max(1, math.ceil(count / ROWS_PER_COLUMN)) for lane, count in counts.items()}


def lane_starts(graph: AssetGraph) -> dict[str, float]:
    """x of the first column of each used lane (lanes with many datasets are several columns wide)."""
    starts: dict[str, float] = {}
    x = 0.0
    for lane, columns in _lane_columns(graph).items():
        starts[lane] = x
        x += columns * LANE_WIDTH
    return starts


def layout(graph: AssetGraph) -> dict[str, tuple[float, float]]:
    """(x, y) of every dataset: x by tier lane, y ordered by the mean y of its upstream datasets.

    A lane with more than ROWS_PER_COLUMN datasets wraps into side-by-side columns, which keeps the
    map close to screen proportions (and its labels legible) at a few hundred datasets.
    """
    upstream: dict[str, list[str]] = {}
    for edge in graph.edges:
        if edge.source != edge.target:
            upstream.setdefault(edge.target, []).append(edge.source)
    position: dict[str, tuple[float, float]] = {}
    starts = lane_starts(graph)
    for lane, start in starts.items():
        members = [n.id for n in graph.nodes if lane_of(n.tier) == lane]

        def weight(name: str) -> tuple[float, str]:
            ys = [position[s][1] for s in upstream.get(name, ()) if s in position]
            return (sum(ys) / len(ys) if ys else math.inf, name)

        for row, name in enumerate(sorted(members, key=weight)):
            column, row_in_column = divmod(row, ROWS_PER_COLUMN)
            position[name] = (start + column * LANE_WIDTH, row_in_column * ROW_HEIGHT)
    return position


def _plain(value: Any) -> Any:
    return (
        dataclasses.asdict(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type)
        else value
    )


def map_data(graph: AssetGraph) -> dict[str, Any]:
    """The JSON the HTML page draws from."""
    positions = layout(graph)
    return {
        "generated_at": graph.generated_at,
        "lanes": [{"id": lane, "title": LANE_TITLES[lane], "x": x} for lane, x in lane_starts(graph).items()],
        "nodes": [{**_plain(n), "x": positions[n.id][0], "y": positions[n.id][1]} for n in graph.nodes],
        "edges": [_plain(e) for e in graph.edges],
        "column_edges": [_plain(e) for e in graph.column_edges],
    }


def render_html(graph: AssetGraph) -> str:
    """The self-contained interactive map."""
    library = (ASSETS / "cytoscape.min.js").read_text(encoding="utf-8")
    licence = (ASSETS / "cytoscape.LICENSE").read_text(encoding="utf-8").replace("*/", "* /")
    data = json.dumps(map_data(graph), ensure_ascii=False).replace("</", "<\\/")
    template = (ASSETS / "asset_map.html").read_text(encoding="utf-8")
    return (
        template.replace("/*__CYTOSCAPE_LICENSE__*/", f"/*! Cytoscape.js — {licence} */")
        .replace("/*__CYTOSCAPE__*/", library.replace("</script", "<\\/script"))
        .replace("__MAP_DATA__", data)
    )


def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(*lines: str) -> str:
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'


def render_dot(graph: AssetGraph) -> str:
    """Graphviz dot: one cluster per tier lane, edges labelled with their jobs."""
    lines = [
        "digraph lakehub_lineage {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef5ff"];',
    ]
    for lane in LANES:
        members = [n for n in graph.nodes if lane_of(n.tier) == lane]
        if not members:
            continue
        lines.append(f"  subgraph cluster_{lane} {{")
        lines.append(f"    label={_dot_id(LANE_TITLES[lane])};")
        for n in members:
            label = _dot_label(n.id, n.title) if n.title and n.title != n.id else _dot_label(n.id)
            lines.append(f"    {_dot_id(n.id)} [label={label}];")
        lines.append("  }")
    for e in graph.edges:
        lines.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)} [label={_dot_id(e.job)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def render_mermaid(graph: AssetGraph) -> str:
    """Mermaid flowchart: one subgraph per tier lane, edges labelled with their jobs."""
    lines = ["flowchart LR"]
    for lane in LANES:
        members = [n for n in graph.nodes if lane_of(n.tier) == lane]
        if not members:
            continue
        lines.append(f'  subgraph {lane}["{LANE_TITLES[lane]}"]')
        for n in members:
            label = f"{n.id}<br/>{n.title}" if n.title and n.title != n.id else n.id
            lines.append(f'    {_mermaid_id(n.id)}["{label.replace(chr(34), "#quot;")}"]')
        lines.append("  end")
    for e in graph.edges:
        lines.append(f"  {_mermaid_id(e.source)} -->|{e.job.replace('|', '/')}| {_mermaid_id(e.target)}")
    return "\n".join(lines) + "\n"


def render(graph: AssetGraph, output_format: str) -> str:
    """The map in ``output_format`` (html, dot or mermaid)."""
    renderers = {"html": render_html, "dot": render_dot, "mermaid": render_mermaid}
    if output_format not in renderers:
        raise LineageError(
            f"--format {output_format!r} is not valid. Valid values are: {', '.join(FORMATS)}."
        )
    return renderers[output_format](graph)


def render_asset_map(catalog_url: str, output_format: str = "html") -> RenderedMap:
    """Render the asset map of the catalog at ``catalog_url``."""
    from lakehub.catalog import CatalogStore
    from lakehub.catalog.lineage_assets import asset_graph

    if output_format not in FORMATS:
        raise LineageError(
            f"--format {output_format!r} is not valid. Valid values are: {', '.join(FORMATS)}."
        )
    with CatalogStore.open(catalog_url) as store:
        graph = asset_graph(store)
    return RenderedMap(
        render(graph, output_format),
        output_format,
        len(graph.nodes),
        len(graph.edges),
        len(graph.column_edges),
    )


def write_asset_map(catalog_url: str, out: Path, output_format: str = "html") -> MapReport:
    """Render the asset map to the file ``out``."""
    rendered = render_asset_map(catalog_url, output_format)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(rendered.text, encoding="utf-8")
    partial.replace(out)
    return MapReport(str(out), output_format, rendered.datasets, rendered.edges, rendered.column_edges)
