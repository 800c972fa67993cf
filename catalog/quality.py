"""Quality repository: validations, rule history, issues and objections within a caller's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from . import datasets
from .errors import CatalogError
from .models import DatasetRow
from .models_quality import IssueRow, ObjectionRow, RuleResultRow, ValidationRow
from .quality_records import (
    IssueRecord,
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
from .records import Tier, parse_choice
from .runs import run_row


def rule_record(row: RuleResultRow) -> RuleResultRecord:
    """Record for a stored rule result."""
    return RuleResultRecord(
        rule_id=row.rule_id,
        expectation=row.expectation,
        column=row.column,
        columns=tuple(row.columns),
        severity=row.severity,
        dimension=row.dimension,
        department=row.department,
        description=row.description,
        success=row.success,
        element_count=row.element_count,
        unexpected_count=row.unexpected_count,
        unexpected_percent=row.unexpected_percent,
        mostly=row.mostly,
        sample_unexpected=tuple(row.sample_unexpected),
        observed_value=row.observed_value,
    )


def validation_record(row: ValidationRow) -> ValidationRecord:
    """Record for a stored validation with its rule results."""
    return ValidationRecord(
        id=row.id,
        run_id=row.run_id,
        suite=row.suite,
        subject=ValidationSubject(row.subject),
        dataset=row.dataset,
        department=row.department,
        delta_version=row.delta_version,
        input_sha256=row.input_sha256,
        engine=row.engine,
        row_count=row.row_count,
        outcome=row.outcome,
        rules_total=row.rules_total,
        rules_failed=row.rules_failed,
        issues_recorded=row.issues_recorded,
        validated_at=row.validated_at,
        rules=tuple(rule_record(r) for r in sorted(row.rules, key=lambda r: r.position)),
    )


def insert_validation(
    session: Session, values: ValidationValues, now: datetime, where: str
) -> ValidationRecord:
    """Store a validation, its rule results and its failing-row issues."""
    run_row(session, values.run_id, where)
    dataset, department = values.dataset, values.department
    if values.subject is ValidationSubject.TABLE:
        row = datasets.dataset_row(session, values.dataset, where)
        dataset, department = row.name, department or row.department
    validation = ValidationRow(
        run_id=values.run_id,
        suite=values.suite,
        subject=values.subject.value,
        dataset=dataset,
        department=department,
        delta_version=values.delta_version,
        input_sha256=values.input_sha256,
        engine=values.engine,
        row_count=values.row_count,
        outcome=values.outcome,
        rules_total=len(values.rules),
        rules_failed=sum(1 for r in values.rules if not r.success),
        issues_recorded=len(values.issues),
        validated_at=values.validated_at or now,
        rules=[
            RuleResultRow(
                position=position,
                rule_id=r.rule_id,
                expectation=r.expectation,
                column=r.column,
                columns=list(r.columns),
                severity=r.severity,
                dimension=r.dimension,
                department=r.department,
                description=r.description,
                success=r.success,
                element_count=r.element_count,
                unexpected_count=r.unexpected_count,
                unexpected_percent=r.unexpected_percent,
                mostly=r.mostly,
                sample_unexpected=list(r.sample_unexpected),
                observed_value=r.observed_value,
            )
            for position, r in enumerate(values.rules)
        ],
    )
    session.add(validation)
    session.flush()
    session.add_all(
        IssueRow(
            validation_id=validation.id,
            dataset=dataset,
            department=issue.department,
            record_key=issue.record_key,
            source_file=issue.source_file,
            source_row=issue.source_row,
            field=issue.field,
            value=issue.value,
            rule_id=issue.rule_id,
            expectation=issue.expectation,
            severity=issue.severity,
            dimension=issue.dimension,
            reason=issue.reason,
            suggested_fix=issue.suggested_fix,
        )
        for issue in values.issues
    )
    session.flush()
    return validation_record(validation)


def _ranked(subject: ValidationSubject) -> Select[tuple[int, int]]:
    """(validation id, rank) with rank 1 for each dataset's newest validation of this subject."""
    rank = (
        func.row_number()
        .over(
            partition_by=ValidationRow.dataset,
            order_by=(ValidationRow.validated_at.desc(), ValidationRow.id.desc()),
        )
        .label("rank")
    )
    return select(ValidationRow.id, rank).where(ValidationRow.subject == subject.value)


