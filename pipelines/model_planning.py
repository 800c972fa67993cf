"""Deciding how a model is built: which input versions it reads, and whether it is unchanged, rebuilt in
full or updated incrementally from its inputs' change data feeds (and which output keys that touches)."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakehub.catalog import CatalogStore
from lakehub.pipelines.model_specs import ModelSpec, ModelSpecError
from lakehub.pipelines.pseudonym import SQL_FUNCTION

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

WATERMARK_LOOKBACK = 1000
"""How many recent model runs are searched for a model's last input versions."""
_PSEUDONYM_CALL = re.compile(rf"\b{SQL_FUNCTION}\s*\(")


@dataclass(frozen=True, slots=True)
class Input:
    """A model input at the Delta version this run reads."""

    name: str
    location: str
    version: int


@dataclass(frozen=True, slots=True)
class Plan:
    """How a model is built this run."""

    mode: str | None
    """'full', 'incremental' or None (unchanged)."""
    reason: str
    changed: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Incremental: input → (first, last) version to read changes from."""


def code_fingerprint(model: ModelSpec, key_id: str = "") -> str:
    """Hash of the model's code and sidecar (and the pseudonym key's id for models that use the key):
    a change forces a full rebuild."""
    text = model.code + "\n" + model.meta.model_dump_json() + ("\n" + key_id if key_id else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def uses_pseudonyms(model: ModelSpec) -> bool:
    """Whether a model writes pseudonym columns or calls the SQL function person_key()."""
    return bool(model.pseudonym_columns) or bool(_PSEUDONYM_CALL.search(model.code))


def last_run_details(store: CatalogStore, model: ModelSpec) -> Mapping[str, Any] | None:
    """Details of the model's last passed run that recorded its input versions."""
    for run in store.list_runs(job_kind="model", limit=WATERMARK_LOOKBACK):
        if run.job_name == model.job_name and run.passed and "input_versions" in run.details:
            return run.details
    return None


def plan_build(
    model: ModelSpec,
    inputs: Sequence[Input],
    *,
    full_refresh: bool,
    exists: bool,
    last: Mapping[str, Any] | None,
    fingerprint: str,
) -> Plan:
    """Unchanged, full or incremental, and why (pure: the caller reads the table and the catalog)."""
    if full_refresh:
        return Plan("full", "full refresh requested")
    if not exists:
        return Plan("full", "first build")
    if last is None:
        return Plan("full", "no previous run recorded")
    if last.get("code") != fingerprint:
        return Plan("full", "model code or sidecar changed")
    before: Mapping[str, int] = last["input_versions"]
    changed = {i.name: (before.get(i.name), i.version) for i in inputs if before.get(i.name) != i.version}
    if not changed:
        return Plan(None, "no input changed since the last run")
    if model.meta.materialization != "incremental":
        return Plan("full", f"changed: {', '.join(sorted(changed))}")
    unmapped = sorted(n for n in changed if n not in model.meta.change_keys)
    if unmapped:
        return Plan("full", f"{', '.join(unmapped)} changed and has no change key")
    ranges: dict[str, tuple[int, int]] = {}
    for name, (old, new) in changed.items():
        if old is None or old > new:
            return Plan("full", f"{name} was replaced since the last run")
        ranges[name] = (old + 1, new)
    return Plan("incremental", f"changed: {', '.join(sorted(changed))}", ranges)


class TableVersions:
    """Latest Delta version per table location, read once per run and then kept up to date by the run's
    own commits: every model of a run reads its inputs as they were when the run first needed them (or
    as this run wrote them), instead of reading each input's Delta log again for every model."""

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark
        self._versions: dict[str, int | None] = {}
        self._lock = threading.Lock()
        self._reading: dict[str, threading.Lock] = {}

    def get(self, location: str) -> int | None:
        """The table's version (None when no Delta table is there); read once even when models running
        side by side ask for it at the same time."""
        with self._lock:
            reading = self._reading.setdefault(location, threading.Lock())
        with reading:
            if location not in self._versions:
                from lakehub.pipelines.delta_io import current_version

                self._versions[location] = current_version(self._spark, location)
            return self._versions[location]

    def committed(self, location: str, version: int | None) -> None:
        """Record a commit this run made (or forget the table when its version is unknown)."""
        if version is None:
            self._versions.pop(location, None)
        else:
            self._versions[location] = version


def read_input(versions: TableVersions, name: str, location: str) -> Input:
    """An input at its current version, or an error saying what to build first."""
    version = versions.get(location)
    if version is None:
        how = "`lakehub run --tier base`" if name.startswith("base.") else f"the model {name}"
        raise ModelSpecError(f"Input {name} has not been built yet ({location}). Fix: run {how} first.")
    return Input(name, location, version)


def _change_feed(spark: SparkSession, location: str, first: int, last: int) -> DataFrame:
    return (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", first)
        .option("endingVersion", last)
        .load(location)
    )


def check_change_feeds(spark: SparkSession, inputs: Sequence[Input], plan: Plan) -> Plan:
    """The plan, or a full rebuild when an input's change data feed cannot be read for its range."""
    by_name = {i.name: i for i in inputs}
    for name, (first, last) in sorted(plan.changed.items()):
        try:
            _change_feed(spark, by_name[name].location, first, last).limit(1).collect()
        except Exception as err:
            log.info("change feed of %s unreadable: %s", name, error_text(err))
            return Plan("full", f"change data feed of {name} unreadable for versions {first}-{last}")
    return plan


def changed_keys(spark: SparkSession, model: ModelSpec, inputs: Sequence[Input], plan: Plan) -> DataFrame:
    """Distinct output keys (column ``_key``, as strings) touched by the inputs' changes in the plan."""
    from pyspark.sql import functions as F

    by_name = {i.name: i for i in inputs}
    keys: DataFrame | None = None
    for name, (first, last) in sorted(plan.changed.items()):
        column = model.meta.change_keys[name]
        changes = _change_feed(spark, by_name[name].location, first, last).select(
            F.col(column).cast("string").alias("_key")
        )
        keys = changes if keys is None else keys.unionByName(changes)
    assert keys is not None
    return keys.where(F.col("_key").isNotNull()).distinct()


def error_text(err: Exception) -> str:
    """First line of an error, without Spark's stack traces (messages name columns, never values)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text[:400]}" if text else type(err).__name__
