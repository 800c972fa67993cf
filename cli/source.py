"""`lakehub source list|show`: the registered departmental sources."""

from __future__ import annotations

from typing import Annotated

import typer

from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config
from lakehub.pipelines.sources import get_source

app = typer.Typer(help="Registered departmental sources (source specs).", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _describe(spec_id: str, *, full: bool) -> dict[str, object]:
    from lakehub.pipelines.jobs import registered_sources

    cfg = config()
    spec = get_source(registered_sources(cfg), spec_id)
    info: dict[str, object] = {
        "id": spec.id,
        "title": spec.title,
        "department": spec.department,
        "format": spec.format,
        "encoding": spec.encoding,
        "business_key": list(spec.business_key),
        "files": str(cfg.landing_path / spec.file),
        "base_table": f"base.{spec.table_name}",
    }
    if full:
        info["description"] = spec.description
        info["sharing_class"] = spec.sharing_class
        info["security_level"] = spec.security_level
        info["freshness_sla_days"] = spec.freshness_sla_days
        info["columns"] = [c.model_dump(exclude_none=True) for c in spec.columns]
        info["found"] = [str(p) for p in sorted(cfg.landing_path.glob(spec.file))]
    return info


@app.command("list")
def list_sources(json_output: JsonFlag = False) -> None:
    """List the registered sources: id, department, format, encoding, key, columns and file glob."""
    from lakehub.pipelines.jobs import registered_sources

    specs = registered_sources(config())
    rows = [_describe(s, full=False) | {"columns": len(specs[s].columns)} for s in sorted(specs)]
    if json_output:
        print_json(rows)
        return
    print_table(
        "已登记数据源",
        ["id", "名称", "部门", "格式", "编码", "主键", "列数", "文件"],
        [
            [
                r["id"],
                r["title"],
                r["department"],
                r["format"],
                r["encoding"],
                ",".join(r["business_key"]),  # type: ignore[arg-type]  # list from _describe
                r["columns"],
                r["files"],
            ]
            for r in rows
        ],
    )


@app.command("show")
def show_source(
    source: Annotated[str, typer.Argument(help="Source id, e.g. population.")],
    json_output: JsonFlag = False,
) -> None:
    """Show one source spec in full, with the delivery files currently found."""
    info = _describe(source, full=True)
    if json_output:
        print_json(info)
        return
    for key in (
        "id",
        "title",
        "department",
        "description",
        "format",
        "encoding",
        "business_key",
        "base_table",
        "sharing_class",
        "security_level",
        "freshness_sla_days",
        "files",
        "found",
    ):
        console.print(f"[bold]{key}[/]: {info[key]}")
    columns = info["columns"]
    assert isinstance(columns, list)
    print_table(
        "列",
        ["name", "type", "title", "required", "sensitivity", "security_level"],
        [
            [
                c["name"],
                c.get("type"),
                c.get("title"),
                c.get("required", False),
                c.get("sensitivity", ""),
                c.get("security_level", ""),
            ]
            for c in columns
        ],
    )
