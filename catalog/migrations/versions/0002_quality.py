"""Quality results, rule history and objections (issue 4)."""

from __future__ import annotations

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """Placeholder reserved for quality; the owning issue fills it in."""


def downgrade() -> None:
    """Placeholder reserved for quality."""
