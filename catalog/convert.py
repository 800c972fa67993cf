"""Conversion between ORM rows and the catalog's frozen records."""

from __future__ import annotations

from .models import ColumnRow, DatasetRow, RunRow, VersionRow
from .records import (
    ColumnRecord,
    ColumnSpec,
    DatasetRecord,
    JobKind,
    RowCounts,
    RunRecord,
    RunStatus,
    Sensitivity,
    Tier,
    VersionRecord,
)


def column_record(row: ColumnRow) -> ColumnRecord:
    """Record for a column row."""
    return ColumnRecord(
        position=row.position,
        name=row.name,
        data_type=row.data_type,
        title=row.title,
        description=row.description,
        sensitivity=Sensitivity(row.sensitivity) if row.sensitivity else None,
        security_level=row.security_level,
        nullable=row.nullable,
        is_key=row.is_key,
    )


def dataset_record(row: DatasetRow) -> DatasetRecord:
    """Record for a dataset row with its columns in position order."""
    return DatasetRecord(
        id=row.id,
        name=row.name,
        tier=Tier(row.tier),
        title=row.title,
        department=row.department,
        description=row.description,
        location=row.location,
        storage_format=row.storage_format,
        source_id=row.source_id,
        business_key=tuple(row.business_key),
        sharing_class=row.sharing_class,
        security_level=row.security_level,
        base_library=row.base_library,
        freshness_sla_hours=row.freshness_sla_hours,
        ol_namespace=row.ol_namespace,
        ol_name=row.ol_name,
        current_version=row.current_version,
        row_count=row.row_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        registered_at=row.registered_at,
        columns=tuple(column_record(c) for c in sorted(row.columns, key=lambda c: c.position)),
    )


def apply_column_spec(row: ColumnRow, spec: ColumnSpec, position: int, business_key: tuple[str, ...]) -> None:
    """Copy a column spec onto a column row."""
    row.position = position
    row.name = spec.name
    row.data_type = spec.data_type
    row.title = spec.title
    row.description = spec.description
    row.sensitivity = spec.sensitivity
    row.security_level = spec.security_level
    row.nullable = spec.nullable
    row.is_key = spec.is_key or spec.name in business_key


def run_counts(row: RunRow) -> RowCounts | None:
    """Row counts of a run, or None when the run recorded none."""
    values = (
        row.rows_read,
        row.rows_landed,
        row.rows_quarantined,
        row.rows_rejected,
        row.rows_inserted,
        row.rows_updated,
        row.rows_unchanged,
    )
    if all(value is None for value in values):
        return None
    read, landed, quarantined, rejected, inserted, updated, unchanged = (v or 0 for v in values)
    return RowCounts(read, landed, quarantined, rejected, inserted, updated, unchanged)


def apply_run_counts(row: RunRow, counts: RowCounts) -> None:
    """Copy row counts onto a run row."""
    row.rows_read = counts.read
    row.rows_landed = counts.landed
    row.rows_quarantined = counts.quarantined
    row.rows_rejected = counts.rejected
    row.rows_inserted = counts.inserted
    row.rows_updated = counts.updated
    row.rows_unchanged = counts.unchanged


def run_record(row: RunRow) -> RunRecord:
    """Record for a run row."""
    return RunRecord(
        run_id=row.run_id,
        job_name=row.job_name,
        job_kind=JobKind(row.job_kind),
        status=RunStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        parent_run_id=row.parent_run_id,
        source_id=row.source_id,
        run_date=row.run_date,
        input_path=row.input_path,
        input_sha256=row.input_sha256,
        input_bytes=row.input_bytes,
        counts=run_counts(row),
        error=row.error,
        details=dict(row.details or {}),
    )


def version_record(row: VersionRow, dataset: str, run: RunRow) -> VersionRecord:
    """Record for a version row with the run that wrote it."""
    return VersionRecord(
        dataset=dataset,
        version=row.version,
        operation=row.operation,
        row_count=row.row_count,
        rows_inserted=row.rows_inserted,
        rows_updated=row.rows_updated,
        rows_deleted=row.rows_deleted,
        created_at=row.created_at,
        run_id=row.run_id,
        job_name=run.job_name,
        run_status=RunStatus(run.status),
    )
