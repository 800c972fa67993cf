"""The agricultural-operator source (家庭农场与农民合作社): family farms and registered cooperatives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random
from typing import Final

from .blocks import BLOCK, block_count, block_size
from .county import COUNTY_CODE, TOWNS, point_inside
from .dates import AS_OF_ORDINAL, iso
from .defects import DefectNote, coordinates, lonlat_note, plan_block, sentinel_note, text_date_note, yuan
from .entities import MarketEntities, can_lead
from .pools import pick

WEIGHTS: Final = {
    "lonlat_swapped": 1.5,
    "lonlat_outside_county": 1.5,
    "sentinel_value": 1.5,
    "mixed_date_format": 1.5,
}
COOPERATIVE_SHARE: Final = 0.3
_FIRST_REGISTERED = date(2013, 1, 1).toordinal()

Row = list[str | None]


def agri_rows(
    entities: MarketEntities, count: int
) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the agricultural-operator file block by block with defect notes."""
    seed, population = entities.seed, entities.population
    cooperatives = entities.registry()[1]
    rng = Random(f"{seed}:agri_operator")
    coop_count = min(len(cooperatives), round(COOPERATIVE_SHARE * count))
    coop_rows = sorted(rng.sample(range(count), coop_count))
    coop_numbers = sorted(rng.sample(range(len(cooperatives)), coop_count))
    coop_of = {row: cooperatives[index] for row, index in zip(coop_rows, coop_numbers, strict=True)}
    for block in range(block_count(count)):
        size = block_size(count, block)
        rng = Random(f"{seed}:agri_operator:{block}")
        plan = plan_block(seed, "agri_operator", block, size, WEIGHTS)
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for q in range(size):
            number = block * BLOCK + q
            coop = coop_of.get(number)
            if coop is not None:
                entity = entities.entity(coop)
                head = entities.legal_rep(entity)
                kind_name, name, uscc = "农民专业合作社", entity.name, entity.uscc
                town, village = entity.town_index, entity.village
                mu = 200 + rng.random() * 2800
                first = max(_FIRST_REGISTERED, entity.established)
            else:
                head = population.find(number * population.scale // count, can_lead)
                town = head.town_index
                villages = population.factory.pools.villages[town]
                village = head.village if head.village in villages else pick(villages, rng)
                kind_name, name, uscc = "家庭农场", f"柴桑区{village}{head.name}家庭农场", None
                mu = 30 + rng.random() * 470
                first = _FIRST_REGISTERED
            registered = first + int(rng.random() * max(1, AS_OF_ORDINAL - 30 - first))
            lon, lat = point_inside(rng)
            row: Row = [
                f"NY{COUNTY_CODE}{number + 1:07d}",
                kind_name,
                name,
                uscc,
                head.id_number,
                head.name,
                head.phone,
                TOWNS[town].name,
                village,
                yuan(mu),
                yuan(round(mu, 2) * (100 + int(rng.random() * 31))),
                iso(registered),
                *coordinates(lon, lat),
            ]
            kind = plan.get(q)
            if kind == "sentinel_value":
                row[9], note = sentinel_note("farmland_mu", str(row[9]))
            elif kind == "mixed_date_format":
                row[11], note = text_date_note("registered_date", registered, rng)
            elif kind is not None:
                row[12], row[13], note = lonlat_note(kind, lon, lat, rng)
            if kind is not None:
                notes.append((q, note))
            rows.append(row)
        yield rows, notes
