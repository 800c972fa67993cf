"""Chinese national codes: resident IDs (GB 11643), credit codes (GB 32100, GB 11714), mobiles, GB/T 2260 areas.

Pure Python; the landing standardisation, the rule library and the sample generator share it.
"""

from __future__ import annotations

import re
from datetime import date

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS = "10X98765432"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_CATEGORY_COMPANY = "1"
USCC_CATEGORY_SOLE_TRADER = "2"
USCC_CATEGORY_COOPERATIVE = "3"

RESIDENT_ID_PATTERN = r"^\d{17}[\dX]$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
MOBILE_PATTERN = r"^1[3-9]\d{9}$"

_USCC_VALUES = {char: index for index, char in enumerate(USCC_CHARSET)}


def resident_id_check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of a resident ID."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def make_resident_id(area_code: str, birth_date: date, sequence: int) -> str:
    """Build an 18-character resident ID from area code, birth date and 3-digit sequence."""
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0..999, got {sequence}")
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_digit(first17)


def is_valid_resident_id(value: str, today: date | None = None) -> bool:
    """Tell whether an 18-character resident ID has a real birth date (1900–today) and a valid check character.

    `today` is the last acceptable birth date (default: the machine's date at the call), as the Spark form
    (`cn_spark.resident_id_valid`) takes it: a caller comparing the two passes the same day to both.
    """
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= birth <= (today or date.today()):
        return False
    return resident_id_check_digit(value[:17]) == value[17]


def id15_to_id18(id15: str) -> str:
    """Convert a legacy 15-digit resident ID (born 19YY) to its 18-character form."""
    if len(id15) != 15 or not id15.isdigit():
        raise ValueError(f"expected 15 digits, got {id15!r}")
    first17 = f"{id15[:6]}19{id15[6:]}"
    return first17 + resident_id_check_digit(first17)


def id18_to_id15(id18: str) -> str:
    """Shorten an 18-character resident ID of someone born 1900-1999 to the legacy 15-digit form."""
    if len(id18) != 18 or id18[6:8] != "19":
        raise ValueError(f"only IDs born in 19YY have a 15-digit form, got {id18!r}")
    return id18[:6] + id18[8:17]


def _code_value(char: str) -> int:
    """Return the GB 11714 value of a digit or uppercase letter (A=10 .. Z=35)."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise ValueError(f"invalid organization code character {char!r}")


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character for an 8-character organization code body."""
    if len(first8) != 8:
        raise ValueError(f"expected 8 characters, got {first8!r}")
    total = sum(_code_value(char) * weight for char, weight in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    return "0" if check == 11 else str(check)


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {first17!r}")
    try:
        total = sum(_USCC_VALUES[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as error:
        raise ValueError(f"invalid credit code character in {first17!r}") from error
    return USCC_CHARSET[(31 - total % 31) % 31]


def make_uscc(category: str, admin_code: str, org_body: str) -> str:
    """Build an 18-character credit code: authority 9, category, admin code, org code, check."""
    org_code = org_body + org_code_check_char(org_body)
    first17 = f"9{category}{admin_code}{org_code}"
    return first17 + uscc_check_char(first17)


def is_valid_uscc(value: str) -> bool:
    """Tell whether an 18-character credit code has valid organization and credit check characters."""
    if len(value) != 18 or any(char not in _USCC_VALUES for char in value):
        return False
    try:
        org_ok = org_code_check_char(value[8:16]) == value[16]
    except ValueError:
        return False
    return org_ok and uscc_check_char(value[:17]) == value[17]


ADMIN_CODE_PROVINCES = frozenset(
    str(code) for code in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
) | frozenset(str(code) for code in (50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82))
"""GB/T 2260 province-level prefixes (71 Taiwan, 81 Hong Kong, 82 Macao)."""


def is_valid_mobile(value: str) -> bool:
    """Tell whether a value is an 11-digit mainland mobile number (1[3-9]xxxxxxxxx)."""
    return len(value) == 11 and re.fullmatch(MOBILE_PATTERN, value, re.ASCII) is not None


def is_valid_admin_code(
    value: str, *, lengths: tuple[int, ...] = (6,), prefixes: tuple[str, ...] = ()
) -> bool:
    """Tell whether a value is a GB/T 2260 code of an allowed length with a known province (and prefix)."""
    return (
        len(value) in lengths
        and value.isascii()
        and value.isdigit()
        and value[:2] in ADMIN_CODE_PROVINCES
        and (not prefixes or value.startswith(prefixes))
    )
