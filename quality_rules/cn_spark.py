"""Spark twins of the cn_codes checks, built from integer arithmetic so a suite stays one cheap pass.

A resident ID is parsed to a BIGINT whole (no substring unless it ends in X) and its digits are read with
exact integer `div`/`%` (17 substring casts cost about four times a minimal pass; `substr`, `translate`
and per-character `ascii` all allocate and were measured slower); a credit code is read as two base-36
numbers (`conv`). Spark does not share a sub-expression repeated inside conditional branches, so the
one-pass engine computes these numbers once per row in a pre-projection (`resident_id_derived`,
`uscc_derived`) and the checks read them with `precomputed=True`; with `precomputed=False` (Great
Expectations' conditions) each check is one self-contained expression.
The tests hold every builder equal to its pure-Python twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lakehub.quality_rules.cn_codes import (
    ADMIN_CODE_PROVINCES,
    ORG_CODE_WEIGHTS,
    RESIDENT_ID_WEIGHTS,
    USCC_WEIGHTS,
)

if TYPE_CHECKING:
    from pyspark.sql import Column

EARLIEST_BIRTH_YMD = 19000101
DERIVED_PREFIX = "__lakehub_"
"""Prefix of the pre-projected helper columns (dropped again by the engine)."""
USCC_PATTERN_ANY = "^[0-9A-HJ-NPQRTUWXY]{18}$"
"""18 characters of the GB 32100 charset (the pattern in cn_codes also wants digits in the area code)."""
_SKIPPED_BASE36 = (18, 24, 28, 31)
"""Base-36 values of I, O, S, V: letters GB 32100 leaves out of its charset (Z, 35, is last anyway)."""


def sql_name(name: str) -> str:
    """A column name quoted for Spark SQL text."""
    return "`" + name.replace("`", "``") + "`"


def _digit(number: str, position: int, width: int) -> str:
    """SQL for the digit at 0-based `position` (from the left) of a `width`-digit integer."""
    power = width - 1 - position
    return f"({number} % 10)" if power == 0 else f"(({number} div {10**power}) % 10)"


def _weighted(number: str, weights: tuple[int, ...], width: int) -> str:
    return " + ".join(f"{_digit(number, i, width)} * {w}" for i, w in enumerate(weights))


def id_columns(name: str) -> tuple[str, str, str]:
    """Names of the pre-projected 18-character number, 17-digit body and check-character value of `name`."""
    return f"{DERIVED_PREFIX}id18_{name}", f"{DERIVED_PREFIX}id17_{name}", f"{DERIVED_PREFIX}idcheck_{name}"


def _id_inline(name: str, number18: str | None = None) -> tuple[str, str, str]:
    """SQL of (18-character number, 17-digit body, check-character value 0-10) of a resident ID.

    The whole ID is parsed once (no substring) when its last character is a digit; only an ID ending in X
    (one in eleven) parses its first 17 characters instead.
    """
    q = sql_name(name)
    n18 = number18 or f"try_cast({q} AS BIGINT)"
    body = f"coalesce({n18} div 10, try_cast(substr({q}, 1, 17) AS BIGINT))"
    check = f"CASE WHEN {n18} IS NOT NULL THEN {n18} % 10 WHEN endswith({q}, 'X') THEN 10 END"
    return f"try_cast({q} AS BIGINT)", body, check


def _id_parts(name: str, precomputed: bool) -> tuple[str, str, str]:
    if not precomputed:
        return _id_inline(name)
    n18, body, check = id_columns(name)
    return sql_name(n18), sql_name(body), sql_name(check)


def resident_id_derived(name: str) -> dict[str, Column]:
    """The pre-projection `precomputed=True` resident-ID checks read (in order: later ones read earlier ones)."""
    from pyspark.sql import functions as F

    n18_column = id_columns(name)[0]
    sql = _id_inline(name, sql_name(n18_column))
    return {column: F.expr(text) for column, text in zip(id_columns(name), sql, strict=True)}


def _id_well_formed_sql(name: str, precomputed: bool) -> str:
    q = sql_name(name)
    _, body, check = _id_parts(name, precomputed)
    # 18 bytes whose first 17 parse to >= 1e16 are 17 digits (a sign, space or point leaves fewer digits);
    # an area code starting with 0 takes the regex.
    return (
        f"(octet_length({q}) = 18 AND ({body} >= 10000000000000000 OR {q} rlike '^0[0-9]{{16}}[0-9X]$')"
        f" AND {check} IS NOT NULL)"
    )


def resident_id_well_formed(name: str, *, precomputed: bool = False) -> Column:
    """18 characters: 17 digits, then a digit or X (never null)."""
    from pyspark.sql import functions as F

    return F.coalesce(F.expr(_id_well_formed_sql(name, precomputed)), F.lit(False))


def resident_id_birth_ymd(name: str, *, precomputed: bool = False) -> Column:
    """The birth date in a resident ID as the integer yyyymmdd, null unless it is a real calendar date."""
    from pyspark.sql import functions as F

    ymd = f"(({_id_parts(name, precomputed)[1]} div 1000) % 100000000)"
    y, m, d = f"({ymd} div 10000)", f"(({ymd} div 100) % 100)", f"({ymd} % 100)"
    days = (
        f"CASE WHEN {m} = 2 THEN CASE WHEN ({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0 THEN 29 ELSE 28 END"
        f" WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )
    return F.expr(f"CASE WHEN {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {days} THEN {ymd} END")


def date_ymd(value: Column) -> Column:
    """A date (or timestamp, or ISO text) as the integer yyyymmdd."""
    from pyspark.sql import functions as F

    day = F.to_date(value)
    return F.year(day) * 10000 + F.month(day) * 100 + F.dayofmonth(day)


def resident_id_odd_sequence(name: str, *, precomputed: bool = False) -> Column:
    """Whether the 17th digit (sex) is odd, i.e. the ID is a man's."""
    from pyspark.sql import functions as F

    return F.expr(f"{_id_parts(name, precomputed)[1]} % 2 = 1")


