"""Hub tables: data-sharing requests (数据共享申请) and the append-only, hash-chained audit log (审计日志)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import CatalogBase


class ShareRequestRow(CatalogBase):
    """A department's request for a dataset, answered by the owning department or the hub operator."""

    __tablename__ = "share_requests"
    __table_args__ = (Index("ix_share_requests_status_requested_at", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    owner_department: Mapped[str] = mapped_column(String(200))
    sharing_class: Mapped[str] = mapped_column(String(50))
    requesting_department: Mapped[str] = mapped_column(String(200), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    columns: Mapped[list[str]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime]
    due_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_department: Mapped[str | None] = mapped_column(String(200))
    granted_columns: Mapped[list[str]] = mapped_column(JSON)
    exports: Mapped[int] = mapped_column(Integer)


class AuditEntryRow(CatalogBase):
    """One audit-log entry; never updated or deleted (database triggers refuse it), chained by hash."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(30), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    dataset: Mapped[str | None] = mapped_column(String(200), index=True)
    request_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
