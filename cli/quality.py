"""`lakehub quality check`: validate a delivered file against a rule suite without landing it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakehub.cli.output import console, print_json, print_table
from lakehub.cli.state import config

if TYPE_CHECKING:
    from lakehub.pipelines.config import LakehubConfig
    from lakehub.quality_rules import Engine, Suite, SuiteResult

app = typer.Typer(
    help="The rule library (质量规则库): validate files against rule suites.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
_MARK = {"passed": "[green]✓[/]", "warned": "[yellow]![/]", "failed": "[red]✗[/]"}


@app.callback()
def quality() -> None:
    """The rule library (质量规则库): validate files and datasets against rule suites."""


def _check_delivery(cfg: LakehubConfig, path: Path, suite: Suite, engine: Engine) -> SuiteResult:
    """Stage and standardise the file as landing would (nothing is written), then run the suite."""
    from lakehub.pipelines.classify import read_staged, standardise_rows
    from lakehub.pipelines.intake import stage_file
    from lakehub.pipelines.jobs import registered_sources, spark_factory
    from lakehub.pipelines.sources import get_source
    from lakehub.quality_rules.check import check_frame, dataset_table

    spec = get_source(registered_sources(cfg), dataset_table(suite.dataset)[1])
    with tempfile.TemporaryDirectory(prefix="lakehub-check-") as folder:
        staged = stage_file(path, spec, Path(folder) / "staged.txt")
        rows = standardise_rows(read_staged(spark_factory(cfg)(), staged, spec), spec)
        sensitivity = {c.name: c.sensitivity for c in spec.columns if c.sensitivity}
        return check_frame(rows, suite, sensitivity=sensitivity, engine=engine)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The delivered file (CSV, JSON Lines or XLSX).")],
    suite: Annotated[
        str, typer.Option("--suite", help="Suite YAML file, or a built-in suite name such as population.")
    ],
    engine: Annotated[
        str,
        typer.Option(
            help="Validation engine: spark (lakehub's one-pass engine) or gx (Great Expectations, slower)."
        ),
    ] = "spark",
    json_output: JsonFlag = False,
) -> None:
    """Validate a delivered file against a suite without landing it; exit 1 if an error rule fails."""
    from lakehub.quality_rules import parse_engine, resolve_suite

    chosen = parse_engine(engine)
    rule_suite = resolve_suite(suite)
    result = _check_delivery(config(), file, rule_suite, chosen)
    if json_output:
        print_json(list(result.results))
    else:
        print_table(
            f"质量检查 {rule_suite.suite} · {file.name}",
            ["", "规则", "列", "维度", "级别", "元素", "异常", "异常率", "样例"],
            [
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
                for r in result.results
            ],
        )
        console.print(
            f"{result.outcome.value}: {len(result.failed)} of {len(result.results)} rules failed "
            f"on {result.row_count} rows ({result.data_passes} data pass(es))"
        )
    if not result.passed:
        raise typer.Exit(1)