def select_latest(
    session: Session, *, per_dataset: int, subject: ValidationSubject, dataset: str | None
) -> list[ValidationRecord]:
    """The newest `per_dataset` validations of each dataset, by dataset then newest first."""
    ranked = _ranked(subject)
    if dataset is not None:
        ranked = ranked.where(ValidationRow.dataset == dataset)
    inner = ranked.subquery()
    query = (
        select(ValidationRow)
        .join(inner, inner.c.id == ValidationRow.id)
        .where(inner.c.rank <= per_dataset)
        .options(selectinload(ValidationRow.rules))
        .order_by(ValidationRow.dataset, inner.c.rank)
    )
    return [validation_record(row) for row in session.scalars(query)]


def select_history(session: Session, dataset: str, limit: int) -> list[ValidationRecord]:
    """Validations of a dataset (short name or file path), newest first."""
    query = (
        select(ValidationRow)
        .where(ValidationRow.dataset == dataset)
        .options(selectinload(ValidationRow.rules))
        .order_by(ValidationRow.validated_at.desc(), ValidationRow.id.desc())
        .limit(limit)
    )
    return [validation_record(row) for row in session.scalars(query)]


def select_rule_history(session: Session, dataset: str, rule_id: str, limit: int) -> list[RuleHistoryPoint]:
    """One rule's results over a dataset's validations, oldest first (the newest `limit`)."""
    query = (
        select(RuleResultRow, ValidationRow)
        .join(ValidationRow, RuleResultRow.validation_id == ValidationRow.id)
        .where(ValidationRow.dataset == dataset, RuleResultRow.rule_id == rule_id)
        .order_by(ValidationRow.validated_at.desc(), ValidationRow.id.desc())
        .limit(limit)
    )
    points = [
        RuleHistoryPoint(
            validation_id=validation.id,
            validated_at=validation.validated_at,
            delta_version=validation.delta_version,
            success=rule.success,
            element_count=rule.element_count,
            unexpected_count=rule.unexpected_count,
            unexpected_percent=rule.unexpected_percent,
        )
        for rule, validation in session.execute(query)
    ]
    return points[::-1]


def known_departments(session: Session) -> list[str]:
    """Departments owning base datasets or named by stored validations and issues, sorted."""
    names = set(session.scalars(select(DatasetRow.department).where(DatasetRow.tier == Tier.BASE.value)))
    names |= set(
        session.scalars(select(ValidationRow.department).where(ValidationRow.department.is_not(None)))
    )
    names |= set(session.scalars(select(IssueRow.department)))
    return sorted(n for n in names if n)


def check_department(session: Session, department: str) -> str:
    """The department, or UnknownDepartmentError listing the valid ones."""
    valid = known_departments(session)
    if department not in valid:
        raise UnknownDepartmentError(department, valid)
    return department


def select_issues(session: Session, *, department: str | None, dataset: str | None) -> list[IssueRecord]:
    """Failing rows of the newest table validation of each dataset, by dataset, source file and row."""
    inner = _ranked(ValidationSubject.TABLE).subquery()
    query = (
        select(IssueRow, ValidationRow.validated_at)
        .join(ValidationRow, IssueRow.validation_id == ValidationRow.id)
        .join(inner, inner.c.id == ValidationRow.id)
        .where(inner.c.rank == 1)
        .order_by(IssueRow.dataset, IssueRow.source_file, IssueRow.source_row, IssueRow.rule_id, IssueRow.id)
    )
    if department is not None:
        query = query.where(IssueRow.department == department)
    if dataset is not None:
        query = query.where(IssueRow.dataset == dataset)
    return [
        IssueRecord(
            id=row.id,
            validation_id=row.validation_id,
            validated_at=validated_at,
            dataset=row.dataset,
            department=row.department,
            record_key=row.record_key,
            source_file=row.source_file,
            source_row=row.source_row,
            field=row.field,
            value=row.value,
            rule_id=row.rule_id,
            expectation=row.expectation,
            severity=row.severity,
            dimension=row.dimension,
            reason=row.reason,
            suggested_fix=row.suggested_fix,
        )
        for row, validated_at in session.execute(query)
    ]


