"""Base attributes of synthetic residents, derived block by block from (seed, person index)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from functools import cache
from math import gcd
from random import Random
from typing import NamedTuple, cast

from lakehub.quality_rules.cn_codes import RESIDENT_ID_CHECK_CHARS, RESIDENT_ID_WEIGHTS

from .blocks import BLOCK
from .county import ADDRESS_PREFIX, COUNTY_CODE, LEGACY_COUNTY_CODE, OTHER_CITY_AREA_CODES, TOWNS
from .dates import AS_OF, AS_OF_ORDINAL, TABLE_START, compact_table, iso_table
from .pools import Pools

STATUS_NORMAL = "正常"
STATUS_DECEASED = "死亡注销"
STATUS_MOVED_OUT = "迁出"

# Birth cohorts (first year, per-day capacity of distinct IDs): a rough county age pyramid.
_COHORTS = (
    (1925, 150),
    (1940, 300),
    (1950, 550),
    (1960, 950),
    (1976, 850),
    (1991, 700),
    (2001, 500),
    (2011, 450),
    (2018, 300),
)
_LAST_BIRTH_YEAR = 2024
_LEGACY_UNTIL = date(2017, 1, 1).toordinal()  # 九江县 (360421) became 柴桑区 (360404) in 2017
_ETHNICITIES = (("汉族", 988), ("回族", 3), ("畲族", 2), ("苗族", 2), ("壮族", 2), ("满族", 2), ("土家族", 1))


class Person(NamedTuple):
    """One resident: the 11 population columns as written when clean, then derived facts."""

    id_number: str
    name: str
    gender: str
    birth_date: str
    ethnicity: str
    household_address: str
    town: str
    phone: str
    registered_date: str
    status: str
    death_date: str
    number: int
    area: str
    birth: int
    seq: int
    town_index: int
    village: str
    registered: int
    death: int
    referable: bool
    paid_after_death: bool

    @property
    def age(self) -> int:
        """Age in whole years on the reference date (31 December, so the birth year decides)."""
        return AS_OF.year - int(self.id_number[6:10])

    @property
    def male(self) -> bool:
        """Whether the ID sequence is odd (男)."""
        return self.seq % 2 == 1


POPULATION_WIDTH = 11


def population_row(person: Person) -> tuple[str, ...]:
    """Return the resident's clean population row (the first 11 fields)."""
    return cast("tuple[str, ...]", person[:POPULATION_WIDTH])


@cache
def _years() -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Return per-year (first slot, capacity, ordinal of 1 January) for every birth year."""
    starts: list[int] = []
    caps: list[int] = []
    ordinals: list[int] = []
    total = 0
    for year in range(_COHORTS[0][0], _LAST_BIRTH_YEAR + 1):
        cap = [c for first, c in _COHORTS if first <= year][-1]
        first_day = date(year, 1, 1).toordinal()
        starts.append(total)
        caps.append(cap)
        ordinals.append(first_day)
        total += (date(year + 1, 1, 1).toordinal() - first_day) * cap
    starts.append(total)
    return tuple(starts), tuple(caps), tuple(ordinals)


def id_capacity() -> int:
    """Return how many distinct resident IDs the birth-date/sequence space holds."""
    return _years()[0][-1]


def _digit_sum(digits: str, weights: tuple[int, ...]) -> int:
    """Return the weighted sum of a digit string."""
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


@cache
def _date_sums() -> tuple[int, ...]:
    """Return the weighted check-digit sum of YYYYMMDD for every tabulated ordinal."""
    weights = RESIDENT_ID_WEIGHTS[6:14]
    return tuple(_digit_sum(text, weights) for text in compact_table())


_STRIDES = (37, 41, 43, 47, 53)  # primes; a stride coprime to the block size permutes it
_FOUR_DIGITS = tuple(f"{n:04d}" for n in range(10_000))
_SEQ_TEXT = tuple(f"{seq:03d}" for seq in range(1000))
_SEQ_SUMS = tuple(_digit_sum(text, RESIDENT_ID_WEIGHTS[14:17]) for text in _SEQ_TEXT)
_ETHNICITY_TABLE = tuple(name for name, share in _ETHNICITIES for _ in range(share))
_ETHNICITY_COUNT = len(_ETHNICITY_TABLE)
_TOWN_TABLE = tuple(index for index, town in enumerate(TOWNS) for _ in range(town.weight))
_TOWN_COUNT = len(_TOWN_TABLE)
_TOWN_NAMES = tuple(town.name for town in TOWNS)


def _phone(prefixes: tuple[str, ...], bits: int) -> str:
    """Build a mobile number from a prefix and two 4-digit groups chosen by 48 random bits."""
    return (
        f"{prefixes[(bits & 0xFFFF) * len(prefixes) >> 16]}"
        f"{_FOUR_DIGITS[((bits >> 16) & 0xFFFF) * 10_000 >> 16]}{_FOUR_DIGITS[(bits >> 32) * 10_000 >> 16]}"
    )


Place = tuple[bool, tuple[tuple[str, str], ...], int, tuple[tuple[str, str], ...], int]


def _place(pools: Pools, town: int) -> Place:
    """Return a town's address stems: (urban, streets, count, village groups, count)."""
    prefix = f"{ADDRESS_PREFIX}{TOWNS[town].name}"
    streets = tuple((street, f"{prefix}{street}") for street in pools.streets[town])
    groups = tuple(
        (village, f"{prefix}{village}{group}组") for village in pools.villages[town] for group in range(1, 13)
    )
    return TOWNS[town].urban, streets, len(streets), groups, len(groups)


