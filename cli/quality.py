"""`lakehub quality check|run|scores|report|rectify|objection`: the rule library and its stored results."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore, ObjectionRecord
    from lakehub.quality_rules import RuleResult

app = typer.Typer(
    help="The rule library (质量规则库): validate, score, report, rectify, objections.", no_args_is_help=True
)
objection_app = typer.Typer(help="Quality objections (质量异议): raise, list, resolve.", no_args_is_help=True)
app.add_typer(objection_app, name="objection")

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
EngineOption = Annotated[
    str,
    typer.Option(
        help="Validation engine: spark (lakehub's one-pass engine) or gx (Great Expectations, slower)."
    ),
]
_MARK = {"passed": "[green]✓[/]", "warned": "[yellow]![/]", "failed": "[red]✗[/]"}


@app.callback()
def quality() -> None:
    """The rule library (质量规则库): validate files and datasets against rule suites."""


def _store() -> CatalogStore:
    from lakehub.catalog import CatalogStore

    return CatalogStore.open(config().effective_catalog_url)


def _rule_rows(results: tuple[RuleResult, ...]) -> list[list[object]]:
    return [
        [
            _MARK[r.outcome.value],
            r.expectation,
            r.column or "",
            r.dimension,
            r.severity,
            r.element_count,
            r.unexpected_count if r.observed_value is None else r.observed_value,
            "" if r.unexpected_percent is None else f"{r.unexpected_percent:.2f}%",
            ", ".join(r.sample_unexpected),
        ]
        for r in results
    ]


_RULE_HEADERS = ["", "规则", "列", "维度", "级别", "元素", "异常", "异常率", "样例"]


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The delivered file (CSV, JSON Lines or XLSX).")],
    suite: Annotated[
        str, typer.Option("--suite", help="Suite YAML file, or a built-in suite name such as population.")
    ],
    engine: EngineOption = "spark",
    json_output: JsonFlag = False,
) -> None:
    """Validate a delivered file against a suite without landing it (recorded in the catalog); exit 1 on errors."""
    from lakehub.pipelines.quality_jobs import quality_check
    from lakehub.quality_rules import parse_engine, resolve_suite

    chosen = parse_engine(engine)  # fail on a bad engine or suite before reading the file
    resolve_suite(suite)
    outcome = quality_check(config(), file, suite, engine=chosen)
    result = outcome.result
    if json_output:
        print_json(list(result.results))
    else:
        print_table(f"质量检查 {result.suite} · {file.name}", _RULE_HEADERS, _rule_rows(result.results))
        console.print(
            f"{result.outcome.value}: {len(result.failed)} of {len(result.results)} rules failed "
            f"on {result.row_count} rows ({result.data_passes} data pass(es)); validation {outcome.validation_id}"
        )
    if not result.passed:
        raise typer.Exit(1)


@app.command("run")
def run(
    dataset: Annotated[
        str | None,
        typer.Argument(help="One landed dataset (base.population); default: every one with a suite."),
    ] = None,
    engine: EngineOption = "spark",
    max_issues: Annotated[
        int,
        typer.Option("--max-issues", help="Failing rows stored per rule for the rectification list.", min=0),
    ] = 100,
    json_output: JsonFlag = False,
) -> None:
    """Validate landed base tables at their current Delta version; store results; exit 1 if an error rule fails."""
    from lakehub.pipelines.quality_jobs import quality_run
    from lakehub.quality_rules import parse_engine

    outcome = quality_run(config(), dataset, engine=parse_engine(engine), issue_cap=max_issues)
    if json_output:
        print_json(
            [
                {
                    **r,
                    "dataset": r.get("dataset") or v.dataset,
                    "delta_version": v.delta_version,
                    "engine": v.engine,
                }
                for v in outcome.validations
                for r in _plain_rules(v.result.results)
            ]
        )
    else:
        for v in outcome.validations:
            print_table(
                f"质量校验 {v.dataset} · 版本 {v.delta_version} · {v.department}",
                _RULE_HEADERS,
                _rule_rows(v.result.results),
            )
            console.print(
                f"{v.result.outcome.value}: {len(v.result.failed)} of {len(v.result.results)} rules failed on "
                f"{v.result.row_count} rows ({v.engine}); {v.issues_recorded} failing rows stored "
                f"(validation {v.validation_id})"
            )
        for name, reason in outcome.skipped:
            console.print(f"[yellow]skipped[/] {name}: {reason}")
        console.print(f"run {outcome.run_id} ({outcome.engine}) in {outcome.duration_s:.1f}s")
    if not outcome.passed:
        raise typer.Exit(1)


def _plain_rules(results: tuple[RuleResult, ...]) -> list[dict[str, object]]:
    from lakehub.cli.output import to_plain

    plain: list[dict[str, object]] = to_plain(list(results))
    return plain


@app.command("scores")
def scores(
    by: Annotated[str, typer.Option(help="Group by dataset, department or dimension.")] = "dataset",
    department: Annotated[str | None, typer.Option(help="Only this department's rules.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Quality scores 0–100 (weighted pass rates) from the newest validations, with the trend (no JVM)."""
    from lakehub.quality_rules.scores import METHOD, quality_scores

    found = quality_scores(_store(), by, department=department)
    if json_output:
        print_json(found)
        return
    titles = {"dataset": "数据集", "department": "部门", "dimension": "维度"}
    print_table(
        f"质量评分（按{titles[by]}）",
        [titles[by], "评分", "较上次", "规则", "未通过", "异常/元素", "最近校验"],
        [
            [
                s.group,
                f"{s.score:.1f}",
                f"{s.trend} {s.delta:+.1f}" if s.delta is not None else "—",
                s.rules,
                s.failed_rules,
                f"{s.unexpected}/{s.elements}",
                s.validated_at.strftime("%Y-%m-%d %H:%M") if s.validated_at else "",
            ]
            for s in found
        ],
    )
    if not found:
        console.print("no validations stored yet: run `lakehub quality run`")
    console.print(f"[dim]{METHOD}[/]")