def resident_id_valid(name: str, reference: Column, *, precomputed: bool = False) -> Column:
    """GB 11643: well formed, birth date real and within 1900-01-01..reference, check character right."""
    from pyspark.sql import functions as F

    _, body, last = _id_parts(name, precomputed)
    total = _weighted(body, RESIDENT_ID_WEIGHTS, 17)
    # RESIDENT_ID_CHECK_CHARS[k] is the character of value (12 - k) % 11 (X = 10).
    check = f"{last} = (12 - ({total}) % 11) % 11"
    birth = resident_id_birth_ymd(name, precomputed=precomputed)
    valid = (
        F.expr(f"{_id_well_formed_sql(name, precomputed)} AND {check}")
        & (birth >= F.lit(EARLIEST_BIRTH_YMD))
        & (birth <= date_ymd(reference))
    )
    return F.coalesce(valid, F.lit(False))


def uscc_columns(name: str) -> tuple[str, str]:
    """Names of the pre-projected base-36 halves (characters 1-9, 10-18) of credit-code column `name`."""
    return f"{DERIVED_PREFIX}uscc_hi_{name}", f"{DERIVED_PREFIX}uscc_lo_{name}"


def _uscc_inline(name: str) -> tuple[str, str]:
    q = sql_name(name)
    return (
        f"cast(conv(substr({q}, 1, 9), 36, 10) AS BIGINT)",
        f"cast(conv(substr({q}, 10, 9), 36, 10) AS BIGINT)",
    )


def uscc_derived(name: str) -> dict[str, Column]:
    """The pre-projection a `precomputed=True` credit-code check reads."""
    from pyspark.sql import functions as F

    return {column: F.expr(sql) for column, sql in zip(uscc_columns(name), _uscc_inline(name), strict=True)}


