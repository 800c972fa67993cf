"""`lakehub catalog list|search|show|history`: the data-asset catalog (资产目录), no JVM."""

from __future__ import annotations

from typing import Annotated

import typer

from lakehub.catalog import CatalogStore, DatasetRecord
from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

app = typer.Typer(help="The metadata catalog (资产目录): datasets, columns, versions.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DatasetArg = Annotated[
    str, typer.Argument(help="Dataset: tier.name (base.population) or OpenLineage namespace/name.")
]


def _store() -> CatalogStore:
    return CatalogStore.open(config().effective_catalog_url)


def _summary(d: DatasetRecord) -> dict[str, object]:
    return {
        "name": d.name,
        "tier": d.tier.value,
        "title": d.title,
        "department": d.department,
        "rows": d.row_count,
        "version": d.current_version,
        "updated_at": d.updated_at.isoformat() if d.updated_at else None,
        "location": d.location,
    }


def _print_datasets(title: str, datasets: list[DatasetRecord], json_output: bool) -> None:
    rows = [_summary(d) for d in datasets]
    if json_output:
        print_json(rows)
        return
    print_table(
        title,
        ["名称", "层级", "标题", "责任部门", "行数", "版本", "更新时间"],
        [
            [r["name"], r["tier"], r["title"], r["department"], r["rows"], r["version"], r["updated_at"]]
            for r in rows
        ],
    )


@app.command("list")
def list_datasets(
    tier: Annotated[
        str | None, typer.Option(help="Only this tier: raw, base, theme, business, quarantine.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """List every dataset in the catalog."""
    _print_datasets("数据资产目录", _store().list_datasets(tier=tier), json_output)


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Text in a name, title, department or column.")],
    json_output: JsonFlag = False,
) -> None:
    """Find datasets by name, Chinese title, department or column."""
    _print_datasets(f"搜索：{text}", _store().search(text), json_output)


@app.command("show")
def show(dataset: DatasetArg, json_output: JsonFlag = False) -> None:
    """Show one dataset with its columns and classification."""
    record = _store().get_dataset(dataset)
    if json_output:
        print_json(record)
        return
    for key, value in _summary(record).items():
        console.print(f"[bold]{key}[/]: {value}")
    console.print(f"[bold]description[/]: {record.description}")
    console.print(
        f"[bold]business_key[/]: {', '.join(record.business_key)}   [bold]sharing[/]: {record.sharing_class}   "
        f"[bold]security[/]: {record.security_level}"
    )
    print_table(
        "列",
        ["#", "name", "type", "title", "key", "sensitivity", "security_level"],
        [
            [
                c.position,
                c.name,
                c.data_type,
                c.title,
                "✓" if c.is_key else "",
                c.sensitivity or "",
                c.security_level or "",
            ]
            for c in record.columns
        ],
    )


@app.command("history")
def history(dataset: DatasetArg, json_output: JsonFlag = False) -> None:
    """Delta versions of a dataset and the runs that wrote them, newest first."""
    versions = _store().history(dataset)
    if json_output:
        print_json(versions)
        return
    print_table(
        f"{dataset} 版本历史",
        ["version", "operation", "rows", "inserted", "updated", "run", "job", "status", "at"],
        [
            [
                v.version,
                v.operation,
                v.row_count,
                v.rows_inserted,
                v.rows_updated,
                v.run_id[:8],
                v.job_name,
                v.run_status.value,
                v.created_at.isoformat(timespec="seconds"),
            ]
            for v in versions
        ],
    )
