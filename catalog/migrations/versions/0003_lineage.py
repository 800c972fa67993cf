"""Lineage: stored OpenLineage events, jobs, dataset and column edges (issue 5)."""

from __future__ import annotations

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """Placeholder reserved for lineage; the owning issue fills it in."""


def downgrade() -> None:
    """Placeholder reserved for lineage."""