def objection_record(row: ObjectionRow, now: datetime) -> ObjectionRecord:
    """Record of an objection, overdue when still open after its due time."""
    status = ObjectionStatus(row.status)
    return ObjectionRecord(
        id=row.id,
        dataset=row.dataset,
        record_key=row.record_key,
        field=row.field,
        reason=row.reason,
        raised_by=row.raised_by,
        department=row.department,
        status=status,
        raised_at=row.raised_at,
        due_at=row.due_at,
        resolution=row.resolution,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        overdue=status is ObjectionStatus.OPEN and now > row.due_at,
    )


def insert_objection(
    session: Session,
    *,
    dataset: str,
    record_key: str,
    field: str,
    reason: str,
    raised_by: str,
    raised_at: datetime,
    due_at: datetime,
    where: str,
) -> ObjectionRecord:
    """Store an open objection routed to the dataset's owning department; the field must be a column."""
    target = datasets.dataset_row(session, dataset, where)
    columns = [c.name for c in target.columns]
    if columns and field not in columns:
        raise CatalogError(
            f"Field '{field}' is not a column of {target.name}. Valid fields: {', '.join(columns)}. "
            "Fix: name the column the objection is about."
        )
    if not reason.strip():
        raise CatalogError("An objection needs a reason. Fix: pass --reason with what is wrong.")
    row = ObjectionRow(
        dataset=target.name,
        record_key=record_key,
        field=field,
        reason=reason,
        raised_by=raised_by,
        department=target.department,
        status=ObjectionStatus.OPEN.value,
        raised_at=raised_at,
        due_at=due_at,
    )
    session.add(row)
    session.flush()
    return objection_record(row, raised_at)


def select_objections(
    session: Session, *, department: str | None, status: str | None, now: datetime
) -> list[ObjectionRecord]:
    """Objections, oldest first, optionally of one department and status."""
    query = select(ObjectionRow).order_by(ObjectionRow.raised_at, ObjectionRow.id)
    if department is not None:
        query = query.where(ObjectionRow.department == department)
    if status is not None:
        query = query.where(
            ObjectionRow.status == parse_choice(ObjectionStatus, status, "objection status").value
        )
    return [objection_record(row, now) for row in session.scalars(query)]


def resolve_objection(
    session: Session, objection_id: int, *, resolution: str, resolved_by: str, now: datetime, where: str
) -> ObjectionRecord:
    """Close an open objection with its resolution."""
    row = session.get(ObjectionRow, objection_id)
    if row is None:
        raise ObjectionNotFoundError(objection_id, where)
    if row.status == ObjectionStatus.RESOLVED.value:
        raise CatalogError(
            f"Objection {objection_id} was already resolved at {row.resolved_at:%Y-%m-%d %H:%M} UTC. "
            "Fix: raise a new objection if the problem is back."
        )
    if not resolution.strip():
        raise CatalogError("A resolution cannot be empty. Fix: pass --resolution with what was done.")
    row.status = ObjectionStatus.RESOLVED.value
    row.resolution = resolution
    row.resolved_by = resolved_by
    row.resolved_at = now
    session.flush()
    return objection_record(row, now)


def has_validations(session: Session, dataset: str) -> bool:
    """Whether validations are stored under exactly this dataset name or file path."""
    return (
        session.scalar(select(ValidationRow.id).where(ValidationRow.dataset == dataset).limit(1)) is not None
    )
