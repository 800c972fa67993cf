"""The custody source (在押/服刑人员名单, 区公安分局): residents detained or serving a sentence.

Who is in custody is drawn per population block from its own Random, so the population file does not
change; the assistance-payment source asks the same plan which residents it must not pay while they
are in custody, and which ones (the ``imprisoned_still_paid`` cases) it goes on paying anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import Final

from .blocks import BLOCK, BlockCache
from .county import COUNTY_CODE
from .dates import AS_OF_ORDINAL, iso
from .defects import DefectNote, DefectSchedule, text_date_note
from .people import STATUS_NORMAL, Person
from .population import Population

WEIGHTS: Final = {"mixed_date_format": 1.5}
PER_BLOCK: Final = 1.5
PAID_SHARE: Final = 0.3
FIRST_BLOCK_PAID: Final = 2
FIRST_BLOCK_CLEAN: Final = 2
_FIRST_START: Final = date(2012, 1, 1).toordinal()
_PAID_START_FIRST: Final = date(2025, 2, 20).toordinal()
_PAID_START_LAST: Final = date(2025, 10, 20).toordinal()
_LOCAL_FACILITY: Final = "九江市柴桑区看守所"
_PRISONS: Final = ("江西省洪都监狱", "江西省赣西监狱", "江西省豫章监狱", "江西省南昌监狱")
_WOMENS_PRISON: Final = "江西省女子监狱"

CUSTODY_TYPES: Final = ("刑事拘留", "逮捕羁押", "判处有期徒刑", "判处拘役")
_DAYS: Final = {
    "刑事拘留": (3, 37),
    "逮捕羁押": (60, 365),
    "判处拘役": (30, 180),
    "判处有期徒刑": (180, 2500),
}
"""Shortest and longest custody of each type, in days."""
_LONG_TYPES: Final = ("逮捕羁押", "判处有期徒刑")
CUSTODY_STATUSES: Final = ("在押", "服刑", "已释放")

Row = list[str | None]


@dataclass(frozen=True, slots=True)
class Spell:
    """One resident's custody: from start (inclusive) until release (exclusive; 0 while still held)."""

    position: int
    start: int
    release: int
    custody_type: str
    facility: str
    paid: bool
    """Whether assistance keeps being paid during custody (an imprisoned_still_paid case)."""

    def holds(self, ordinal: int) -> bool:
        """Whether the resident is in custody on a date ordinal."""
        return self.start <= ordinal and (self.release == 0 or ordinal < self.release)

    @property
    def status(self) -> str:
        """在押 (detained), 服刑 (serving a sentence) or 已释放 (released)."""
        if self.release:
            return "已释放"
        return "服刑" if self.custody_type.startswith("判处") else "在押"


def _can_be_held(person: Person) -> bool:
    """Whether a resident is a clean, living, registered adult of working age."""
    return person.referable and person.status == STATUS_NORMAL and 18 <= person.age <= 75


def _facility(person: Person, custody_type: str, rng: Random) -> str:
    """Prison sentences are served in a provincial prison; everything else in the county's detention centre."""
    if custody_type != "判处有期徒刑":
        return _LOCAL_FACILITY
    if not person.male:
        return _WOMENS_PRISON
    return _PRISONS[int(rng.random() * len(_PRISONS))]


class CustodyPlan:
    """Which residents of each population block are (or were) in custody, and when."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self._cache: BlockCache[dict[int, Spell]] = BlockCache(self._plan)

    def spells(self, block: int) -> dict[int, Spell]:
        """Custody spells of one population block by resident position."""
        return self._cache.get(block)

    def _plan(self, block: int) -> dict[int, Spell]:
        people = self.population.people(block)
        rng = Random(f"{self.population.seed}:custody:{block}")
        count = int(PER_BLOCK) + (rng.random() < PER_BLOCK - int(PER_BLOCK))
        paid_count = sum(rng.random() < PAID_SHARE for _ in range(count))
        if block == 0:
            count, paid_count = FIRST_BLOCK_PAID + FIRST_BLOCK_CLEAN, FIRST_BLOCK_PAID
        spells: dict[int, Spell] = {}
        for index in range(count):
            position = None
            for _ in range(200):
                q = int(rng.random() * len(people))
                if q not in spells and _can_be_held(people[q]):
                    position = q
                    break
            if position is None:
                continue
            spells[position] = self._spell(people[position], position, index < paid_count, rng)
        return spells

    @staticmethod
    def _spell(person: Person, position: int, paid: bool, rng: Random) -> Spell:
        """Draw the custody type, dates and facility; paid cases start during the 2025 payment year."""
        if paid:
            custody_type = _LONG_TYPES[int(rng.random() * len(_LONG_TYPES))]
            start = _PAID_START_FIRST + int(rng.random() * (_PAID_START_LAST - _PAID_START_FIRST))
            release = 0
        else:
            custody_type = CUSTODY_TYPES[int(rng.random() * len(CUSTODY_TYPES))]
            first = max(_FIRST_START, person.birth + 18 * 366)
            start = first + int(rng.random() * (AS_OF_ORDINAL - 5 - first))
            shortest, longest = _DAYS[custody_type]
            days = shortest + int(rng.random() * (longest - shortest))
            release = start + days if start + days < AS_OF_ORDINAL else 0
        return Spell(position, start, release, custody_type, _facility(person, custody_type, rng), paid)

    def spell_of(self, person: Person) -> Spell | None:
        """The custody spell of a resident, if any."""
        block, position = divmod(person.number, BLOCK)
        return self.spells(block).get(position)


def custody_rows(plan: CustodyPlan) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the custody file, one population block at a time (residents in file order)."""
    population = plan.population
    schedule = DefectSchedule(population.seed, "custody", WEIGHTS)
    written = 0
    for block, people in enumerate(population.blocks()):
        rng = Random(f"{population.seed}:custody:rows:{block}")
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for position, spell in sorted(plan.spells(block).items()):
            person = people[position]
            written += 1
            row: Row = [
                f"GA{COUNTY_CODE}JY{date.fromordinal(spell.start).year}{written:06d}",
                person.id_number,
                person.name,
                spell.custody_type,
                spell.facility,
                iso(spell.start),
                iso(spell.release) if spell.release else None,
                spell.status,
            ]
            if schedule.take(written - 1) == "mixed_date_format":
                dates = [(5, "custody_start_date", spell.start)]
                if spell.release:
                    dates.append((6, "release_date", spell.release))
                index, column, ordinal = dates[int(rng.random() * len(dates))]
                row[index], note = text_date_note(column, ordinal, rng)
                notes.append((len(rows), note))
            rows.append(row)
        yield rows, notes
