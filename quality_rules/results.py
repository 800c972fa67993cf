"""Validation results as frozen values: one RuleResult per rule, a SuiteResult with an outcome."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CheckOutcome(enum.Enum):
    """How a rule or a suite came out."""

    PASSED = "passed"
    WARNED = "warned"
    """Only rules of severity warn failed."""
    FAILED = "failed"
    """A rule of severity error failed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResult:
    """One rule's verdict and metrics.

    Per-value rules count non-null values as elements (not-null: every row) and report masked samples;
    table-level rules (row count, type, freshness) report `observed_value` and no unexpected rows.
    """

    rule_id: str
    expectation: str
    column: str | None
    """The column, or the columns joined with ',' (None for table-level rules)."""
    columns: tuple[str, ...]
    severity: str
    dimension: str
    department: str | None
    description: str | None
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_percent: float | None
    """Unexpected share of elements in percent (None when there are no elements or for table rules)."""
    mostly: float | None
    sample_unexpected: tuple[str, ...]
    """A few distinct failing values, masked when the column is sensitive; a pair's values joined by '|'."""
    observed_value: str | None = None
    dataset: str | None = None
    """Cross-table rules: the dataset (`tier.name`) whose rows were checked; None means the suite's dataset."""
    other_dataset: str | None = None
    """Cross-table rules: the dataset the checked rows were compared with."""
    other_department: str | None = None
    """One-source conflicts (一数一源): the department holding the other dataset, who is told too."""

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department the result is reported to (a conflict goes to both sides)."""
        return tuple(d for d in dict.fromkeys((self.department, self.other_department)) if d)

    @property
    def outcome(self) -> CheckOutcome:
        """Passed, or failed/warned by severity."""
        if self.success:
            return CheckOutcome.PASSED
        return CheckOutcome.FAILED if self.severity == "error" else CheckOutcome.WARNED


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteResult:
    """All rule results of one validation of a dataset."""

    suite: str
    dataset: str
    row_count: int
    results: tuple[RuleResult, ...]
    data_passes: int
    """Scans of the data: 1, +1 grouped pass for uniqueness rules, +1 light sample lookup when a rule failed."""

    @property
    def outcome(self) -> CheckOutcome:
        """FAILED if an error rule failed, WARNED if only warn rules failed, else PASSED."""
        outcomes = {r.outcome for r in self.results}
        if CheckOutcome.FAILED in outcomes:
            return CheckOutcome.FAILED
        return CheckOutcome.WARNED if CheckOutcome.WARNED in outcomes else CheckOutcome.PASSED

    @property
    def passed(self) -> bool:
        """No rule of severity error failed."""
        return self.outcome is not CheckOutcome.FAILED

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        """Rules that did not succeed."""
        return tuple(r for r in self.results if not r.success)
