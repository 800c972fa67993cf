"""Entry points the CLI calls: each opens what it needs (catalog, Spark) and runs one job."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.catalog import CatalogStore, RunStatus, ValidationSubject
from lakehub.lineage.report import LineageEmitter
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.emit import lineage_emitter
from lakehub.pipelines.errors import PipelineError
from lakehub.pipelines.landing import LandingResult, delivery_files, ingest_source
from lakehub.pipelines.landing_lineage import PipelineLineage
from lakehub.pipelines.model_specs import MODEL_TIERS, ModelSpec, load_models
from lakehub.pipelines.sources import SourceSpec, get_source, load_sources
from lakehub.pipelines.validation import collect_failing_rows, suite_sensitivity
from lakehub.quality_rules.recording import (
    DEFAULT_ISSUE_CAP,
    issue_values,
    record_suite_result,
    validation_values,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehub.pipelines.model_runner import ModelResult, ModelTierRun
    from lakehub.quality_rules import Engine, Suite, SuiteResult

log = logging.getLogger(__name__)

Progress = Callable[[str, str, int, int], None]
"""progress(phase, item, done, total)."""


def open_catalog(config: LakehubConfig) -> CatalogStore:
    """The catalog at the configured URL, migrated to the current schema."""
    return CatalogStore.open(config.effective_catalog_url)


def registered_sources(config: LakehubConfig) -> dict[str, SourceSpec]:
    """Built-in source specs plus those in the configured sources_dir."""
    return load_sources(Path(config.resolve(config.sources_dir)) if config.sources_dir else None)


def spark_factory(config: LakehubConfig) -> Callable[[], SparkSession]:
    """A function starting Spark on first call only (so skipped and failed runs never start a JVM)."""

    @cache
    def factory() -> SparkSession:
        from lakehub.pipelines.spark import build_spark

        return build_spark(config)

    return factory


def ingest(
    config: LakehubConfig,
    source_id: str,
    *,
    path: Path | None = None,
    run_date: dt.date | None = None,
    force: bool = False,
) -> list[LandingResult]:
    """`lakehub ingest`: land one source's delivery (or every delivery found)."""
    spec = get_source(registered_sources(config), source_id)
    store = open_catalog(config)
    return ingest_source(
        config, store, spec, spark_factory=spark_factory(config), path=path, run_date=run_date, force=force
    )


@dataclass(frozen=True, slots=True)
class TierRun:
    """Results of landing every registered source once."""

    run_id: str
    results: tuple[LandingResult, ...]
    missing: tuple[str, ...]
    """Sources with no delivery in the landing folder."""
    failed: tuple[tuple[str, str], ...]
    """(source id, error message) of sources whose delivery could not be landed."""
    duration_s: float

    @property
    def passed(self) -> bool:
        """Every source found landed with consistent accounting."""
        return not self.failed and all(r.passed for r in self.results)


