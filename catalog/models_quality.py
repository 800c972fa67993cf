"""SQLAlchemy models of stored quality results: validations, rule results, failing-row issues, objections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import CatalogBase


class ValidationRow(CatalogBase):
    """One validation of a dataset version (or of a delivered file) against a suite; history is kept."""

    __tablename__ = "quality_validations"
    __table_args__ = (Index("ix_quality_validations_dataset_validated_at", "dataset", "validated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    suite: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(20))
    dataset: Mapped[str] = mapped_column(String(500))
    department: Mapped[str | None] = mapped_column(String(200))
    delta_version: Mapped[int | None] = mapped_column(Integer)
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(20))
    row_count: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(20))
    rules_total: Mapped[int] = mapped_column(Integer)
    rules_failed: Mapped[int] = mapped_column(Integer)
    issues_recorded: Mapped[int] = mapped_column(Integer)
    validated_at: Mapped[datetime]

    rules: Mapped[list[RuleResultRow]] = relationship(
        back_populates="validation",
        cascade="all, delete-orphan",
        order_by="RuleResultRow.position",
        passive_deletes=True,
    )


class RuleResultRow(CatalogBase):
    """One rule's verdict and metrics within a validation (sample values already masked)."""

    __tablename__ = "quality_rule_results"
    __table_args__ = (Index("ix_quality_rule_results_rule_id", "rule_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    validation_id: Mapped[int] = mapped_column(
        ForeignKey("quality_validations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(300))
    expectation: Mapped[str] = mapped_column(String(200))
    column: Mapped[str | None] = mapped_column(String(500))
    columns: Mapped[list[str]] = mapped_column(JSON)
    severity: Mapped[str] = mapped_column(String(10))
    dimension: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    element_count: Mapped[int] = mapped_column(BigInteger)
    unexpected_count: Mapped[int] = mapped_column(BigInteger)
    unexpected_percent: Mapped[float | None] = mapped_column(Float)
    mostly: Mapped[float | None] = mapped_column(Float)
    sample_unexpected: Mapped[list[str]] = mapped_column(JSON)
    observed_value: Mapped[str | None] = mapped_column(Text)

    validation: Mapped[ValidationRow] = relationship(back_populates="rules")


class IssueRow(CatalogBase):
    """A failing row of a validation for the rectification list (整改清单); values masked, capped per rule."""

    __tablename__ = "quality_issues"
    __table_args__ = (Index("ix_quality_issues_department_dataset", "department", "dataset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    validation_id: Mapped[int] = mapped_column(
        ForeignKey("quality_validations.id", ondelete="CASCADE"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(500))
    department: Mapped[str] = mapped_column(String(200))
    record_key: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_row: Mapped[int | None] = mapped_column(BigInteger)
    field: Mapped[str | None] = mapped_column(String(500))
    value: Mapped[str | None] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(300))
    expectation: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    dimension: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    suggested_fix: Mapped[str] = mapped_column(Text)


class ObjectionRow(CatalogBase):
    """A quality objection (质量异议) on a record's field, routed to the dataset's owning department."""

    __tablename__ = "quality_objections"
    __table_args__ = (Index("ix_quality_objections_department_status", "department", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    record_key: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime]
    due_at: Mapped[datetime]
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
