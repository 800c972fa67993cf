"""The population source (公安户籍人口): per-block defect plan, written rows, and resident look-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import cast

from lakehub.quality_rules.cn_codes import RESIDENT_ID_CHECK_CHARS, id18_to_id15

from .blocks import BLOCK, BlockCache, block_count, block_size
from .county import LEGACY_COUNTY_CODE
from .dates import AS_OF_ORDINAL, iso
from .defects import DefectNote, defect_count, fullwidth_note, text_date_note, wrong_char
from .people import POPULATION_WIDTH, STATUS_DECEASED, PeopleFactory, Person, population_row
from .pools import Pools

POPULATION_KINDS = (
    "id_check_digit",
    "id_15_digit",
    "id_lowercase_x",
    "fullwidth_digits",
    "gender_mismatch",
    "birth_date_mismatch",
    "mixed_date_format",
)
KIND_WEIGHT = 1.5
DECEASED_PER_BLOCK = 2.0
PAID_AFTER_DEATH_SHARE = 0.2
_OLD_BEFORE = date(1976, 1, 1).toordinal()
_DEATHS_FROM = date(2012, 1, 1).toordinal()
_PAID_DEATH_FIRST = date(2025, 2, 15).toordinal()
_PAID_DEATH_LAST = date(2025, 11, 15).toordinal()
_REFERABLE = Person._fields.index("referable")

Row = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PopulationBlock:
    """One block of the population file: residents by position, the rows written and their defects."""

    people: tuple[Person, ...]
    rows: list[Row]
    notes: list[tuple[int, DefectNote]]


@dataclass(slots=True)
class _Plan:
    """Which positions of a block carry which defect, and which rows repeat an earlier resident."""

    kinds: dict[int, str]
    duplicates: dict[int, int]


def _born_1900s(person: Person) -> bool:
    """Whether a resident has a legacy 15-digit form (born 1900-1999)."""
    return "1900" <= person.id_number[6:10] <= "1999"


def _check_digit_x(person: Person) -> bool:
    """Whether a resident's ID ends in the check character X."""
    return person.id_number[17] == "X"


def _born_before_1976(person: Person) -> bool:
    """Whether a resident is old enough to be among the deceased."""
    return person.birth < _OLD_BEFORE


_ELIGIBLE: dict[str, Callable[[Person], bool]] = {
    "id_15_digit": _born_1900s,
    "id_lowercase_x": _check_digit_x,
}


def _draw(
    rng: Random,
    people: list[Person],
    used: set[int],
    stop: int,
    accept: Callable[[Person], bool] | None = None,
) -> int | None:
    """Draw an unused position below stop whose resident accept approves, giving up after 200 tries."""
    for _ in range(200 if stop > 0 else 0):
        q = int(rng.random() * stop)
        if q not in used and (accept is None or accept(people[q])):
            return q
    return None


