"""Spark twins of the cn_codes checks: resident IDs and credit codes through lakehub's native JVM functions.

GB 11643 and GB 32100 check characters are weighted sums over every character. As Spark SQL they cost
several times a minimal pass however they are written (17 substring casts about 4x; integer arithmetic on
the parsed body and base-36 `conv` halves, measured in session 2, still 1.5-2.3 s per rule per 1M rows on
two cores). Small Java classes in quality_rules/jvm (built into jars/lakehub-udf.jar by scripts/install.sh or
on first use) hold the checks as static methods over Spark's own UTF8String; `NativeFunctions.register`
makes each a SQL function that is a Catalyst StaticInvoke, so the query's generated code calls the method
on the row's bytes directly — no conversion to a Java String or byte[], no boxing (a registered Java UDF
paid both per row: measured ~15 % of a suite's pass in session 3). Results are never null:

- `lakehub_cn_resident_id_facts(id)`: -1 unless well formed (17 digits, then a digit or X) — null too —
  else (birth date as days since 1970-01-01 + BIRTH_DAY_OFFSET, 0 when not a real date) * 100 + 10 if the
  check character is right + 1 if the sex digit is odd; birth dates compare with a DATE's `unix_date`. The
  one-pass engine projects it once per row (`resident_id_derived`) and every resident-ID rule of the suite
  reads that column (`precomputed=True`); Great Expectations' conditions call it inline.
- `lakehub_cn_uscc_valid(code)`: charset, GB 11714 organisation check and GB 32100 credit check.
- `lakehub_cn_mobile_valid(phone)` and `lakehub_cn_admin_code_length(code)` (length of an all-digit code
  with a province-level prefix, else 0): a regex or a cast per row costs about twice as much.

A non-string argument is cast to STRING by the analyser. The tests hold every builder equal to its
pure-Python twin in cn_codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession

EARLIEST_BIRTH = "1900-01-01"
BIRTH_DAY_OFFSET = 1_000_000
"""CnResidentIdFacts.DAY_OFFSET: added to the epoch day so every encoded birth day is positive."""
DERIVED_PREFIX = "__lakehub_"
"""Prefix of the pre-projected helper columns (dropped again by the engine)."""
RESIDENT_ID_FACTS = "lakehub_cn_resident_id_facts"
USCC_VALID = "lakehub_cn_uscc_valid"
MOBILE_VALID = "lakehub_cn_mobile_valid"
ADMIN_CODE_LENGTH = "lakehub_cn_admin_code_length"
REGEX_FIND = "lakehub_regex_find"
"""(value, pattern) -> value RLIKE pattern, without a String copy per ASCII value (see regex_find)."""
PSEUDONYM_FUNCTION = "lakehub_pseudonym"
"""(value, inner pad hex) -> HMAC-SHA256 hex (masking.pseudonym_sql builds the call)."""
MALFORMED = -1
"""CnResidentIdFacts.MALFORMED: the facts of a null or malformed ID (every well-formed result is positive)."""


def register_functions(spark: SparkSession) -> None:
    """Register the native functions the checks call on a session (its jars must include lakehub-udf.jar)."""
    jvm: Any = spark._jvm  # classic Spark: the functions are Catalyst expressions built in the JVM
    jvm.lakehub.udf.NativeFunctions.register(
        spark._jsparkSession,
        RESIDENT_ID_FACTS,
        USCC_VALID,
        MOBILE_VALID,
        ADMIN_CODE_LENGTH,
        PSEUDONYM_FUNCTION,
        REGEX_FIND,
    )


def regex_find(value: Column, pattern: str) -> Column:
    """`value RLIKE pattern` (Java regex, found anywhere; null stays null) as lakehub's native function.

    Spark's RLIKE copies every value into a Java String and allocates a Matcher per row; the native
    function reads ASCII values in place and reuses one Matcher per pattern and thread (same
    java.util.regex semantics, so Great Expectations' RLIKE agrees — the parity test checks it).
    """
    from pyspark.sql import functions as F

    return F.call_function(REGEX_FIND, value.cast("string"), F.lit(pattern))


def sql_name(name: str) -> str:
    """A column name quoted for Spark SQL text."""
    return "`" + name.replace("`", "``") + "`"


def _call(function: str, name: str) -> str:
    """SQL calling a lakehub native function on column `name`."""
    return f"{function}({sql_name(name)})"


def facts_column(name: str) -> str:
    """Name of the pre-projected resident-ID facts of column `name`."""
    return f"{DERIVED_PREFIX}idfacts_{name}"


def _facts(name: str, precomputed: bool) -> str:
    return sql_name(facts_column(name)) if precomputed else _call(RESIDENT_ID_FACTS, name)


def resident_id_facts(name: str) -> Column:
    """`lakehub_cn_resident_id_facts` of column `name` (see the module docstring for the encoding)."""
    from pyspark.sql import functions as F

    return F.expr(_facts(name, precomputed=False))


def resident_id_derived(name: str) -> dict[str, Column]:
    """The pre-projection `precomputed=True` resident-ID checks read."""
    return {facts_column(name): resident_id_facts(name)}


def resident_id_well_formed(name: str, *, precomputed: bool = False) -> Column:
    """18 characters: 17 digits, then a digit or X (never null)."""
    from pyspark.sql import functions as F

    return F.expr(f"{_facts(name, precomputed)} >= 0")


def resident_id_birth_day(name: str, *, precomputed: bool = False) -> Column:
    """The birth date in a resident ID as days since 1970-01-01 (`unix_date`), null unless a real date."""
    from pyspark.sql import functions as F

    return F.expr(f"nullif({_facts(name, precomputed)} div 100, 0) - {BIRTH_DAY_OFFSET}")


def unix_day(value: Column) -> Column:
    """A date (or timestamp, or ISO text) as days since 1970-01-01."""
    from pyspark.sql import functions as F

    return F.unix_date(F.to_date(value))


def resident_id_odd_sequence(name: str, *, precomputed: bool = False) -> Column:
    """Whether the 17th digit (sex) is odd, i.e. the ID is a man's."""
    from pyspark.sql import functions as F

    return F.expr(f"{_facts(name, precomputed)} % 2 = 1")


def resident_id_valid(name: str, reference: Column, *, precomputed: bool = False) -> Column:
    """GB 11643: well formed, birth date real and within 1900-01-01..reference, check character right."""
    from pyspark.sql import functions as F

    birth = resident_id_birth_day(name, precomputed=precomputed)
    valid = (
        F.expr(f"{_facts(name, precomputed)} % 100 >= 10")
        & (birth >= unix_day(F.lit(EARLIEST_BIRTH)))
        & (birth <= unix_day(reference))
    )
    return F.coalesce(valid, F.lit(False))


def uscc_valid(name: str) -> Column:
    """GB 32100: 18 characters of the code charset, GB 11714 organisation check and credit check right."""
    from pyspark.sql import functions as F

    return F.expr(_call(USCC_VALID, name))


def mobile_valid(name: str) -> Column:
    """11-digit mainland mobile number 1[3-9]xxxxxxxxx (never null)."""
    from pyspark.sql import functions as F

    return F.expr(_call(MOBILE_VALID, name))


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
    condition = F.expr(_call(ADMIN_CODE_LENGTH, name)).isin(*lengths)
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

    encoded = resident_id_birth_day(id_name, precomputed=precomputed)
    well_formed = resident_id_well_formed(id_name, precomputed=precomputed)
    matches = ~well_formed | encoded.isNull() | (encoded == unix_day(birth))
    return F.coalesce(matches, F.lit(False))


def bbox_contains(lon: Column, lat: Column, bbox: tuple[float, float, float, float]) -> Column:
    """The point lies inside bbox = (west, south, east, north), edges included (never null)."""
    from pyspark.sql import functions as F

    west, south, east, north = bbox
    inside = lon.between(F.lit(west), F.lit(east)) & lat.between(F.lit(south), F.lit(north))
    return F.coalesce(inside, F.lit(False))
