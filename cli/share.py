"""`lakehub share request|list|approve|reject|export`: data sharing (数据共享交换) between departments."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore, ShareRequestRecord

app = typer.Typer(
    help="Data sharing (数据共享): request a dataset, approve or reject, export approved data.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who acts (default: the OS user).")]
_STATUS = {"pending": "待审批", "approved": "已同意", "rejected": "已驳回"}


def _store() -> CatalogStore:
    from lakehub.catalog import CatalogStore

    return CatalogStore.open(config().effective_catalog_url)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _time(value: object) -> str:
    """China time, as the departments read it."""
    from datetime import datetime

    from lakehub.catalog.deadlines import CHINA_TIME

    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _columns(r: ShareRequestRecord) -> str:
    shown = [f"{c}(明文)" if c in r.granted_columns else c for c in r.columns]
    return ", ".join(shown) if len(shown) <= 5 else f"{', '.join(shown[:4])} 等{len(shown)}列"


def _status(r: ShareRequestRecord) -> str:
    if r.overdue:
        return "[red]超期未答复[/]"
    if r.status.value == "approved" and r.exports:
        return f"已交付({r.exports})"
    return _STATUS[r.status.value]


def _print_requests(rows: list[ShareRequestRecord]) -> None:
    print_table(
        "数据共享申请",
        ["编号", "数据集", "共享类型", "申请部门", "用途", "字段", "状态", "答复期限", "办结", "审批意见"],
        [
            [
                r.id,
                r.dataset,
                r.sharing_class,
                r.requesting_department,
                r.purpose,
                _columns(r),
                _status(r),
                _time(r.due_at),
                _time(r.resolved_at),
                " ".join(p for p in (r.decided_department, r.decision_note) if p),
            ]
            for r in rows
        ],
    )


@app.command("request")
def request(
    dataset: Annotated[str, typer.Argument(help="Dataset: tier.name (base.population).")],
    department: Annotated[str, typer.Option("--department", help="Requesting department, e.g. 区民政局.")],
    purpose: Annotated[str, typer.Option("--purpose", help="What the data is for (用途).")],
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated columns (default: all data columns).")
    ] = None,
    due_days: Annotated[
        int, typer.Option("--due-days", help="Working days the provider has to answer.", min=1)
    ] = 10,
    by: ByOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Request a dataset for a purpose; 无条件共享 is approved at once, 不予共享 is refused (no JVM)."""
    from lakehub.catalog.deadlines import calendar_gap

    record = _store().request_share(
        dataset,
        department=department,
        purpose=purpose,
        columns=_split(columns),
        requested_by=by or getpass.getuser(),
        due_working_days=due_days,
    )
    if json_output:
        print_json(record)
    elif record.status.value == "approved":
        console.print(
            f"share request {record.id} on {record.dataset} ({record.sharing_class}) approved at once; "
            f"export it with `lakehub share export {record.id} --out FILE.xlsx`"
        )
    else:
        console.print(
            f"share request {record.id} on {record.dataset} ({record.sharing_class}) from "
            f"{record.requesting_department}: pending; {record.owner_department} (or 区数据管理局) answers by "
            f"{_time(record.due_at)}"
        )
        if note := calendar_gap(record.requested_at, record.due_at):
            console.print(note, style="yellow", markup=False)


@app.command("list")
def list_requests(
    status: Annotated[str | None, typer.Option(help="pending, approved or rejected.")] = None,
    department: Annotated[str | None, typer.Option(help="Only requests from or to this department.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """List sharing requests with deadlines, decisions and deliveries (no JVM)."""
    rows = _store().list_share_requests(status=status, department=department)
    if json_output:
        print_json(rows)
    else:
        _print_requests(rows)


@app.command("approve")
def approve(
    request_id: Annotated[int, typer.Argument(help="Request id (see `share list`).")],
    note: Annotated[str | None, typer.Option("--note", help="Conditions or remarks (审批意见).")] = None,
    grant: Annotated[
        str | None,
        typer.Option(
            "--grant", help="Sensitive columns shared in clear (comma-separated); others stay masked."
        ),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", help="Deciding department: the owner (default) or 区数据管理局."),
    ] = None,
    by: ByOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Approve a pending request as the owning department or the hub operator (no JVM)."""
    record = _store().decide_share(
        request_id,
        approve=True,
        note=note,
        grant=_split(grant),
        department=department,
        decided_by=by or getpass.getuser(),
    )
    if json_output:
        print_json(record)
    else:
        clear = f"; in clear: {', '.join(record.granted_columns)}" if record.granted_columns else ""
        console.print(f"share request {record.id} approved by {record.decided_department}{clear}")


@app.command("reject")
def reject(
    request_id: Annotated[int, typer.Argument(help="Request id (see `share list`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the data is not shared.")],
    department: Annotated[
        str | None,
        typer.Option("--department", help="Deciding department: the owner (default) or 区数据管理局."),
    ] = None,
    by: ByOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Reject a pending request with its reason (no JVM)."""
    record = _store().decide_share(
        request_id, approve=False, note=reason, department=department, decided_by=by or getpass.getuser()
    )
    if json_output:
        print_json(record)
    else:
        console.print(
            f"share request {record.id} rejected by {record.decided_department}: {record.decision_note}"
        )


@app.command("export")
def export(
    request_id: Annotated[int, typer.Argument(help="An approved request id (see `share list`).")],
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv, .xlsx or .parquet.")],
    by: ByOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Export an approved request's data from Delta (delta-rs, no JVM), masked, and log it in the audit log."""
    from lakehub.pipelines.sharing import export_share

    written = export_share(config(), request_id, out, actor=by or getpass.getuser())
    if json_output:
        print_json(written)
    else:
        masked = ", ".join(written.masked_columns) or "none"
        console.print(
            f"wrote {written.path}: {written.row_count} rows of {written.dataset} (Delta version "
            f"{written.delta_version}) for {written.requesting_department}; masked: {masked}; "
            f"sha256 {written.sha256[:16]}…; audit entry {written.audit_seq}"
        )
