"""Quality job entry points the CLI calls: `quality run` over landed tables, `quality check` of a delivery.

Single-table suites run on the engine the caller chooses (`--engine spark|gx`); built-in cross-table suites
(一数一源, referential, ...) read several landed tables and always run on the one-pass Spark engine (GX
validates one batch at a time), which their `DatasetValidation.engine` and catalog record say.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.catalog import CatalogStore, RunStatus, ValidationSubject
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.emit import lineage_emitter
from lakehub.pipelines.errors import PipelineError
from lakehub.pipelines.jobs import open_catalog, registered_sources, spark_factory
from lakehub.pipelines.sources import SourceSpec, get_source
from lakehub.pipelines.validation import collect_failing_rows, suite_sensitivity
from lakehub.quality_rules.recording import (
    DEFAULT_ISSUE_CAP,
    issue_values,
    record_suite_result,
    validation_values,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehub.quality_rules import Engine, Suite, SuiteResult

log = logging.getLogger(__name__)

CROSS_ENGINE: Engine = "spark"
"""Cross-table suites read several datasets; GX validates one batch, so they run on the one-pass engine."""


@dataclass(frozen=True, slots=True)
class DatasetValidation:
    """One landed table validated by `quality run` and stored in the catalog."""

    dataset: str
    department: str
    delta_version: int | None
    validation_id: int
    issues_recorded: int
    result: SuiteResult
    engine: str
    """The engine that ran the suite: the requested one, or `spark` for a cross-table suite."""


@dataclass(frozen=True, slots=True)
class QualityRun:
    """What `lakehub quality run` validated, stored and skipped."""

    run_id: str
    engine: str
    """The requested engine (single-table suites); cross-table suites run on `CROSS_ENGINE`."""
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
    from lakehub.pipelines.delta_io import current_version
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
            version = current_version(spark, path)  # None: no Delta table there
            if version is None:
                skipped.append((name, f"no Delta table at {path}; land it with `lakehub ingest {spec.id}`"))
                continue
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
            done.append(
                DatasetValidation(name, spec.department, version, record.id, len(issues), result, engine)
            )
            frames[name] = frame
        if dataset is None:
            done += _cross_validations(config, store, spark, frames, run_id, engine)
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
    requested: Engine,
) -> list[DatasetValidation]:
    """Run every built-in cross-table suite (一数一源, referential, ...) whose datasets have all landed.

    They run on `CROSS_ENGINE` whatever engine was requested (logged when it differs) and are recorded so.
    """
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
        if requested != CROSS_ENGINE:
            log.info(
                "cross-table suite %s runs on the %s engine (%s validates one dataset at a time)",
                suite.suite,
                CROSS_ENGINE,
                requested,
            )
        result = validate_datasets({n: frames[n] for n in paths}, suite)
        version = current_version(spark, paths[suite.dataset])
        record = record_suite_result(
            store, result, dataset=suite.dataset, run_id=run_id, delta_version=version, engine=CROSS_ENGINE
        )
        done.append(
            DatasetValidation(
                suite.dataset, record.department or "", version, record.id, 0, result, CROSS_ENGINE
            )
        )
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
        spark = spark_factory(config)()
        staged = stage_file(path, spec, Path(folder) / "staged.txt", jvm=spark._jvm)
        rows = standardise_rows(read_staged(spark, staged, spec), spec)
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
