"""The grid-event source (一网统管事件与12345工单): 2025 events from report to closure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from random import Random
from typing import Final

from .blocks import BLOCK, block_count, block_size
from .county import COUNTY_CODE, TOWNS, point_inside
from .dates import AS_OF_ORDINAL, PAY_YEAR, format_timestamp, timestamp_seconds
from .defects import DefectNote, coordinates, lonlat_note, plan_block
from .people import PeopleFactory
from .pools import Pools, pick

WEIGHTS: Final = {"closed_before_created": 1.5, "lonlat_swapped": 1.5, "lonlat_outside_county": 1.5}
CHANNELS: Final = (("12345热线", 40), ("网格员上报", 40), ("一网统管", 20))
CATEGORIES: Final = (
    "市容环境",
    "违章搭建",
    "占道经营",
    "噪声扰民",
    "道路破损",
    "垃圾清运",
    "河道污染",
    "安全隐患",
    "邻里纠纷",
    "供水供电",
)
_CHANNEL_TABLE = tuple(name for name, share in CHANNELS for _ in range(share))
_YEAR_START = timestamp_seconds(date(PAY_YEAR, 1, 1).toordinal())
_YEAR_END = timestamp_seconds(AS_OF_ORDINAL) + 86_399

Row = list[str | None]


def _reporter(pools: Pools, rng: Random) -> str:
    """Pick a reporter's name from the zh_CN name pools."""
    return pick(pools.male_names if rng.random() < 0.5 else pools.female_names, rng)


def grid_event_rows(
    seed: int, factory: PeopleFactory, count: int
) -> Iterator[tuple[list[Row], list[tuple[int, DefectNote]]]]:
    """Yield the grid-event file block by block with defect notes."""
    for block in range(block_count(count)):
        size = block_size(count, block)
        rng = Random(f"{seed}:grid_event:{block}")
        plan = plan_block(seed, "grid_event", block, size, WEIGHTS)
        rows: list[Row] = []
        notes: list[tuple[int, DefectNote]] = []
        for q in range(size):
            number = block * BLOCK + q
            kind = plan.get(q)
            channel = pick(_CHANNEL_TABLE, rng)
            town = int(rng.random() * len(TOWNS))
            address = factory.address(rng, town)[1]
            created = _YEAR_START + int(rng.random() * (_YEAR_END - _YEAR_START - 86_400))
            closed = created + 1800 + int(rng.random() * 10 * 86_400)
            if kind == "closed_before_created":
                closed = created - 3600 - int(rng.random() * 5 * 86_400)
            open_case = kind != "closed_before_created" and (closed > _YEAR_END or rng.random() < 0.12)
            lon, lat = point_inside(rng)
            reporter = None if channel == "一网统管" else _reporter(factory.pools, rng)
            grid = (
                f"{COUNTY_CODE}{town + 1:03d}{int(rng.random() * 40) + 1:03d}{int(rng.random() * 12) + 1:03d}"
            )
            row: Row = [
                f"CG{format_timestamp(created)[:10].replace('-', '')}{number + 1:08d}",
                channel,
                pick(CATEGORIES, rng),
                reporter,
                None if reporter is None else factory.phone(rng),
                f"{address}附近",
                TOWNS[town].name,
                grid,
                *coordinates(lon, lat),
                format_timestamp(created),
                None if open_case else format_timestamp(closed),
                "处理中" if open_case else "已办结",
            ]
            if kind == "closed_before_created":
                detail = f"closed_at {row[11]} before created_at {row[10]}"
                notes.append((q, DefectNote("closed_at", kind, detail)))
            elif kind is not None:
                row[8], row[9], note = lonlat_note(kind, lon, lat, rng)
                notes.append((q, note))
            rows.append(row)
        yield rows, notes
