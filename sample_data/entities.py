"""The market-entity source (市场主体登记): companies, sole traders and cooperatives with credit codes."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from datetime import date
from math import gcd
from random import Random
from typing import NamedTuple

from lakehub.quality_rules.cn_codes import (
    USCC_CATEGORY_COMPANY,
    USCC_CATEGORY_COOPERATIVE,
    USCC_CATEGORY_SOLE_TRADER,
    USCC_CHARSET,
    make_uscc,
)

from .blocks import BLOCK, BlockCache, block_count, block_size
from .county import ADDRESS_PREFIX, COUNTY_CODE, LEGACY_COUNTY_CODE, TOWNS
from .dates import AS_OF_ORDINAL, iso
from .defects import DefectNote, plan_block, text_date_note, wrong_char, yuan
from .people import STATUS_NORMAL, Person
from .pools import pick
from .population import Population

ACTIVE = "存续"
WEIGHTS = {"uscc_check_char": 1.5, "closed_before_created": 1.5, "mixed_date_format": 1.5}
_FIRST_ESTABLISHED = date(1998, 1, 1).toordinal()
_MA_FROM = date(2015, 10, 1).toordinal()  # credit codes with MA organization codes since the 2015 reform
_LEGACY_UNTIL = date(2017, 1, 1).toordinal()
_INDUSTRIES = (
    ("批发和零售业", ("商贸", "贸易", "百货", "医药")),
    ("制造业", ("机械", "建材", "纺织", "电子", "食品", "化工")),
    ("建筑业", ("建设工程", "建筑工程", "装饰工程")),
    ("住宿和餐饮业", ("餐饮管理", "酒店管理")),
    ("交通运输、仓储和邮政业", ("物流", "运输")),
    ("居民服务、修理和其他服务业", ("家政服务", "汽车维修")),
    ("信息传输、软件和信息技术服务业", ("信息技术", "网络科技")),
    ("租赁和商务服务业", ("商务咨询", "人力资源")),
)
_SHOPS = ("便利店", "小吃店", "五金店", "理发店", "农资店", "副食店", "服装店", "手机店", "餐馆", "建材店")
_PRODUCTS = (
    "水稻种植",
    "蔬菜种植",
    "生猪养殖",
    "水产养殖",
    "茶叶种植",
    "油茶种植",
    "棉花种植",
    "家禽养殖",
    "果蔬种植",
)
_TYPES = (("有限责任公司", 55), ("股份有限公司", 3), ("个体工商户", 34), ("农民专业合作社", 8))
_TYPE_TABLE = tuple(name for name, share in _TYPES for _ in range(share))


class Entity(NamedTuple):
    """One market entity with its canonical values and the defect planned for its row."""

    number: int
    uscc: str
    name: str
    entity_type: str
    capital: str
    established: int
    address: str
    town_index: int
    village: str
    phone: str
    status: str
    deregistered: int
    industry: str
    defect: str | None

    @property
    def is_company(self) -> bool:
        """Whether the entity is a company (有限责任公司 or 股份有限公司)."""
        return self.entity_type in ("有限责任公司", "股份有限公司")

    @property
    def is_clean_active(self) -> bool:
        """Whether the entity's row is clean and it is still registered (存续)."""
        return self.defect is None and self.status == ACTIVE


def _keyed_affine(rng: Random, modulus: int) -> tuple[int, int]:
    """Draw a multiplier coprime to modulus and an offset: a keyed permutation of range(modulus)."""
    multiplier = rng.randrange(modulus // 3, modulus)
    while gcd(multiplier, modulus) != 1:
        multiplier += 1
    return multiplier, rng.randrange(modulus)


def _base31(number: int, width: int) -> str:
    """Write a number in the credit-code alphabet with a fixed width."""
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 31)
        chars.append(USCC_CHARSET[digit])
    return "".join(reversed(chars))


