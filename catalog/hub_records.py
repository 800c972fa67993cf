"""Value types of data sharing (数据共享) and the audit log, and their errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .errors import CatalogError

HUB_OPERATOR = "区数据管理局"
"""The hub's operator (数据管理局): may answer any department's sharing requests."""


class SharingClass(StrEnum):
    """Sharing class of a dataset (政务数据共享属性)."""

    UNCONDITIONAL = "无条件共享"
    CONDITIONAL = "有条件共享"
    NEGATIVE_LIST = "不予共享"


class ShareStatus(StrEnum):
    """Lifecycle of a sharing request."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AuditAction(StrEnum):
    """What an audit-log entry records."""

    SHARE_REQUEST = "share_request"
    SHARE_APPROVE = "share_approve"
    SHARE_REJECT = "share_reject"
    EXPORT = "export"
    EXPORT_REFUSED = "export_refused"
    SENSITIVE_READ = "sensitive_read"


class ShareRequestNotFoundError(CatalogError):
    """A sharing-request id matches no request."""

    def __init__(self, request_id: int, where: str) -> None:
        self.request_id = request_id
        super().__init__(
            f"Sharing request {request_id} is not in the catalog at {where}. "
            "Fix: use an id shown by `lakehub share list`."
        )


class ShareRefusedError(CatalogError):
    """A sharing step is not allowed: negative-list data, a request not approved, a wrong department."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareRequestRecord:
    """A sharing request; `overdue` is judged at the time of the query."""

    id: int
    dataset: str
    owner_department: str
    sharing_class: str
    requesting_department: str
    purpose: str
    columns: tuple[str, ...]
    requested_by: str
    status: ShareStatus
    requested_at: datetime
    due_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    decision_note: str | None
    decided_by: str | None
    decided_department: str | None
    granted_columns: tuple[str, ...]
    exports: int
    overdue: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportPlan:
    """What an approved request may take from its dataset: columns, which to mask and how."""

    request: ShareRequestRecord
    location: str
    sharing_class: str
    columns: tuple[str, ...]
    titles: Mapping[str, str]
    """Column → Chinese title, for the export's description sheet."""
    masked: Mapping[str, str]
    """Column → sensitivity of every selected sensitive column not granted unmasked."""
    unmasked_sensitive: tuple[str, ...]
    """Sensitive columns the approval granted in clear (a sensitive read)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportValues:
    """What a finished export records in the audit log."""

    path: str
    file_format: str
    sha256: str
    bytes: int
    row_count: int
    delta_version: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntryRecord:
    """One audit-log entry as stored."""

    seq: int
    recorded_at: datetime
    action: str
    actor: str
    department: str | None
    dataset: str | None
    request_id: int | None
    details: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditProblem:
    """A place where the hash chain does not hold."""

    seq: int
    problem: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NegativeListExport:
    """An export of a dataset that is (or was, when exported) on the negative list (不予共享)."""

    seq: int
    recorded_at: datetime
    dataset: str
    request_id: int | None
    sharing_class_at_export: str | None
    sharing_class_now: str | None

    @property
    def violation(self) -> bool:
        """The dataset was 不予共享 when it left: a breach, not only a later reclassification."""
        return self.sharing_class_at_export == SharingClass.NEGATIVE_LIST.value


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditVerification:
    """Result of recomputing the audit log's hash chain and checking what left the hub."""

    entries: int
    head_seq: int | None
    head_hash: str | None
    broken: tuple[AuditProblem, ...]
    negative_list_exports: tuple[NegativeListExport, ...]
    missing: tuple[str, ...] = field(default=())
    """Sharing records the log should hold an entry for but does not (e.g. a truncated tail)."""

    @property
    def chain_intact(self) -> bool:
        """Every entry's hash recomputes and links to the one before it."""
        return not self.broken

    @property
    def first_broken(self) -> AuditProblem | None:
        """The earliest entry where the chain breaks."""
        return self.broken[0] if self.broken else None

    @property
    def passed(self) -> bool:
        """Chain intact, no entry missing, and no negative-list data left the hub."""
        return (
            self.chain_intact
            and not self.missing
            and not any(e.violation for e in self.negative_list_exports)
        )
