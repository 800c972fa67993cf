"""Run repository: queries and updates on the runs table within a caller's session."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import convert
from .errors import CatalogError, RunNotFoundError
from .models import RunRow
from .records import JobKind, RowCounts, RunRecord, RunStatus, parse_choice

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def run_row(session: Session, run_id: str, where: str) -> RunRow:
    """The run row for an id or RunNotFoundError."""
    row = session.get(RunRow, run_id)
    if row is None:
        raise RunNotFoundError(run_id, where)
    return row


def insert_run(
    session: Session,
    job_name: str,
    job_kind: str,
    *,
    source_id: str | None,
    parent_run_id: str | None,
    run_date: date | None,
    input_path: str | None,
    input_sha256: str | None,
    input_bytes: int | None,
) -> str:
    """Add a running run and return its new run id."""
    kind = parse_choice(JobKind, job_kind, "job kind")
    run_id = str(uuid.uuid4())
    session.add(
        RunRow(
            run_id=run_id,
            job_name=job_name,
            job_kind=kind.value,
            parent_run_id=parent_run_id,
            source_id=source_id,
            status=RunStatus.RUNNING.value,
            started_at=utc_now(),
            run_date=run_date,
            input_path=input_path,
            input_sha256=input_sha256,
            input_bytes=input_bytes,
            details={},
        )
    )
    return run_id


def complete_run(
    session: Session,
    run_id: str,
    status: str,
    *,
    counts: RowCounts | None,
    error: str | None,
    details: Mapping[str, Any] | None,
    where: str,
) -> RunRecord:
    """Set the final status, finish time, counts, error and details of a running run."""
    final = parse_choice(RunStatus, status, "run status")
    if final is RunStatus.RUNNING:
        raise CatalogError(
            f"Run {run_id} cannot finish as running. Valid values are: succeeded, failed, skipped."
        )
    row = run_row(session, run_id, where)
    if row.status != RunStatus.RUNNING.value:
        raise CatalogError(
            f"Run {run_id} already finished as {row.status} in the catalog at {where}. "
            "Start a new run to retry."
        )
    row.status = final.value
    row.finished_at = utc_now()
    row.error = error
    row.details = dict(details or {})
    if counts is not None:
        convert.apply_run_counts(row, counts)
        if row.job_kind == JobKind.INGEST.value and not counts.balanced:
            log.warning("Run %s row accounting does not balance: %s", run_id, counts)
    return convert.run_record(row)


def select_runs(
    session: Session, *, source_id: str | None, job_kind: str | None, limit: int
) -> list[RunRecord]:
    """Most recent runs first, optionally for one source or job kind."""
    query = select(RunRow).order_by(RunRow.started_at.desc()).limit(limit)
    if source_id is not None:
        query = query.where(RunRow.source_id == source_id)
    if job_kind is not None:
        query = query.where(RunRow.job_kind == parse_choice(JobKind, job_kind, "job kind").value)
    return [convert.run_record(row) for row in session.scalars(query)]


def latest_succeeded_ingest(session: Session, source_id: str, input_sha256: str) -> RunRecord | None:
    """The latest succeeded ingest run of a source for this file content, if any."""
    query = (
        select(RunRow)
        .where(
            RunRow.source_id == source_id,
            RunRow.input_sha256 == input_sha256,
            RunRow.job_kind == JobKind.INGEST.value,
            RunRow.status == RunStatus.SUCCEEDED.value,
        )
        .order_by(RunRow.finished_at.desc())
        .limit(1)
    )
    row = session.scalars(query).first()
    return convert.run_record(row) if row is not None else None


def run_record(session: Session, run_id: str, where: str) -> RunRecord:
    """Record of the run with this id."""
    return convert.run_record(run_row(session, run_id, where))