class MarketEntities:
    """Market entities of one run, built block by block; legal representatives come from Population."""

    def __init__(self, seed: int, count: int, population: Population) -> None:
        self.seed = seed
        self.count = count
        self.population = population
        rng = Random(f"{seed}:entity-codes")
        self._new_codes = _keyed_affine(rng, 31**6)
        self._old_codes = _keyed_affine(rng, 10**8)
        self._cache: BlockCache[tuple[Entity, ...]] = BlockCache(self._build)
        self._registry: tuple[array[int], array[int]] | None = None

    def _org_body(self, number: int, established: int) -> str:
        """Return a unique 8-character organization code body for an entity number."""
        if established >= _MA_FROM:
            multiplier, offset = self._new_codes
            return "MA" + _base31((multiplier * number + offset) % 31**6, 6)
        multiplier, offset = self._old_codes
        return f"{(multiplier * number + offset) % 10**8:08d}"

    def _build(self, block: int) -> tuple[Entity, ...]:
        """Build one block of entities with their planned defects."""
        size = block_size(self.count, block)
        rng = Random(f"{self.seed}:entity:{block}")
        plan = plan_block(self.seed, "market_entity", block, size, WEIGHTS)
        factory = self.population.factory
        entities = []
        for q in range(size):
            number = block * BLOCK + q
            entity_type = pick(_TYPE_TABLE, rng)
            established = _FIRST_ESTABLISHED + int(rng.random() * (AS_OF_ORDINAL - 30 - _FIRST_ESTABLISHED))
            town = int(rng.random() * len(TOWNS))
            village, address = factory.address(rng, town)
            if entity_type == "农民专业合作社":
                category, industry = USCC_CATEGORY_COOPERATIVE, "农、林、牧、渔业"
                village = pick(factory.pools.villages[town], rng)
                address = f"{ADDRESS_PREFIX}{TOWNS[town].name}{village}{1 + int(rng.random() * 12)}组"
                name = f"九江市柴桑区{village}{pick(_PRODUCTS, rng)}专业合作社"
                capital = pick((10, 50, 100, 200, 500), rng)
            elif entity_type == "个体工商户":
                category, industry = USCC_CATEGORY_SOLE_TRADER, pick(("批发和零售业", "住宿和餐饮业"), rng)
                name = f"柴桑区{TOWNS[town].name}{pick(factory.pools.brands, rng)}{pick(_SHOPS, rng)}"
                capital = pick((1, 2, 3, 5, 10, 20), rng)
            else:
                category = USCC_CATEGORY_COMPANY
                industry, words = pick(_INDUSTRIES, rng)
                brand = pick(factory.pools.brands, rng)
                if entity_type == "股份有限公司":
                    name = f"江西{brand}{pick(words, rng)}股份有限公司"
                    capital = pick((1000, 3000, 5000, 10000), rng)
                else:
                    name = f"九江{brand}{pick(words, rng)}有限公司"
                    capital = pick((10, 30, 50, 100, 200, 500, 1000, 2000), rng)
            admin = LEGACY_COUNTY_CODE if established < _LEGACY_UNTIL and rng.random() < 0.7 else COUNTY_CODE
            roll = rng.random()
            status = ACTIVE if roll < 0.9 else ("注销" if roll < 0.97 else "吊销")
            deregistered = 0
            defect = plan.get(q)
            if defect == "closed_before_created":
                status = "注销" if rng.random() < 0.7 else "吊销"
                deregistered = established - 1 - int(rng.random() * 900)
            elif status != ACTIVE:
                deregistered = (
                    established + 180 + int(rng.random() * max(1, AS_OF_ORDINAL - 180 - established))
                )
                deregistered = min(deregistered, AS_OF_ORDINAL)
            uscc = make_uscc(category, admin, self._org_body(number, established))
            entities.append(
                Entity(
                    number,
                    uscc,
                    name,
                    entity_type,
                    yuan(capital),
                    established,
                    address,
                    town,
                    village,
                    factory.phone(rng),
                    status,
                    deregistered,
                    industry,
                    defect,
                )
            )
        return tuple(entities)

    def entity(self, number: int) -> Entity:
        """Return the entity with a number (0-based row of the market-entity file)."""
        block, position = divmod(number, BLOCK)
        return self._cache.get(block)[position]

    def legal_rep(self, entity: Entity) -> Person:
        """Return the entity's legal representative: a clean, living adult resident."""
        start = entity.number * self.population.scale // self.count
        return self.population.find(start, can_lead)

    def registry(self) -> tuple[array[int], array[int]]:
        """Return the numbers of clean active companies and of clean active cooperatives."""
        if self._registry is None:
            companies, cooperatives = array("l"), array("l")
            for block in range(block_count(self.count)):
                for entity in self._build(block):
                    if entity.is_clean_active and entity.is_company:
                        companies.append(entity.number)
                    elif entity.is_clean_active and entity.entity_type == "农民专业合作社":
                        cooperatives.append(entity.number)
            self._registry = (companies, cooperatives)
        return self._registry

    def rows(self) -> Iterator[tuple[list[list[str | None]], list[tuple[int, DefectNote]]]]:
        """Yield the market-entity file block by block with defect notes."""
        for block in range(block_count(self.count)):
            rng = Random(f"{self.seed}:entity-rows:{block}")
            rows: list[list[str | None]] = []
            notes: list[tuple[int, DefectNote]] = []
            for q, entity in enumerate(self._cache.get(block)):
                rep = self.legal_rep(entity)
                row: list[str | None] = [
                    entity.uscc,
                    entity.name,
                    entity.entity_type,
                    rep.name,
                    rep.id_number,
                    entity.capital,
                    iso(entity.established),
                    entity.address,
                    TOWNS[entity.town_index].name,
                    entity.phone,
                    entity.status,
                    iso(entity.deregistered) if entity.deregistered else None,
                    entity.industry,
                ]
                if entity.defect is not None:
                    notes.append((q, _apply(entity, row, rng)))
                rows.append(row)
            yield rows, notes


def can_lead(person: Person) -> bool:
    """Tell whether a resident can be a legal representative or operator head."""
    return person.referable and person.status == STATUS_NORMAL and 20 <= person.age <= 75


def _apply(entity: Entity, row: list[str | None], rng: Random) -> DefectNote:
    """Write an entity's planned defect into its row and describe it."""
    if entity.defect == "uscc_check_char":
        wrong = wrong_char(entity.uscc[-1], USCC_CHARSET, rng)
        row[0] = entity.uscc[:-1] + wrong
        return DefectNote("uscc", "uscc_check_char", f"check character {wrong}, should be {entity.uscc[-1]}")
    if entity.defect == "closed_before_created":
        detail = f"deregistered_date {row[11]} before established_date {row[6]}"
        return DefectNote("deregistered_date", "closed_before_created", detail)
    if entity.deregistered and rng.random() < 0.3:
        row[11], note = text_date_note("deregistered_date", entity.deregistered, rng)
    else:
        row[6], note = text_date_note("established_date", entity.established, rng)
    return note
