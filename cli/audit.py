"""`lakehub audit log|verify`: the append-only audit log of sharing, exports and sensitive reads (no JVM)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

app = typer.Typer(help="The audit log (审计日志): read it, verify its hash chain.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command("log")
def audit_log(
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="From this day (China time)."
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            help="Only this action: share_request, share_approve, share_reject, export, export_refused, sensitive_read."
        ),
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="Only entries about this dataset.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Audit-log entries oldest first: who did what to which dataset, with file hashes (no JVM)."""
    from lakehub.catalog import CatalogStore
    from lakehub.catalog.deadlines import CHINA_TIME

    store = CatalogStore.open(config().effective_catalog_url)
    start = since.replace(tzinfo=CHINA_TIME) if since is not None and since.tzinfo is None else since
    entries = store.audit_log(since=start, action=action, dataset=dataset)
    if json_output:
        print_json(entries)
        return
    print_table(
        "审计日志",
        ["序号", "时间", "操作", "操作人", "部门", "数据集", "申请", "摘要", "哈希"],
        [
            [
                e.seq,
                e.recorded_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S"),
                e.action,
                e.actor,
                e.department or "",
                e.dataset or "",
                e.request_id or "",
                _summary(e.details),
                e.hash[:12],
            ]
            for e in entries
        ],
    )


def _summary(details: object) -> str:
    if not isinstance(details, dict):
        return ""
    if "sha256" in details:
        masked = ",".join(details.get("masked_columns", [])) or "无"
        return f"{details.get('row_count')} 行 → {details.get('path')} (脱敏: {masked}; sha256 {str(details['sha256'])[:12]}…)"
    for key in ("reason", "note", "purpose"):
        if details.get(key):
            return str(details[key]).split(" Fix:")[0]
    return ""


@app.command("verify")
def verify(
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH printed by an earlier verify and kept outside the hub (repeatable): the log must "
            "still hold that entry unchanged.",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Recompute the hash chain; report the first broken entry and any export of 不予共享 data; exit 1 if so."""
    from lakehub.catalog import CatalogStore
    from lakehub.catalog.audit import parse_anchor

    anchors = [parse_anchor(text) for text in anchor or []]
    result = CatalogStore.open(config().effective_catalog_url).verify_audit(anchors)
    if json_output:
        print_json(
            {
                "passed": result.passed,
                "chain_intact": result.chain_intact,
                "entries": result.entries,
                "head_seq": result.head_seq,
                "head_hash": result.head_hash,
                "anchors_checked": len(anchors),
                "first_broken": result.first_broken,
                "broken": result.broken,
                "missing": result.missing,
                "negative_list_exports": [
                    {**_plain(e), "violation": e.violation} for e in result.negative_list_exports
                ],
            }
        )
    else:
        if result.chain_intact:
            checked = f"; {len(anchors)} anchor(s) match" if anchors else ""
            console.print(
                f"[green]✓[/] hash chain intact: {result.entries} entries, head {result.head_seq} "
                f"{(result.head_hash or '')[:16]}{checked}"
            )
            if result.head_seq is not None:
                console.print(
                    f"  anchor {result.head_seq}:{(result.head_hash or '')[:16]} — keep it outside the hub "
                    "(e.g. in the audit file) and pass it with --anchor next time"
                )
        else:
            first = result.first_broken
            assert first is not None
            console.print(f"[red]✗[/] hash chain broken at entry {first.seq}: {first.problem}")
            for other in result.broken[1:]:
                console.print(f"  also entry {other.seq}: {other.problem}")
        for line in result.missing:
            console.print(f"[red]✗[/] missing from the log: {line}")
        violations = [e for e in result.negative_list_exports if e.violation]
        if not violations:
            console.print("[green]✓[/] no 不予共享 (negative-list) data was exported")
        for e in result.negative_list_exports:
            if e.violation:
                console.print(
                    f"[red]✗[/] entry {e.seq}: {e.dataset} was exported while 不予共享 (request {e.request_id})"
                )
            else:
                console.print(
                    f"[yellow]![/] entry {e.seq}: {e.dataset} was exported as {e.sharing_class_at_export}, "
                    f"it is {e.sharing_class_now} now"
                )
    if not result.passed:
        raise typer.Exit(1)


def _plain(value: object) -> dict[str, object]:
    from lakehub.cli.output import to_plain

    plain: dict[str, object] = to_plain(value)
    return plain
