"""Run theme and business models in DAG order: build, mask, write (full or incremental MERGE),
validate with the model's suite, register in the catalog and report lineage.

Incremental models keep, with each run in the catalog (``runs.details``), the Delta version of every
input they were built from. The next run reads each input's change data feed since then, maps the
changed rows to output keys through the sidecar's ``change_keys``, recomputes only those keys from
inputs filtered to them, and MERGEs the result (deleting keys that no longer produce a row), which
gives the same table as a full rebuild. Anything that makes that unsafe — no previous run, changed
model code, an input without a key mapping that changed, a change feed that cannot be read — falls
back to a full rebuild and says why.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehub.catalog import CatalogStore, ColumnSpec, DatasetNotFoundError, DatasetSpec, RunStatus
from lakehub.lineage.naming import dataset_name_for_location
from lakehub.lineage.report import (
    ColumnInfo,
    DatasetIO,
    FieldSource,
    JobRun,
    LineageEmitter,
    ParentRun,
)
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.dag import descendants
from lakehub.pipelines.landing_lineage import PipelineLineage
from lakehub.pipelines.model_specs import ModelSpec, ModelSpecError
from lakehub.pipelines.pseudonym import SQL_FUNCTION, pseudonym_key, register_pseudonym_function
from lakehub.pipelines.validation import rule_outcomes
from lakehub.quality_rules.recording import record_suite_result

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakehub.quality_rules import Suite, SuiteResult

log = logging.getLogger(__name__)

ModelProgress = Callable[[str, str, int, int], None]
"""progress(phase, model, done, total); phase is 'model'."""
WATERMARK_LOOKBACK = 1000
_PSEUDONYM_CALL = re.compile(rf"\b{SQL_FUNCTION}\s*\(")
"""How many recent model runs are searched for a model's last input versions."""


class ModelStatus(enum.Enum):
    """How one model run came out."""

    SUCCEEDED = "succeeded"
    UNCHANGED = "unchanged"
    """No input changed since the last run: nothing was computed, written or validated again."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not run because a model it reads failed in this run."""


@dataclass(frozen=True, slots=True)
class ModelResult:
    """Outcome of one model in a run."""

    model: str
    tier: str
    status: ModelStatus
    run_id: str | None = None
    mode: str | None = None
    """'full' or 'incremental' (None when nothing was computed)."""
    reason: str | None = None
    """Why it was rebuilt in full, skipped or failed."""
    version: int | None = None
    row_count: int | None = None
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    affected_keys: int | None = None
    """Incremental runs: output keys recomputed."""
    input_versions: Mapping[str, int] = field(default_factory=dict)
    quality: SuiteResult | None = None
    """The model suite's result on the written table (None when not validated)."""
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        """Built (or already up to date) and no error rule of its suite failed."""
        return self.status in (ModelStatus.SUCCEEDED, ModelStatus.UNCHANGED) and (
            self.quality is None or self.quality.passed
        )

    @property
    def quality_outcome(self) -> str | None:
        """passed / warned / failed, or None when not validated."""
        return self.quality.outcome.value if self.quality is not None else None


@dataclass(frozen=True, slots=True)
class ModelTierRun:
    """One `lakehub run` over models of a tier (or the models selected)."""

    run_id: str
    tier: str
    results: tuple[ModelResult, ...]
    duration_s: float

    @property
    def passed(self) -> bool:
        """Every model built and passed its suite."""
        return all(r.passed for r in self.results)


@dataclass(frozen=True, slots=True)
class _Input:
    name: str
    location: str
    version: int


