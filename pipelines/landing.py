"""Land a departmental delivery raw → base: stage, standardise, validate, MERGE, quarantine, account."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lakehub.catalog import CatalogStore, RowCounts, RunStatus
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import InputFileError, LandingError, PipelineError, SourceSpecError
from lakehub.pipelines.intake import StagedFile, check_exists, file_sha256, stage_file
from lakehub.pipelines.landing_lineage import LandingLineage
from lakehub.pipelines.registration import register_source_tables
from lakehub.pipelines.sources import SourceSpec
from lakehub.pipelines.validation import landing_failing_rows, record_landing_validation
from lakehub.quality_rules import RuleError, Suite, SuiteResult, resolve_suite
from lakehub.quality_rules.recording import DEFAULT_ISSUE_CAP, FailingRow

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehub.pipelines.classify import LandingRules
    from lakehub.pipelines.delta_io import WriteOutcome

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LandingResult:
    """Outcome of landing one file; rows_read = landed + quarantined + rejected."""

    source_id: str
    department: str
    run_id: str
    status: RunStatus
    file: str
    sha256: str
    rows_read: int
    rows_landed: int
    rows_quarantined: int
    rows_rejected: int
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    base_version: int | None = None
    duration_s: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    note: str | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    suite_result: SuiteResult | None = None
    """The source suite's landing rules on this file's rows checked in this run (None when skipped or
    without a suite): per rule element and unexpected counts; samples come from `quality run`."""

    @property
    def accounting_holds(self) -> bool:
        """Every row read is accounted for exactly once."""
        return self.rows_read == self.rows_landed + self.rows_quarantined + self.rows_rejected

    @property
    def passed(self) -> bool:
        """Landed (or already landed) with consistent accounting."""
        return self.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED) and self.accounting_holds


@dataclass(slots=True)
class PhaseTimer:
    """Wall time of each landing phase, stored with the run (for `catalog`/bench analysis)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the enclosed block as `name` (added to earlier blocks of the same name)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)

    def timed(self, name: str, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`action(*args, **kwargs)` timed as phase `name` (a phase submitted to a pool beside others)."""
        with self.phase(name):
            return action(*args, **kwargs)


def delivery_files(config: LakehubConfig, spec: SourceSpec) -> list[Path]:
    """Files in the landing folder matching the source's glob, oldest name first."""
    return sorted(p for p in config.landing_path.glob(spec.file) if p.is_file())


def _staging_dir(config: LakehubConfig) -> Path:
    local = config.local_warehouse
    return local / "_staging" if local is not None else Path(tempfile.gettempdir()) / "lakehub-staging"


def _keep_raw_copy(config: LakehubConfig, spec: SourceSpec, path: Path, sha256: str) -> None:
    """Immutable, content-addressed copy of the delivery in the raw tier."""
    local = config.local_warehouse
    if local is None:
        log.info("raw copy skipped: warehouse %s is not a local path", config.warehouse_path)
        return
    target = local / "raw" / spec.id / sha256[:16] / path.name
    if target.exists():
        return
    partial = target.with_suffix(target.suffix + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, partial)
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise LandingError(
            f"{path}: the raw tier's copy {target} could not be written ({err.strerror or err}). Fix: free "
            "space or grant write access in the warehouse, then rerun; nothing was landed."
        ) from err


def load_source_suite(spec: SourceSpec) -> Suite | None:
    """The suite the source spec names (built-in name or YAML path), or None."""
    if spec.suite is None:
        return None
    try:
        return resolve_suite(spec.suite)
    except RuleError as err:
        raise SourceSpecError(
            f"Source '{spec.id}' names suite '{spec.suite}', which cannot be used: {err}"
        ) from err


def _landing_rules(
    spark: SparkSession, spec: SourceSpec, suite: Suite | None, as_of: dt.date | None
) -> LandingRules | None:
    from lakehub.pipelines.classify import landing_rules

    if suite is None:
        return None
    try:
        return landing_rules(spark, spec, suite, as_of=as_of)
    except RuleError as err:
        raise SourceSpecError(f"Source '{spec.id}': suite '{spec.suite}' does not fit it: {err}") from err


def _start_ingest_run(
    store: CatalogStore,
    spec: SourceSpec,
    path: Path,
    *,
    run_date: dt.date | None,
    parent_run_id: str | None,
    sha256: str | None = None,
) -> str:
    return store.start_run(
        f"ingest.{spec.id}",
        "ingest",
        source_id=spec.id,
        parent_run_id=parent_run_id,
        run_date=run_date,
        input_path=str(path),
        input_sha256=sha256,
        input_bytes=path.stat().st_size if sha256 else None,
    )


def _skipped(
    store: CatalogStore,
    spec: SourceSpec,
    path: Path,
    sha256: str,
    run_date: dt.date | None,
    parent_run_id: str | None,
) -> LandingResult | None:
    prior = store.find_succeeded_ingest(spec.id, sha256)
    if prior is None:
        return None
    run_id = _start_ingest_run(
        store, spec, path, run_date=run_date, parent_run_id=parent_run_id, sha256=sha256
    )
    landed = prior.counts.landed if prior.counts else 0
    counts = dataclasses.replace(prior.counts or RowCounts(), inserted=0, updated=0, unchanged=landed)
    note = f"same content already landed by run {prior.run_id}; nothing changed (use --force to re-check)"
    store.finish_run(run_id, RunStatus.SKIPPED, counts=counts, details={"already_landed_by": prior.run_id})
    return LandingResult(
        spec.id,
        spec.department,
        run_id,
        RunStatus.SKIPPED,
        str(path),
        sha256,
        counts.read,
        counts.landed,
        counts.quarantined,
        counts.rejected,
        0,
        0,
        counts.landed,
        note=note,
    )


def land_file(
    config: LakehubConfig,
    store: CatalogStore,
    spec: SourceSpec,
    path: Path,
    *,
    spark_factory: Callable[[], SparkSession],
    run_date: dt.date | None = None,
    force: bool = False,
    parent_run_id: str | None = None,
) -> LandingResult:
    """Land one delivered file into base.<name> and quarantine.<name>; safe to rerun."""
    started = time.perf_counter()
    lineage = LandingLineage(config, store, spec, parent_run_id)
    try:
        check_exists(path, spec)
    except InputFileError as err:
        failed = _start_ingest_run(store, spec, path, run_date=run_date, parent_run_id=parent_run_id)
        store.finish_run(failed, RunStatus.FAILED, error=str(err))
        lineage.fail(failed, str(err))
        raise
    # Every step from here on is timed; raw_copy overlaps spark_start, stage and rules, and the two
    # writes overlap each other.
    timer = PhaseTimer()
    with timer.phase("hash"):
        sha256 = file_sha256(path)
        skipped = None if force else _skipped(store, spec, path, sha256, run_date, parent_run_id)
    if skipped is not None:
        lineage.start(skipped.run_id)
        lineage.complete(skipped.run_id, wrote=False)
        return skipped
    with timer.phase("open_run"):
        run_id = _start_ingest_run(
            store, spec, path, run_date=run_date, parent_run_id=parent_run_id, sha256=sha256
        )
        lineage.start(run_id)
    staging = _staging_dir(config) / f"{run_id}.txt"
    try:
        with timer.phase("suite"):  # before Spark: a bad suite file fails without starting a JVM
            suite = load_source_suite(spec)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"stage-{spec.id}") as side:
            # Copying the delivery into the raw tier, staging it (a JVM thread) and compiling the suite's
            # landing rules (the driver) each keep one core busy: they run side by side, the copy from
            # the start of the JVM on. Leaving the pool waits for all of them.
            raw_copy = side.submit(timer.timed, "raw_copy", _keep_raw_copy, config, spec, path, sha256)
            with timer.phase("spark_start"):
                spark = spark_factory()
            staging_job = side.submit(
                timer.timed, "stage", stage_file, path, spec, staging, sha256=sha256, jvm=spark._jvm
            )
            with timer.phase("rules"):
                rules = _landing_rules(spark, spec, suite, run_date)
            with timer.phase("stage_wait"):
                staged = staging_job.result()
        raw_copy.result()
        result = _land_staged(config, store, spec, staged, run_id, spark, started, timer, rules)
    except PipelineError as err:
        store.finish_run(run_id, RunStatus.FAILED, error=str(err))
        lineage.fail(run_id, str(err))
        raise
    except Exception as err:
        message = f"landing {spec.id} from {path.name} failed inside Spark ({type(err).__name__})"
        store.finish_run(run_id, RunStatus.FAILED, error=message)
        lineage.fail(run_id, message)
        raise LandingError(f"{message}. Fix: rerun with --debug for details; the rerun converges.") from err
    finally:
        staging.unlink(missing_ok=True)
    lineage.complete(
        run_id,
        rows_read=result.rows_read,
        rows_written=result.rows_inserted + result.rows_updated,
        quarantined=result.rows_quarantined + result.rows_rejected,
        reasons=result.reasons,
        suite=result.suite_result,
    )
    return result


