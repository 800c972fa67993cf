"""The `lakehub` command: one Typer app per domain, joined here; domain errors become one line."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakehub.catalog import CatalogError
from lakehub.cli import audit as audit_cli
from lakehub.cli import catalog as catalog_cli
from lakehub.cli import lineage as lineage_cli
from lakehub.cli import metrics as metrics_cli
from lakehub.cli import quality as quality_cli
from lakehub.cli import sample as sample_cli
from lakehub.cli import share as share_cli
from lakehub.cli import source as source_cli
from lakehub.cli.landing_view import print_landing_results, print_tier_run
from lakehub.cli.model_view import print_model_runs
from lakehub.cli.output import console, print_error, print_json, print_table
from lakehub.cli.state import STATE, config
from lakehub.lineage.errors import LineageError
from lakehub.pipelines.errors import PipelineError
from lakehub.quality_rules.errors import RuleError
from lakehub.sample_data.errors import SampleDataError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

app = typer.Typer(
    help="lakehub — data-lakehouse governance for the county data hub (智能数据中枢, 湖仓一体).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(source_cli.app, name="source")
app.add_typer(sample_cli.app, name="sample")
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(quality_cli.app, name="quality")
app.command("metrics")(metrics_cli.metrics)
app.add_typer(lineage_cli.app, name="lineage")
app.add_typer(share_cli.app, name="share")
app.add_typer(audit_cli.app, name="audit")

DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    PipelineError,
    CatalogError,
    RuleError,
    LineageError,
    SampleDataError,
)
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.callback()
def main(
    config_path: Annotated[
        Path | None, typer.Option("--config", help="Path to lakehub.toml (default: ./lakehub.toml).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Land departmental files into Delta, validate, trace lineage and catalogue the data assets."""
    STATE.config_path = config_path
    STATE.debug = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def init(folder: Annotated[Path, typer.Argument(help="Folder for lakehub.toml.")] = Path(".")) -> None:
    """Write a commented lakehub.toml with the embedded defaults."""
    from lakehub.pipelines.config import write_config_template

    console.print(f"wrote {write_config_template(folder)}")


@app.command()
def doctor(
    quick: Annotated[
        bool, typer.Option("--quick", help="Skip the Spark + Delta smoke test (no JVM).")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Check Java, Spark, the Delta jars, the catalog and the warehouse; say how to fix problems."""
    from lakehub.pipelines.doctor import CheckOutcome, run_doctor

    checks = run_doctor(config(), start_spark=not quick)
    if json_output:
        print_json(checks)
    else:
        colour = {CheckOutcome.OK: "green", CheckOutcome.WARN: "yellow", CheckOutcome.FAIL: "red"}
        print_table(
            "lakehub doctor",
            ["check", "result", "detail", "fix"],
            [[c.name, f"[{colour[c.outcome]}]{c.outcome.value}[/]", c.detail, c.fix] for c in checks],
        )
    if any(c.outcome == CheckOutcome.FAIL for c in checks):
        raise typer.Exit(1)


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="Source id (see `lakehub source list`).")],
    path: Annotated[
        Path | None,
        typer.Option("--path", help="The delivered file; default: every file matching the spec's glob."),
    ] = None,
    run_date: Annotated[
        dt.datetime | None,
        typer.Option("--run-date", formats=["%Y-%m-%d"], help="Business date of the delivery."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-check a file whose content already landed.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Land one departmental source raw → base (MERGE on its key), quarantining failing rows."""
    from lakehub.pipelines.jobs import ingest as ingest_job

    results = ingest_job(
        config(), source, path=path, run_date=run_date.date() if run_date else None, force=force
    )
    if json_output:
        print_json(results)
    else:
        print_landing_results(results)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def _progress_bar(json_output: bool) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=json_output,
    )


PHASE_TITLES = {"generate": "生成样例数据", "land": "入库", "model": "模型"}


def _on_progress(bar: Progress) -> Callable[[str, str, int, int], None]:
    tasks: dict[str, TaskID] = {}

    def update(phase: str, item: str, done: int, total: int) -> None:
        for other, task in tasks.items():
            if other != phase:
                bar.update(task, visible=False)
        if phase not in tasks:
            tasks[phase] = bar.add_task(PHASE_TITLES.get(phase, phase), total=None)
        bar.update(
            tasks[phase],
            visible=True,
            total=total or None,
            completed=done,
            description=f"{PHASE_TITLES.get(phase, phase)} {item}",
        )

    return update


@app.command("run")
def run_tier(
    tier: Annotated[str, typer.Option(help="Tier to build: base, theme, business or all.")] = "all",
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select", help="Only these sources/models (repeatable); MODEL+ adds the models reading it."
        ),
    ] = None,
    run_date: Annotated[
        dt.datetime | None, typer.Option("--run-date", formats=["%Y-%m-%d"], help="Business date.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-check files whose content already landed.")
    ] = False,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models from scratch.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Build tiers in order: base lands deliveries, theme and business run the models (DAG order)."""
    from lakehub.pipelines.jobs import run_tiers

    with _progress_bar(json_output) as bar:
        outcome = run_tiers(
            config(),
            tier=tier,
            select=tuple(select or ()),
            run_date=run_date.date() if run_date else None,
            force=force,
            full_refresh=full_refresh,
            progress=_on_progress(bar),
        )
    if json_output:
        print_json(outcome)
    else:
        if outcome.base is not None:
            print_tier_run(outcome.base)
        print_model_runs(outcome.models)
    if not outcome.passed:
        raise typer.Exit(1)


@app.command()
def demo(
    scale: Annotated[
        int, typer.Option(help="Rows of the population source (others grow with it).", min=10)
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Sample-data seed.")] = 20260101,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the warehouse and landing folder first.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Run the whole hub end to end on generated sample data (base, theme, business) and print a summary."""
    from lakehub.pipelines.jobs import demo as demo_job

    with _progress_bar(json_output) as bar:
        report = demo_job(config(), scale=scale, seed=seed, fresh=fresh, progress=_on_progress(bar))
    if json_output:
        print_json(report)
    else:
        console.print(
            f"样例数据 {report.sample_dir} (scale {report.scale}, seed {report.seed}, {report.defects} injected defects)"
        )
        print_tier_run(report.landing)
        print_model_runs(report.models)
    if not report.passed:
        raise typer.Exit(1)


def run() -> None:
    """Console-script entry point: domain errors print one line and exit 2."""
    try:
        app()
    except DOMAIN_ERRORS as err:
        if STATE.debug:
            raise
        print_error(str(err))
        sys.exit(2)
    except KeyboardInterrupt:
        print_error("interrupted; rerun the same command — landing converges")
        sys.exit(130)


__all__ = ["app", "print_table", "run"]
