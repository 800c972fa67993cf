"""Sharing repository (数据共享): requests, decisions and exports, each logged in the audit log in the same transaction.

A department requests a dataset for a purpose. 无条件共享 data is approved at once (the platform
serves it directly); 有条件共享 data waits for the owning department or the hub operator (区数据管理局),
who must answer within the request's deadline (10 working days by default, as 《政务信息资源共享管理暂行
办法》 asks of providers); 不予共享 (negative list) data cannot be requested, approved or exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, datasets
from .deadlines import working_day_deadline
from .errors import AmbiguousDatasetError, CatalogError
from .hub_records import (
    HUB_OPERATOR,
    AuditAction,
    AuditEntryRecord,
    ExportPlan,
    ExportValues,
    ShareRefusedError,
    ShareRequestNotFoundError,
    ShareRequestRecord,
    ShareStatus,
    SharingClass,
)
from .models import DatasetRow
from .models_hub import ShareRequestRow
from .records import parse_choice

DEFAULT_RESPONSE_WORKING_DAYS = 10
AUTO_APPROVER = "lakehub"
AUTO_NOTE = "无条件共享：平台自动通过"


def share_record(row: ShareRequestRow, now: datetime) -> ShareRequestRecord:
    """Record of a request, overdue when still pending after its deadline."""
    status = ShareStatus(row.status)
    return ShareRequestRecord(
        id=row.id,
        dataset=row.dataset,
        owner_department=row.owner_department,
        sharing_class=row.sharing_class,
        requesting_department=row.requesting_department,
        purpose=row.purpose,
        columns=tuple(row.columns),
        requested_by=row.requested_by,
        status=status,
        requested_at=row.requested_at,
        due_at=row.due_at,
        responded_at=row.responded_at,
        resolved_at=row.resolved_at,
        decision_note=row.decision_note,
        decided_by=row.decided_by,
        decided_department=row.decided_department,
        granted_columns=tuple(row.granted_columns),
        exports=row.exports,
        overdue=status is ShareStatus.PENDING and now > row.due_at,
    )


def _dataset(session: Session, ref: str, where: str) -> DatasetRow:
    """The dataset a reference names; a bare name found in several tiers means its base table."""
    try:
        return datasets.dataset_row(session, ref, where)
    except AmbiguousDatasetError as err:
        if f"base.{ref}" not in err.candidates:
            raise
        return datasets.dataset_row(session, f"base.{ref}", where)


def _sharing_class(dataset: DatasetRow) -> SharingClass:
    try:
        return SharingClass(dataset.sharing_class)
    except ValueError as err:
        valid = ", ".join(c.value for c in SharingClass)
        raise ShareRefusedError(
            f"{dataset.name} has no valid sharing class ({dataset.sharing_class or 'empty'!r}), so it cannot be "
            f"shared. Fix: set sharing_class ({valid}) in its source spec or model and land it again."
        ) from err


def _refuse_negative_list(dataset: DatasetRow, doing: str) -> None:
    if _sharing_class(dataset) is SharingClass.NEGATIVE_LIST:
        raise ShareRefusedError(
            f"{dataset.name} is {SharingClass.NEGATIVE_LIST.value} (negative list): it cannot be {doing}. "
            "Fix: request a dataset classified 无条件共享 or 有条件共享 (see `lakehub catalog list`), or ask "
            f"{dataset.department} to reclassify it."
        )


def _pick_columns(dataset: DatasetRow, wanted: Sequence[str]) -> list[str]:
    names = [c.name for c in dataset.columns]
    if not wanted:
        return [n for n in names if not n.startswith("_")]
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise CatalogError(
            f"Column(s) {', '.join(unknown)} are not in {dataset.name}. Valid columns: {', '.join(names)}. "
            "Fix: pass --columns with names from this list."
        )
    return list(dict.fromkeys(wanted))


def insert_request(
    session: Session,
    dataset: str,
    *,
    requesting_department: str,
    purpose: str,
    columns: Sequence[str],
    requested_by: str,
    now: datetime,
    due_working_days: int,
    where: str,
) -> ShareRequestRecord:
    """Store a request (approved at once for 无条件共享) and log it; negative-list data is refused."""
    if not requesting_department.strip():
        raise CatalogError("A sharing request needs the requesting department. Fix: pass --department.")
    if not purpose.strip():
        raise CatalogError(
            "A sharing request needs its purpose. Fix: pass --purpose with what the data is for."
        )
    target = _dataset(session, dataset, where)
    _refuse_negative_list(target, "requested")
    sharing_class = _sharing_class(target)
    picked = _pick_columns(target, columns)
    unconditional = sharing_class is SharingClass.UNCONDITIONAL
    row = ShareRequestRow(
        dataset=target.name,
        owner_department=target.department,
        sharing_class=sharing_class.value,
        requesting_department=requesting_department.strip(),
        purpose=purpose.strip(),
        columns=picked,
        requested_by=requested_by,
        status=(ShareStatus.APPROVED if unconditional else ShareStatus.PENDING).value,
        requested_at=now,
        due_at=working_day_deadline(now, due_working_days),
        responded_at=now if unconditional else None,
        decision_note=AUTO_NOTE if unconditional else None,
        decided_by=AUTO_APPROVER if unconditional else None,
        decided_department=HUB_OPERATOR if unconditional else None,
        granted_columns=[],
        exports=0,
    )
    session.add(row)
    session.flush()
    audit.append_entry(
        session,
        AuditAction.SHARE_REQUEST,
        actor=requested_by,
        now=now,
        department=row.requesting_department,
        dataset=row.dataset,
        request_id=row.id,
        details={
            "purpose": row.purpose,
            "columns": picked,
            "sharing_class": row.sharing_class,
            "owner_department": row.owner_department,
            "due_at": row.due_at.isoformat(),
        },
    )
    if unconditional:
        audit.append_entry(
            session,
            AuditAction.SHARE_APPROVE,
            actor=AUTO_APPROVER,
            now=now,
            department=HUB_OPERATOR,
            dataset=row.dataset,
            request_id=row.id,
            details={"note": AUTO_NOTE, "granted_columns": []},
        )
    return share_record(row, now)


def _request_row(session: Session, request_id: int, where: str) -> ShareRequestRow:
    row = session.get(ShareRequestRow, request_id)
    if row is None:
        raise ShareRequestNotFoundError(request_id, where)
    return row


def _check_decider(row: ShareRequestRow, department: str | None) -> str:
    chosen = department.strip() if department else row.owner_department
    allowed = (row.owner_department, HUB_OPERATOR)
    if chosen not in allowed:
        raise ShareRefusedError(
            f"{chosen} cannot answer sharing request {row.id}: only the owning department "
            f"{row.owner_department} or the hub operator {HUB_OPERATOR} can. Fix: pass --department "
            f"{row.owner_department} (or {HUB_OPERATOR})."
        )
    return chosen


def decide_request(
    session: Session,
    request_id: int,
    *,
    approve: bool,
    note: str | None,
    decided_by: str,
    department: str | None,
    grant: Sequence[str],
    now: datetime,
    where: str,
) -> ShareRequestRecord:
    """Approve (optionally granting sensitive columns in clear) or reject a pending request, and log it."""
    row = _request_row(session, request_id, where)
    if row.status != ShareStatus.PENDING.value:
        when = f" at {row.responded_at:%Y-%m-%d %H:%M} UTC" if row.responded_at else ""
        raise ShareRefusedError(
            f"Sharing request {request_id} was already {row.status}{when}. "
            "Fix: submit a new request with `lakehub share request` if the need changed."
        )
    decider = _check_decider(row, department)
    target = datasets.dataset_row(session, row.dataset, where)
    if approve:
        _refuse_negative_list(target, "approved for sharing")
    elif not (note or "").strip():
        raise CatalogError(
            "A rejection needs its reason. Fix: pass --reason with why the data is not shared."
        )
    sensitive = {c.name for c in target.columns if c.sensitivity is not None}
    granted = list(dict.fromkeys(grant))
    wrong = [c for c in granted if c not in row.columns or c not in sensitive]
    if wrong:
        choices = [c for c in row.columns if c in sensitive]
        raise CatalogError(
            f"Cannot grant {', '.join(wrong)} of request {request_id}: only sensitive columns the request "
            f"names can be granted unmasked ({', '.join(choices) or 'none'}). Fix: --grant one of those, or "
            "leave --grant out to share them masked."
        )
    if not approve and granted:
        raise CatalogError("--grant only applies to approvals. Fix: leave --grant out when rejecting.")
    row.status = (ShareStatus.APPROVED if approve else ShareStatus.REJECTED).value
    row.responded_at = now
    row.decision_note = (note or "").strip() or None
    row.decided_by = decided_by
    row.decided_department = decider
    row.granted_columns = granted
    if not approve:
        row.resolved_at = now
    session.flush()
    audit.append_entry(
        session,
        AuditAction.SHARE_APPROVE if approve else AuditAction.SHARE_REJECT,
        actor=decided_by,
        now=now,
        department=decider,
        dataset=row.dataset,
        request_id=row.id,
        details={"note": row.decision_note, "granted_columns": granted},
    )
    return share_record(row, now)


def plan_export(session: Session, request_id: int, *, now: datetime, where: str) -> ExportPlan:
    """What an export of this request may take; refuses unapproved requests and negative-list data."""
    row = _request_row(session, request_id, where)
    if row.status == ShareStatus.PENDING.value:
        raise ShareRefusedError(
            f"Sharing request {request_id} is still pending: nothing is exported before approval. Fix: "
            f"{row.owner_department} (or {HUB_OPERATOR}) approves it with `lakehub share approve {request_id}`."
        )
    if row.status == ShareStatus.REJECTED.value:
        raise ShareRefusedError(
            f"Sharing request {request_id} was rejected ({row.decision_note}): nothing is exported. "
            "Fix: submit a new request with `lakehub share request` once the reason is addressed."
        )
    target = datasets.dataset_row(session, row.dataset, where)
    _refuse_negative_list(target, "exported")
    sensitivity = {c.name: c.sensitivity for c in target.columns}
    gone = [c for c in row.columns if c not in sensitivity]
    if gone:
        raise ShareRefusedError(
            f"Column(s) {', '.join(gone)} of request {request_id} are no longer in {target.name}. "
            "Fix: submit a new request for the current columns."
        )
    masked = {
        c: kind for c in row.columns if (kind := sensitivity[c]) is not None and c not in row.granted_columns
    }
    return ExportPlan(
        request=share_record(row, now),
        location=target.location,
        sharing_class=target.sharing_class,
        columns=tuple(row.columns),
        titles={c.name: c.title for c in target.columns if c.name in row.columns},
        masked=masked,
        unmasked_sensitive=tuple(c for c in row.columns if sensitivity[c] is not None and c not in masked),
    )


def record_refusal(session: Session, request_id: int, *, actor: str, reason: str, now: datetime) -> None:
    """Log a refused export attempt."""
    row = session.get(ShareRequestRow, request_id)
    audit.append_entry(
        session,
        AuditAction.EXPORT_REFUSED,
        actor=actor,
        now=now,
        department=row.requesting_department if row else None,
        dataset=row.dataset if row else None,
        request_id=request_id,
        details={"reason": reason},
    )


def record_export(
    session: Session, plan: ExportPlan, values: ExportValues, *, actor: str, now: datetime, where: str
) -> AuditEntryRecord:
    """Log a finished export (rows, file SHA-256, masking) and mark the request resolved on its first one."""
    row = _request_row(session, plan.request.id, where)
    row.exports += 1
    if row.resolved_at is None:
        row.resolved_at = now
    session.flush()
    return audit.append_entry(
        session,
        AuditAction.EXPORT,
        actor=actor,
        now=now,
        department=row.requesting_department,
        dataset=row.dataset,
        request_id=row.id,
        details={
            "sharing_class": plan.sharing_class,
            "path": values.path,
            "format": values.file_format,
            "sha256": values.sha256,
            "bytes": values.bytes,
            "row_count": values.row_count,
            "delta_version": values.delta_version,
            "columns": list(plan.columns),
            "masked_columns": sorted(plan.masked),
            "unmasked_sensitive_columns": list(plan.unmasked_sensitive),
        },
    )


def select_requests(
    session: Session, *, status: str | None, department: str | None, now: datetime
) -> list[ShareRequestRecord]:
    """Requests oldest first, optionally of one status and one (requesting or owning) department."""
    query = select(ShareRequestRow).order_by(ShareRequestRow.requested_at, ShareRequestRow.id)
    if status is not None:
        query = query.where(
            ShareRequestRow.status == parse_choice(ShareStatus, status, "request status").value
        )
    if department is not None:
        query = query.where(
            (ShareRequestRow.requesting_department == department)
            | (ShareRequestRow.owner_department == department)
        )
    return [share_record(row, now) for row in session.scalars(query)]


def get_request(session: Session, request_id: int, *, now: datetime, where: str) -> ShareRequestRecord:
    """One request."""
    return share_record(_request_row(session, request_id, where), now)
