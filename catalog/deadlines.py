"""Deadlines in working days on the China calendar (sharing requests, quality objections)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from .errors import CatalogError

CHINA_TIME = timezone(timedelta(hours=8), "CST")


def working_day_deadline(start: datetime, working_days: int) -> datetime:
    """End (23:59:59 China time) of the `working_days`-th Monday–Friday after `start`'s day, in UTC.

    Public holidays and adjusted working weekends (调休) are not modelled.
    """
    if working_days < 1:
        raise CatalogError(
            f"A deadline must be at least 1 working day, got {working_days}. Fix: pass e.g. 5."
        )
    local = start.astimezone(CHINA_TIME)
    left = working_days
    while left:
        local += timedelta(days=1)
        if local.weekday() < 5:
            left -= 1
    return local.replace(hour=23, minute=59, second=59, microsecond=0).astimezone(UTC)
