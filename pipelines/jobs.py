"""Landing, model and demo entry points the CLI calls: each opens what it needs (catalog, Spark) and runs one job.

The quality jobs (`quality run`, `quality check`) are in `quality_jobs`.
"""

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

from lakehub.catalog import CatalogStore, RunStatus
from lakehub.lineage.report import LineageEmitter
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.emit import lineage_emitter
from lakehub.pipelines.errors import PipelineError
from lakehub.pipelines.landing import LandingResult, delivery_files, ingest_source
from lakehub.pipelines.landing_lineage import PipelineLineage
from lakehub.pipelines.model_specs import MODEL_TIERS, ModelSpec, load_models
from lakehub.pipelines.sources import SourceSpec, get_source, load_sources

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehub.pipelines.model_runner import ModelResult, ModelTierRun

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
    """Build the selected models (``MODEL`` or ``MODEL+``; default every model of ``tiers``) as one DAG:
    each model once the models it reads are built, whatever their tier; one run per tier in the catalog.

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
    return runner.run_tiers(models, order, progress=progress)


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
