"""Date constants, fast ISO formatting by ordinal, and the non-canonical date formats used as defects."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Final, Literal

AS_OF: Final = date(2025, 12, 31)
AS_OF_ORDINAL: Final = AS_OF.toordinal()
PAY_YEAR: Final = 2025
TABLE_START: Final = date(1900, 1, 1).toordinal()
TABLE_END: Final = date(2026, 12, 31).toordinal()
EXCEL_EPOCH: Final = date(1899, 12, 30).toordinal()

_EPOCH: Final = datetime(1970, 1, 1)
_EPOCH_ORDINAL: Final = _EPOCH.toordinal()

DateFormat = Literal["yyyymmdd", "y/m/d", "y年m月d日", "excel_serial"]
TEXT_FORMATS: Final[tuple[DateFormat, ...]] = ("yyyymmdd", "y/m/d", "y年m月d日", "excel_serial")


@cache
def iso_table() -> tuple[str, ...]:
    """Return ISO strings for the ordinals TABLE_START..TABLE_END, indexed by ordinal - TABLE_START."""
    return tuple(date.fromordinal(o).isoformat() for o in range(TABLE_START, TABLE_END + 1))


@cache
def compact_table() -> tuple[str, ...]:
    """Return YYYYMMDD strings for every ordinal from TABLE_START to TABLE_END, indexed likewise."""
    return tuple(text.replace("-", "") for text in iso_table())


def iso(ordinal: int) -> str:
    """Format a date ordinal as YYYY-MM-DD."""
    if TABLE_START <= ordinal <= TABLE_END:
        return iso_table()[ordinal - TABLE_START]
    return date.fromordinal(ordinal).isoformat()


def format_date(ordinal: int, fmt: DateFormat) -> str | int:
    """Write a date ordinal in a non-canonical format; Excel serials are ints."""
    day = date.fromordinal(ordinal)
    if fmt == "yyyymmdd":
        return f"{day:%Y%m%d}"
    if fmt == "y/m/d":
        return f"{day.year}/{day.month}/{day.day}"
    if fmt == "y年m月d日":
        return f"{day.year}年{day.month}月{day.day}日"
    return ordinal - EXCEL_EPOCH


def format_timestamp(seconds: int) -> str:
    """Format seconds since 1970-01-01 00:00:00 (county local time) as YYYY-MM-DD HH:MM:SS."""
    return (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def timestamp_seconds(ordinal: int) -> int:
    """Return the seconds since 1970-01-01 at midnight of a date ordinal."""
    return (ordinal - _EPOCH_ORDINAL) * 86400
