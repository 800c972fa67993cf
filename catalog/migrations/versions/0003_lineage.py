"""Lineage: stored OpenLineage events, jobs, dataset and column edges (issue 5)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the event log and the projected lineage graph."""
    op.create_table(
        "lineage_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(20), nullable=True),
        sa.Column("event_time", UTC_TIMESTAMP, nullable=False),
        sa.Column("job_namespace", sa.String(500), nullable=True),
        sa.Column("job_name", sa.String(500), nullable=True),
        sa.Column("producer", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_events"),
    )
    op.create_index("ix_lineage_events_run_id", "lineage_events", ["run_id"])
    op.create_index("ix_lineage_events_event_time", "lineage_events", ["event_time"])

    op.create_table(
        "lineage_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("namespace", sa.String(500), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("job_type", sa.String(50), nullable=True),
        sa.Column("integration", sa.String(50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("latest_run_id", sa.String(64), nullable=True),
        sa.Column("latest_state", sa.String(20), nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_jobs"),
        sa.UniqueConstraint("namespace", "name", name="uq_lineage_jobs_namespace_name"),
    )

    op.create_table(
        "lineage_nodes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("namespace", sa.String(500), nullable=False),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("short_name", sa.String(200), nullable=True),
        sa.Column("tier", sa.String(20), nullable=True),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("byte_count", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.String(100), nullable=True),
        sa.Column("quality_passed", sa.Integer(), nullable=True),
        sa.Column("quality_total", sa.Integer(), nullable=True),
        sa.Column("first_seen", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_nodes"),
        sa.UniqueConstraint("namespace", "name", name="uq_lineage_nodes_namespace_name"),
    )
    op.create_index("ix_lineage_nodes_short_name", "lineage_nodes", ["short_name"])

    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("valid_from", UTC_TIMESTAMP, nullable=False),
        sa.Column("valid_to", UTC_TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["lineage_jobs.id"], name="fk_lineage_edges_job_id_lineage_jobs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["lineage_nodes.id"],
            name="fk_lineage_edges_source_id_lineage_nodes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["lineage_nodes.id"],
            name="fk_lineage_edges_target_id_lineage_nodes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_edges"),
    )
    op.create_index("ix_lineage_edges_source_id", "lineage_edges", ["source_id"])
    op.create_index("ix_lineage_edges_target_id", "lineage_edges", ["target_id"])
    op.create_index("ix_lineage_edges_job_id_target_id", "lineage_edges", ["job_id", "target_id"])

    op.create_table(
        "lineage_column_edges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_field", sa.String(300), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("target_field", sa.String(300), nullable=False),
        sa.Column("transformation", sa.String(30), nullable=True),
        sa.Column("subtype", sa.String(50), nullable=True),
        sa.Column("masking", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("valid_from", UTC_TIMESTAMP, nullable=False),
        sa.Column("valid_to", UTC_TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["lineage_jobs.id"],
            name="fk_lineage_column_edges_job_id_lineage_jobs",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["lineage_nodes.id"],
            name="fk_lineage_column_edges_source_id_lineage_nodes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["lineage_nodes.id"],
            name="fk_lineage_column_edges_target_id_lineage_nodes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lineage_column_edges"),
    )
    op.create_index(
        "ix_lineage_column_edges_source_id_source_field",
        "lineage_column_edges",
        ["source_id", "source_field"],
    )
    op.create_index(
        "ix_lineage_column_edges_target_id_target_field",
        "lineage_column_edges",
        ["target_id", "target_field"],
    )
    op.create_index(
        "ix_lineage_column_edges_job_id_target_id", "lineage_column_edges", ["job_id", "target_id"]
    )


def downgrade() -> None:
    """Drop the lineage tables."""
    for table in ("lineage_column_edges", "lineage_edges", "lineage_nodes", "lineage_jobs", "lineage_events"):
        op.drop_table(table)
