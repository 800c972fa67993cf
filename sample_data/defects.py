"""Defect kinds, their per-block placement, and the helpers that write a value defectively."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from random import Random
from typing import Final

from .blocks import BLOCK
from .county import point_outside
from .dates import EXCEL_EPOCH, TEXT_FORMATS, DateFormat, format_date, iso

MIN_PER_KIND_IN_FIRST_BLOCK: Final = 2.0
FIRST_BLOCK_SPAN: Final = 50
SENTINEL: Final = "-9999"
FIVE_DIGIT_SERIALS_FROM: Final = EXCEL_EPOCH + 10_000

DEFECT_KINDS: Final = (
    "id_check_digit",
    "id_15_digit",
    "id_lowercase_x",
    "fullwidth_digits",
    "gender_mismatch",
    "birth_date_mismatch",
    "duplicate_person",
    "uscc_check_char",
    "amount_in_wan",
    "mixed_date_format",
    "deceased_still_paid",
    "imprisoned_still_paid",
    "closed_before_created",
    "lonlat_swapped",
    "lonlat_outside_county",
    "sentinel_value",
    "address_conflict",
)

_FULLWIDTH: Final = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True, slots=True)
class DefectNote:
    """A defect carried by one written row, before the generator knows its row number and key."""

    column: str
    kind: str
    detail: str
    expected: str | None = None


def defect_count(rng: Random, weight: float, length: int, first_block: bool) -> int:
    """Return how many rows of a block get one kind: weight per 100 rows, stochastically rounded."""
    expected = (max(weight, MIN_PER_KIND_IN_FIRST_BLOCK) if first_block else weight) * length / BLOCK
    whole = int(expected)
    return whole + (rng.random() < expected - whole)


def plan_block(
    seed: int, source: str, block: int, length: int, weights: Mapping[str, float], span: int | None = None
) -> dict[int, str]:
    """Place defect kinds on distinct positions among the first span (default all) rows of a block."""
    rng = Random(f"{seed}:{source}:defects:{block}")
    kinds = [
        kind for kind, weight in weights.items() for _ in range(defect_count(rng, weight, length, block == 0))
    ]
    positions = rng.sample(range(span or length), min(len(kinds), span or length))
    return dict(zip(positions, kinds, strict=False))


class DefectSchedule:
    """Hands out planned defect kinds row by row for sources whose length is not known up front."""

    # A row that cannot take a kind passes it on to the next row, and the first block's kinds sit in
    # its first FIRST_BLOCK_SPAN rows, so short files still carry every kind at least twice.

    def __init__(self, seed: int, source: str, weights: Mapping[str, float]) -> None:
        self._seed = seed
        self._source = source
        self._weights = weights
        self._block = -1
        self._plan: dict[int, str] = {}
        self._pending: list[str] = []

    def take(self, row: int, accepts: Callable[[str], bool] | None = None) -> str | None:
        """Return the defect kind for a 0-based data row or None; accepts tells which kinds fit the row."""
        block, position = divmod(row, BLOCK)
        if block != self._block:
            self._block = block
            span = FIRST_BLOCK_SPAN if block == 0 else BLOCK
            self._plan = plan_block(self._seed, self._source, block, BLOCK, self._weights, span)
        kind = self._plan.get(position)
        if kind is not None:
            self._pending.append(kind)
        for index, pending in enumerate(self._pending):
            if accepts is None or accepts(pending):
                return self._pending.pop(index)
        return None


def to_fullwidth(value: str) -> str:
    """Replace ASCII digits with full-width digits (０-９)."""
    return value.translate(_FULLWIDTH)


def fullwidth_note(column: str, value: str) -> tuple[str, DefectNote]:
    """Write a value with full-width digits."""
    return to_fullwidth(value), DefectNote(column, "fullwidth_digits", "full-width digits", value)


def wrong_char(correct: str, charset: str, rng: Random) -> str:
    """Pick a character of charset other than the correct one."""
    others = charset.replace(correct, "")
    return others[int(rng.random() * len(others))]


def wan_yuan(yuan: int) -> str:
    """Write a whole-yuan amount in 万元 with the unit suffix (860 -> 0.0860万元)."""
    return f"{yuan // 10_000}.{yuan % 10_000:04d}万元"


def yuan(amount: float) -> str:
    """Write an amount in its canonical plain form with two decimals."""
    return f"{amount:.2f}"


def sentinel_note(column: str, original: str) -> tuple[str, DefectNote]:
    """Write the -9999 sentinel in a numeric column."""
    return SENTINEL, DefectNote(column, "sentinel_value", f"sentinel {SENTINEL} instead of {original}", None)


def date_note(
    column: str, ordinal: int, rng: Random, formats: tuple[DateFormat, ...] = TEXT_FORMATS
) -> tuple[str | int, DefectNote]:
    """Write a date in one of the non-canonical formats; the note records the format and ISO value."""
    fmt = formats[int(rng.random() * len(formats))]
    if fmt == "excel_serial" and ordinal < FIVE_DIGIT_SERIALS_FROM:
        fmt = "yyyymmdd"  # keep serials at five digits (from 1927-05-18), as readers expect
    value = format_date(ordinal, fmt)
    canonical = iso(ordinal)
    return value, DefectNote(column, "mixed_date_format", f"{fmt}: {value} = {canonical}", canonical)


def text_date_note(column: str, ordinal: int, rng: Random) -> tuple[str, DefectNote]:
    """Write a date in a non-canonical format as text (Excel serials as digit strings)."""
    value, note = date_note(column, ordinal, rng)
    return str(value), note


def coordinates(lon: float, lat: float) -> tuple[str, str]:
    """Write a WGS84 point with 6 decimals."""
    return f"{lon:.6f}", f"{lat:.6f}"


def lonlat_note(kind: str, lon: float, lat: float, rng: Random) -> tuple[str, str, DefectNote]:
    """Write a point swapped (lonlat_swapped) or moved outside the county (lonlat_outside_county)."""
    true_lon, true_lat = coordinates(lon, lat)
    if kind == "lonlat_swapped":
        return (
            true_lat,
            true_lon,
            DefectNote("lon", kind, f"lon and lat swapped; true lon={true_lon} lat={true_lat}"),
        )
    out_lon, out_lat = coordinates(*point_outside(rng))
    return out_lon, out_lat, DefectNote("lon", kind, f"point {out_lon},{out_lat} outside the county bbox")
