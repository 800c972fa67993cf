"""`lakehub metrics`: the hub KPIs, from the catalog alone (no JVM)."""

from __future__ import annotations

from typing import Annotated

import typer

from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def metrics(json_output: JsonFlag = False) -> None:
    """Hub KPIs: base freshness, sharing, objections, quality pass rate, catalogue completeness (no JVM)."""
    from lakehub.catalog import CatalogStore
    from lakehub.catalog.metrics import hub_metrics

    found = hub_metrics(CatalogStore.open(config().effective_catalog_url))
    if json_output:
        print_json(found)
        return
    rows = []
    for n, k in enumerate(found.kpis, start=1):
        value = f"{k.value:.1f} {k.unit}" if k.value is not None else "不可用"
        target = f"≥ {k.target:.0f} {k.unit}" if k.target is not None else ""
        met = "" if k.met is None else ("[green]达标[/]" if k.met else "[red]未达标[/]")
        rows.append([f"{k.title} [{n}]", value, target, met, k.reason or ""])
    print_table(
        f"智能数据中枢指标 · {found.generated_at.astimezone():%Y-%m-%d %H:%M}",
        ["指标", "值", "目标", "", "说明"],
        rows,
    )
    for kpi in found.kpis:
        breakdown = {key: kpi.details[key] for key in ("by_department", "by_dimension") if key in kpi.details}
        for key, table in breakdown.items():
            console.print(
                f"  {kpi.title} · {'部门' if key == 'by_department' else '维度'}: "
                + ", ".join(f"{g} {v['rate']:.1f}% ({v['passed']}/{v['rules']})" for g, v in table.items())
            )
        if "overdue" in kpi.details:
            d = kpi.details
            console.print(
                f"  {kpi.title}: 提出 {d['raised']}，已办结 {d['resolved']}，处理中 {d['open']}，"
                f"超期 {d['overdue']}，中位数 {d['median_hours'] if d['median_hours'] is not None else '—'} h"
            )
        if kpi.key == "sharing_response_rate" and kpi.details.get("requests"):
            d = kpi.details
            console.print(
                f"  {kpi.title}: 申请 {d['requests']}，按时答复 {d['answered_on_time']}，逾期答复 {d['answered_late']}，"
                f"超期未答复 {d['pending_overdue']}，期限内待答复 {d['pending_within_deadline']}"
            )
    for n, k in enumerate(found.kpis, start=1):
        console.print(f"[dim][{n}] {k.method}[/]")