def _land_staged(
    config: LakehubConfig,
    store: CatalogStore,
    spec: SourceSpec,
    staged: StagedFile,
    run_id: str,
    spark: SparkSession,
    started: float,
    timer: PhaseTimer,
    rules: LandingRules | None = None,
) -> LandingResult:
    from lakehub.pipelines.classify import (
        LANDED,
        QUARANTINED,
        REJECTED,
        base_rows,
        classify,
        flagged_rows,
        prepare_batch,
        quarantine_rows,
        tally,
    )
    from lakehub.pipelines.delta_io import merge_changed, replace_file_rows

    file_name = staged.source_path.name
    base_path = config.table_path("base", spec.table_name)
    with timer.phase("prepare"):
        batch = prepare_batch(spark, staged, spec, base_path, rules)
    try:
        with timer.phase("prepare"):
            classified = classify(batch.rows, batch.duplicates, spec)
        with timer.phase("classify"):
            counted = tally(batch, spec, rules)
        by_disposition, reasons = counted.by_disposition, counted.by_reason
        landed, quarantined, rejected = (by_disposition.get(k, 0) for k in (LANDED, QUARANTINED, REJECTED))
        landed += batch.unchanged_lines
        if landed + quarantined + rejected != staged.rows:
            raise LandingError(
                f"{staged.source_path}: row accounting broke ({staged.rows} staged, {landed}+{quarantined}+{rejected} "
                "classified). Fix: report this as a lakehub bug; nothing was written."
            )
        quarantine_path = config.table_path("quarantine", spec.table_name)

        def write_base() -> WriteOutcome:
            with timer.phase("base_write"):
                outcome = merge_changed(
                    spark,
                    base_rows(classified, spec, run_id=run_id, file_name=file_name),
                    base_path,
                    spec.business_key,
                    by_disposition.get(LANDED, 0),
                )
            return dataclasses.replace(outcome, unchanged=outcome.unchanged + batch.unchanged_lines)

        def write_quarantine() -> tuple[WriteOutcome, list[FailingRow]]:
            failing: list[FailingRow] = []
            if rules is not None and counted.suite_result is not None:
                # The issue rows come from the batch, first: a small job that runs while the base write is
                # still being planned. Read back from the quarantine once written, they waited for the new
                # version's snapshot and queued behind the base write's long tasks (README, "Session 21").
                with timer.phase("issue_rows"):
                    failing = landing_failing_rows(
                        flagged_rows(batch.rows, spec, file_name=file_name),
                        spec,
                        rules.suite,
                        counted.suite_result,
                        cap=DEFAULT_ISSUE_CAP,
                    )
            with timer.phase("quarantine_write"):
                outcome = replace_file_rows(
                    spark,
                    quarantine_rows(
                        classified, spec, run_id=run_id, file_name=file_name, sha256=staged.sha256
                    ),
                    quarantine_path,
                    staged.sha256,
                    quarantined + rejected,
                )
            return outcome, failing

        # Two tables, two jobs and two commits that do not depend on each other: run side by side, so one
        # write's driver-side work (planning, the Delta commit and its log) overlaps the other's tasks.
        # Leaving the pool waits for both to finish (or fail) before the batch is released; either failing
        # fails the run, and a rerun converges (the base MERGE and the per-file quarantine replace are
        # idempotent).
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"land-{spec.id}") as pool:
            base_job = pool.submit(write_base)
            quarantine_job = pool.submit(write_quarantine)
        base = base_job.result()
        quarantine, failing = quarantine_job.result()
    finally:
        batch.release()
        timer.seconds["unchanged_lines_skipped"] = batch.unchanged_lines
    with timer.phase("catalog"):
        register_source_tables(config, store, spec, run_id=run_id, base=base, quarantine=quarantine)
        if rules is not None and counted.suite_result is not None:
            record_landing_validation(
                store,
                spec,
                rules.suite,
                counted.suite_result,
                failing,
                run_id=run_id,
                delta_version=base.version,
                sha256=staged.sha256,
            )
    counts = RowCounts(
        read=staged.rows,
        landed=landed,
        quarantined=quarantined,
        rejected=rejected,
        inserted=base.inserted,
        updated=base.updated,
        unchanged=base.unchanged,
    )
    details = {
        "file": file_name,
        "encoding": staged.encoding,
        "reasons": reasons,
        "base_version": base.version,
        "quarantine_version": quarantine.version,
        "base_committed": base.operation is not None,
        "timings_s": timer.seconds,
    }
    store.finish_run(run_id, RunStatus.SUCCEEDED, counts=counts, details=details)
    duration = time.perf_counter() - started
    log.info(
        "landed %s: read %d landed %d quarantined %d rejected %d in %.1fs",
        spec.id,
        staged.rows,
        landed,
        quarantined,
        rejected,
        duration,
    )
    return LandingResult(
        spec.id,
        spec.department,
        run_id,
        RunStatus.SUCCEEDED,
        str(staged.source_path),
        staged.sha256,
        staged.rows,
        landed,
        quarantined,
        rejected,
        base.inserted,
        base.updated,
        base.unchanged,
        base.version,
        duration,
        reasons,
        timings_s=timer.seconds,
        suite_result=counted.suite_result,
    )


def ingest_source(
    config: LakehubConfig,
    store: CatalogStore,
    spec: SourceSpec,
    *,
    spark_factory: Callable[[], SparkSession],
    path: Path | None = None,
    run_date: dt.date | None = None,
    force: bool = False,
    parent_run_id: str | None = None,
) -> list[LandingResult]:
    """Land the given file, or every delivery of the source found in the landing folder."""
    files = [path] if path is not None else delivery_files(config, spec)
    if not files:
        raise InputFileError(
            str(config.landing_path / spec.file),
            f"no delivery of source '{spec.id}' found",
            f"put the {spec.department} file in {config.landing_path} or pass --path",
        )
    return [
        land_file(
            config,
            store,
            spec,
            f,
            spark_factory=spark_factory,
            run_date=run_date,
            force=force,
            parent_run_id=parent_run_id,
        )
        for f in files
    ]
