"""Hub: model registry, sharing requests and KPIs (issue 6)."""

from __future__ import annotations

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """Placeholder reserved for hub; the owning issue fills it in."""


def downgrade() -> None:
    """Placeholder reserved for hub."""
