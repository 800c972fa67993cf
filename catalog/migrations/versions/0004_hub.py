"""Hub: model registry, sharing requests and KPIs (issue 6).

Adds the data-sharing requests (数据共享申请) and the append-only audit log. The log refuses UPDATE and
DELETE (and TRUNCATE on PostgreSQL) with database triggers; its hash chain still lets `lakehub audit
verify` detect changes made by someone who drops the triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
APPEND_ONLY = "audit_log is append-only: entries are never changed or deleted"

_SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
    for event in ("UPDATE", "DELETE")
)
_POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION lakehub_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY} (% refused)', TG_OP; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION lakehub_audit_log_append_only()",
)


def upgrade() -> None:
    """Create the sharing-request and audit-log tables; make the log append-only."""
    op.create_table(
        "share_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("owner_department", sa.String(200), nullable=False),
        sa.Column("sharing_class", sa.String(50), nullable=False),
        sa.Column("requesting_department", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("due_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("responded_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("resolved_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_department", sa.String(200), nullable=True),
        sa.Column("granted_columns", sa.JSON(), nullable=False),
        sa.Column("exports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_share_requests"),
    )
    op.create_index("ix_share_requests_dataset", "share_requests", ["dataset"])
    op.create_index("ix_share_requests_requesting_department", "share_requests", ["requesting_department"])
    op.create_index("ix_share_requests_status_requested_at", "share_requests", ["status", "requested_at"])

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("dataset", sa.String(200), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sa.UniqueConstraint("prev_hash", name="uq_audit_log_prev_hash"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )
    op.create_index("ix_audit_log_recorded_at", "audit_log", ["recorded_at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_dataset", "audit_log", ["dataset"])

    dialect = op.get_context().dialect.name
    triggers = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, ())
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    """Drop the audit log (with its triggers) and the sharing requests."""
    op.drop_table("audit_log")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS lakehub_audit_log_append_only()")
    op.drop_table("share_requests")
