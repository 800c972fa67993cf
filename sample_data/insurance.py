"""The social-insurance source (社保参保登记): one row per resident and insurance type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random

from lakehub.quality_rules.cn_codes import RESIDENT_ID_CHECK_CHARS

from .dates import AS_OF_ORDINAL, iso
from .defects import (
    DefectNote,
    DefectSchedule,
    fullwidth_note,
    sentinel_note,
    text_date_note,
    wrong_char,
    yuan,
)
from .entities import MarketEntities
from .people import STATUS_DECEASED, STATUS_MOVED_OUT, Person

WEIGHTS = {
    "fullwidth_digits": 1.5,
    "sentinel_value": 1.5,
    "address_conflict": 1.5,
    "mixed_date_format": 1.5,
    "id_check_digit": 0.5,
}
EMPLOYEE_TYPES = ("企业职工基本养老保险", "职工基本医疗保险", "失业保险", "工伤保险")
RESIDENT_TYPES = ("城乡居民基本养老保险", "城乡居民基本医疗保险")
EMPLOYED_SHARE = 0.45
TWO_TYPES_SHARE = 0.3
UNINSURED_SHARE = 0.2
_SCHEME_START = date(1998, 1, 1).toordinal()

Row = list[str | None]


def _types(person: Person, rng: Random) -> tuple[tuple[str, ...], bool]:
    """Choose a resident's one or two insurance types; True when they are employee schemes."""
    count = 2 if rng.random() < TWO_TYPES_SHARE else 1
    if person.age < 60 and rng.random() < EMPLOYED_SHARE:
        pool = EMPLOYEE_TYPES if count == 2 else EMPLOYEE_TYPES[:2]
        return tuple(sorted(rng.sample(pool, count), key=pool.index)), True
    return tuple(rng.sample(RESIDENT_TYPES, count)), False


def _not_sentinel(kind: str) -> bool:
    """Accept any kind except a sentinel (for rows without a monthly base)."""
    return kind != "sentinel_value"


def _status(person: Person, rng: Random) -> str:
    """Return the enrolment status that fits the resident's population status."""
    if person.status in (STATUS_DECEASED, STATUS_MOVED_OUT):
        return "终止参保"
    return "暂停缴费" if rng.random() < 0.08 else "参保缴费"


def social_insurance_rows(
    entities: MarketEntities,
) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the social-insurance file, one population block at a time."""
    population = entities.population
    companies = entities.registry()[0]
    schedule = DefectSchedule(population.seed, "social_insurance", WEIGHTS)
    written = 0
    for block, people in enumerate(population.blocks()):
        rng = Random(f"{population.seed}:social_insurance:{block}")
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for person in people:
            if not person.referable or person.age < 16 or rng.random() < UNINSURED_SHARE:
                continue
            types, employee = _types(person, rng)
            employer = None
            if employee and companies:
                near = person.number * len(companies) // population.scale
                employer = entities.entity(
                    companies[min(len(companies) - 1, near + int(rng.random() * 3))]
                ).uscc
            last = person.death or AS_OF_ORDINAL
            first = min(last, max(_SCHEME_START, person.birth + 16 * 366))
            for insurance_type in types:
                start = first + int(rng.random() * max(1, last - first))
                base = yuan(3500 + 10 * int(rng.random() * 1200)) if employee else None
                row: Row = [
                    person.id_number,
                    person.name,
                    insurance_type,
                    employer if employee else None,
                    iso(start),
                    base,
                    _status(person, rng),
                    person.phone,
                    person.household_address,
                ]
                kind = schedule.take(written, None if base is not None else _not_sentinel)
                if kind is not None:
                    notes.append((len(rows), _apply(kind, row, person, start, entities, rng)))
                rows.append(row)
                written += 1
        yield rows, notes


def _apply(
    kind: str, row: Row, person: Person, start: int, entities: MarketEntities, rng: Random
) -> DefectNote:
    """Write one social-insurance defect into a row and describe it."""
    if kind == "fullwidth_digits":
        position = 0 if rng.random() < 0.5 else 7
        row[position], note = fullwidth_note("id_number" if position == 0 else "phone", str(row[position]))
        return note
    if kind == "sentinel_value":
        row[5], note = sentinel_note("monthly_base", str(row[5]))
        return note
    if kind == "mixed_date_format":
        row[4], note = text_date_note("start_date", start, rng)
        return note
    if kind == "id_check_digit":
        canonical = person.id_number
        wrong = wrong_char(canonical[-1], RESIDENT_ID_CHECK_CHARS, rng)
        row[0] = canonical[:-1] + wrong
        return DefectNote("id_number", kind, f"check digit {wrong}, should be {canonical[-1]}")
    factory = entities.population.factory
    other = person.household_address
    while other == person.household_address:
        other = factory.address(rng, int(rng.random() * len(factory.pools.villages)))[1]
    row[8] = other
    return DefectNote("address", "address_conflict", "address differs from population household_address")
