"""Entry points the CLI calls: each opens what it needs (catalog, Spark) and runs one job."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.catalog import CatalogStore, RunStatus
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import PipelineError
from lakehub.pipelines.landing import LandingResult, delivery_files, ingest_source
from lakehub.pipelines.landing_lineage import PipelineLineage
from lakehub.pipelines.sources import SourceSpec, get_source, load_sources

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What `lakehub demo` did."""

    sample_dir: str
    scale: int
    seed: int
    defects: int
    landing: TierRun


def demo(
    config: LakehubConfig,
    *,
    scale: int = 2000,
    seed: int = 20260101,
    fresh: bool = False,
    progress: Progress | None = None,
) -> DemoReport:
    """`lakehub demo`: generate the sample departments' files and land every source."""
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
    return DemoReport(str(config.landing_path), scale, seed, len(manifest.defects), landing)


TIERS = ("base", "theme", "business", "all")


def run_tiers(
    config: LakehubConfig,
    *,
    tier: str = "all",
    select: tuple[str, ...] = (),
    run_date: dt.date | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> TierRun:
    """`lakehub run`: build the requested tier(s) in order."""
    if tier not in TIERS:
        raise PipelineError(f"'{tier}' is not a valid tier. Valid values are: {', '.join(TIERS)}.")
    if tier in ("theme", "business"):
        raise PipelineError(
            f"Tier '{tier}' has no models registered yet. Fix: run `lakehub run --tier base`; "
            "theme and business models come with the model layer."
        )
    return run_base_tier(config, run_date=run_date, force=force, select=select, progress=progress)