def area_sum(area: str) -> int:
    """Return the weighted check-digit sum of a 6-digit area code."""
    return _digit_sum(area, RESIDENT_ID_WEIGHTS[:6])


class PeopleFactory:
    """Derives base residents deterministically from the seed; blocks of 100 share one Random."""

    def __init__(self, seed: int, pools: Pools) -> None:
        self.seed = seed
        self.pools = pools
        self.slots = id_capacity()
        rng = Random(f"{seed}:slots")
        multiplier = rng.randrange(self.slots // 3, 2 * self.slots // 3)
        while gcd(multiplier, self.slots) != 1:
            multiplier += 1
        self._multiplier = multiplier
        self._offset = rng.randrange(self.slots)
        self._area_sums = {code: area_sum(code) for code in (COUNTY_CODE, LEGACY_COUNTY_CODE)}
        self._area_sums.update({code: area_sum(code) for code in OTHER_CITY_AREA_CODES})
        self._places = tuple(_place(pools, index) for index in range(len(TOWNS)))

    def block_rng(self, block: int) -> Random:
        """Return the Random that drives one block of residents."""
        return Random(f"{self.seed}:people:{block}")

    def resident_id(self, area: str, birth: int, seq: int) -> str:
        """Build the canonical 18-character ID from area, birth ordinal and sequence."""
        offset = birth - TABLE_START
        total = self._area_sums[area] + _date_sums()[offset] + _SEQ_SUMS[seq]
        return f"{area}{compact_table()[offset]}{_SEQ_TEXT[seq]}{RESIDENT_ID_CHECK_CHARS[total % 11]}"

    def phone(self, rng: Random) -> str:
        """Draw an 11-digit mobile number with a Faker zh_CN prefix."""
        return _phone(self.pools.phone_prefixes, rng.getrandbits(48))

    def address(self, rng: Random, town: int) -> tuple[str, str]:
        """Draw a household address in a town; returns (village or street, full address)."""
        urban, streets, _, village_groups, _ = self._places[town]
        if urban and rng.random() < 0.6:
            street, text = streets[int(rng.random() * len(streets))]
            return street, f"{text}{int(rng.random() * 300) + 1}号"
        village, text = village_groups[int(rng.random() * len(village_groups))]
        return village, f"{text}{int(rng.random() * 80) + 1}号"

    def block(self, rng: Random, block: int, size: int) -> list[Person]:
        """Return the base residents of one block (all alive and referable; the plan adjusts them)."""
        # The generator's hot path: each resident costs three random draws (64, 64, 48 bits) and every
        # choice scales a bit field of them to its range as (field * n) >> width; the phone number is
        # _phone inlined.
        bits = rng.getrandbits
        stride = next(step for step in _STRIDES if size % step)
        shift = bits(16) % size
        first = block * BLOCK
        starts, caps, firsts = _years()
        isos, compact, date_sums = iso_table(), compact_table(), _date_sums()
        males, females = self.pools.male_names, self.pools.female_names
        n_male, n_female = len(males), len(females)
        prefixes, four = self.pools.phone_prefixes, _FOUR_DIGITS
        n_prefix = len(prefixes)
        area_sums, places = self._area_sums, self._places
        multiplier, slots = self._multiplier, self.slots
        base = multiplier * first + self._offset
        others, legacy, county, legacy_until = (
            OTHER_CITY_AREA_CODES,
            LEGACY_COUNTY_CODE,
            COUNTY_CODE,
            _LEGACY_UNTIL,
        )
        table_start, as_of, checks, seq_sums, seq_text = (
            TABLE_START,
            AS_OF_ORDINAL,
            RESIDENT_ID_CHECK_CHARS,
            _SEQ_SUMS,
            _SEQ_TEXT,
        )
        town_table, town_count, town_names = _TOWN_TABLE, _TOWN_COUNT, _TOWN_NAMES
        ethnicities, n_ethnicities = _ETHNICITY_TABLE, _ETHNICITY_COUNT
        normal, moved_out = STATUS_NORMAL, STATUS_MOVED_OUT
        make, person_type = tuple.__new__, Person
        people: list[Person] = []
        for q in range(size):
            slot = (base + multiplier * ((q * stride + shift) % size)) % slots
            year = bisect_right(starts, slot) - 1
            day, seq0 = divmod(slot - starts[year], caps[year])
            birth = firsts[year] + day
            seq = 1 + (seq0 * 577 + day * 37) % 999
            r1, r2, r3 = bits(64), bits(64), bits(48)
            roll = r1 & 1023
            if roll < 41:
                area = others[roll & 7]
            elif roll < 307 and birth < legacy_until:
                area = legacy
            else:
                area = county
            b = birth - table_start
            check = checks[(area_sums[area] + date_sums[b] + seq_sums[seq]) % 11]
            if seq % 2:
                gender, name = "男", males[((r1 >> 10) & 0xFFFF) * n_male >> 16]
            else:
                gender, name = "女", females[((r1 >> 10) & 0xFFFF) * n_female >> 16]
            town = town_table[((r1 >> 26) & 0xFFFF) * town_count >> 16]
            urban, streets, n_streets, village_groups, n_groups = places[town]
            if urban and (r1 >> 42) & 0xFF < 154:
                village, text = streets[(r2 & 0xFFFF) * n_streets >> 16]
                address = f"{text}{(((r2 >> 16) & 0xFFFF) * 300 >> 16) + 1}号"
            else:
                village, text = village_groups[(r2 & 0xFFFF) * n_groups >> 16]
                address = f"{text}{(((r2 >> 16) & 0xFFFF) * 80 >> 16) + 1}号"
            if (r2 >> 32) & 0xFF < 192:
                registered = birth + (((r2 >> 40) & 0xFFFF) * 60 >> 16)
            else:
                span = max(1, as_of - 395 - birth)
                registered = min(as_of, birth + 365 + (((r2 >> 40) & 0xFFFF) * span >> 16))
            fields = (
                f"{area}{compact[b]}{seq_text[seq]}{check}",
                name,
                gender,
                isos[b],
                ethnicities[((r1 >> 50) & 0x3FF) * n_ethnicities >> 10],
                address,
                town_names[town],
                f"{prefixes[(r3 & 0xFFFF) * n_prefix >> 16]}{four[((r3 >> 16) & 0xFFFF) * 10_000 >> 16]}"
                f"{four[(r3 >> 32) * 10_000 >> 16]}",
                isos[registered - table_start],
                moved_out if r2 >> 56 < 8 else normal,
                "",
                first + q,
                area,
                birth,
                seq,
                town,
                village,
                registered,
                0,
                True,
                False,
            )
            people.append(make(person_type, fields))
        return people
