"""Tables for landing results (ingest, run, demo)."""

from __future__ import annotations

from collections.abc import Sequence

from lakehub.cli.output import console, print_error, print_table
from lakehub.pipelines.jobs import TierRun
from lakehub.pipelines.landing import LandingResult


def print_landing_results(results: Sequence[LandingResult], title: str = "入库结果") -> None:
    """Source, department, read = landed + quarantined + rejected, changes and duration."""
    print_table(
        title,
        [
            "数据源",
            "部门",
            "状态",
            "读取",
            "入库",
            "隔离",
            "拒收",
            "新增",
            "更新",
            "未变",
            "核对",
            "版本",
            "耗时(s)",
        ],
        [
            [
                r.source_id,
                r.department,
                r.status.value,
                r.rows_read,
                r.rows_landed,
                r.rows_quarantined,
                r.rows_rejected,
                r.rows_inserted,
                r.rows_updated,
                r.rows_unchanged,
                "✓" if r.accounting_holds else "✗",
                r.base_version if r.base_version is not None else "",
                f"{r.duration_s:.1f}",
            ]
            for r in results
        ],
    )
    for r in results:
        if r.note:
            console.print(f"[dim]{r.source_id}: {r.note}[/]")
        if r.reasons:
            top = ", ".join(
                f"{code} ×{n}" for code, n in sorted(r.reasons.items(), key=lambda kv: -kv[1])[:6]
            )
            console.print(f"[dim]{r.source_id} 隔离原因: {top}[/]")


def print_tier_run(run: TierRun) -> None:
    """A tier run: the results table, then missing and failed sources."""
    print_landing_results(run.results)
    total = [
        sum(getattr(r, f) for r in run.results)
        for f in ("rows_read", "rows_landed", "rows_quarantined", "rows_rejected")
    ]
    console.print(
        f"合计: 读取 {total[0]} = 入库 {total[1]} + 隔离 {total[2]} + 拒收 {total[3]}  "
        f"({'平衡' if total[0] == sum(total[1:]) else '不平衡'}), {run.duration_s:.1f}s, run {run.run_id}"
    )
    for source in run.missing:
        console.print(f"[yellow]{source}: no delivery found in the landing folder[/]")
    for source, message in run.failed:
        print_error(f"{source}: {message}")