class Population:
    """Residents of one generation run, built block by block and looked up by index."""

    def __init__(self, seed: int, scale: int, pools: Pools) -> None:
        self.seed = seed
        self.scale = scale
        self.factory = PeopleFactory(seed, pools)
        self._cache: BlockCache[tuple[Person, ...]] = BlockCache(lambda block: tuple(self._plan(block)[0]))

    @property
    def block_count(self) -> int:
        """Number of blocks covering all residents."""
        return block_count(self.scale)

    def _plan(self, block: int) -> tuple[list[Person], _Plan, Random]:
        """Build a block's residents with deaths and defect positions applied."""
        size = block_size(self.scale, block)
        rng = self.factory.block_rng(block)
        people = self.factory.block(rng, block, size)
        first = block == 0
        used: set[int] = set()
        for _ in range(defect_count(rng, DECEASED_PER_BLOCK, size, False)):
            picked = _draw(rng, people, used, size, _born_before_1976)
            if picked is not None:
                used.add(picked)
        deceased = sorted(used)
        paid = {q for q in deceased if first or rng.random() < PAID_AFTER_DEATH_SHARE}
        for q in deceased:
            people[q] = self._decease(people[q], rng, q in paid)
        used = set(paid)
        kinds: dict[int, str] = {}
        for kind in POPULATION_KINDS:
            for _ in range(defect_count(rng, KIND_WEIGHT, size, first)):
                picked = _draw(rng, people, used, size, _ELIGIBLE.get(kind))
                if picked is not None:
                    kinds[picked] = kind
                    used.add(picked)
        duplicates: dict[int, int] = {}
        for _ in range(defect_count(rng, KIND_WEIGHT, size, first)):
            later = _draw(rng, people, used, size)
            source = None if later is None else _draw(rng, people, used, later)
            if later is not None and source is not None:
                duplicates[later] = source
                used.update((later, source))
        for q in used - paid:
            person = people[q]
            if kinds.get(q) == "id_15_digit":
                id_number = self.factory.resident_id(LEGACY_COUNTY_CODE, person.birth, person.seq)
                person = person._replace(id_number=id_number, area=LEGACY_COUNTY_CODE)
            people[q] = tuple.__new__(Person, (*person[:_REFERABLE], False, person.paid_after_death))
        return people, _Plan(kinds, duplicates), rng

    @staticmethod
    def _decease(person: Person, rng: Random, paid: bool) -> Person:
        """Mark a resident deceased (死亡注销); paid ones die during the 2025 payment year."""
        if paid:
            death = _PAID_DEATH_FIRST + int(rng.random() * (_PAID_DEATH_LAST - _PAID_DEATH_FIRST))
        else:
            first = max(person.birth + 1, _DEATHS_FROM)
            death = first + int(rng.random() * (AS_OF_ORDINAL - 10 - first))
        registered = min(person.registered, death)
        return person._replace(
            status=STATUS_DECEASED,
            death_date=iso(death),
            death=death,
            registered_date=iso(registered),
            registered=registered,
            paid_after_death=paid,
        )

    def build(self, block: int) -> PopulationBlock:
        """Build one block of the population file with its rows and defect notes."""
        people, plan, rng = self._plan(block)
        rows = cast("list[Row]", [person[:POPULATION_WIDTH] for person in people])
        notes: list[tuple[int, DefectNote]] = []
        for q in sorted(set(plan.kinds) | set(plan.duplicates)):
            source = plan.duplicates.get(q)
            if source is not None:
                row = list(population_row(people[source]))
                note = self._duplicate(row, rng, block * BLOCK + source + 1)
            else:
                row = list(rows[q])
                note = _apply(plan.kinds[q], row, people[q], rng)
            rows[q] = tuple(row)
            notes.append((q, note))
        return PopulationBlock(tuple(people), rows, notes)

    def _duplicate(self, row: list[str], rng: Random, first_row: int) -> DefectNote:
        """Vary the phone or the address of a repeated resident's row."""
        if rng.random() < 0.5:
            row[7] = self.factory.phone(rng)
            what = "phone"
        else:
            row[5] = row[5][:-1] + "-1号"
            what = "household_address"
        return DefectNote(
            "id_number", "duplicate_person", f"same id_number as row {first_row}; {what} differs"
        )

    def people(self, block: int) -> tuple[Person, ...]:
        """Return a block's residents (flags applied), keeping recently used blocks cached."""
        return self._cache.get(block)

    def person(self, index: int) -> Person:
        """Return the resident at an index (0-based position in the population file)."""
        block, position = divmod(index, BLOCK)
        return self.people(block)[position]

    def find(self, start: int, accept: Callable[[Person], bool]) -> Person:
        """Return the first resident at or after start (wrapping around) that accept approves."""
        for offset in range(self.scale):
            person = self.person((start + offset) % self.scale)
            if accept(person):
                return person
        raise LookupError("no resident matches")

    def blocks(self) -> Iterator[tuple[Person, ...]]:
        """Iterate all residents block by block (flags applied)."""
        for block in range(self.block_count):
            yield self.people(block)


def _apply(kind: str, row: list[str], person: Person, rng: Random) -> DefectNote:
    """Write one population defect into a row and describe it."""
    canonical = person.id_number
    if kind == "id_check_digit":
        wrong = wrong_char(canonical[-1], RESIDENT_ID_CHECK_CHARS, rng)
        row[0] = canonical[:-1] + wrong
        return DefectNote("id_number", kind, f"check digit {wrong}, should be {canonical[-1]}")
    if kind == "id_15_digit":
        row[0] = id18_to_id15(canonical)
        return DefectNote("id_number", kind, "legacy 15-digit resident ID", canonical)
    if kind == "id_lowercase_x":
        row[0] = canonical[:-1] + "x"
        return DefectNote("id_number", kind, "check digit X written lowercase", canonical)
    if kind == "fullwidth_digits":
        position = 0 if rng.random() < 0.5 else 7
        row[position], note = fullwidth_note("id_number" if position == 0 else "phone", row[position])
        return note
    if kind == "gender_mismatch":
        row[2] = "女" if person.male else "男"
        return DefectNote(
            "gender", kind, f"gender {row[2]} but ID sequence {person.seq:03d} means {person.gender}"
        )
    if kind == "birth_date_mismatch":
        shift = 1 + int(rng.random() * 3000)
        later = rng.random() < 0.5 and person.birth + shift <= AS_OF_ORDINAL
        row[3] = iso(person.birth + shift if later else person.birth - shift)
        return DefectNote("birth_date", kind, f"birth_date {row[3]} but ID says {iso(person.birth)}")
    columns = [(3, "birth_date", person.birth), (8, "registered_date", person.registered)]
    if person.death:
        columns.append((10, "death_date", person.death))
    index, column, ordinal = columns[int(rng.random() * len(columns))]
    row[index], note = text_date_note(column, ordinal, rng)
    return note
