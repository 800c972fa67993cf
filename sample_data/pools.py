"""Pools of names, phone prefixes, villages and streets, drawn once from a seeded zh_CN Faker."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from random import Random
from typing import TypeVar

from faker import Faker

from .county import TOWNS

log = logging.getLogger(__name__)

T = TypeVar("T")

NAME_POOL_SIZE = 4000
_VILLAGE_SUFFIXES = ("村", "家村", "畈村", "湾村", "桥村", "垄村", "山村", "岭村")
_VILLAGE_CHARS = (
    "新和平安丰桥湖山塘岭港洲桂林石门东西南北上下大长高黄金白马龙凤青光红兴永太仁义德福寿荣华田竹梅松"
)
_GENERIC_STREETS = (
    "柴桑大道",
    "沙河大道",
    "建设路",
    "人民路",
    "解放路",
    "胜利路",
    "东风路",
    "向阳路",
    "和平路",
    "文化路",
    "新华路",
    "长江大道",
    "庐山路",
    "桃园路",
    "站前路",
    "工业大道",
)


@dataclass(frozen=True, slots=True)
class Pools:
    """Value pools shared by all sources of one generation run."""

    male_names: tuple[str, ...]
    female_names: tuple[str, ...]
    phone_prefixes: tuple[str, ...]
    villages: tuple[tuple[str, ...], ...]
    streets: tuple[tuple[str, ...], ...]
    brands: tuple[str, ...]


def is_gbk(text: str) -> bool:
    """Tell whether a string encodes strictly as GBK."""
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _is_cjk_gbk(text: str) -> bool:
    """Tell whether a string is all CJK ideographs and encodes as GBK."""
    return bool(text) and all("\u4e00" <= char <= "\u9fff" for char in text) and is_gbk(text)


def pick(pool: Sequence[T], rng: Random) -> T:
    """Pick one element of a non-empty pool."""
    return pool[int(rng.random() * len(pool))]


def _draw(make: Callable[[], object], size: int, accept: Callable[[str], bool]) -> tuple[str, ...]:
    """Call a Faker method until size accepted values are drawn."""
    values: list[str] = []
    while len(values) < size:
        value = str(make())
        if accept(value):
            values.append(value)
    return tuple(values)


def _villages(fake: Faker, rng: Random, count: int, taken: set[str]) -> tuple[str, ...]:
    """Invent village names (行政村) for one town, unique across the county."""
    names: list[str] = []
    while len(names) < count:
        if rng.random() < 0.5:
            name = str(fake.last_name()) + pick(_VILLAGE_SUFFIXES, rng)
        else:
            first, second = rng.sample(_VILLAGE_CHARS, 2)
            name = first + second + "村"
        if name not in taken and _is_cjk_gbk(name) and len(name) <= 4:
            taken.add(name)
            names.append(name)
    return tuple(names)


def _streets(fake: Faker, rng: Random, count: int) -> tuple[str, ...]:
    """Pick street names for one town: generic county streets plus Faker street names."""
    streets = set(rng.sample(_GENERIC_STREETS, count // 2))
    while len(streets) < count:
        name = str(fake.street_name())
        if _is_cjk_gbk(name):
            streets.add(name)
    return tuple(sorted(streets))


@lru_cache(maxsize=4)
def build_pools(seed: int) -> Pools:
    """Draw all pools from a Faker zh_CN seeded with the generation seed."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = Random(f"{seed}:pools")
    male = _draw(fake.name_male, NAME_POOL_SIZE, _is_cjk_gbk)
    female = _draw(fake.name_female, NAME_POOL_SIZE, _is_cjk_gbk)
    prefixes = _draw(lambda: str(fake.phone_number())[:3], 400, str.isdigit)
    taken: set[str] = set()
    villages = tuple(_villages(fake, rng, 8 if town.urban else 14, taken) for town in TOWNS)
    streets = tuple(_streets(fake, rng, 10 if town.urban else 3) for town in TOWNS)
    brands = tuple(sorted(set(_draw(fake.company_prefix, 300, lambda v: _is_cjk_gbk(v) and len(v) <= 4))))
    log.debug("built pools: %s male, %s female names", len(male), len(female))
    return Pools(male, female, prefixes, villages, streets, brands)
