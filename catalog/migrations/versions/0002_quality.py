"""Quality results, rule history, failing-row issues and objections (issue 4)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the quality tables."""
    op.create_table(
        "quality_validations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("suite", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(20), nullable=False),
        sa.Column("dataset", sa.String(500), nullable=False),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("delta_version", sa.Integer(), nullable=True),
        sa.Column("input_sha256", sa.String(64), nullable=True),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("rules_total", sa.Integer(), nullable=False),
        sa.Column("rules_failed", sa.Integer(), nullable=False),
        sa.Column("issues_recorded", sa.Integer(), nullable=False),
        sa.Column("validated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quality_validations"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name="fk_quality_validations_run_id_runs"),
    )
    op.create_index("ix_quality_validations_run_id", "quality_validations", ["run_id"])
    op.create_index(
        "ix_quality_validations_dataset_validated_at", "quality_validations", ["dataset", "validated_at"]
    )

    op.create_table(
        "quality_rule_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("validation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(300), nullable=False),
        sa.Column("expectation", sa.String(200), nullable=False),
        sa.Column("column", sa.String(500), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("element_count", sa.BigInteger(), nullable=False),
        sa.Column("unexpected_count", sa.BigInteger(), nullable=False),
        sa.Column("unexpected_percent", sa.Float(), nullable=True),
        sa.Column("mostly", sa.Float(), nullable=True),
        sa.Column("sample_unexpected", sa.JSON(), nullable=False),
        sa.Column("observed_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quality_rule_results"),
        sa.ForeignKeyConstraint(
            ["validation_id"],
            ["quality_validations.id"],
            name="fk_quality_rule_results_validation_id_quality_validations",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_quality_rule_results_validation_id", "quality_rule_results", ["validation_id"])
    op.create_index("ix_quality_rule_results_rule_id", "quality_rule_results", ["rule_id"])

    op.create_table(
        "quality_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("validation_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(500), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_row", sa.BigInteger(), nullable=True),
        sa.Column("field", sa.String(500), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("rule_id", sa.String(300), nullable=False),
        sa.Column("expectation", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suggested_fix", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quality_issues"),
        sa.ForeignKeyConstraint(
            ["validation_id"],
            ["quality_validations.id"],
            name="fk_quality_issues_validation_id_quality_validations",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_quality_issues_validation_id", "quality_issues", ["validation_id"])
    op.create_index("ix_quality_issues_department_dataset", "quality_issues", ["department", "dataset"])

    op.create_table(
        "quality_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("raised_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("due_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quality_objections"),
    )
    op.create_index("ix_quality_objections_dataset", "quality_objections", ["dataset"])
    op.create_index("ix_quality_objections_department_status", "quality_objections", ["department", "status"])


def downgrade() -> None:
    """Drop the quality tables."""
    op.drop_table("quality_objections")
    op.drop_table("quality_issues")
    op.drop_table("quality_rule_results")
    op.drop_table("quality_validations")
