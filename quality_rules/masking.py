"""Masking of sensitive sample values, in pure Python and as the equivalent Spark expression.

Resident ID `360404********123X` (first 6 and last 4 kept), phone `138****5678` (first 3 and last 4),
name `张*` (first character), address: first 6 characters then `****`. Short values become all `*`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from pyspark.sql import Column

Sensitivity = Literal["resident_id", "phone", "name", "address"]
SENSITIVITIES: tuple[str, ...] = get_args(Sensitivity)
ADDRESS_KEPT = 6


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