@app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Write the offline HTML quality report (Chinese; inline CSS and SVG, no network) (no JVM)."""
    from lakehub.quality_rules.report import write_report

    summary = write_report(_store(), out, department=department)
    if json_output:
        print_json(summary)
    else:
        overall = "—" if summary.overall is None else f"{summary.overall:.1f}"
        console.print(
            f"wrote {summary.path}: {summary.datasets} datasets, {summary.failing_rules} failing rules, "
            f"overall score {overall}"
        )


@app.command("rectify")
def rectify(
    department: Annotated[str, typer.Argument(help="Department, e.g. 区公安分局.")],
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv or .xlsx.")],
    json_output: JsonFlag = False,
) -> None:
    """Write the department's rectification list (整改清单) of failing rows, masked (no JVM)."""
    from lakehub.quality_rules.rectify import write_rectification

    written = write_rectification(_store(), department, out)
    if json_output:
        print_json(written)
    else:
        console.print(
            f"wrote {written.path}: {written.rows} rows for {written.department} "
            f"({len(written.rules)} rules, {len(written.datasets)} datasets)"
        )


def _print_objections(title: str, rows: list[ObjectionRecord]) -> None:
    print_table(
        title,
        [
            "编号",
            "数据集",
            "主键（脱敏）",
            "字段",
            "原因",
            "责任部门",
            "状态",
            "提出人",
            "期限",
            "办结",
            "处理结果",
        ],
        [
            [
                o.id,
                o.dataset,
                o.record_key,
                o.field,
                o.reason,
                o.department,
                "[red]超期[/]" if o.overdue else ("处理中" if o.status.value == "open" else "已办结"),
                o.raised_by,
                o.due_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                o.resolved_at.astimezone().strftime("%Y-%m-%d %H:%M") if o.resolved_at else "",
                o.resolution or "",
            ]
            for o in rows
        ],
    )


@objection_app.command("raise")
def objection_raise(
    dataset: Annotated[str, typer.Argument(help="Dataset: tier.name (base.population).")],
    key: Annotated[str, typer.Option("--key", help="Business key of the record (masked before storing).")],
    field: Annotated[str, typer.Option("--field", help="Column the objection is about.")],
    reason: Annotated[str, typer.Option("--reason", help="What is wrong (do not paste personal data).")],
    by: Annotated[str | None, typer.Option("--by", help="Who raises it (default: the OS user).")] = None,
    due_days: Annotated[int, typer.Option("--due-days", help="Working days to resolve.", min=1)] = 5,
    json_output: JsonFlag = False,
) -> None:
    """Raise a quality objection (质量异议), routed to the dataset's owning department (no JVM)."""
    from lakehub.catalog.deadlines import calendar_gap
    from lakehub.quality_rules.objections import raise_objection

    record = raise_objection(
        _store(),
        dataset,
        key=key,
        field=field,
        reason=reason,
        raised_by=by or getpass.getuser(),
        working_days=due_days,
    )
    if json_output:
        print_json(record)
    else:
        console.print(
            f"objection {record.id} on {record.dataset} ({record.record_key}, {record.field}) routed to "
            f"{record.department}, due {record.due_at.astimezone():%Y-%m-%d %H:%M}"
        )
        if note := calendar_gap(record.raised_at, record.due_at):
            console.print(note, style="yellow", markup=False)


@objection_app.command("list")
def objection_list(
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    status: Annotated[str | None, typer.Option(help="open or resolved.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """List quality objections with their due date and overdue flag (no JVM)."""
    rows = _store().list_objections(department=department, status=status)
    if json_output:
        print_json(rows)
    else:
        _print_objections("质量异议", rows)


@objection_app.command("resolve")
def objection_resolve(
    objection_id: Annotated[int, typer.Argument(help="Objection id (see `objection list`).")],
    resolution: Annotated[str, typer.Option("--resolution", help="What was done.")],
    by: Annotated[str | None, typer.Option("--by", help="Who resolves it (default: the OS user).")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Resolve a quality objection (no JVM)."""
    record = _store().resolve_objection(
        objection_id, resolution=resolution, resolved_by=by or getpass.getuser()
    )
    if json_output:
        print_json(record)
    else:
        late = " (after its due date)" if record.resolved_at and record.resolved_at > record.due_at else ""
        console.print(f"objection {record.id} resolved{late}")
