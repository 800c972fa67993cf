"""Value types the catalog takes and returns: specs, records and their enums."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from .errors import CatalogError

_E = TypeVar("_E", bound=StrEnum)


class Tier(StrEnum):
    """Lakehouse tier a dataset lives in."""

    RAW = "raw"
    BASE = "base"
    THEME = "theme"
    BUSINESS = "business"
    QUARANTINE = "quarantine"


class RunStatus(StrEnum):
    """Lifecycle state of a job run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobKind(StrEnum):
    """Kind of job a run belongs to."""

    INGEST = "ingest"
    MODEL = "model"
    QUALITY = "quality"
    DEMO = "demo"
    EXPORT = "export"


class Sensitivity(StrEnum):
    """Personal-information category of a column, used for masking."""

    RESIDENT_ID = "resident_id"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"


def parse_choice(enum: type[_E], value: str, what: str) -> _E:
    """Return ``value`` as a member of ``enum`` or raise a CatalogError listing the valid values."""
    try:
        return enum(value)
    except ValueError as err:
        valid = ", ".join(member.value for member in enum)
        raise CatalogError(f"{value!r} is not a valid {what}. Valid values are: {valid}.") from err


def split_name(name: str) -> tuple[Tier, str]:
    """Split a short name ``tier.name`` into its tier and table name."""
    tier, dot, table = name.partition(".")
    if not dot or not table:
        raise CatalogError(f"Dataset name {name!r} must look like tier.name, e.g. base.population.")
    return parse_choice(Tier, tier, "tier in dataset name " + repr(name)), table


@dataclass(frozen=True, slots=True)
class RowCounts:
    """Row accounting of one run: read = landed + quarantined + rejected."""

    read: int = 0
    landed: int = 0
    quarantined: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def balanced(self) -> bool:
        """Whether every row read was landed, quarantined or rejected."""
        return self.read == self.landed + self.quarantined + self.rejected


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnSpec:
    """Declared column of a dataset; position is its index in DatasetSpec.columns."""

    name: str
    data_type: str
    title: str = ""
    description: str = ""
    sensitivity: str | None = None
    security_level: str | None = None
    nullable: bool = True
    is_key: bool = False

    def __post_init__(self) -> None:
        """Validate the sensitivity category."""
        if self.sensitivity is not None:
            parse_choice(Sensitivity, self.sensitivity, f"sensitivity of column {self.name!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetSpec:
    """What a pipeline registers about a dataset; upserted by name."""

    name: str
    title: str
    department: str
    location: str
    description: str = ""
    storage_format: str = "delta"
    source_id: str | None = None
    business_key: tuple[str, ...] = ()
    sharing_class: str = ""
    security_level: str = ""
    base_library: str | None = None
    freshness_sla_hours: int | None = None
    ol_namespace: str | None = None
    ol_name: str | None = None
    columns: tuple[ColumnSpec, ...] = ()

    def __post_init__(self) -> None:
        """Validate the name, column uniqueness and business key."""
        split_name(self.name)
        names = [column.name for column in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise CatalogError(f"Dataset {self.name!r} declares columns more than once: {duplicates}.")
        missing = [key for key in self.business_key if self.columns and key not in names]
        if missing:
            raise CatalogError(
                f"Business key {missing} of dataset {self.name!r} is not among its columns: {names}."
            )
        if (self.ol_namespace is None) != (self.ol_name is None):
            raise CatalogError(f"Dataset {self.name!r} needs both ol_namespace and ol_name, or neither.")

    @property
    def tier(self) -> Tier:
        """Tier taken from the short name."""
        return split_name(self.name)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnRecord:
    """A column as stored in the catalog."""

    position: int
    name: str
    data_type: str
    title: str
    description: str
    sensitivity: Sensitivity | None
    security_level: str | None
    nullable: bool
    is_key: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetRecord:
    """A dataset as stored in the catalog, with its columns in position order."""

    id: int
    name: str
    tier: Tier
    title: str
    department: str
    description: str
    location: str
    storage_format: str
    source_id: str | None
    business_key: tuple[str, ...]
    sharing_class: str
    security_level: str
    base_library: str | None
    freshness_sla_hours: int | None
    ol_namespace: str | None
    ol_name: str | None
    current_version: int | None
    row_count: int | None
    created_at: datetime
    updated_at: datetime
    registered_at: datetime
    columns: tuple[ColumnRecord, ...] = ()

    @property
    def ol_ref(self) -> str | None:
        """OpenLineage reference ``namespace/name``, if known."""
        if self.ol_namespace is None or self.ol_name is None:
            return None
        return f"{self.ol_namespace}/{self.ol_name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One job run with its inputs, outcome and row accounting."""

    run_id: str
    job_name: str
    job_kind: JobKind
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    parent_run_id: str | None
    source_id: str | None
    run_date: date | None
    input_path: str | None
    input_sha256: str | None
    input_bytes: int | None
    counts: RowCounts | None
    error: str | None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether the run finished without failing (succeeded or skipped)."""
        return self.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRecord:
    """One Delta table version of a dataset and the run that wrote it."""

    dataset: str
    version: int
    operation: str
    row_count: int
    rows_inserted: int
    rows_updated: int
    rows_deleted: int
    created_at: datetime
    run_id: str
    job_name: str
    run_status: RunStatus
