"""What landing tells lineage: raw delivery → base.<name> + quarantine.<name>, with facets.

Column lineage maps each delivered column to its base column (IDENTITY for text kept as is,
TRANSFORMATION for standardised types) and to its quarantine column (IDENTITY, the delivered text);
the minimal landing checks and the source suite's landing rules become one list of data-quality
assertions with their counts, one per distinct check (`landing_assertions`). Every call is guarded:
lineage never fails a landing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from lakehub.catalog import CatalogStore
from lakehub.lineage.report import (
    ColumnInfo,
    DatasetIO,
    FieldSource,
    JobRun,
    LineageEmitter,
    ParentRun,
    RuleOutcome,
)
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.emit import lineage_emitter
from lakehub.pipelines.registration import BASE_META_COLUMNS, QUARANTINE_META_COLUMNS
from lakehub.pipelines.sources import SourceSpec
from lakehub.pipelines.validation import rule_outcomes
from lakehub.quality_rules.results import SuiteResult
from lakehub.quality_rules.suite import RuleSpec

log = logging.getLogger(__name__)

STANDARDISED = (
    "标准化：全角转半角、去空白、哨兵值置空、按类型解析（身份证15→18位、日期、金额元/万元、手机号、经纬度）"
)
DIMENSIONS = {"not_null": "完整性", "type": "规范性", "unique": "一致性"}
LANDING = "landing"
"""Origin name of landing's own minimal checks."""
NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
CheckKey = tuple[str, frozenset[str]]
"""(kind, columns): two checks with the same key judge the same thing."""


def _spec_columns(spec: SourceSpec, *, typed: bool) -> tuple[ColumnInfo, ...]:
    return tuple(
        ColumnInfo(
            name=c.name,
            type=c.spark_type if typed else "string",
            description=c.title,
            classification=c.sensitivity,
        )
        for c in spec.columns
    )


def raw_dataset(config: LakehubConfig, spec: SourceSpec) -> DatasetIO:
    """The raw tier folder of a source (content-addressed copies of every delivery)."""
    return DatasetIO(
        name=f"raw.{spec.id}",
        location=config.table_path("raw", spec.id),
        title=f"{spec.title}（原始文件）",
        tier="raw",
        columns=_spec_columns(spec, typed=False),
        owner=spec.department,
        description=f"{spec.department}报送的原始文件（{spec.format}）",
        storage_format=spec.format,
    )


def landing_quality(spec: SourceSpec, rows_read: int, reasons: Mapping[str, int]) -> tuple[RuleOutcome, ...]:
    """Landing's minimal checks as rule outcomes: required/key not null, typed values, one row per key."""
    outcomes: list[RuleOutcome] = []
    for column in spec.columns:
        if column.required or column.name in spec.business_key:
            missing = reasons.get(f"REQUIRED_MISSING:{column.name}", 0) + reasons.get(
                f"KEY_MISSING:{column.name}", 0
            )
            outcomes.append(
                RuleOutcome(
                    NOT_NULL,
                    column.name,
                    missing == 0,
                    rows_read,
                    missing,
                    "error",
                    DIMENSIONS["not_null"],
                    LANDING,
                )
            )
        if column.type != "string":
            invalid = reasons.get(f"TYPE_INVALID:{column.name}", 0)
            outcomes.append(
                RuleOutcome(
                    "expect_column_values_to_be_of_type",
                    column.name,
                    invalid == 0,
                    rows_read,
                    invalid,
                    "error",
                    DIMENSIONS["type"],
                    LANDING,
                )
            )
    duplicates = reasons.get(f"DUPLICATE_KEY:{','.join(spec.business_key)}", 0)
    outcomes.append(
        RuleOutcome(
            "expect_compound_columns_to_be_unique",
            ",".join(spec.business_key),
            duplicates == 0,
            rows_read,
            duplicates,
            "error",
            DIMENSIONS["unique"],
            LANDING,
        )
    )
    return tuple(outcomes)


def _landing_key(outcome: RuleOutcome) -> CheckKey:
    columns = frozenset((outcome.column or "").split(","))
    return ("unique" if outcome.expectation in UNIQUE else outcome.expectation, columns)