def _base36_digit(halves: tuple[str, ...], index: int) -> str:
    """SQL for the base-36 value (0-9, A=10 .. Z=35) of character `index` (0-based) of an 18-character code."""
    number, power = halves[index // 9], 8 - index % 9
    return f"(({number} div {36**power}) % 36)" if power else f"({number} % 36)"


def _uscc_value(halves: tuple[str, ...], index: int) -> str:
    """The GB 32100 value of a character: its base-36 value less the letters I, O, S, V skipped before it."""
    value = _base36_digit(halves, index)
    # CASE, not CAST(bool AS INT): the casts made this expression 50x slower in Spark 4.2.
    skipped = " + ".join(f"CASE WHEN {value} > {letter} THEN 1 ELSE 0 END" for letter in _SKIPPED_BASE36)
    return f"({value} - ({skipped}))"


def uscc_valid(name: str, *, precomputed: bool = False) -> Column:
    """GB 32100: 18 characters of the code charset, GB 11714 organisation check and credit check right.

    Each half of the code is read as one base-36 number (`conv`), so every character's value is integer
    arithmetic instead of a substring lookup.
    """
    from pyspark.sql import functions as F

    q = sql_name(name)
    halves = tuple(sql_name(c) for c in uscc_columns(name)) if precomputed else _uscc_inline(name)
    credit = " + ".join(f"{_uscc_value(halves, i)} * {w}" for i, w in enumerate(USCC_WEIGHTS))
    org = " + ".join(f"{_base36_digit(halves, 8 + i)} * {w}" for i, w in enumerate(ORG_CODE_WEIGHTS))
    org_check, char17 = f"(11 - ({org}) % 11)", _base36_digit(halves, 16)
    return F.expr(
        f"coalesce({q} rlike '{USCC_PATTERN_ANY}'"
        f" AND CASE {org_check} WHEN 10 THEN {char17} = 33 WHEN 11 THEN {char17} = 0 ELSE {char17} = {org_check} END"
        f" AND (31 - ({credit}) % 31) % 31 = {_uscc_value(halves, 17)}, false)"
    )


def mobile_valid(name: str) -> Column:
    """11-digit mainland mobile number 1[3-9]xxxxxxxxx (11 characters casting into that range are 11 digits)."""
    from pyspark.sql import functions as F

    q = sql_name(name)
    return F.expr(
        f"coalesce(length({q}) = 11 AND try_cast({q} AS BIGINT) BETWEEN 13000000000 AND 19999999999, false)"
    )


def admin_code_valid(
    name: str,
    lengths: tuple[int, ...] = (6,),
    prefixes: tuple[str, ...] = (),
    value_set: Sequence[str] | None = None,
) -> Column:
    """GB/T 2260 code of an allowed length, known province prefix, (optionally) one of the prefixes and in
    value_set (never null)."""
    from functools import reduce

    from pyspark.sql import functions as F

    value = F.col(sql_name(name))
    condition = (
        F.length(value).isin(*lengths)
        & value.rlike("^[0-9]+$")
        & F.substring(value, 1, 2).isin(*sorted(ADMIN_CODE_PROVINCES))
    )
    if prefixes:
        condition = condition & reduce(lambda a, b: a | b, [F.startswith(value, F.lit(p)) for p in prefixes])
    if value_set is not None:
        condition = condition & value.isin(*value_set)
    return F.coalesce(condition, F.lit(False))


def resident_id_gender_matches(
    id_name: str,
    gender: Column,
    male_values: Sequence[str],
    female_values: Sequence[str],
    *,
    precomputed: bool = False,
) -> Column:
    """The gender does not contradict the ID's sex digit (odd: male); a malformed ID or another label passes.

    Never null: a missing gender beside a well-formed ID fails (GE's pair semantics for kept rows).
    """
    from pyspark.sql import functions as F

    odd = resident_id_odd_sequence(id_name, precomputed=precomputed)
    contradicts = (odd & gender.isin(*female_values)) | (~odd & gender.isin(*male_values))
    well_formed = resident_id_well_formed(id_name, precomputed=precomputed)
    return F.coalesce(~well_formed | ~contradicts, F.lit(False))


def resident_id_birth_date_matches(id_name: str, birth: Column, *, precomputed: bool = False) -> Column:
    """The birth date (date, timestamp or ISO text) equals the ID's; malformed IDs and unreal dates pass.

    Never null: a missing or unreadable birth date beside a well-formed ID fails.
    """
    from pyspark.sql import functions as F

    encoded = resident_id_birth_ymd(id_name, precomputed=precomputed)
    well_formed = resident_id_well_formed(id_name, precomputed=precomputed)
    matches = ~well_formed | encoded.isNull() | (encoded == date_ymd(birth))
    return F.coalesce(matches, F.lit(False))


def bbox_contains(lon: Column, lat: Column, bbox: tuple[float, float, float, float]) -> Column:
    """The point lies inside bbox = (west, south, east, north), edges included (never null)."""
    from pyspark.sql import functions as F

    west, south, east, north = bbox
    inside = lon.between(F.lit(west), F.lit(east)) & lat.between(F.lit(south), F.lit(north))
    return F.coalesce(inside, F.lit(False))