@dataclass(frozen=True, slots=True)
class _Plan:
    mode: str | None
    """'full', 'incremental' or None (unchanged)."""
    reason: str
    changed: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Incremental: input → (first, last) version to read changes from."""


@dataclass(frozen=True, slots=True)
class _Written:
    version: int | None
    row_count: int
    inserted: int
    updated: int
    deleted: int
    affected_keys: int | None = None
    operation: str = "WRITE"


def code_fingerprint(model: ModelSpec, key_id: str = "") -> str:
    """Hash of the model's code and sidecar (and the pseudonym key's id for models that use the key):
    a change forces a full rebuild."""
    text = model.code + "\n" + model.meta.model_dump_json() + ("\n" + key_id if key_id else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def uses_pseudonyms(model: ModelSpec) -> bool:
    """Whether a model writes pseudonym columns or calls the SQL function person_key()."""
    return bool(model.pseudonym_columns) or bool(_PSEUDONYM_CALL.search(model.code))


class ModelRunner:
    """Runs models against one warehouse, catalog, SparkSession and lineage emitter."""

    def __init__(
        self,
        config: LakehubConfig,
        store: CatalogStore,
        spark: SparkSession | Callable[[], SparkSession],
        emitter: LineageEmitter,
        *,
        full_refresh: bool = False,
    ) -> None:
        self.config = config
        self.store = store
        self._spark = spark if not callable(spark) else None
        self._spark_factory = spark if callable(spark) else None
        self.emitter = emitter
        self.full_refresh = full_refresh
        self._key: bytes | None = None
        self._function_ready = False

    @property
    def spark(self) -> SparkSession:
        """The SparkSession, started on first use, with the SQL function person_key() defined."""
        if self._spark is None:
            assert self._spark_factory is not None
            self._spark = self._spark_factory()
        if not self._function_ready:
            register_pseudonym_function(self._spark, self.key)
            self._function_ready = True
        return self._spark

    @property
    def key(self) -> bytes:
        """The hub's pseudonym key (config secret or the warehouse's generated key); never logged."""
        if self._key is None:
            self._key = pseudonym_key(self.config)
        return self._key

    def fingerprint(self, model: ModelSpec) -> str:
        """The model's code fingerprint, including the key's id when the model uses pseudonyms."""
        from lakehub.quality_rules.masking import key_id

        return code_fingerprint(model, key_id(self.key) if uses_pseudonyms(model) else "")

    # ---------------------------------------------------------------- the run
    def run(
        self,
        models: Mapping[str, ModelSpec],
        order: Sequence[str],
        *,
        tier: str,
        progress: ModelProgress | None = None,
        blocked: dict[str, str] | None = None,
    ) -> ModelTierRun:
        """Run ``order`` (already topologically sorted); a failure skips the models that read it.

        ``blocked`` (model → the failed model it depends on) carries skips from an earlier tier's run
        and receives this run's.
        """
        started = time.perf_counter()
        parent = self.store.start_run(f"run.{tier}", "model")
        parent_lineage = PipelineLineage(self.config, self.store, parent, f"run.{tier}", self.emitter)
        parent_lineage.start()
        results: list[ModelResult] = []
        blocked = {} if blocked is None else blocked
        for done, name in enumerate(order, start=1):
            model = models[name]
            if name in blocked:
                reason = f"skipped: upstream {blocked[name]} failed"
                run_id = self.store.start_run(model.job_name, "model", parent_run_id=parent)
                self.store.finish_run(run_id, RunStatus.SKIPPED, details={"reason": reason})
                result = ModelResult(name, model.tier, ModelStatus.SKIPPED, run_id=run_id, reason=reason)
            else:
                result = self.run_model(model, parent_run_id=parent, parent_job=f"run.{tier}")
                if result.status is ModelStatus.FAILED:
                    for child in descendants(models, name):
                        blocked.setdefault(child, name)
            results.append(result)
            log.info("model %s: %s", name, result.status.value)
            if progress:
                progress("model", name, done, len(order))
        status = RunStatus.SUCCEEDED if all(r.passed for r in results) else RunStatus.FAILED
        self.store.finish_run(
            parent,
            status,
            details={
                "models": {r.model: r.status.value for r in results},
                "failed": [r.model for r in results if r.status is ModelStatus.FAILED],
            },
        )
        failed = [r.model for r in results if not r.passed]
        parent_lineage.finish(
            f"models failed or failed an error rule: {', '.join(failed)}" if failed else None
        )
        return ModelTierRun(parent, tier, tuple(results), time.perf_counter() - started)

    def run_model(self, model: ModelSpec, *, parent_run_id: str, parent_job: str) -> ModelResult:
        """Build one model; every error is caught, recorded and reported as a failed result."""
        started = time.perf_counter()
        run_id = self.store.start_run(model.job_name, "model", parent_run_id=parent_run_id)
        job = self._job(model, run_id, parent_run_id, parent_job)
        if self._spark is None and not self.full_refresh:
            quick = self._unchanged_by_catalog(model, run_id, job, started)
            if quick is not None:
                return quick
        return self._run_model(model, run_id, job, started)

    def _job(self, model: ModelSpec, run_id: str, parent_run_id: str, parent_job: str) -> JobRun:
        return JobRun(
            run_id=run_id,
            job_name=model.job_name,
            job_type="MODEL",
            parent=ParentRun(parent_run_id, parent_job),
            description=model.meta.description,
            owner=model.meta.owner,
            sql=model.render_sql() if model.kind == "sql" else None,
            source_code=model.code if model.kind == "python" else None,
            processing_engine_version=_pyspark_version(),
        )

    def _unchanged_by_catalog(
        self, model: ModelSpec, run_id: str, job: JobRun, started: float
    ) -> ModelResult | None:
        """Before Spark has started: unchanged when the catalog's input versions equal the last run's."""
        last = self._last_run(model)
        if last is None or last.get("code") != self.fingerprint(model):
            return None
        try:
            records = {ref: self.store.get_dataset(ref) for ref in model.refs}
            output = self.store.get_dataset(model.full_name)
        except DatasetNotFoundError:
            return None
        versions = {ref: r.current_version for ref, r in records.items()}
        if versions != last["input_versions"] or output.current_version is None:
            return None
        inputs = [
            DatasetIO(
                name=ref,
                location=r.location,
                title=r.title,
                tier=r.tier.value,
                version=str(r.current_version),
                owner=r.department,
            )
            for ref, r in records.items()
        ]
        reason = "no input changed since the last run (catalog versions)"
        written = _Written(output.current_version, output.row_count or 0, 0, 0, 0)
        self.emitter.start(job, inputs)
        self.store.finish_run(
            run_id,
            RunStatus.SKIPPED,
            details={
                "input_versions": versions,
                "code": self.fingerprint(model),
                "mode": None,
                "reason": reason,
            },
        )
        types = {c.name: c.data_type for c in output.columns}
        self.emitter.complete(job, inputs, [self._output_io(model, written, None, types)])
        return ModelResult(
            model.full_name,
            model.tier,
            ModelStatus.UNCHANGED,
            run_id=run_id,
            reason=reason,
            version=written.version,
            row_count=written.row_count,
            input_versions={k: int(v) for k, v in versions.items() if v is not None},
            duration_s=time.perf_counter() - started,
        )

    def _run_model(self, model: ModelSpec, run_id: str, job: JobRun, started: float) -> ModelResult:
        inputs: list[_Input] = []
        try:
            check_grants(model)
            inputs = [self._input(ref) for ref in model.refs]
            input_io = [self._input_io(i) for i in inputs]
            self.emitter.start(job, input_io)
            plan = self._plan(model, inputs)
            if plan.mode == "incremental":
                plan = self._check_change_feeds(inputs, plan)
            versions = {i.name: i.version for i in inputs}
            details: dict[str, Any] = {
                "input_versions": versions,
                "code": self.fingerprint(model),
                "mode": plan.mode,
                "reason": plan.reason,
            }
            written = self._current(model) if plan.mode is None else self._write(model, inputs, plan)
            quality = self._validate(model) if plan.mode is not None else None
            self._register(model, run_id, written)
            if quality is not None:
                record_suite_result(
                    self.store, quality, dataset=model.full_name, run_id=run_id, delta_version=written.version
                )
            details.update(
                rows=written.row_count,
                version=written.version,
                inserted=written.inserted,
                updated=written.updated,
                deleted=written.deleted,
                affected_keys=written.affected_keys,
                quality=quality.outcome.value if quality else None,
            )
            status = RunStatus.SKIPPED if plan.mode is None else RunStatus.SUCCEEDED
            self.store.finish_run(run_id, status, details=details)
            output = self._output_io(model, written, quality, self._schema_types(model))
            self.emitter.complete(job, input_io, [output])
        except Exception as err:
            message = _error_text(err)
            log.warning("model %s failed: %s", model.full_name, message)
            self.store.finish_run(run_id, RunStatus.FAILED, error=message)
            self.emitter.fail(job, message, [self._input_io(i) for i in inputs])
            return ModelResult(
                model.full_name,
                model.tier,
                ModelStatus.FAILED,
                run_id=run_id,
                reason=message,
                duration_s=time.perf_counter() - started,
            )
        return ModelResult(
            model.full_name,
            model.tier,
            ModelStatus.UNCHANGED if plan.mode is None else ModelStatus.SUCCEEDED,
            run_id=run_id,
            mode=plan.mode,
            reason=plan.reason,
            version=written.version,
            row_count=written.row_count,
            inserted=written.inserted,
            updated=written.updated,
            deleted=written.deleted,
            affected_keys=written.affected_keys,
            input_versions=versions,
            quality=quality,
            duration_s=time.perf_counter() - started,
        )

    # ---------------------------------------------------------------- inputs and planning
    def location(self, name: str) -> str:
        """Delta location of a dataset ``tier.name``."""
        tier, _, table = name.partition(".")
        return self.config.table_path(tier, table)

    def _input(self, name: str) -> _Input:
        from lakehub.pipelines.delta_io import current_version

        location = self.location(name)
        version = current_version(self.spark, location)
        if version is None:
            how = "`lakehub run --tier base`" if name.startswith("base.") else f"the model {name}"
            raise ModelSpecError(f"Input {name} has not been built yet ({location}). Fix: run {how} first.")
        return _Input(name, location, version)

    def _last_run(self, model: ModelSpec) -> Mapping[str, Any] | None:
        for run in self.store.list_runs(job_kind="model", limit=WATERMARK_LOOKBACK):
            if run.job_name == model.job_name and run.passed and "input_versions" in run.details:
                return run.details
        return None

    def _plan(self, model: ModelSpec, inputs: Sequence[_Input]) -> _Plan:
        from lakehub.pipelines.delta_io import table_exists

        if self.full_refresh:
            return _Plan("full", "full refresh requested")
        if not table_exists(self.spark, self.location(model.full_name)):
            return _Plan("full", "first build")
        last = self._last_run(model)
        if last is None:
            return _Plan("full", "no previous run recorded")
        if last.get("code") != self.fingerprint(model):
            return _Plan("full", "model code or sidecar changed")
        before: Mapping[str, int] = last["input_versions"]
        changed = {i.name: (before.get(i.name), i.version) for i in inputs if before.get(i.name) != i.version}
        if not changed:
            return _Plan(None, "no input changed since the last run")
        if model.meta.materialization != "incremental":
            return _Plan("full", f"changed: {', '.join(sorted(changed))}")
        unmapped = sorted(n for n in changed if n not in model.meta.change_keys)
        if unmapped:
            return _Plan("full", f"{', '.join(unmapped)} changed and has no change key")
        ranges: dict[str, tuple[int, int]] = {}
        for name, (old, new) in changed.items():
            if old is None or old > new:
                return _Plan("full", f"{name} was replaced since the last run")
            ranges[name] = (old + 1, new)
        return _Plan("incremental", f"changed: {', '.join(sorted(changed))}", ranges)

    # ---------------------------------------------------------------- building
    def _frames(
        self, model: ModelSpec, inputs: Sequence[_Input], keys: DataFrame | None
    ) -> dict[str, DataFrame]:
        from pyspark.sql import functions as F

        frames: dict[str, DataFrame] = {}
        for item in inputs:
            frame = self.spark.read.format("delta").option("versionAsOf", item.version).load(item.location)
            column = model.meta.change_keys.get(item.name)
            if keys is not None and column is not None:
                frame = frame.join(F.broadcast(keys), frame[column] == keys["_key"], "left_semi")
            frames[item.name] = frame
        return frames

    def build(self, model: ModelSpec, frames: Mapping[str, DataFrame]) -> DataFrame:
        """The model's output over these input frames, masked for the business tier, in declared order."""
        if model.kind == "sql":
            views: dict[str, str] = {}
            for name, frame in frames.items():
                view = "__lakehub_" + name.replace(".", "__")
                frame.createOrReplaceTempView(view)
                views[name] = view
            result = self.spark.sql(model.render_sql(views))
        else:
            result = _python_builder(model)(frames)
        declared = model.column_names
        missing = [c for c in declared if c not in result.columns]
        extra = [c for c in result.columns if c not in declared]
        if missing or extra:
            raise ModelSpecError(
                f"{model.path}: output columns differ from the sidecar "
                f"(missing: {', '.join(missing) or 'none'}; undeclared: {', '.join(extra) or 'none'}). "
                "Fix: declare every output column in the .yml, in any order."
            )
        return mask_frame(result.select(*declared), model.masked_columns(), self.key)

    def _write(self, model: ModelSpec, inputs: Sequence[_Input], plan: _Plan) -> _Written:
        location = self.location(model.full_name)
        if plan.mode == "full":
            frame = self.build(model, self._frames(model, inputs, None))
            frame.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(location)
            return self._current(model)
        return self._merge(model, inputs, plan)

    def _check_change_feeds(self, inputs: Sequence[_Input], plan: _Plan) -> _Plan:
        """The plan, or a full rebuild when an input's change data feed cannot be read for its range."""
        by_name = {i.name: i for i in inputs}
        for name, (first, last) in sorted(plan.changed.items()):
            try:
                (
                    self.spark.read.format("delta")
                    .option("readChangeFeed", "true")
                    .option("startingVersion", first)
                    .option("endingVersion", last)
                    .load(by_name[name].location)
                    .limit(1)
                    .collect()
                )
            except Exception as err:
                log.info("change feed of %s unreadable: %s", name, _error_text(err))
                return _Plan("full", f"change data feed of {name} unreadable for versions {first}-{last}")
        return plan

    def _changed_keys(self, model: ModelSpec, inputs: Sequence[_Input], plan: _Plan) -> DataFrame:
        from pyspark.sql import functions as F

        by_name = {i.name: i for i in inputs}
        keys: DataFrame | None = None
        for name, (first, last) in sorted(plan.changed.items()):
            column = model.meta.change_keys[name]
            changes = (
                self.spark.read.format("delta")
                .option("readChangeFeed", "true")
                .option("startingVersion", first)
                .option("endingVersion", last)
                .load(by_name[name].location)
                .select(F.col(column).cast("string").alias("_key"))
            )
            keys = changes if keys is None else keys.unionByName(changes)
        assert keys is not None
        return keys.where(F.col("_key").isNotNull()).distinct()

    def _merge(self, model: ModelSpec, inputs: Sequence[_Input], plan: _Plan) -> _Written:
        from delta.tables import DeltaTable
        from pyspark import StorageLevel

        key = model.meta.unique_key[0]
        location = self.location(model.full_name)
        keys = self._changed_keys(model, inputs, plan).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            affected = keys.count()
            fresh = self.build(model, self._frames(model, inputs, keys))
            columns = model.column_names
            # Inputs are filtered on their own key values; the output key may be their pseudonym.
            targets = (
                mask_frame(keys.select("_key"), {"_key": model.masked_columns()[key]}, self.key)
                if (key in model.masked_columns())
                else keys.select("_key")
            )
            source = (
                targets.join(fresh, targets["_key"] == fresh[key].cast("string"), "left")
                .select("_key", *(fresh[c] for c in columns), fresh[key].isNull().alias("_gone"))
                .persist(StorageLevel.MEMORY_AND_DISK)
            )
            try:
                differs = " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in columns)
                (
                    DeltaTable.forPath(self.spark, location)
                    .alias("t")
                    .merge(source.alias("s"), f"CAST(t.`{key}` AS STRING) = s._key")
                    .whenMatchedDelete(condition="s._gone")
                    .whenMatchedUpdate(condition=f"NOT s._gone AND ({differs})", set=_assign(columns))
                    .whenNotMatchedInsert(condition="NOT s._gone", values=_assign(columns))
                    .execute()
                )
            finally:
                source.unpersist()
        finally:
            keys.unpersist()
        current = self._current(model)
        return _Written(
            current.version,
            current.row_count,
            current.inserted,
            current.updated,
            current.deleted,
            affected,
            current.operation,
        )

    def _current(self, model: ModelSpec) -> _Written:
        from delta.tables import DeltaTable

        location = self.location(model.full_name)
        table = DeltaTable.forPath(self.spark, location)
        last = table.history(1).select("version", "operation", "operationMetrics").first()
        assert last is not None
        metrics: Mapping[str, str] = last["operationMetrics"] or {}
        rows = self.spark.read.format("delta").load(location).count()

        def metric(name: str) -> int:
            return int(metrics.get(name, 0) or 0)

        if last["operation"] == "MERGE":
            return _Written(
                int(last["version"]),
                rows,
                metric("numTargetRowsInserted"),
                metric("numTargetRowsUpdated"),
                metric("numTargetRowsDeleted"),
                operation="MERGE",
            )
        return _Written(
            int(last["version"]), rows, metric("numOutputRows"), 0, 0, operation=str(last["operation"])
        )

    # ---------------------------------------------------------------- quality, catalog, lineage
    def _validate(self, model: ModelSpec) -> SuiteResult | None:
        if model.meta.suite is None:
            return None
        from lakehub.quality_rules.engine_spark import validate

        suite = model_suite(model)
        assert suite is not None
        frame = self.spark.read.format("delta").load(self.location(model.full_name))
        sensitivity = {c.name: c.classification for c in model.meta.columns if c.classification}
        return validate(frame, suite, sensitivity=sensitivity)

    def _schema_types(self, model: ModelSpec) -> dict[str, str]:
        frame = self.spark.read.format("delta").load(self.location(model.full_name))
        return {f.name: f.dataType.simpleString() for f in frame.schema.fields}

    def dataset_spec(self, model: ModelSpec, types: Mapping[str, str]) -> DatasetSpec:
        """What the catalog records about a model's table."""
        location = self.location(model.full_name)
        ol = dataset_name_for_location(location)
        masked = model.masked_columns()
        return DatasetSpec(
            name=model.full_name,
            title=model.meta.title,
            department=model.meta.owner,
            location=location,
            description=model.meta.description,
            business_key=model.meta.unique_key,
            sharing_class=model.meta.sharing_class,
            security_level=model.meta.security_level,
            ol_namespace=ol.namespace,
            ol_name=ol.name,
            columns=tuple(
                ColumnSpec(
                    name=c.name,
                    data_type=types.get(c.name, "string"),
                    title=c.title,
                    description=(c.description + _protection_note(masked.get(c.name))).strip(),
                    sensitivity=c.classification,
                    security_level=c.security_level,
                    nullable=c.name not in model.meta.unique_key,
                    is_key=c.name in model.meta.unique_key,
                )
                for c in model.meta.columns
            ),
        )

    def _register(self, model: ModelSpec, run_id: str, written: _Written) -> None:
        self.store.register_dataset(self.dataset_spec(model, self._schema_types(model)))
        if written.version is not None:
            self.store.record_version(
                model.full_name,
                version=written.version,
                run_id=run_id,
                operation=written.operation,
                row_count=written.row_count,
                rows_inserted=written.inserted,
                rows_updated=written.updated,
                rows_deleted=written.deleted,
            )

    def _input_io(self, item: _Input) -> DatasetIO:
        tier = item.name.partition(".")[0]
        title: str | None = None
        owner: str | None = None
        try:
            record = self.store.get_dataset(item.name)
            title, owner = record.title, record.department
        except DatasetNotFoundError:
            log.debug("input %s is not in the catalog", item.name)
        return DatasetIO(
            name=item.name,
            location=item.location,
            title=title,
            tier=tier,
            version=str(item.version),
            owner=owner,
        )

    def _output_io(
        self, model: ModelSpec, written: _Written, quality: SuiteResult | None, types: Mapping[str, str]
    ) -> DatasetIO:
        masked = model.masked_columns()
        return DatasetIO(
            name=model.full_name,
            location=self.location(model.full_name),
            title=model.meta.title,
            tier=model.tier,
            columns=tuple(
                ColumnInfo(
                    name=c.name,
                    type=types.get(c.name, "string"),
                    description=f"{c.title}：{c.description}" if c.description else c.title,
                    classification=c.classification,
                )
                for c in model.meta.columns
            ),
            version=str(written.version) if written.version is not None else None,
            row_count=written.row_count,
            owner=model.meta.owner,
            description=model.meta.description,
            column_lineage=python_column_lineage(model, masked) if model.kind == "python" else {},
            quality=rule_outcomes(quality),
            masked_columns=masked,
        )


