"""Deadlines in working days on the China calendar (sharing requests, quality objections).

Working days follow the State Council's published holiday schedule, public holidays off and adjusted
working weekends (调休) on, from the `chinesecalendar` package, which carries each year's schedule once it
is announced (every November for the next year). For a year it has no schedule for yet, Monday–Friday
counts; `calendar_covers` tells, and upgrading the package adds the new year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar

from .errors import CatalogError

CHINA_TIME = timezone(timedelta(hours=8), "CST")


def calendar_covers(day: date) -> bool:
    """Whether the holiday schedule of `day`'s year is known (else weekdays stand in for working days)."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def calendar_gap(start: datetime, due: datetime) -> str | None:
    """A note for the person setting a deadline when it was counted without the holiday schedule, else None.

    Names the uncovered year(s) and the fix; the CLI prints it under the due date.
    """
    first, last = start.astimezone(CHINA_TIME).date(), due.astimezone(CHINA_TIME).date()
    years = sorted({y for y in range(first.year, last.year + 1) if not calendar_covers(date(y, 1, 1))})
    if not years:
        return None
    listed = "、".join(str(y) for y in years)
    return (
        f"note: the holiday schedule for {listed} is not in the installed chinesecalendar package, so this "
        "deadline counts Monday–Friday as working days there. Fix: upgrade chinesecalendar "
        "(`.venv/bin/uv pip install -U chinesecalendar`) once the State Council publishes the schedule."
    )


def is_working_day(day: date) -> bool:
    """A working day in mainland China: holidays off, 调休 weekends on (Monday–Friday when unknown)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def working_day_deadline(start: datetime, working_days: int) -> datetime:
    """End (23:59:59 China time) of the `working_days`-th working day after `start`'s day, in UTC."""
    if working_days < 1:
        raise CatalogError(
            f"A deadline must be at least 1 working day, got {working_days}. Fix: pass e.g. 5."
        )
    local = start.astimezone(CHINA_TIME)
    left = working_days
    while left:
        local += timedelta(days=1)
        if is_working_day(local.date()):
            left -= 1
    return local.replace(hour=23, minute=59, second=59, microsecond=0).astimezone(UTC)
