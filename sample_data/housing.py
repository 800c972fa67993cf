"""The housing source (房屋登记与征迁安置): registered homes, some in demolition projects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random
from typing import Final

from .blocks import BLOCK, block_count, block_size
from .county import COUNTY_CODE, TOWNS, point_inside
from .dates import AS_OF_ORDINAL, iso
from .defects import DefectNote, coordinates, lonlat_note, plan_block, sentinel_note, text_date_note, yuan
from .people import Person
from .pools import pick
from .population import Population

WEIGHTS: Final = {
    "sentinel_value": 1.5,
    "lonlat_swapped": 1.5,
    "lonlat_outside_county": 1.5,
    "mixed_date_format": 1.5,
}
DEMOLITION_SHARE: Final = 0.12
_FIRST_REGISTERED = date(1998, 1, 1).toordinal()
_PROJECT_AREAS = ("老城区", "棚户区", "城中村", "工业园", "高铁站片区", "滨江片区")

Row = list[str | None]


def _can_own(person: Person) -> bool:
    """Tell whether a resident can be a registered owner: referable and adult."""
    return person.referable and person.age >= 18


def housing_rows(
    population: Population, count: int
) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the housing file block by block with defect notes."""
    factory = population.factory
    for block in range(block_count(count)):
        size = block_size(count, block)
        rng = Random(f"{population.seed}:housing:{block}")
        plan = plan_block(population.seed, "housing", block, size, WEIGHTS)
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for q in range(size):
            number = block * BLOCK + q
            owner = population.find(number * population.scale // count + int(rng.random() * 5), _can_own)
            if rng.random() < 0.6:
                town, village, address = owner.town_index, owner.village, owner.household_address
            else:
                town = int(rng.random() * len(TOWNS))
                village, address = factory.address(rng, town)
            village_code = 1 + factory.pools.villages[town].index(village) if village.endswith("村") else 0
            parcel = int(rng.random() * 99999)
            house_id = f"{COUNTY_CODE}{town + 1:03d}{village_code:03d}GB{parcel:05d}F{number + 1:08d}"
            area = 45 + rng.random() * 215
            first = min(AS_OF_ORDINAL - 15, max(_FIRST_REGISTERED, owner.birth + 18 * 366))
            registered = first + int(rng.random() * max(1, AS_OF_ORDINAL - 15 - first))
            project = compensation = None
            if rng.random() < DEMOLITION_SHARE:
                project = f"柴桑区{TOWNS[town].name}{pick(_PROJECT_AREAS, rng)}征迁安置项目"
                compensation = yuan(round(area * (2500 + rng.random() * 3500), 2))
            lon, lat = point_inside(rng)
            row: Row = [
                house_id,
                owner.id_number,
                owner.name,
                address,
                TOWNS[town].name,
                yuan(area),
                iso(registered),
                project,
                compensation,
                *coordinates(lon, lat),
            ]
            kind = plan.get(q)
            if kind is not None:
                notes.append((q, _apply(kind, row, lon, lat, registered, rng)))
            rows.append(row)
        yield rows, notes


def _apply(kind: str, row: Row, lon: float, lat: float, registered: int, rng: Random) -> DefectNote:
    """Write one housing defect into a row and describe it."""
    if kind == "sentinel_value":
        row[5], note = sentinel_note("area_sqm", str(row[5]))
    elif kind == "mixed_date_format":
        row[6], note = text_date_note("registered_date", registered, rng)
    else:
        row[9], row[10], note = lonlat_note(kind, lon, lat, rng)
    return note