def check_grants(model: ModelSpec) -> None:
    """A granted (clear) business column must be read from the base tier, where clear values live: the
    theme tier only holds masked values and pseudonyms, so a grant on a column drawn from it would
    publish nothing useful and hide where the clear value really comes from."""
    if not model.meta.grants:
        return
    from lakehub.lineage.column_lineage import derive_sql_lineage

    if model.kind == "sql":
        lineage = derive_sql_lineage(model.render_sql(), list(model.refs))
    else:
        lineage = python_column_lineage(model, {})
    for column in model.meta.grants:
        sources = lineage.get(column, ())
        direct = {s.dataset for s in sources if s.transformation == "DIRECT"}
        if not direct or any(not d.startswith("base.") for d in direct):
            found = ", ".join(sorted(direct)) or "no input column"
            raise ModelSpecError(
                f"{model.path}: granted column {column} comes from {found}; a clear value must be read "
                "from the base tier explicitly (e.g. join ref('base.population') on person_key(id_number)). "
                "Fix: select it from a base dataset, or remove it from grants."
            )


def model_suite(model: ModelSpec) -> Suite | None:
    """The model's suite: ``quality_rules/suites/<tier>/<suite>.yml``, a path next to the sidecar, or a
    built-in suite name."""
    from lakehub.quality_rules import load_suite, parse_suite, resolve_suite

    name = model.meta.suite
    if name is None:
        return None
    shipped = resources.files("lakehub.quality_rules").joinpath("suites", model.tier, f"{name}.yml")
    if shipped.is_file():
        return parse_suite(
            shipped.read_text(encoding="utf-8"), f"quality_rules/suites/{model.tier}/{name}.yml"
        )
    beside = Path(model.path).parent / name
    if beside.is_file():
        return load_suite(beside)
    return resolve_suite(name)


