"""Stage an XLSX delivery: every sheet's rows as numbered JSON records (calamine, openpyxl, or the JVM).

Split from `intake`, which checks the delivery, stages CSV and JSON lines, and calls into this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from lakehub.pipelines.errors import InputFileError
from lakehub.pipelines.intake import ROW_SEPARATOR, map_header, truncation_error
from lakehub.pipelines.sources import SourceSpec

log = logging.getLogger(__name__)


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_to_json = json.JSONEncoder(ensure_ascii=False).encode
"""One encoder for every record (`json.dumps` with an option builds a new one per call)."""

_EXACT_FLOAT = 2.0**53
"""Beyond this a whole number read as a double may have lost digits (e.g. an 18-digit ID stored as a number)."""


class _InexactNumber(Exception):
    """A numeric cell calamine read as a double may have lost digits; openpyxl reads its exact text."""


Sheets = Iterator[tuple[str, Iterator[Sequence[object]]]]
"""(sheet title, rows of cell values) per worksheet, header row first."""


def _calamine_sheets(path: Path) -> Sheets:
    """Worksheets through calamine (Rust): about 15× faster than openpyxl, and it lets other threads run."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as err:
        raise _unreadable_workbook(path, err) from err
    for title in book.sheet_names:
        try:
            rows = book.get_sheet_by_name(title).iter_rows()
        except CalamineError as err:
            raise _unreadable_workbook(path, err) from err
        yield title, _exact_rows(rows)


def _exact_rows(rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
    for values in rows:
        for value in values:
            if value.__class__ is float and abs(value) >= _EXACT_FLOAT and value.is_integer():
                raise _InexactNumber
        yield values


def _openpyxl_sheets(path: Path) -> Sheets:
    """Worksheets through openpyxl: exact whole numbers of any length."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise _unreadable_workbook(path, err) from err
    try:
        for sheet in book.worksheets:
            yield sheet.title, sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _unreadable_workbook(path: Path, err: Exception) -> InputFileError:
    return InputFileError(
        str(path),
        f"not a readable XLSX workbook ({type(err).__name__}); it may be truncated or another format",
        "ask the department to resend the workbook saved as .xlsx",
    )


def stage_xlsx(path: Path, spec: SourceSpec, out: IO[str]) -> tuple[tuple[str, ...], int]:
    """Stage every sheet's rows as JSON records; calamine reads, openpyxl when a number needs exact digits."""
    try:
        return _stage_sheets(path, spec, out, _calamine_sheets(path))
    except _InexactNumber:
        log.info("%s: a whole number beyond 2^53; reading the workbook again with openpyxl", path.name)
        out.seek(0)
        out.truncate()
        return _stage_sheets(path, spec, out, _openpyxl_sheets(path))


def stage_xlsx_in_jvm(
    jvm: Any, path: Path, spec: SourceSpec, staging_path: Path
) -> tuple[tuple[str, ...], int] | None:
    """Stage a workbook with lakehub's JVM reader; None when it declines (Python then stages the file)."""
    try:
        stager = jvm.lakehub.udf.StageXlsx(str(path))
    except Exception as err:  # py4j's errors (not a zip file, unreadable): Python raises the exact error
        log.info("%s: staging in Python (the JVM reader cannot open it: %s)", path.name, type(err).__name__)
        return None
    try:
        answer = list(stager.header())
        if answer[0] == "ok":
            columns = map_header(path, spec, answer[1:])
            answer = list(stager.stage(str(staging_path), ROW_SEPARATOR.join(columns)))
    except InputFileError:
        raise
    except Exception as err:  # a lost gateway or a JVM error: Python can still stage
        log.warning("%s: the JVM XLSX reader failed (%s); staging in Python", path.name, type(err).__name__)
        return None
    finally:
        with contextlib.suppress(Exception):
            stager.close()
    if answer[0] != "ok":
        log.info("%s: staging in Python (%s)", path.name, answer[1])
        return None
    return columns, int(answer[1])


def _stage_sheets(path: Path, spec: SourceSpec, out: IO[str], sheets: Sheets) -> tuple[tuple[str, ...], int]:
    columns: tuple[str, ...] | None = None
    rows = 0
    row_no = 0
    try:
        for title, cells in sheets:
            header = next(cells, None)
            if header is None:
                continue
            sheet_columns = map_header(path, spec, [_cell_text(h) or "" for h in header])
            if columns is not None and sheet_columns != columns:
                raise InputFileError(
                    str(path),
                    f"sheet '{title}' has columns {list(sheet_columns)}, unlike the first sheet",
                    "give every sheet the same header row",
                )
            columns = sheet_columns
            for values in cells:
                row_no += 1
                # Most cells are text: taken as they are (one call per cell costs ~1 s per 1M rows).
                texts = [(v or None) if v.__class__ is str else _cell_text(v) for v in values]
                if all(t is None or t.isspace() for t in texts):
                    continue
                out.write(f"{row_no}{ROW_SEPARATOR}{_to_json(dict(zip(columns, texts, strict=False)))}\n")
                rows += 1
    except zipfile.BadZipFile as err:
        raise truncation_error(path, row_no, "the workbook's data stops early") from err
    if columns is None:
        raise InputFileError(str(path), "the workbook has no header row", "put the column names in row 1")
    return columns, rows