def run_base_tier(
    config: LakehubConfig,
    *,
    run_date: dt.date | None = None,
    force: bool = False,
    select: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> TierRun:
    """`lakehub run --tier base`: land every source's deliveries; one bad source does not stop the rest."""
    started = time.perf_counter()
    specs = registered_sources(config)
    chosen = [get_source(specs, s) for s in select] if select else list(specs.values())
    store = open_catalog(config)
    parent = store.start_run("run.base", "ingest", run_date=run_date)
    pipeline_lineage = PipelineLineage(config, store, parent, "run.base")
    pipeline_lineage.start()
    factory = spark_factory(config)
    missing = [spec.id for spec in chosen if not delivery_files(config, spec)]
    todo = [spec for spec in chosen if spec.id not in missing]

    def land(spec: SourceSpec) -> list[LandingResult] | str:
        try:
            return ingest_source(
                config,
                store,
                spec,
                spark_factory=factory,
                run_date=run_date,
                force=force,
                parent_run_id=parent,
            )
        except PipelineError as err:
            return str(err)

    outcomes: dict[str, list[LandingResult] | str] = {}
    # Sources land concurrently: one source's planning, Python intake and Delta commits overlap
    # another's Spark tasks, which keeps both cores busy on small deliveries.
    with ThreadPoolExecutor(max_workers=max(1, config.landing_parallelism)) as pool:
        futures = {pool.submit(land, spec): spec.id for spec in todo}
        for done, future in enumerate(as_completed(futures), start=1):
            outcomes[futures[future]] = future.result()
            if progress:
                progress("land", futures[future], done, len(todo))
    results = [r for spec in todo if isinstance(o := outcomes[spec.id], list) for r in o]
    failed = [(spec.id, o) for spec in todo if isinstance(o := outcomes[spec.id], str)]
    status = RunStatus.FAILED if failed else RunStatus.SUCCEEDED
    store.finish_run(parent, status, details={"missing": missing, "failed": [f[0] for f in failed]})
    pipeline_lineage.finish(f"sources failed: {', '.join(f[0] for f in failed)}" if failed else None)
    return TierRun(parent, tuple(results), tuple(missing), tuple(failed), time.perf_counter() - started)


def registered_models(config: LakehubConfig) -> dict[str, ModelSpec]:
    """Built-in theme/business models (plus ``models_dir``), checked to form a DAG over known sources."""
    from lakehub.pipelines.dag import check_graph

    models = load_models()
    base_tables = {f"base.{spec.table_name}" for spec in registered_sources(config).values()}
    check_graph(models, base_tables)
    return models


@dataclass(frozen=True, slots=True)
class HubRun:
    """`lakehub run`: the base tier (if built) and each model tier run, in order."""

    base: TierRun | None
    models: tuple[ModelTierRun, ...]
    duration_s: float

    @property
    def model_results(self) -> tuple[ModelResult, ...]:
        """Every model's result, in run order."""
        return tuple(r for tier in self.models for r in tier.results)

    @property
    def passed(self) -> bool:
        """Every source landed and every model built and passed its suite."""
        return (self.base is None or self.base.passed) and all(t.passed for t in self.models)


def run_models(
    config: LakehubConfig,
    *,
    tiers: tuple[str, ...] = MODEL_TIERS,
    select: tuple[str, ...] = (),
    full_refresh: bool = False,
    progress: Progress | None = None,
    emitter: LineageEmitter | None = None,
    spark: SparkSession | None = None,
) -> tuple[ModelTierRun, ...]:
    """Build the selected models (``MODEL`` or ``MODEL+``; default every model of ``tiers``), tier by tier.

    A model that fails skips every model reading it, in its tier and the next.
    """
    from lakehub.pipelines.dag import select_models
    from lakehub.pipelines.model_runner import ModelRunner

    models = registered_models(config)
    order = [n for n in select_models(models, select, tiers) if models[n].tier in tiers]
    if not order:
        return ()
    runner = ModelRunner(
        config,
        open_catalog(config),
        spark or spark_factory(config),
        emitter or lineage_emitter(config),
        full_refresh=full_refresh,
    )
    blocked: dict[str, str] = {}
    runs = []
    for tier in MODEL_TIERS:
        chosen = [n for n in order if models[n].tier == tier]
        if chosen:
            runs.append(runner.run(models, chosen, tier=tier, progress=progress, blocked=blocked))
    return tuple(runs)


TIERS = ("base", "theme", "business", "all")


def run_tiers(
    config: LakehubConfig,
    *,
    tier: str = "all",
    select: tuple[str, ...] = (),
    run_date: dt.date | None = None,
    force: bool = False,
    full_refresh: bool = False,
    progress: Progress | None = None,
) -> HubRun:
    """`lakehub run`: land the base tier and/or build theme and business models, in that order.

    With ``--tier all``, selectors naming a source select what lands, the others select models.
    """
    started = time.perf_counter()
    if tier not in TIERS:
        raise PipelineError(f"'{tier}' is not a valid tier. Valid values are: {', '.join(TIERS)}.")
    sources = registered_sources(config)
    source_select = tuple(s for s in select if s in sources) if tier == "all" else select
    model_select = tuple(s for s in select if s not in sources) if tier == "all" else select
    base = None
    if tier == "base" or (tier == "all" and (not select or source_select)):
        base = run_base_tier(config, run_date=run_date, force=force, select=source_select, progress=progress)
    models: tuple[ModelTierRun, ...] = ()
    if tier != "base" and (tier != "all" or not select or model_select):
        tiers = MODEL_TIERS if tier == "all" else (tier,)
        models = run_models(
            config, tiers=tiers, select=model_select, full_refresh=full_refresh, progress=progress
        )
    return HubRun(base, models, time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What `lakehub demo` did."""

    sample_dir: str
    scale: int
    seed: int
    defects: int
    landing: TierRun
    models: tuple[ModelTierRun, ...] = ()

    @property
    def passed(self) -> bool:
        """Everything landed and every model built and passed its suite."""
        return self.landing.passed and all(t.passed for t in self.models)


def demo(
    config: LakehubConfig,
    *,
    scale: int = 2000,
    seed: int = 20260101,
    fresh: bool = False,
    progress: Progress | None = None,
) -> DemoReport:
    """`lakehub demo`: generate the sample departments' files, land every source, build every model."""
    from lakehub.sample_data import generate_sample

    if fresh:
        for folder in (Path(config.warehouse_path), config.landing_path):
            if folder.exists():
                shutil.rmtree(folder)

    def on_rows(source: str, rows: int) -> None:
        if progress:
            progress("generate", source, rows, 0)

    manifest = generate_sample(config.landing_path, scale=scale, seed=seed, progress=on_rows)
    landing = run_base_tier(config, progress=progress)
    models = run_models(config, progress=progress) if landing.passed else ()
    return DemoReport(str(config.landing_path), scale, seed, len(manifest.defects), landing, models)


@dataclass(frozen=True, slots=True)
class DatasetValidation:
    """One landed table validated by `quality run` and stored in the catalog."""

    dataset: str
    department: str
    delta_version: int | None
    validation_id: int
    issues_recorded: int
    result: SuiteResult


@dataclass(frozen=True, slots=True)
class QualityRun:
    """What `lakehub quality run` validated, stored and skipped."""

    run_id: str
    engine: str
    validations: tuple[DatasetValidation, ...]
    skipped: tuple[tuple[str, str], ...]
    """(dataset, reason) of datasets with a suite that could not be validated."""
    duration_s: float

    @property
    def passed(self) -> bool:
        """No rule of severity error failed on any dataset."""
        return all(v.result.passed for v in self.validations)


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """What `lakehub quality check` found in a delivered file, and where it was recorded."""

    run_id: str
    validation_id: int
    file: str
    sha256: str
    result: SuiteResult


def _suites_by_dataset() -> dict[str, Suite]:
    """Built-in suites keyed by the dataset they validate."""
    from lakehub.quality_rules import builtin_suite_names, load_builtin_suite

    suites = [load_builtin_suite(name) for name in builtin_suite_names()]
    return {suite.dataset: suite for suite in suites}


def _quality_targets(
    store: CatalogStore, specs: dict[str, SourceSpec], suites: dict[str, Suite], dataset: str | None
) -> list[tuple[str, SourceSpec, Suite]]:
    by_table = {f"base.{spec.table_name}": spec for spec in specs.values()}
    if dataset is not None:
        bare = "." not in dataset and "/" not in dataset
        name = f"base.{dataset}" if bare and f"base.{dataset}" in suites else store.resolve_dataset(dataset)
        if name not in suites or name not in by_table:
            raise PipelineError(
                f"No rule suite validates {name}. Datasets with a suite: {', '.join(sorted(suites))}. "
                "Fix: name one of them, or add a suite YAML with `dataset: " + name + "`."
            )
        return [(name, by_table[name], suites[name])]
    landed = {d.name for d in store.list_datasets(tier="base")}
    names = sorted(n for n in suites if n in landed and n in by_table)
    if not names:
        raise PipelineError(
            "No landed base dataset has a rule suite yet. Fix: land data first with `lakehub run` "
            "(or `lakehub demo`), then rerun `lakehub quality run`."
        )
    return [(n, by_table[n], suites[n]) for n in names]


def quality_run(
    config: LakehubConfig,
    dataset: str | None = None,
    *,
    engine: Engine = "spark",
    issue_cap: int = DEFAULT_ISSUE_CAP,
) -> QualityRun:
    """`lakehub quality run`: validate landed base tables at their current Delta version and store results."""
    from lakehub.pipelines.delta_io import current_version, table_exists
    from lakehub.quality_rules.check import check_frame

    if issue_cap < 0:
        raise PipelineError(
            f"The issue cap must be 0 or more, got {issue_cap}. Fix: pass e.g. --max-issues 100."
        )
    started = time.perf_counter()
    store = open_catalog(config)
    targets = _quality_targets(store, registered_sources(config), _suites_by_dataset(), dataset)
    run_id = store.start_run("quality.run", "quality")
    done: list[DatasetValidation] = []
    skipped: list[tuple[str, str]] = []
    frames: dict[str, DataFrame] = {}
    try:
        spark = spark_factory(config)()
        for name, spec, suite in targets:
            path = config.table_path("base", spec.table_name)
            if not table_exists(spark, path):
                skipped.append((name, f"no Delta table at {path}; land it with `lakehub ingest {spec.id}`"))
                continue
            version = current_version(spark, path)
            frame = spark.read.format("delta").option("versionAsOf", version).load(path)
            sensitivity = suite_sensitivity(spec, suite)
            result = check_frame(
                frame.select(*spec.column_names), suite, sensitivity=sensitivity, engine=engine
            )
            failing = (
                collect_failing_rows(frame, suite, spec, issue_cap) if issue_cap and result.failed else []
            )
            issues = issue_values(result, failing, department=spec.department, sensitivity=sensitivity)
            record = record_suite_result(
                store,
                result,
                dataset=name,
                run_id=run_id,
                delta_version=version,
                engine=engine,
                issues=issues,
            )
            done.append(DatasetValidation(name, spec.department, version, record.id, len(issues), result))
            frames[name] = frame
        if dataset is None:
            done += _cross_validations(config, store, spark, frames, run_id)
    except Exception as err:
        message = f"quality run failed ({type(err).__name__})"
        store.finish_run(run_id, RunStatus.FAILED, error=message)
        _emit_quality(config, store, run_id, done, message)
        raise
    details = {
        "engine": engine,
        "validations": {v.dataset: v.validation_id for v in done},
        "skipped": dict(skipped),
    }
    store.finish_run(run_id, RunStatus.SUCCEEDED, details=details)
    _emit_quality(config, store, run_id, done, None)
    return QualityRun(run_id, engine, tuple(done), tuple(skipped), time.perf_counter() - started)


def _cross_validations(
    config: LakehubConfig,
    store: CatalogStore,
    spark: SparkSession,
    frames: dict[str, DataFrame],
    run_id: str,
) -> list[DatasetValidation]:
    """Run every built-in cross-table suite (一数一源, referential, ...) whose datasets have all landed."""
    from lakehub.pipelines.delta_io import current_version, table_exists
    from lakehub.quality_rules import builtin_cross_suite_names, load_builtin_suite, validate_datasets

    done = []
    for suite in (load_builtin_suite(name) for name in builtin_cross_suite_names()):
        paths = {name: config.table_path(*name.split(".", 1)) for name in suite.required_datasets}
        if not all(table_exists(spark, path) for path in paths.values()):
            continue
        for name, path in paths.items():
            if name not in frames:
                frames[name] = spark.read.format("delta").load(path)
        result = validate_datasets({n: frames[n] for n in paths}, suite)
        version = current_version(spark, paths[suite.dataset])
        record = record_suite_result(
            store, result, dataset=suite.dataset, run_id=run_id, delta_version=version
        )
        done.append(DatasetValidation(suite.dataset, record.department or "", version, record.id, 0, result))
    return done


def _emit_quality(
    config: LakehubConfig,
    store: CatalogStore,
    run_id: str,
    done: list[DatasetValidation],
    error: str | None,
) -> None:
    """Report the quality run to lineage: the validated datasets with their assertions (never values)."""
    from lakehub.lineage.report import DatasetIO, JobRun
    from lakehub.pipelines.validation import rule_outcomes

    job = JobRun(
        run_id=run_id, job_name="quality.run", job_type="QUALITY", description="质量规则库校验已入库数据"
    )
    inputs = []
    for v in done:
        record = store.get_dataset(v.dataset)
        inputs.append(
            DatasetIO(
                name=v.dataset,
                location=record.location,
                title=record.title,
                tier=record.tier,
                version=None if v.delta_version is None else str(v.delta_version),
                row_count=v.result.row_count,
                owner=record.department,
                quality=rule_outcomes(v.result),
            )
        )
    try:
        emitter = lineage_emitter(config, store)
        emitter.start(job, inputs)
        if error is None:
            emitter.complete(job, inputs, ())
        else:
            emitter.fail(job, error, inputs)
    except Exception:
        log.exception("lineage of quality run %s failed; the results are stored", run_id)


def quality_check(
    config: LakehubConfig, path: Path, suite_ref: str, *, engine: Engine = "spark"
) -> QualityCheck:
    """`lakehub quality check`: stage and standardise a delivery as landing would, validate, record; land nothing."""
    import tempfile

    from lakehub.pipelines.classify import read_staged, standardise_rows
    from lakehub.pipelines.intake import stage_file
    from lakehub.quality_rules import resolve_suite
    from lakehub.quality_rules.check import check_frame, dataset_table

    suite = resolve_suite(suite_ref)
    spec = get_source(registered_sources(config), dataset_table(suite.dataset)[1])
    with tempfile.TemporaryDirectory(prefix="lakehub-check-") as folder:
        staged = stage_file(path, spec, Path(folder) / "staged.txt")
        rows = standardise_rows(read_staged(spark_factory(config)(), staged, spec), spec)
        result = check_frame(rows, suite, sensitivity=suite_sensitivity(spec, suite), engine=engine)
    store = open_catalog(config)
    run_id = store.start_run(
        "quality.check",
        "quality",
        source_id=spec.id,
        input_path=str(path.resolve()),
        input_sha256=staged.sha256,
        input_bytes=staged.size_bytes,
    )
    record = store.record_validation(
        validation_values(
            result,
            dataset=str(path.resolve()),
            run_id=run_id,
            engine=engine,
            input_sha256=staged.sha256,
            subject=ValidationSubject.FILE,
            department=spec.department,
        )
    )
    store.finish_run(
        run_id, RunStatus.SUCCEEDED, details={"suite": suite.suite, "outcome": result.outcome.value}
    )
    return QualityCheck(run_id, record.id, str(path), staged.sha256, result)
