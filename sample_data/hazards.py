"""The hazard-enterprise source (危险化学品企业与隐患排查): supervised companies from the entity register."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random
from typing import Final

from .blocks import BLOCK, block_count, block_size
from .county import TOWNS, point_inside
from .dates import AS_OF_ORDINAL, iso
from .defects import DefectNote, coordinates, lonlat_note, plan_block, sentinel_note, text_date_note
from .entities import MarketEntities
from .pools import pick

WEIGHTS: Final = {
    "lonlat_swapped": 1.5,
    "lonlat_outside_county": 1.5,
    "sentinel_value": 1.5,
    "mixed_date_format": 1.5,
}
RISK_LEVELS: Final = (("重大风险", 3), ("较大风险", 12), ("一般风险", 45), ("低风险", 40))
_RISK_TABLE = tuple(name for name, share in RISK_LEVELS for _ in range(share))
_FIRST_INSPECTION = date(2024, 1, 1).toordinal()

Row = list[str | None]


def _category(industry: str, rng: Random) -> str:
    """Return the supervision category that fits a company's industry."""
    roll = rng.random()
    if industry == "制造业":
        return "危险化学品" if roll < 0.4 else "工贸企业"
    if industry == "批发和零售业":
        return "危险化学品" if roll < 0.6 else "烟花爆竹"
    if industry == "建筑业":
        return "非煤矿山" if roll < 0.5 else "工贸企业"
    return "工贸企业"


def hazard_rows(
    entities: MarketEntities, count: int
) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the hazard-enterprise file: distinct clean active companies, in register order."""
    seed = entities.seed
    companies = entities.registry()[0]
    picked = sorted(
        Random(f"{seed}:hazard_enterprise").sample(range(len(companies)), min(count, len(companies)))
    )
    pools = entities.population.factory.pools
    for block in range(block_count(len(picked))):
        size = block_size(len(picked), block)
        rng = Random(f"{seed}:hazard_enterprise:{block}")
        plan = plan_block(seed, "hazard_enterprise", block, size, WEIGHTS)
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for q in range(size):
            entity = entities.entity(companies[picked[block * BLOCK + q]])
            lon, lat = point_inside(rng)
            inspected = _FIRST_INSPECTION + int(rng.random() * (AS_OF_ORDINAL - _FIRST_INSPECTION))
            male = rng.random() < 0.7
            row: Row = [
                entity.uscc,
                entity.name,
                _category(entity.industry, rng),
                pick(_RISK_TABLE, rng),
                TOWNS[entity.town_index].name,
                entity.address,
                *coordinates(lon, lat),
                pick(pools.male_names if male else pools.female_names, rng),
                entities.population.factory.phone(rng),
                iso(inspected),
                str(int(rng.random() ** 2 * 9)),
            ]
            kind = plan.get(q)
            if kind == "sentinel_value":
                row[11], note = sentinel_note("open_hazards", str(row[11]))
            elif kind == "mixed_date_format":
                row[10], note = text_date_note("last_inspection_date", inspected, rng)
            elif kind is not None:
                row[6], row[7], note = lonlat_note(kind, lon, lat, rng)
            if kind is not None:
                notes.append((q, note))
            rows.append(row)
        yield rows, notes
