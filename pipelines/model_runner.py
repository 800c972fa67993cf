"""Run theme and business models in DAG order: build, mask, write (full or incremental MERGE),
validate with the model's suite, register in the catalog and report lineage.

Incremental models keep, with each run in the catalog (``runs.details``), the Delta version of every
input they were built from. The next run reads each input's change data feed since then, maps the
changed rows to output keys through the sidecar's ``change_keys``, recomputes only those keys from
inputs filtered to them, and MERGEs the result (deleting keys that no longer produce a row), which
gives the same table as a full rebuild. Anything that makes that unsafe — no previous run, changed
model code, an input without a key mapping that changed, a change feed that cannot be read — falls
back to a full rebuild and says why.

The governance around a model costs a fixed number of small Spark jobs, not extra passes over the data
(see ``ModelResult.phases``): each input's Delta version is read once per runner (``TableVersions``); a
full build keeps the rows it writes cached and its suite checks them there instead of reading the new
table back; a full write takes its row count from the commit's metrics and a MERGE from the suite's pass
over the committed version, so nothing counts the table again; the schema comes from the frame at hand.

Planning (``model_planning``), protection (``model_protection``), recording (``model_recording``), the
DAG scheduler (``model_scheduler``) and the result types (``model_results``) live in their own modules;
this one builds a model, running them in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lakehub.catalog import CatalogStore, DatasetNotFoundError, DatasetSpec, RunStatus
from lakehub.lineage.report import DatasetIO, JobRun, LineageEmitter
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.model_code import model_suite, python_builder, python_column_lineage
from lakehub.pipelines.model_planning import (
    WATERMARK_LOOKBACK,
    Input,
    Plan,
    TableVersions,
    changed_keys,
    check_change_feeds,
    code_fingerprint,
    error_text,
    last_run_details,
    plan_build,
    read_input,
    uses_pseudonyms,
)
from lakehub.pipelines.model_protection import check_grants, mask_frame
from lakehub.pipelines.model_recording import (
    dataset_spec,
    input_io,
    model_job,
    model_location,
    output_io,
    register_model_table,
)
from lakehub.pipelines.model_results import (
    PHASES,
    ModelProgress,
    ModelResult,
    ModelStatus,
    ModelTierRun,
    PhaseClock,
    Written,
)
from lakehub.pipelines.model_scheduler import run_tiers
from lakehub.pipelines.model_specs import ModelSpec, ModelSpecError
from lakehub.pipelines.pseudonym import pseudonym_key, register_pseudonym_function
from lakehub.quality_rules.recording import record_suite_result

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lakehub.quality_rules import SuiteResult

__all__ = [
    "PHASES",
    "WATERMARK_LOOKBACK",
    "ModelProgress",
    "ModelResult",
    "ModelRunner",
    "ModelStatus",
    "ModelTierRun",
    "check_grants",
    "code_fingerprint",
    "mask_frame",
    "model_suite",
    "python_builder",
    "python_column_lineage",
    "uses_pseudonyms",
]

log = logging.getLogger(__name__)


class ModelRunner:
    """Runs models against one warehouse, catalog, SparkSession and lineage emitter.

    A runner reads each input's Delta version once and follows its own commits after that, so one runner
    serves one `lakehub run`: build a new one for the next run.
    """

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
        self._versions: TableVersions | None = None
        self._lock = threading.RLock()
        self._local = threading.local()

    @property
    def spark(self) -> SparkSession:
        """The SparkSession, started on first use, with the SQL function person_key() defined."""
        with self._lock:
            if self._spark is None:
                assert self._spark_factory is not None
                self._spark = self._spark_factory()
            if not self._function_ready:
                register_pseudonym_function(self._spark, self.key)
                self._function_ready = True
            return self._spark

    @property
    def versions(self) -> TableVersions:
        """Delta versions of the tables this runner reads and writes."""
        with self._lock:
            if self._versions is None:
                self._versions = TableVersions(self.spark)
            return self._versions

    @property
    def _clock(self) -> PhaseClock:
        """The phase clock of the model this thread is running."""
        clock: PhaseClock = self._local.clock
        return clock

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

    def location(self, name: str) -> str:
        """Delta location of a dataset ``tier.name``."""
        return model_location(self.config, name)

    def dataset_spec(self, model: ModelSpec, types: Mapping[str, str]) -> DatasetSpec:
        """What the catalog records about a model's table."""
        return dataset_spec(self.config, model, types)

    # ---------------------------------------------------------------- the run
    def run_tiers(
        self,
        models: Mapping[str, ModelSpec],
        order: Sequence[str],
        *,
        progress: ModelProgress | None = None,
    ) -> tuple[ModelTierRun, ...]:
        """Run ``order`` as one DAG over its tiers with this runner (`model_scheduler.run_tiers`)."""
        return run_tiers(self, models, order, progress=progress)

    def run_model(self, model: ModelSpec, *, parent_run_id: str, parent_job: str) -> ModelResult:
        """Build one model; every error is caught, recorded and reported as a failed result."""
        started = time.perf_counter()
        run_id = self.store.start_run(model.job_name, "model", parent_run_id=parent_run_id)
        job = model_job(model, run_id, parent_run_id, parent_job)
        if self._spark is None and not self.full_refresh:
            quick = self._unchanged_by_catalog(model, run_id, job, started)
            if quick is not None:
                return quick
        return self._run_model(model, run_id, job, started)

    def _unchanged_by_catalog(
        self, model: ModelSpec, run_id: str, job: JobRun, started: float
    ) -> ModelResult | None:
        """Before Spark has started: unchanged when the catalog's input versions equal the last run's."""
        last = last_run_details(self.store, model)
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
        written = Written(output.current_version, output.row_count or 0, 0, 0, 0)
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
        self.emitter.complete(job, inputs, [output_io(self.config, model, written, None, types)])
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
        inputs: list[Input] = []
        clock = self._local.clock = PhaseClock()
        try:
            with clock("plan"):
                check_grants(model)
                inputs = [read_input(self.versions, ref, self.location(ref)) for ref in model.refs]
            with clock("lineage"):
                inputs_io = [input_io(self.store, i) for i in inputs]
                self.emitter.start(job, inputs_io)
            with clock("plan"):
                plan = self._plan(model, inputs)
                if plan.mode == "incremental":
                    plan = check_change_feeds(self.spark, inputs, plan)
            versions = {i.name: i.version for i in inputs}
            details: dict[str, Any] = {
                "input_versions": versions,
                "code": self.fingerprint(model),
                "mode": plan.mode,
                "reason": plan.reason,
            }
            if plan.mode is None:
                written, types = self._current(model)
                quality = None
            else:
                with clock("build_write"):
                    written, types, rows = self._write(model, inputs, plan)
                try:
                    with clock("validate"):
                        quality, types = self._validate(model, written, types, rows)
                finally:
                    if rows is not None:
                        rows.unpersist()
                written = self._with_row_count(model, written, quality)
            with clock("catalog"):
                register_model_table(self.store, self.config, model, run_id, written, types)
                if quality is not None:
                    record_suite_result(
                        self.store,
                        quality,
                        dataset=model.full_name,
                        run_id=run_id,
                        delta_version=written.version,
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
            with clock("lineage"):
                output = output_io(self.config, model, written, quality, types)
                self.emitter.complete(job, inputs_io, [output])
        except Exception as err:
            message = error_text(err)
            log.warning("model %s failed: %s", model.full_name, message)
            if self._versions is not None:  # whatever happened to the table, read its version afresh
                self._versions.committed(self.location(model.full_name), None)
            self.store.finish_run(run_id, RunStatus.FAILED, error=message)
            self.emitter.fail(job, message, [input_io(self.store, i) for i in inputs])
            return ModelResult(
                model.full_name,
                model.tier,
                ModelStatus.FAILED,
                run_id=run_id,
                reason=message,
                duration_s=time.perf_counter() - started,
                phases=clock.seconds,
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
            phases=clock.seconds,
        )

    def _plan(self, model: ModelSpec, inputs: Sequence[Input]) -> Plan:
        if self.full_refresh:
            return Plan("full", "full refresh requested")
        exists = self.versions.get(self.location(model.full_name)) is not None
        return plan_build(
            model,
            inputs,
            full_refresh=False,
            exists=exists,
            last=last_run_details(self.store, model) if exists else None,
            fingerprint=self.fingerprint(model),
        )

    # ---------------------------------------------------------------- building
    def _frames(
        self, model: ModelSpec, inputs: Sequence[Input], keys: DataFrame | None
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
                # Per model: models running side by side must not replace each other's views.
                view = f"__lakehub_{model.full_name}__{name}".replace(".", "__")
                frame.createOrReplaceTempView(view)
                views[name] = view
            result = self.spark.sql(model.render_sql(views))
        else:
            result = python_builder(model)(frames)
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

    def _write(
        self, model: ModelSpec, inputs: Sequence[Input], plan: Plan
    ) -> tuple[Written, dict[str, str], DataFrame | None]:
        """Write the table: the commit (row count -1 when only the suite's pass will know it), the column
        types written, and for a full build the written rows, still cached for the suite (the caller
        unpersists them)."""
        from pyspark import StorageLevel

        from lakehub.pipelines.delta_io import stats_columns

        location = self.location(model.full_name)
        if plan.mode != "full":
            return *self._merge(model, inputs, plan), None
        frame = self.build(model, self._frames(model, inputs, None)).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            (
                frame.write.format("delta")
                .mode("overwrite")
                .option("overwriteSchema", "true")
                .options(**stats_columns(*model.meta.unique_key))
                .save(location)
            )
            return self._commit(model), _types(frame), frame
        except BaseException:
            frame.unpersist()
            raise

    def _merge(self, model: ModelSpec, inputs: Sequence[Input], plan: Plan) -> tuple[Written, dict[str, str]]:
        from delta.tables import DeltaTable
        from pyspark import StorageLevel

        key = model.meta.unique_key[0]
        location = self.location(model.full_name)
        keys = changed_keys(self.spark, model, inputs, plan).persist(StorageLevel.MEMORY_AND_DISK)
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
        commit = self._commit(model)
        written = Written(
            commit.version,
            commit.row_count,
            commit.inserted,
            commit.updated,
            commit.deleted,
            affected,
            commit.operation,
        )
        return written, _types(fresh)

    def _commit(self, model: ModelSpec) -> Written:
        """The table's last commit: version, operation and its row metrics (``row_count`` -1 when the
        commit does not say how many rows the table holds, i.e. after a MERGE)."""
        from lakehub.pipelines.delta_io import last_commit

        with self._clock("version"):
            location = self.location(model.full_name)
            last = last_commit(self.spark, location)
        assert last is not None
        self.versions.committed(location, last.version)
        metrics: Mapping[str, str] = last.metrics

        def metric(name: str) -> int:
            return int(metrics.get(name, 0) or 0)

        if last.operation == "MERGE":
            return Written(
                last.version,
                -1,
                metric("numTargetRowsInserted"),
                metric("numTargetRowsUpdated"),
                metric("numTargetRowsDeleted"),
                operation="MERGE",
            )
        rows = metric("numOutputRows") if "numOutputRows" in metrics else -1
        return Written(last.version, rows, rows, 0, 0, operation=str(last.operation))

    def _current(self, model: ModelSpec) -> tuple[Written, dict[str, str]]:
        """An unchanged table as it stands (row count from the catalog when it recorded this version)."""
        written = self._commit(model)
        try:
            record = self.store.get_dataset(model.full_name)
        except DatasetNotFoundError:
            record = None
        frame = self._table(model, written.version)
        if record is not None and record.current_version == written.version and record.row_count is not None:
            rows = record.row_count
        else:
            with self._clock("version"):
                rows = frame.count()
        return Written(written.version, rows, 0, 0, 0, operation=written.operation), _types(frame)

    def _table(self, model: ModelSpec, version: int | None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.location(model.full_name))

    def _with_row_count(self, model: ModelSpec, written: Written, quality: SuiteResult | None) -> Written:
        """The commit with the table's row count: from the commit, else the suite's pass, else a count."""
        if written.row_count >= 0:
            return written
        if quality is not None:
            rows = quality.row_count
        else:
            with self._clock("version"):
                rows = self._table(model, written.version).count()
        return Written(
            written.version,
            rows,
            written.inserted,
            written.updated,
            written.deleted,
            written.affected_keys,
            written.operation,
        )

    # ---------------------------------------------------------------- quality
    def _validate(
        self, model: ModelSpec, written: Written, types: dict[str, str], rows: DataFrame | None
    ) -> tuple[SuiteResult | None, dict[str, str]]:
        """The suite's result on what was written, and the column types as stored.

        A full build checks the rows it has just written, still cached from the write, so the suite costs
        its own pass (plus one for uniqueness rules) but no second read of the table, which would also
        rebuild the new Delta snapshot's file list; a MERGE checks the version it committed.
        """
        if model.meta.suite is None:
            return None, types
        from lakehub.quality_rules.engine_spark import validate

        suite = model_suite(model)
        assert suite is not None
        frame = rows if rows is not None else self._table(model, written.version)
        sensitivity = {c.name: c.classification for c in model.meta.columns if c.classification}
        return validate(frame, suite, sensitivity=sensitivity), _types(frame)


def _types(frame: DataFrame) -> dict[str, str]:
    return {f.name: f.dataType.simpleString() for f in frame.schema.fields}


def _assign(columns: Sequence[str]) -> dict[str, str | Column]:
    return {f"`{c}`": f"s.`{c}`" for c in columns}