def _pyspark_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyspark")
    except PackageNotFoundError:
        return None


def _protection_note(how: str | None) -> str:
    """What the catalog says about a protected column."""
    if how is None:
        return ""
    return "（假名化：主题库统一假名键，不可还原）" if how == "pseudonym" else "（已脱敏）"


def _assign(columns: Sequence[str]) -> dict[str, str | Column]:
    return {f"`{c}`": f"s.`{c}`" for c in columns}


def _error_text(err: Exception) -> str:
    """First line of an error, without Spark's stack traces (messages name columns, never values)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text[:400]}" if text else type(err).__name__


def mask_frame(frame: DataFrame, masks: Mapping[str, str], key: bytes | None = None) -> DataFrame:
    """Replace each classified column with its masked form, or its keyed pseudonym when its protection
    is ``pseudonym`` (quality_rules.masking), keeping order."""
    if not masks:
        return frame
    from pyspark.sql import functions as F

    from lakehub.quality_rules.masking import PSEUDONYM, mask_column, pseudonym_column

    def protect(column: str) -> Column:
        how = masks[column]
        if how == PSEUDONYM:
            if key is None:
                raise ModelSpecError(f"Column {column} is a pseudonym but no pseudonym key was given.")
            return pseudonym_column(column, key).alias(column)
        return mask_column(F.col(column).cast("string"), how).alias(column)  # type: ignore[arg-type]  # masks values are Sensitivity names from the sidecar

    return frame.select(*(protect(c) if c in masks else F.col(c) for c in frame.columns))


def _python_builder(model: ModelSpec) -> Callable[[Mapping[str, DataFrame]], DataFrame]:
    namespace = _python_namespace(model)
    builder = namespace.get(model.meta.python)
    if not callable(builder):
        raise ModelSpecError(
            f"{model.path} defines no function '{model.meta.python}'. Fix: define it or set `python:` in the .yml."
        )
    return builder  # type: ignore[no-any-return]  # user code: checked callable above


def _python_namespace(model: ModelSpec) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "__name__": f"lakehub_model_{model.tier}_{model.name}",
        "__file__": model.path,
    }
    exec(compile(model.code, model.path, "exec"), namespace)
    return namespace


def python_column_lineage(model: ModelSpec, masked: Mapping[str, str]) -> dict[str, tuple[FieldSource, ...]]:
    """A Python model's declared COLUMN_LINEAGE as FieldSource tuples (masking flagged)."""
    declared: Mapping[str, Sequence[tuple[str, str, str]]] = _python_namespace(model).get(
        "COLUMN_LINEAGE", {}
    )
    return {
        output: tuple(
            FieldSource(
                dataset=dataset,
                column=column,
                transformation="INDIRECT" if subtype in ("FILTER", "JOIN", "GROUP_BY", "SORT") else "DIRECT",
                subtype=subtype,
                masking=output in masked,
            )
            for dataset, column, subtype in sources
        )
        for output, sources in declared.items()
    }
