"""Tables for model runs (`lakehub run --tier theme|business|all`, `lakehub demo`)."""

from __future__ import annotations

from collections.abc import Sequence

from lakehub.cli.output import console, print_error, print_table
from lakehub.pipelines.model_runner import ModelStatus, ModelTierRun

TIER_TITLES = {"theme": "主题库", "business": "业务库"}


def print_model_runs(runs: Sequence[ModelTierRun]) -> None:
    """One table per tier: status, how it was built, rows, Delta version, changes, quality, time."""
    for run in runs:
        print_table(
            f"{TIER_TITLES.get(run.tier, run.tier)}模型",
            ["模型", "状态", "方式", "行数", "版本", "新增", "更新", "删除", "质量", "耗时(s)"],
            [
                [
                    r.model,
                    r.status.value,
                    r.mode or "",
                    r.row_count if r.row_count is not None else "",
                    r.version if r.version is not None else "",
                    r.inserted,
                    r.updated,
                    r.deleted,
                    r.quality_outcome or "",
                    f"{r.duration_s:.1f}",
                ]
                for r in run.results
            ],
        )
        for r in run.results:
            if r.status is ModelStatus.FAILED:
                print_error(f"{r.model}: {r.reason}")
            elif r.status is ModelStatus.SKIPPED:
                console.print(f"[yellow]{r.model}: {r.reason}[/]")
            else:
                note = f"{r.model}: {r.reason}"
                if r.affected_keys is not None:
                    note += f"; {r.affected_keys} keys recomputed"
                console.print(f"[dim]{note}[/]")
            if r.quality is not None:
                for rule in r.quality.failed:
                    console.print(
                        f"[dim]{r.model} 质量 {rule.severity}: {rule.description or rule.rule_id} "
                        f"({rule.unexpected_count}/{rule.element_count})[/]"
                    )
        console.print(f"run {run.run_id}: {run.duration_s:.1f}s")
