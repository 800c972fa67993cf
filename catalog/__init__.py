"""Metadata catalog (资产目录): datasets, columns, versions and runs in SQLite or PostgreSQL."""

from .engine import DEFAULT_CATALOG_URL
from .errors import (
    AmbiguousDatasetError,
    CatalogError,
    CatalogUnavailableError,
    DatasetNotFoundError,
    RunNotFoundError,
)
from .models_quality import IssueRow, ObjectionRow, RuleResultRow, ValidationRow
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
from .store import CatalogStore

__all__ = [
    "DEFAULT_CATALOG_URL",
    "AmbiguousDatasetError",
    "CatalogError",
    "CatalogStore",
    "CatalogUnavailableError",
    "ColumnRecord",
    "ColumnSpec",
    "DatasetNotFoundError",
    "DatasetRecord",
    "DatasetSpec",
    "IssueRecord",
    "IssueRow",
    "IssueValues",
    "JobKind",
    "ObjectionNotFoundError",
    "ObjectionRecord",
    "ObjectionRow",
    "ObjectionStatus",
    "RowCounts",
    "RuleHistoryPoint",
    "RuleResultRecord",
    "RuleResultRow",
    "RunNotFoundError",
    "RunRecord",
    "RunStatus",
    "Sensitivity",
    "Tier",
    "UnknownDepartmentError",
    "ValidationRecord",
    "ValidationRow",
    "ValidationSubject",
    "ValidationValues",
    "VersionRecord",
]
