"""Metadata catalog (资产目录): datasets, columns, versions and runs in SQLite or PostgreSQL."""

from .engine import DEFAULT_CATALOG_URL
from .errors import (
    AmbiguousDatasetError,
    CatalogError,
    CatalogUnavailableError,
    DatasetNotFoundError,
    RunNotFoundError,
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
    "JobKind",
    "RowCounts",
    "RunNotFoundError",
    "RunRecord",
    "RunStatus",
    "Sensitivity",
    "Tier",
    "VersionRecord",
]