def _rule_key(rule: RuleSpec) -> CheckKey | None:
    """The key of a suite rule that judges exactly what a landing check does (every row, no `mostly`)."""
    if rule.kwargs.row_condition is not None or (rule.kwargs.fraction or 1.0) < 1.0:
        return None
    if rule.expectation == NOT_NULL or rule.expectation in UNIQUE:
        return ("unique" if rule.expectation in UNIQUE else NOT_NULL, frozenset(rule.columns))
    return None


def _merge(first: RuleOutcome, other: RuleOutcome) -> RuleOutcome:
    """One assertion for a check made twice: the worse count, both verdicts, the stricter severity, both origins."""
    worse = other if (other.unexpected_count or 0) > (first.unexpected_count or 0) else first
    return replace(
        first,
        success=first.success and other.success,
        element_count=worse.element_count,
        unexpected_count=worse.unexpected_count,
        severity="error" if "error" in (first.severity, other.severity) else first.severity or other.severity,
        dimension=first.dimension or other.dimension,
        name=" + ".join(n for n in (first.name, other.name) if n),
    )


def landing_assertions(
    spec: SourceSpec,
    rows_read: int,
    reasons: Mapping[str, int],
    suite: SuiteResult | None = None,
    rules: Sequence[RuleSpec] = (),
) -> tuple[RuleOutcome, ...]:
    """Landing's minimal checks and the suite's landing rules as one list, one assertion per distinct check.

    A suite rule judging what a minimal check does (not-null on a required or key column, uniqueness of the
    business key, over every row) folds into that check's assertion, named after both; `rules` are the
    suite's rule specs (for their `row_condition` and `mostly`). Minimal checks first, then the suite's
    other rules in suite order.
    """
    merged = list(landing_quality(spec, rows_read, reasons))
    slots = {_landing_key(o): i for i, o in enumerate(merged)}
    specs = {rule.id: rule for rule in rules}
    for result, outcome in zip(suite.results if suite else (), rule_outcomes(suite), strict=True):
        rule = specs.get(result.rule_id)
        key = _rule_key(rule) if rule is not None else None
        if key is not None and key in slots:
            merged[slots[key]] = _merge(merged[slots[key]], outcome)
        else:
            merged.append(outcome)
    return tuple(merged)


def _commit_bytes(location: str, version: int | None) -> int | None:
    """Bytes of the data files a Delta commit added (local tables; None when unknown)."""
    if version is None or "://" in location:
        return None
    log_file = Path(location) / "_delta_log" / f"{version:020d}.json"
    try:
        lines = log_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    total = 0
    for line in lines:
        action = json.loads(line) if line.strip() else {}
        if "add" in action:
            total += int(action["add"].get("size") or 0)
    return total


def _suite_rules(spec: SourceSpec, suite: SuiteResult | None) -> tuple[RuleSpec, ...]:
    """The rule specs of the suite the source names (landing reports only its results)."""
    if suite is None or spec.suite is None:
        return ()
    from lakehub.quality_rules import resolve_suite

    return resolve_suite(spec.suite).rules


def landing_outputs(
    config: LakehubConfig,
    store: CatalogStore,
    spec: SourceSpec,
    raw: DatasetIO,
    *,
    rows_read: int,
    rows_written: int,
    quarantined: int,
    reasons: Mapping[str, int],
    suite: SuiteResult | None = None,
) -> list[DatasetIO]:
    """base.<name> and quarantine.<name> after a landing, with versions, counts and column lineage."""
    outputs = []
    for tier in ("base", "quarantine"):
        name = f"{tier}.{spec.table_name}"
        record = store.get_dataset(name)
        typed = tier == "base"
        meta = BASE_META_COLUMNS if typed else QUARANTINE_META_COLUMNS
        lineage: dict[str, tuple[FieldSource, ...]] = {
            c.name: (
                FieldSource(
                    raw.name,
                    c.name,
                    "DIRECT",
                    "TRANSFORMATION" if typed and c.type != "string" else "IDENTITY",
                    STANDARDISED if typed and c.type != "string" else None,
                ),
            )
            for c in spec.columns
        }
        outputs.append(
            DatasetIO(
                name=name,
                location=record.location,
                title=record.title,
                tier=tier,
                columns=_spec_columns(spec, typed=typed)
                + tuple(ColumnInfo(m.name, m.data_type, m.title) for m in meta),
                version=None if record.current_version is None else str(record.current_version),
                row_count=record.row_count,
                byte_count=_commit_bytes(record.location, record.current_version),
                owner=spec.department,
                description=record.description,
                column_lineage=lineage,
                quality=landing_assertions(spec, rows_read, reasons, suite, _suite_rules(spec, suite))
                if typed
                else (),
                rows_written=rows_written if typed else quarantined,
            )
        )
    return outputs


