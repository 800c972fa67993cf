"""Value types of stored quality results: validations, rule results, issues, objections, and their errors.

The catalog never imports the rule library; `lakehub.quality_rules.recording` turns a SuiteResult into
these values. Every text here is already masked by the caller (sample values, keys, field values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import CatalogError


class ValidationSubject(StrEnum):
    """What was validated: a landed table version or a delivered file."""

    TABLE = "table"
    FILE = "file"


class ObjectionStatus(StrEnum):
    """Lifecycle of a quality objection."""

    OPEN = "open"
    RESOLVED = "resolved"


class UnknownDepartmentError(CatalogError):
    """A department name matches no department known to the catalog."""

    def __init__(self, department: str, valid: Sequence[str]) -> None:
        self.department = department
        self.valid = tuple(valid)
        listing = ", ".join(self.valid) if self.valid else "none yet (land data first: `lakehub run`)"
        super().__init__(
            f"Unknown department '{department}'. Valid departments: {listing}. "
            "Fix: use one of them exactly as written."
        )


class ObjectionNotFoundError(CatalogError):
    """An objection id matches no objection."""

    def __init__(self, objection_id: int, where: str) -> None:
        self.objection_id = objection_id
        super().__init__(
            f"Objection {objection_id} is not in the catalog at {where}. "
            "Fix: use an id shown by `lakehub quality objection list`."
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResultRecord:
    """One rule's stored verdict and metrics (samples masked)."""

    rule_id: str
    expectation: str
    column: str | None
    columns: tuple[str, ...]
    severity: str
    dimension: str
    department: str | None
    description: str | None
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_percent: float | None
    mostly: float | None
    sample_unexpected: tuple[str, ...]
    observed_value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueValues:
    """One failing row for the rectification list; key and value already masked."""

    department: str
    record_key: str
    field: str | None
    value: str | None
    rule_id: str
    expectation: str
    severity: str
    dimension: str
    reason: str
    suggested_fix: str
    source_file: str | None = None
    source_row: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationValues:
    """What a quality job records about one validation."""

    run_id: str
    suite: str
    dataset: str
    """Catalog short name for subject table (resolved), the file path for subject file."""
    engine: str
    row_count: int
    outcome: str
    rules: tuple[RuleResultRecord, ...]
    subject: ValidationSubject = ValidationSubject.TABLE
    department: str | None = None
    """Owning department; default for tables: the dataset's department in the catalog."""
    delta_version: int | None = None
    input_sha256: str | None = None
    issues: tuple[IssueValues, ...] = ()
    validated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationRecord:
    """A stored validation with its rule results in suite order."""

    id: int
    run_id: str
    suite: str
    subject: ValidationSubject
    dataset: str
    department: str | None
    delta_version: int | None
    input_sha256: str | None
    engine: str
    row_count: int
    outcome: str
    rules_total: int
    rules_failed: int
    issues_recorded: int
    validated_at: datetime
    rules: tuple[RuleResultRecord, ...] = ()

    @property
    def passed(self) -> bool:
        """No rule of severity error failed."""
        return self.outcome != "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleHistoryPoint:
    """A rule's result in one validation, for trends."""

    validation_id: int
    validated_at: datetime
    delta_version: int | None
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_percent: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueRecord:
    """A stored failing row with the validation it came from."""

    id: int
    validation_id: int
    validated_at: datetime
    dataset: str
    department: str
    record_key: str
    source_file: str | None
    source_row: int | None
    field: str | None
    value: str | None
    rule_id: str
    expectation: str
    severity: str
    dimension: str
    reason: str
    suggested_fix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectionRecord:
    """A quality objection; `overdue` is judged at the time of the query."""

    id: int
    dataset: str
    record_key: str
    field: str
    reason: str
    raised_by: str
    department: str
    status: ObjectionStatus
    raised_at: datetime
    due_at: datetime
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    overdue: bool
