"""`lakehub lineage ...`: lineage queries, OpenLineage import/export and the data-asset map, no JVM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakehub.cli.lineage_view import print_result
from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

app = typer.Typer(
    help="Lineage (数据血缘): upstream, downstream, impact, column traces, import/export, asset map.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DatasetArg = Annotated[
    str, typer.Argument(help="Dataset: tier.name (base.population) or OpenLineage namespace/name.")
]
DepthOption = Annotated[int | None, typer.Option("--depth", min=1, help="Hops to follow (default: all).")]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Show the graph as it was on this date (YYYY-MM-DD, end of day UTC)."),
]


def _query(kind: str, ref: str, **options: object) -> None:
    from lakehub.lineage.query import query_lineage

    json_output = bool(options.pop("json_output"))
    result = query_lineage(config().effective_catalog_url, kind, ref, **options)  # type: ignore[arg-type]  # kind checked by Typer command
    print_result(result, json_output)


@app.command("upstream")
def upstream(
    dataset: DatasetArg, depth: DepthOption = None, as_of: AsOfOption = None, json_output: JsonFlag = False
) -> None:
    """Datasets this dataset is built from, with depth and the jobs in between."""
    _query("upstream", dataset, depth=depth, as_of=as_of, json_output=json_output)


@app.command("downstream")
def downstream(
    dataset: DatasetArg, depth: DepthOption = None, as_of: AsOfOption = None, json_output: JsonFlag = False
) -> None:
    """Datasets built from this dataset, with depth and the jobs in between."""
    _query("downstream", dataset, depth=depth, as_of=as_of, json_output=json_output)


@app.command("impact")
def impact(
    target: Annotated[
        str, typer.Argument(help="DATASET or DATASET.COLUMN (e.g. base.population.id_number).")
    ],
    as_of: AsOfOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Everything downstream (datasets and columns, depth, owning department, jobs): who to tell before a change."""
    _query("impact", target, as_of=as_of, json_output=json_output)


@app.command("column")
def column(
    target: Annotated[str, typer.Argument(help="DATASET.COLUMN, e.g. base.population.id_number.")],
    direction: Annotated[
        str, typer.Option("--direction", help="up (where it comes from) or down (where it goes).")
    ] = "up",
    depth: DepthOption = None,
    as_of: AsOfOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Column-level trace of one column, upstream or downstream."""
    _query("column", target, direction=direction, depth=depth, as_of=as_of, json_output=json_output)


@app.command("import")
def import_events(
    events: Annotated[Path, typer.Argument(help="NDJSON file of OpenLineage events (any producer).")],
    json_output: JsonFlag = False,
) -> None:
    """Import OpenLineage events into the catalog's lineage graph; invalid lines are reported and skipped."""
    from lakehub.lineage.exchange import import_events as run_import

    report = run_import(config().effective_catalog_url, events)
    if json_output:
        print_json(report)
    else:
        console.print(
            f"导入 {report.imported} 条事件（共 {report.lines} 行，跳过 {report.skipped} 行），"
            f"新增数据集 {report.datasets_added}、血缘边 {report.edges_added}、列级血缘 {report.column_edges_added}，"
            f"{report.seconds}s"
        )
        if report.problems:
            print_table("跳过的行", ["行号", "原因"], [[p.line, p.message] for p in report.problems[:50]])
    if report.skipped:
        raise typer.Exit(1)


@app.command("export")
def export_events(
    out: Annotated[Path, typer.Option("--out", help="NDJSON file to write.")],
    json_output: JsonFlag = False,
) -> None:
    """Write every stored OpenLineage event to an NDJSON file, as received."""
    from lakehub.lineage.exchange import export_events as run_export

    report = run_export(config().effective_catalog_url, out)
    if json_output:
        print_json(report)
    else:
        console.print(f"导出 {report.events} 条事件到 {report.path}")


@app.command("map")
def asset_map(
    out: Annotated[Path, typer.Option("--out", help="File to write ('-' for stdout with dot/mermaid).")],
    output_format: Annotated[
        str, typer.Option("--format", help="html (interactive map), dot or mermaid.")
    ] = "html",
    json_output: JsonFlag = False,
) -> None:
    """The data-asset map (数据资产地图): one self-contained HTML file, or Graphviz dot / Mermaid for docs."""
    from lakehub.lineage.asset_map import render_asset_map, write_asset_map

    if str(out) == "-" and output_format != "html":
        print(render_asset_map(config().effective_catalog_url, output_format).text, end="")
        return
    report = write_asset_map(config().effective_catalog_url, out, output_format)
    if json_output:
        print_json(report)
    else:
        console.print(f"数据资产地图：{report.datasets} 个数据集、{report.edges} 条血缘 → {report.path}")
