"""Metadata catalog (资产目录): datasets, columns, versions, runs, quality, lineage, sharing and audit in SQLite or PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    AmbiguousDatasetError,
    CatalogError,
    CatalogUnavailableError,
    DatasetNotFoundError,
    RunNotFoundError,
)
from .hub_records import (
    HUB_OPERATOR,
    AuditAction,
    AuditEntryRecord,
    AuditProblem,
    AuditVerification,
    ExportPlan,
    ExportValues,
    NegativeListExport,
    ShareRefusedError,
    ShareRequestNotFoundError,
    ShareRequestRecord,
    ShareStatus,
    SharingClass,
)
from .quality_records import (
    IssueRecord,
    IssueValues,
    ObjectionNotFoundError,
    ObjectionRecord,
    ObjectionStatus,
    RuleHistoryPoint,
    RuleResultRecord,
    UnknownDepartmentError,
    ValidationRecord,
    ValidationSubject,
    ValidationValues,
)
from .records import (
    ColumnRecord,
    ColumnSpec,
    DatasetRecord,
    DatasetSpec,
    JobKind,
    RowCounts,
    RunRecord,
    RunStatus,
    Sensitivity,
    Tier,
    VersionRecord,
)

if TYPE_CHECKING:
    from .engine import DEFAULT_CATALOG_URL
    from .store import CatalogStore

_LAZY = {"CatalogStore": ".store", "DEFAULT_CATALOG_URL": ".engine"}
"""Loaded on first use: they import SQLAlchemy, which lean read paths (lineage queries) avoid."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_CATALOG_URL",
    "HUB_OPERATOR",
    "AmbiguousDatasetError",
    "AuditAction",
    "AuditEntryRecord",
    "AuditProblem",
    "AuditVerification",
    "CatalogError",
    "CatalogStore",
    "CatalogUnavailableError",
    "ColumnRecord",
    "ColumnSpec",
    "DatasetNotFoundError",
    "DatasetRecord",
    "DatasetSpec",
    "ExportPlan",
    "ExportValues",
    "IssueRecord",
    "IssueValues",
    "JobKind",
    "NegativeListExport",
    "ObjectionNotFoundError",
    "ObjectionRecord",
    "ObjectionStatus",
    "RowCounts",
    "RuleHistoryPoint",
    "RuleResultRecord",
    "RunNotFoundError",
    "RunRecord",
    "RunStatus",
    "Sensitivity",
    "ShareRefusedError",
    "ShareRequestNotFoundError",
    "ShareRequestRecord",
    "ShareStatus",
    "SharingClass",
    "Tier",
    "UnknownDepartmentError",
    "ValidationRecord",
    "ValidationSubject",
    "ValidationValues",
    "VersionRecord",
]
