"""CatalogStore: the repository over the catalog database (runs, datasets, columns, versions)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from . import audit, datasets, quality, runs, sharing
from .engine import URL_HINT, create_catalog_engine, parse_url, render_url, scrub
from .errors import CatalogError, CatalogUnavailableError
from .hub_records import (
    AuditAction,
    AuditEntryRecord,
    AuditVerification,
    ExportPlan,
    ExportValues,
    ShareRefusedError,
    ShareRequestRecord,
)
from .migrate import HEAD_REVISION, current_revision, upgrade_to_head
from .models import VersionRow
from .quality_records import (
    IssueRecord,
    ObjectionRecord,
    RuleHistoryPoint,
    ValidationRecord,
    ValidationSubject,
    ValidationValues,
)
from .records import DatasetRecord, DatasetSpec, RowCounts, RunRecord, RunStatus, VersionRecord

log = logging.getLogger(__name__)

INIT_HINT = "Run `lakehub init` to create or upgrade the catalog."
AUDIT_APPEND_ATTEMPTS = 3
"""Appends racing for the same audit-log position retry this often (the loser's transaction is rolled back)."""
_T = TypeVar("_T")
_UNDEFINED_TABLE_SQLSTATE = "42P01"


class CatalogStore:
    """Repository over the catalog database; every method runs in its own transaction."""

    def __init__(self, url: str) -> None:
        self._url = parse_url(url)
        self.url = render_url(self._url)
        self.engine = create_catalog_engine(self._url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> CatalogStore:
        """Connect and upgrade the schema to head; cheap when it is already there."""
        store = cls(url)
        try:
            store.upgrade()
        except BaseException:
            store.close()
            raise
        return store

    def __repr__(self) -> str:
        return f"CatalogStore({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def upgrade(self) -> None:
        """Upgrade the schema to the newest Alembic revision."""
        with self._guard():
            before, after = upgrade_to_head(self.engine, self.url)
        if before != after:
            log.info("Catalog at %s upgraded from %s to %s", self.url, before or "empty", after)

    def check(self) -> str:
        """Connect and return the schema revision; raise CatalogUnavailableError unless at head."""
        with self._guard(), self.engine.connect() as connection:
            revision = current_revision(connection)
        if revision is None:
            raise CatalogUnavailableError(f"The catalog at {self.url} has no schema yet. {INIT_HINT}")
        if revision != HEAD_REVISION:
            raise CatalogUnavailableError(
                f"The catalog at {self.url} is at schema revision {revision}, this lakehub expects "
                f"{HEAD_REVISION}. {INIT_HINT}"
            )
        return revision

    def start_run(
        self,
        job_name: str,
        job_kind: str,
        *,
        source_id: str | None = None,
        parent_run_id: str | None = None,
        run_date: date | None = None,
        input_path: str | None = None,
        input_sha256: str | None = None,
        input_bytes: int | None = None,
    ) -> str:
        """Record a new running job run and return its run id."""
        with self._transaction() as session:
            run_id = runs.insert_run(
                session,
                job_name,
                job_kind,
                source_id=source_id,
                parent_run_id=parent_run_id,
                run_date=run_date,
                input_path=input_path,
                input_sha256=input_sha256,
                input_bytes=input_bytes,
            )
        log.info("Started %s run %s of %s", job_kind, run_id, job_name)
        return run_id

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        counts: RowCounts | None = None,
        error: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Mark a running run finished with its status, counts, error text (no row values) and details."""
        with self._transaction() as session:
            record = runs.complete_run(
                session, run_id, status, counts=counts, error=error, details=details, where=self.url
            )
        log.info("Finished run %s as %s", run_id, record.status.value)
        return record

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id."""
        with self._transaction() as session:
            return runs.run_record(session, run_id, self.url)

    def list_runs(
        self, *, source_id: str | None = None, job_kind: str | None = None, limit: int = 50
    ) -> list[RunRecord]:
        """Most recent runs first, optionally for one source or job kind."""
        with self._transaction() as session:
            return runs.select_runs(session, source_id=source_id, job_kind=job_kind, limit=limit)

    def find_succeeded_ingest(self, source_id: str, input_sha256: str) -> RunRecord | None:
        """The latest succeeded ingest run that landed this exact file content, if any."""
        with self._transaction() as session:
            return runs.latest_succeeded_ingest(session, source_id, input_sha256)

    def register_dataset(self, spec: DatasetSpec) -> DatasetRecord:
        """Insert or update a dataset by name, replacing its column list; registered_at is kept."""
        with self._transaction() as session:
            record = datasets.upsert_dataset(session, spec, runs.utc_now(), self.url)
        log.info("Registered dataset %s with %d columns", spec.name, len(spec.columns))
        return record

    def record_version(
        self,
        name: str,
        *,
        version: int,
        run_id: str,
        operation: str,
        row_count: int,
        rows_inserted: int = 0,
        rows_updated: int = 0,
        rows_deleted: int = 0,
        changed_at: datetime | None = None,
    ) -> None:
        """Record a Delta version written by a run; a repeated (dataset, version) is a no-op."""
        if changed_at is not None and changed_at.tzinfo is None:
            raise CatalogError(
                f"changed_at for version {version} of {name} is a naive datetime. "
                "Pass a timezone-aware time, e.g. datetime.now(UTC)."
            )
        try:
            with self._transaction() as session:
                dataset = datasets.dataset_row(session, name, self.url)
                runs.run_row(session, run_id, self.url)
                if datasets.version_exists(session, dataset.id, version):
                    log.debug("Version %d of %s is already recorded", version, dataset.name)
                    return
                row = VersionRow(
                    dataset_id=dataset.id,
                    version=version,
                    run_id=run_id,
                    operation=operation,
                    row_count=row_count,
                    rows_inserted=rows_inserted,
                    rows_updated=rows_updated,
                    rows_deleted=rows_deleted,
                    created_at=changed_at or runs.utc_now(),
                )
                datasets.add_version(session, dataset, row)
        except IntegrityError:
            with self._transaction() as session:
                dataset = datasets.dataset_row(session, name, self.url)
                if not datasets.version_exists(session, dataset.id, version):
                    raise
            log.debug("Version %d of %s was recorded concurrently", version, name)
            return
        log.info("Recorded version %d of %s (%s, run %s)", version, name, operation, run_id)

    def list_datasets(self, *, tier: str | None = None) -> list[DatasetRecord]:
        """All datasets ordered by name, optionally of one tier."""
        with self._transaction() as session:
            return datasets.select_datasets(session, tier)

    def get_dataset(self, ref: str) -> DatasetRecord:
        """The dataset a reference resolves to, with its columns."""
        with self._transaction() as session:
            return datasets.dataset_record(session, ref, self.url)

    def resolve_dataset(self, ref: str) -> str:
        """Short name for ``tier.name``, ``ol_namespace/ol_name`` or a bare name unique across tiers."""
        with self._transaction() as session:
            return datasets.resolve(session, ref, self.url)

    def search(self, text: str) -> list[DatasetRecord]:
        """Datasets matching every word of ``text`` (case-insensitive) in names, titles or columns."""
        with self._transaction() as session:
            return datasets.search_datasets(session, text)

    def history(self, ref: str) -> list[VersionRecord]:
        """Versions of a dataset, newest first, with the job name and status of each run."""
        with self._transaction() as session:
            return datasets.select_history(session, ref, self.url)

    def record_validation(self, values: ValidationValues) -> ValidationRecord:
        """Store one validation with its rule results and failing-row issues (history is kept)."""
        with self._transaction() as session:
            record = quality.insert_validation(session, values, runs.utc_now(), self.url)
        log.info(
            "Recorded validation %d of %s (%s, %d of %d rules failed, %d issues)",
            record.id,
            record.dataset,
            record.outcome,
            record.rules_failed,
            record.rules_total,
            record.issues_recorded,
        )
        return record

    def latest_validations(
        self,
        *,
        per_dataset: int = 1,
        subject: ValidationSubject = ValidationSubject.TABLE,
        dataset: str | None = None,
    ) -> list[ValidationRecord]:
        """The newest `per_dataset` validations of each dataset (or of one), newest first per dataset."""
        with self._transaction() as session:
            name = (
                datasets.resolve(session, dataset, self.url)
                if dataset and subject is ValidationSubject.TABLE
                else dataset
            )
            return quality.select_latest(session, per_dataset=per_dataset, subject=subject, dataset=name)

    def validation_history(self, ref: str, *, limit: int = 50) -> list[ValidationRecord]:
        """Validations of a dataset (or of a checked file path), newest first."""
        with self._transaction() as session:
            name = ref if quality.has_validations(session, ref) else datasets.resolve(session, ref, self.url)
            return quality.select_history(session, name, limit)

    def rule_history(self, ref: str, rule_id: str, *, limit: int = 50) -> list[RuleHistoryPoint]:
        """One rule's results over a dataset's validations, oldest first: its trend."""
        with self._transaction() as session:
            name = ref if quality.has_validations(session, ref) else datasets.resolve(session, ref, self.url)
            return quality.select_rule_history(session, name, rule_id, limit)

    def quality_departments(self) -> list[str]:
        """Departments known to the catalog (owners of base datasets, validations, issues)."""
        with self._transaction() as session:
            return quality.known_departments(session)

    def list_issues(self, *, department: str | None = None, dataset: str | None = None) -> list[IssueRecord]:
        """Failing rows of each dataset's newest validation; an unknown department lists the valid ones."""
        with self._transaction() as session:
            if department is not None:
                quality.check_department(session, department)
            name = datasets.resolve(session, dataset, self.url) if dataset is not None else None
            return quality.select_issues(session, department=department, dataset=name)

    def raise_objection(
        self,
        dataset: str,
        *,
        record_key: str,
        field: str,
        reason: str,
        raised_by: str,
        due_at: datetime,
        raised_at: datetime | None = None,
    ) -> ObjectionRecord:
        """Open a quality objection (质量异议) routed to the dataset's owning department; key already masked."""
        with self._transaction() as session:
            record = quality.insert_objection(
                session,
                dataset=dataset,
                record_key=record_key,
                field=field,
                reason=reason,
                raised_by=raised_by,
                raised_at=raised_at or runs.utc_now(),
                due_at=due_at,
                where=self.url,
            )
        log.info("Objection %d on %s.%s routed to %s", record.id, record.dataset, field, record.department)
        return record

    def list_objections(
        self, *, department: str | None = None, status: str | None = None, now: datetime | None = None
    ) -> list[ObjectionRecord]:
        """Objections oldest first; overdue is judged at `now` (default: the current time)."""
        with self._transaction() as session:
            if department is not None:
                quality.check_department(session, department)
            return quality.select_objections(
                session, department=department, status=status, now=now or runs.utc_now()
            )

    def resolve_objection(
        self, objection_id: int, *, resolution: str, resolved_by: str, now: datetime | None = None
    ) -> ObjectionRecord:
        """Close an open objection with its resolution."""
        with self._transaction() as session:
            return quality.resolve_objection(
                session,
                objection_id,
                resolution=resolution,
                resolved_by=resolved_by,
                now=now or runs.utc_now(),
                where=self.url,
            )

    def request_share(
        self,
        dataset: str,
        *,
        department: str,
        purpose: str,
        requested_by: str,
        columns: Sequence[str] = (),
        due_working_days: int = sharing.DEFAULT_RESPONSE_WORKING_DAYS,
        now: datetime | None = None,
    ) -> ShareRequestRecord:
        """Record a department's sharing request (无条件共享 is approved at once); negative-list data is refused."""
        moment = now or runs.utc_now()
        record = self._audited(
            lambda session: sharing.insert_request(
                session,
                dataset,
                requesting_department=department,
                purpose=purpose,
                columns=columns,
                requested_by=requested_by,
                now=moment,
                due_working_days=due_working_days,
                where=self.url,
            )
        )
        log.info(
            "Sharing request %d on %s from %s: %s", record.id, record.dataset, department, record.status.value
        )
        return record

    def decide_share(
        self,
        request_id: int,
        *,
        approve: bool,
        decided_by: str,
        note: str | None = None,
        department: str | None = None,
        grant: Sequence[str] = (),
        now: datetime | None = None,
    ) -> ShareRequestRecord:
        """Approve or reject a pending request as its owning department (default) or the hub operator."""
        moment = now or runs.utc_now()
        return self._audited(
            lambda session: sharing.decide_request(
                session,
                request_id,
                approve=approve,
                note=note,
                decided_by=decided_by,
                department=department,
                grant=grant,
                now=moment,
                where=self.url,
            )
        )

    def get_share_request(self, request_id: int, *, now: datetime | None = None) -> ShareRequestRecord:
        """One sharing request."""
        with self._transaction() as session:
            return sharing.get_request(session, request_id, now=now or runs.utc_now(), where=self.url)

    def list_share_requests(
        self, *, status: str | None = None, department: str | None = None, now: datetime | None = None
    ) -> list[ShareRequestRecord]:
        """Sharing requests oldest first; overdue is judged at `now` (default: the current time)."""
        with self._transaction() as session:
            return sharing.select_requests(
                session, status=status, department=department, now=now or runs.utc_now()
            )

    def plan_share_export(self, request_id: int, *, actor: str, now: datetime | None = None) -> ExportPlan:
        """Columns and masking an export of this request may use; a refusal is logged, then raised."""
        moment = now or runs.utc_now()
        try:
            with self._transaction() as session:
                return sharing.plan_export(session, request_id, now=moment, where=self.url)
        except ShareRefusedError as refused:
            reason = str(refused)
            self._audited(
                lambda session: sharing.record_refusal(
                    session, request_id, actor=actor, reason=reason, now=moment
                )
            )
            raise

    def record_share_export(
        self, plan: ExportPlan, values: ExportValues, *, actor: str, now: datetime | None = None
    ) -> AuditEntryRecord:
        """Log a written export file (rows, SHA-256, masking); the request counts as resolved from its first."""
        moment = now or runs.utc_now()
        return self._audited(
            lambda session: sharing.record_export(
                session, plan, values, actor=actor, now=moment, where=self.url
            )
        )

    def append_audit(
        self,
        action: AuditAction,
        *,
        actor: str,
        department: str | None = None,
        dataset: str | None = None,
        request_id: int | None = None,
        details: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> AuditEntryRecord:
        """Append one entry to the audit log (e.g. a sensitive read); details must be plain JSON, no row values."""
        moment = now or runs.utc_now()
        return self._audited(
            lambda session: audit.append_entry(
                session,
                action,
                actor=actor,
                now=moment,
                department=department,
                dataset=dataset,
                request_id=request_id,
                details=details,
            )
        )

    def audit_log(
        self, *, since: datetime | None = None, action: str | None = None, dataset: str | None = None
    ) -> list[AuditEntryRecord]:
        """Audit-log entries oldest first, optionally from a time on, of one action, or about one dataset."""
        with self._transaction() as session:
            name = datasets.resolve(session, dataset, self.url) if dataset is not None else None
            return audit.select_entries(session, since=since, action=action, dataset=name)

    def verify_audit(self, anchors: Sequence[tuple[int, str]] = ()) -> AuditVerification:
        """Recompute the audit log's hash chain, check anchors (seq, hash prefix) recorded outside the
        database; list negative-list exports and sharing records the log lacks."""
        with self._transaction() as session:
            return audit.verify_log(session, anchors)

    def _audited(self, work: Callable[[Session], _T]) -> _T:
        """Run `work` in a transaction, retrying when a concurrent append took the same log position."""
        for attempt in range(1, AUDIT_APPEND_ATTEMPTS + 1):
            try:
                with self._transaction() as session:
                    return work(session)
            except IntegrityError:
                if attempt == AUDIT_APPEND_ATTEMPTS:
                    raise
                log.debug("Audit-log append raced another writer; retrying (attempt %d)", attempt + 1)
        raise AssertionError("unreachable")

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in a transaction committed on success, rolled back on error."""
        with self._guard(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn connection and missing-schema failures into CatalogUnavailableError."""
        try:
            yield
        except (OperationalError, InterfaceError) as err:
            raise self._unavailable(err) from err
        except ProgrammingError as err:
            if not self._is_missing_schema(err):
                raise
            raise self._unavailable(err) from err

    def _detail(self, err: DBAPIError) -> str:
        """First line of the driver's message, without the password."""
        lines = str(err.orig).strip().splitlines()
        return scrub(lines[0] if lines else type(err.orig).__name__, self._url)

    def _is_missing_schema(self, err: DBAPIError) -> bool:
        """Whether the driver error says a catalog table does not exist."""
        code = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
        return code == _UNDEFINED_TABLE_SQLSTATE or "no such table" in self._detail(err).lower()

    def _unavailable(self, err: DBAPIError) -> CatalogUnavailableError:
        """CatalogUnavailableError for a driver error, with the fix for its likely cause."""
        detail = self._detail(err)
        if self._is_missing_schema(err):
            return CatalogUnavailableError(
                f"The catalog at {self.url} has no schema yet ({detail}). {INIT_HINT}"
            )
        if "locked" in detail.lower():
            return CatalogUnavailableError(
                f"The catalog at {self.url} is locked by another process ({detail}). "
                "Retry when the other lakehub job has finished."
            )
        return CatalogUnavailableError(f"Cannot use the catalog at {self.url}: {detail}. {URL_HINT}")
