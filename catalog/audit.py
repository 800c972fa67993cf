"""The append-only audit log: hash-chained entries, appended and verified within a caller's session.

Entry n stores `hash = sha256(prev_hash + "\\n" + canonical JSON of its fields)` where prev_hash is the
hash of entry n−1 (64 zeros for the first). Canonical JSON: keys sorted, no spaces, UTF-8 text kept
(`ensure_ascii=False`), timestamps as ISO 8601 UTC. Changing, removing or reordering any entry breaks
the chain at that entry; the sharing records cross-check the tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import CatalogError
from .hub_records import (
    AuditAction,
    AuditEntryRecord,
    AuditProblem,
    AuditVerification,
    NegativeListExport,
    SharingClass,
)
from .models import DatasetRow
from .models_hub import AuditEntryRow, ShareRequestRow
from .records import parse_choice

GENESIS_HASH = "0" * 64


def canonical_json(value: Mapping[str, Any]) -> str:
    """Deterministic JSON text of an entry's fields."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_payload(
    *,
    seq: int,
    recorded_at: datetime,
    action: str,
    actor: str,
    department: str | None,
    dataset: str | None,
    request_id: int | None,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """The fields an entry's hash covers."""
    return {
        "seq": seq,
        "recorded_at": recorded_at.isoformat(),
        "action": action,
        "actor": actor,
        "department": department,
        "dataset": dataset,
        "request_id": request_id,
        "details": dict(details),
    }


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 over the previous entry's hash and this entry's canonical JSON."""
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(payload)}".encode()).hexdigest()


def _row_payload(row: AuditEntryRow) -> dict[str, Any]:
    return entry_payload(
        seq=row.seq,
        recorded_at=row.recorded_at,
        action=row.action,
        actor=row.actor,
        department=row.department,
        dataset=row.dataset,
        request_id=row.request_id,
        details=row.details,
    )


def entry_record(row: AuditEntryRow) -> AuditEntryRecord:
    """Record for a stored entry."""
    return AuditEntryRecord(
        seq=row.seq,
        recorded_at=row.recorded_at,
        action=row.action,
        actor=row.actor,
        department=row.department,
        dataset=row.dataset,
        request_id=row.request_id,
        details=dict(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def append_entry(
    session: Session,
    action: AuditAction,
    *,
    actor: str,
    now: datetime,
    department: str | None = None,
    dataset: str | None = None,
    request_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntryRecord:
    """Append one entry after the current head; a concurrent append makes this transaction fail."""
    if not actor.strip():
        raise CatalogError("An audit entry needs the person acting. Fix: pass --by with a user name.")
    body = dict(details or {})
    try:
        canonical_json(body)
    except (TypeError, ValueError) as err:
        raise CatalogError(f"Audit details for {action.value} are not plain JSON: {err}.") from err
    head = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head is not None else (1, GENESIS_HASH)
    # Stored timestamps keep microseconds on every backend; hash exactly what will be read back.
    fields: dict[str, Any] = {
        "seq": seq,
        "recorded_at": now,
        "action": action.value,
        "actor": actor,
        "department": department,
        "dataset": dataset,
        "request_id": request_id,
        "details": body,
    }
    row = AuditEntryRow(**fields, prev_hash=prev, hash=entry_hash(prev, entry_payload(**fields)))
    session.add(row)
    session.flush()
    return entry_record(row)


def select_entries(
    session: Session,
    *,
    since: datetime | None = None,
    action: str | None = None,
    dataset: str | None = None,
) -> list[AuditEntryRecord]:
    """Entries oldest first, optionally from a time on, of one action or about one dataset."""
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq)
    if since is not None:
        query = query.where(AuditEntryRow.recorded_at >= since)
    if action is not None:
        query = query.where(AuditEntryRow.action == parse_choice(AuditAction, action, "audit action").value)
    if dataset is not None:
        query = query.where(AuditEntryRow.dataset == dataset)
    return [entry_record(row) for row in session.scalars(query)]


def _chain_problems(rows: list[AuditEntryRow]) -> list[AuditProblem]:
    problems: list[AuditProblem] = []
    expected_prev, expected_seq = GENESIS_HASH, 1
    for row in rows:
        if row.seq != expected_seq:
            gap = (
                f"entry {expected_seq} is"
                if row.seq - expected_seq == 1
                else f"entries {expected_seq}–{row.seq - 1} are"
            )
            problems.append(AuditProblem(seq=row.seq, problem=f"{gap} missing before entry {row.seq}"))
        if row.prev_hash != expected_prev:
            problems.append(
                AuditProblem(
                    seq=row.seq,
                    problem=(
                        f"entry {row.seq} does not link to the entry before it (prev_hash "
                        f"{row.prev_hash[:12]}… ≠ {expected_prev[:12]}…): an earlier entry was changed, "
                        "removed or inserted"
                    ),
                )
            )
        if entry_hash(row.prev_hash, _row_payload(row)) != row.hash:
            problems.append(
                AuditProblem(
                    seq=row.seq,
                    problem=f"entry {row.seq} was changed after it was written (its hash does not recompute)",
                )
            )
        expected_prev, expected_seq = row.hash, row.seq + 1
    return problems


def _negative_list_exports(session: Session, rows: list[AuditEntryRow]) -> list[NegativeListExport]:
    classes = {
        name: sharing for name, sharing in session.execute(select(DatasetRow.name, DatasetRow.sharing_class))
    }
    found = []
    negative = SharingClass.NEGATIVE_LIST.value
    for row in rows:
        if row.action != AuditAction.EXPORT.value or row.dataset is None:
            continue
        at_export = row.details.get("sharing_class")
        now = classes.get(row.dataset)
        if negative in (at_export, now):
            found.append(
                NegativeListExport(
                    seq=row.seq,
                    recorded_at=row.recorded_at,
                    dataset=row.dataset,
                    request_id=row.request_id,
                    sharing_class_at_export=at_export if isinstance(at_export, str) else None,
                    sharing_class_now=now,
                )
            )
    return found


def _missing_entries(session: Session, rows: list[AuditEntryRow]) -> list[str]:
    """Sharing records whose audit entries are absent: each request, decision and export is logged."""
    logged: dict[tuple[str, int], int] = {}
    for row in rows:
        if row.request_id is not None:
            key = (row.action, row.request_id)
            logged[key] = logged.get(key, 0) + 1
    missing = []
    for request in session.scalars(select(ShareRequestRow).order_by(ShareRequestRow.id)):
        expected = {AuditAction.SHARE_REQUEST.value: 1, AuditAction.EXPORT.value: request.exports}
        if request.status == "approved":
            expected[AuditAction.SHARE_APPROVE.value] = 1
        elif request.status == "rejected":
            expected[AuditAction.SHARE_REJECT.value] = 1
        for action, count in expected.items():
            have = logged.get((action, request.id), 0)
            if have < count:
                missing.append(
                    f"sharing request {request.id}: {count} {action} entr{'y' if count == 1 else 'ies'} "
                    f"expected, {have} in the log"
                )
    return missing


ANCHOR_PREFIX = 12
"""Hex characters of a head hash an anchor must give at least (`audit verify` prints 16)."""


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH` as recorded from an earlier `audit verify` (HASH: at least the first 12 hex characters)."""
    seq, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if (
        not seq.isdigit()
        or int(seq) < 1
        or len(digest) < ANCHOR_PREFIX
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise CatalogError(
            f"Audit anchor {text!r} is not SEQ:HASH. Fix: copy it from an earlier `lakehub audit verify` "
            f"line 'anchor SEQ:HASH' (the hash's first {ANCHOR_PREFIX}+ hex characters), e.g. 42:9f3a61c2d4e5b6a7."
        )
    return int(seq), digest


def _anchor_problems(rows: list[AuditEntryRow], anchors: Sequence[tuple[int, str]]) -> list[AuditProblem]:
    """Entries recorded outside the database (anchors) that the log no longer holds unchanged.

    Recomputing the chain catches edits by anyone who cannot recompute hashes; an anchor also catches a log
    rewritten from some entry on (hashes recomputed) or cut back behind the anchor.
    """
    by_seq = {row.seq: row for row in rows}
    problems = []
    for seq, digest in anchors:
        row = by_seq.get(seq)
        if row is None:
            problems.append(
                AuditProblem(
                    seq=seq,
                    problem=f"anchored entry {seq} is not in the log any more (the log was cut back or rewritten)",
                )
            )
        elif not row.hash.startswith(digest):
            problems.append(
                AuditProblem(
                    seq=seq,
                    problem=(
                        f"entry {seq} has hash {row.hash[:16]}…, the anchor recorded {digest[:16]}…: the log "
                        "was rewritten from this entry or before"
                    ),
                )
            )
    return problems


def verify_log(session: Session, anchors: Sequence[tuple[int, str]] = ()) -> AuditVerification:
    """Recompute the chain, check recorded anchors, list negative-list exports and sharing records missing."""
    rows = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
    broken = sorted([*_chain_problems(rows), *_anchor_problems(rows, anchors)], key=lambda p: p.seq)
    return AuditVerification(
        entries=len(rows),
        head_seq=rows[-1].seq if rows else None,
        head_hash=rows[-1].hash if rows else None,
        broken=tuple(broken),
        negative_list_exports=tuple(_negative_list_exports(session, rows)),
        missing=tuple(_missing_entries(session, rows)),
    )
