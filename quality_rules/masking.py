"""Masking of sensitive sample values, in pure Python and as the equivalent Spark expression.

Resident ID `360404********123X` (first 6 and last 4 kept), phone `138****5678` (first 3 and last 4),
name `张*` (first character), address: first 6 characters then `****`. Short values become all `*`.

A pseudonym replaces an identifier with HMAC-SHA256 under the hub's secret key (64 hex characters) of
its standardised form (trimmed, upper case): the same person always gets the same key, so tables join on
it, and nobody without the key can recompute or reverse it. Like masking it is idempotent: a value that
already is a pseudonym passes unchanged, so a business model can carry the theme tier's key. The Spark
form is one SQL expression (`pseudonym_sql`, a call of lakehub's native HMAC function
`lakehub_pseudonym`), so models can also call it as the SQL function `person_key(...)`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal, get_args

from lakehub.quality_rules.cn_spark import PSEUDONYM_FUNCTION

if TYPE_CHECKING:
    from pyspark.sql import Column

Sensitivity = Literal["resident_id", "phone", "name", "address"]
SENSITIVITIES: tuple[str, ...] = get_args(Sensitivity)
ADDRESS_KEPT = 6
PSEUDONYM: Final = "pseudonym"
"""Protection of a column replaced by its keyed pseudonym instead of its masked form."""
Protection = Literal["resident_id", "phone", "name", "address", "pseudonym"]
"""How a column leaves the base tier: masked by its sensitivity, or pseudonymised."""
_HMAC_BLOCK: Final = 64
PSEUDONYM_PATTERN: Final = "^[0-9a-f]{64}$"
"""What a pseudonym looks like (lowercase hex of 32 bytes); no resident ID or phone number does."""


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_resident_id(value: str) -> str:
    """Keep the area code and the last 4 characters of a resident ID."""
    return _keep_ends(value, 6, 4)


def mask_phone(value: str) -> str:
    """Keep the first 3 and the last 4 digits of a phone number."""
    return _keep_ends(value, 3, 4)


def mask_name(value: str) -> str:
    """Keep a name's first character (the family name) and hide the rest behind one `*`."""
    return value[:1] + "*" if value else value


def mask_address(value: str) -> str:
    """Keep the first characters of an address (province, city) and hide the rest."""
    return value[:ADDRESS_KEPT] + "****" if len(value) > ADDRESS_KEPT else "*" * len(value)


_PYTHON_MASKS: dict[str, Callable[[str], str]] = {
    "resident_id": mask_resident_id,
    "phone": mask_phone,
    "name": mask_name,
    "address": mask_address,
}


def mask_value(value: str | None, sensitivity: Sensitivity | None) -> str | None:
    """Mask a value by its sensitivity (None: returned unchanged)."""
    if value is None or sensitivity is None:
        return value
    return _PYTHON_MASKS[sensitivity](value)


def _keep_ends_column(value: Column, head: int, tail: int) -> Column:
    from pyspark.sql import functions as F

    length = F.length(value)
    return F.when(
        length > head + tail,
        F.concat(
            F.substring(value, 1, head),
            F.repeat(F.lit("*"), length - head - tail),
            F.substring(value, -tail, tail),
        ),
    ).otherwise(F.repeat(F.lit("*"), length))


def mask_column(value: Column, sensitivity: Sensitivity | None) -> Column:
    """Spark expression masking a string column exactly like `mask_value`."""
    from pyspark.sql import functions as F

    if sensitivity is None:
        return value
    if sensitivity == "resident_id":
        return _keep_ends_column(value, 6, 4)
    if sensitivity == "phone":
        return _keep_ends_column(value, 3, 4)
    if sensitivity == "name":
        return F.when(F.length(value) > 0, F.concat(F.substring(value, 1, 1), F.lit("*"))).otherwise(value)
    return F.when(
        F.length(value) > ADDRESS_KEPT, F.concat(F.substring(value, 1, ADDRESS_KEPT), F.lit("****"))
    ).otherwise(F.repeat(F.lit("*"), F.length(value)))


def _hmac_key(key: bytes) -> bytes:
    """The key as HMAC uses it: hashed when longer than a block, zero-padded to a block."""
    if not key:
        raise ValueError("the pseudonym key is empty")
    if len(key) > _HMAC_BLOCK:
        key = hashlib.sha256(key).digest()
    return key.ljust(_HMAC_BLOCK, b"\0")


def pseudonymise(value: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 (hex) of the trimmed, upper-cased value under key; None stays None."""
    if value is None or re.fullmatch(PSEUDONYM_PATTERN, value):
        return value
    return hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonym_sql(expression: str, key: bytes) -> str:
    """Spark SQL computing `pseudonymise(expression, key)`: lakehub's native HMAC-SHA256 function.

    `lakehub_pseudonym` (quality_rules/jvm Pseudonym.java, registered by cn_spark.register_functions) keeps
    one initialised Mac per executor thread; the SQL form it replaced (sha2 of unhex/concat twice plus a
    regex per value) cost several times more per row. The plan carries the HMAC inner pad, not the key.
    """
    inner = bytes(b ^ 0x36 for b in _hmac_key(key)).hex()
    return f"{PSEUDONYM_FUNCTION}(CAST({expression} AS STRING), '{inner}')"


def pseudonym_column(name: str, key: bytes) -> Column:
    """Spark expression pseudonymising the named column exactly like `pseudonymise`."""
    from pyspark.sql import functions as F

    return F.expr(pseudonym_sql(f"`{name}`", key))


def key_id(key: bytes) -> str:
    """A short public identifier of a key (changes when the key does, reveals nothing about it)."""
    return hmac.new(key, b"lakehub pseudonym key id", hashlib.sha256).hexdigest()[:12]
