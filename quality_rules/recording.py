"""SuiteResult → catalog values: the one place validation results are shaped for storage (no Spark).

`record_suite_result(store, result, dataset=..., run_id=..., delta_version=...)` is what landing and
`quality run` call; failing rows collected from `engine_spark.annotate` become issues via `issue_values`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lakehub.catalog import (
    CatalogStore,
    IssueValues,
    RuleResultRecord,
    ValidationRecord,
    ValidationSubject,
    ValidationValues,
)
from lakehub.quality_rules.masking import Sensitivity, mask_value
from lakehub.quality_rules.rectify import default_reason, suggest_fix
from lakehub.quality_rules.results import RuleResult, SuiteResult

DEFAULT_ISSUE_CAP = 100
"""Failing rows stored per rule and validation; counts stay exact, only the listed rows are capped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FailingRow:
    """A row failing one rule, as collected from the data (values unmasked, never logged)."""

    rule_id: str
    key: tuple[tuple[str, str | None], ...]
    """(column, value) of the business key."""
    values: Mapping[str, str | None]
    """Values of the columns the rule reads."""
    source_file: str | None = None
    source_row: int | None = None


def rule_values(result: RuleResult) -> RuleResultRecord:
    """Catalog record of one rule result (its samples are masked by the engine)."""
    return RuleResultRecord(
        rule_id=result.rule_id,
        expectation=result.expectation,
        column=result.column,
        columns=result.columns,
        severity=result.severity,
        dimension=result.dimension,
        department=result.department,
        description=result.description,
        success=result.success,
        element_count=result.element_count,
        unexpected_count=result.unexpected_count,
        unexpected_percent=result.unexpected_percent,
        mostly=result.mostly,
        sample_unexpected=result.sample_unexpected,
        observed_value=result.observed_value,
    )


def _masked(column: str, value: str | None, sensitivity: Mapping[str, Sensitivity]) -> str:
    if value is None:
        return "（空）"
    return mask_value(value, sensitivity.get(column)) or ""


def masked_key(key: Sequence[tuple[str, str | None]], sensitivity: Mapping[str, Sensitivity]) -> str:
    """The business key as shown outside the base tier: one value, or `col=value` pairs joined by '; '."""
    if len(key) == 1:
        return _masked(key[0][0], key[0][1], sensitivity)
    return "; ".join(f"{column}={_masked(column, value, sensitivity)}" for column, value in key)


def issue_values(
    result: SuiteResult,
    rows: Sequence[FailingRow],
    *,
    department: str,
    sensitivity: Mapping[str, Sensitivity],
) -> tuple[IssueValues, ...]:
    """Issues for failing rows: masked key and value, the rule's reason and a suggested fix (Chinese)."""
    rules = {r.rule_id: r for r in result.results}
    issues = []
    for row in rows:
        rule = rules[row.rule_id]
        shown = [_masked(c, row.values.get(c), sensitivity) for c in rule.columns]
        issues.append(
            IssueValues(
                department=rule.department or department,
                record_key=masked_key(row.key, sensitivity),
                field=rule.column,
                value="|".join(shown) if shown else None,
                rule_id=rule.rule_id,
                expectation=rule.expectation,
                severity=rule.severity,
                dimension=rule.dimension,
                reason=rule.description or default_reason(rule.expectation),
                suggested_fix=suggest_fix(rule.expectation),
                source_file=row.source_file,
                source_row=row.source_row,
            )
        )
    return tuple(issues)


def validation_values(
    result: SuiteResult,
    *,
    dataset: str,
    run_id: str,
    engine: str = "spark",
    delta_version: int | None = None,
    input_sha256: str | None = None,
    subject: ValidationSubject = ValidationSubject.TABLE,
    department: str | None = None,
    issues: Sequence[IssueValues] = (),
) -> ValidationValues:
    """Catalog values for a suite result on a dataset version (or a file, with its sha256)."""
    return ValidationValues(
        run_id=run_id,
        suite=result.suite,
        dataset=dataset,
        engine=engine,
        row_count=result.row_count,
        outcome=result.outcome.value,
        rules=tuple(rule_values(r) for r in result.results),
        subject=subject,
        department=department,
        delta_version=delta_version,
        input_sha256=input_sha256,
        issues=tuple(issues),
    )


def record_suite_result(
    store: CatalogStore,
    result: SuiteResult,
    *,
    dataset: str,
    run_id: str,
    delta_version: int | None = None,
    engine: str = "spark",
    issues: Sequence[IssueValues] = (),
    input_sha256: str | None = None,
    subject: ValidationSubject = ValidationSubject.TABLE,
) -> ValidationRecord:
    """Store a suite result for `dataset` at `delta_version`, written by run `run_id`; history is kept."""
    return store.record_validation(
        validation_values(
            result,
            dataset=dataset,
            run_id=run_id,
            engine=engine,
            delta_version=delta_version,
            input_sha256=input_sha256,
            subject=subject,
            issues=issues,
        )
    )