class LandingLineage:
    """Reports one landing run (START, then COMPLETE or FAIL); swallows every lineage error."""

    def __init__(
        self, config: LakehubConfig, store: CatalogStore, spec: SourceSpec, parent_run_id: str | None
    ) -> None:
        self.config = config
        self.store = store
        self.spec = spec
        self.parent_run_id = parent_run_id
        self.emitter: LineageEmitter | None = None
        self.raw = raw_dataset(config, spec)
        self.started: set[str] = set()

    def _job(self, run_id: str) -> JobRun:
        parent = None
        if self.parent_run_id is not None:
            parent = ParentRun(self.parent_run_id, self.store.get_run(self.parent_run_id).job_name)
        return JobRun(
            run_id=run_id,
            job_name=f"ingest.{self.spec.id}",
            job_type="INGEST",
            parent=parent,
            description=f"{self.spec.department}「{self.spec.title}」入库：原始文件 → 基础库 + 隔离区",
            owner=self.spec.department,
        )

    def _emitter(self) -> LineageEmitter:
        if self.emitter is None:
            self.emitter = lineage_emitter(self.config, self.store)
        return self.emitter

    def start(self, run_id: str) -> None:
        """The landing of one file started."""
        try:
            self.started.add(run_id)
            self._emitter().start(self._job(run_id), [self.raw])
        except Exception:
            log.exception("lineage START of %s failed; landing goes on", run_id)

    def complete(
        self,
        run_id: str,
        *,
        rows_read: int = 0,
        rows_written: int = 0,
        quarantined: int = 0,
        reasons: Mapping[str, int] | None = None,
        suite: SuiteResult | None = None,
        wrote: bool = True,
    ) -> None:
        """The landing succeeded (``wrote`` False: skipped, nothing written)."""
        try:
            outputs = (
                landing_outputs(
                    self.config,
                    self.store,
                    self.spec,
                    self.raw,
                    rows_read=rows_read,
                    rows_written=rows_written,
                    quarantined=quarantined,
                    reasons=reasons or {},
                    suite=suite,
                )
                if wrote
                else []
            )
            self._emitter().complete(self._job(run_id), [self.raw], outputs)
        except Exception:
            log.exception("lineage COMPLETE of %s failed; landing goes on", run_id)

    def fail(self, run_id: str, error: str) -> None:
        """The landing failed with ``error`` (a message naming files, rows and columns, never values)."""
        if run_id not in self.started:
            self.start(run_id)
        try:
            self._emitter().fail(self._job(run_id), error, [self.raw])
        except Exception:
            log.exception("lineage FAIL of %s failed", run_id)


class PipelineLineage:
    """Reports a `lakehub run`/`demo` parent run, which landing and model runs name as their parent."""

    def __init__(
        self,
        config: LakehubConfig,
        store: CatalogStore,
        run_id: str,
        job_name: str,
        emitter: LineageEmitter | None = None,
    ) -> None:
        self.run = JobRun(
            run_id=run_id,
            job_name=job_name,
            job_type="PIPELINE",
            description=f"lakehub {job_name}",
            processing_engine="spark",
        )
        self.emitter = emitter or lineage_emitter(config, store)

    def start(self) -> None:
        """The pipeline run started."""
        try:
            self.emitter.start(self.run)
        except Exception:
            log.exception("lineage START of %s failed", self.run.run_id)

    def finish(self, error: str | None = None) -> None:
        """The pipeline run ended (``error``: why some part failed)."""
        try:
            if error is None:
                self.emitter.complete(self.run, (), ())
            else:
                self.emitter.fail(self.run, error)
        except Exception:
            log.exception("lineage %s of %s failed", "FAIL" if error else "COMPLETE", self.run.run_id)
