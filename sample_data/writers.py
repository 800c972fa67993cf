"""Streaming, byte-deterministic file sinks for CSV, JSON Lines and XLSX sources."""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self
from xml.sax.saxutils import escape

Cell = str | int | None
Rows = Sequence[Sequence[Cell]]

XLSX_MAX_DATA_ROWS: Final = 1_048_575
_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)
_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OFFICE: Final = "application/vnd.openxmlformats-officedocument"
_SHEET_TYPE: Final = f"{_OFFICE}.spreadsheetml.worksheet+xml"
_ROOT_RELS: Final = (
    f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_CONTENT_TYPES: Final = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.spreadsheetml.styles+xml"/>'
    "{overrides}</Types>"
)
_STYLES: Final = (  # the minimal stylesheet Excel and openpyxl expect: one font, fill pair, border, style
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


class Sink:
    """A source file being written batch by batch; use as a context manager to close it."""

    rows: int = 0

    def write_rows(self, rows: Rows) -> None:
        """Append data rows."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class CsvSink(Sink):
    """CSV with a header row, comma separated, minimal quoting, '\\n' line ends, strict encoding."""

    def __init__(self, path: Path, columns: Sequence[str], encoding: str) -> None:
        self._file: IO[str] = path.open("w", encoding=encoding, errors="strict", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(columns)
        self._commas = len(columns) - 1
        self.rows = 0

    def write_rows(self, rows: Rows) -> None:
        """Append rows; plain rows are joined directly, anything needing quotes goes through csv."""
        try:
            text = "\n".join(map(",".join, rows)) + "\n"  # type: ignore[arg-type]  # non-str cells -> csv
        except TypeError:
            text = ""
        plain = (
            rows
            and text
            and text.count(",") == self._commas * len(rows)
            and text.count("\n") == len(rows)
            and '"' not in text
            and "\r" not in text
        )
        if plain:
            self._file.write(text)
        else:
            self._writer.writerows(rows)
        self.rows += len(rows)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class JsonlSink(Sink):
    """JSON Lines in UTF-8: one object per row with keys in column order, null for missing values."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._columns = tuple(columns)
        self.rows = 0

    def write_rows(self, rows: Rows) -> None:
        """Append rows as JSON objects."""
        columns = self._columns
        dumps = json.dumps
        self._file.write(
            "".join([dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n" for row in rows])
        )
        self.rows += len(rows)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def _column_letters(count: int) -> tuple[str, ...]:
    """Return spreadsheet column letters A, B, ... for a number of columns."""
    letters = []
    for index in range(count):
        name, number = "", index + 1
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return tuple(letters)


def _entry(name: str) -> zipfile.ZipInfo:
    """Return a zip entry header with a fixed timestamp and attributes."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


class XlsxSink(Sink):
    """XLSX with inline-string cells and int cells as numbers; full sheets continue on the next sheet."""

    # Excel holds 1,048,576 rows per sheet: after 1,048,575 data rows the file continues on Sheet2,
    # Sheet3, ... each with the same header. Zip entries carry a fixed timestamp and no docProps are
    # written, so the same rows always give the same bytes.

    def __init__(
        self, path: Path, columns: Sequence[str], max_rows_per_sheet: int = XLSX_MAX_DATA_ROWS
    ) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._columns = tuple(columns)
        self._letters = _column_letters(len(columns))
        self._max_rows = max_rows_per_sheet
        self._sheets = 0
        self._sheet: IO[bytes] | None = None
        self._sheet_rows = 0
        self.rows = 0

    def _open_sheet(self) -> IO[bytes]:
        """Start the next worksheet and write its header row."""
        self._close_sheet()
        self._sheets += 1
        sheet = self._zip.open(_entry(f"xl/worksheets/sheet{self._sheets}.xml"), "w")
        sheet.write(f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}"><sheetData>'.encode())
        self._sheet, self._sheet_rows = sheet, 0
        sheet.write(self._row_xml(1, self._columns).encode())
        return sheet

    def _close_sheet(self) -> None:
        """Finish the current worksheet, if any."""
        if self._sheet is not None:
            self._sheet.write(b"</sheetData></worksheet>")
            self._sheet.close()
            self._sheet = None

    def _row_xml(self, number: int, row: Sequence[Cell]) -> str:
        """Render one row as SpreadsheetML."""
        cells = [f'<row r="{number}">']
        for letter, value in zip(self._letters, row, strict=True):
            if isinstance(value, str):
                cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            elif value is not None:
                cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        cells.append("</row>")
        return "".join(cells)

    def write_rows(self, rows: Rows) -> None:
        """Append rows, starting a new sheet when the current one is full."""
        sheet = self._sheet or self._open_sheet()
        parts: list[str] = []
        for row in rows:
            if self._sheet_rows == self._max_rows:
                sheet.write("".join(parts).encode())
                parts = []
                sheet = self._open_sheet()
            self._sheet_rows += 1
            parts.append(self._row_xml(self._sheet_rows + 1, row))
        sheet.write("".join(parts).encode())
        self.rows += len(rows)

    def close(self) -> None:
        """Write the workbook parts and close the zip."""
        if self._sheet is None and self._sheets == 0:
            self._open_sheet()
        self._close_sheet()
        for name, text in self._package_parts():
            self._zip.writestr(_entry(name), (_XML_HEAD + text).encode())
        self._zip.close()

    def _package_parts(self) -> list[tuple[str, str]]:
        """Return the workbook, relationship, style and content-type parts."""
        sheets = range(1, self._sheets + 1)
        sheet_list = "".join(f'<sheet name="Sheet{i}" sheetId="{i}" r:id="rId{i}"/>' for i in sheets)
        sheet_rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in sheets
        )
        styles_rel = f'<Relationship Id="rId{self._sheets + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>' for i in sheets
        )
        return [
            (
                "xl/workbook.xml",
                f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>{sheet_list}</sheets></workbook>',
            ),
            (
                "xl/_rels/workbook.xml.rels",
                f'<Relationships xmlns="{_PKG_REL_NS}">{sheet_rels}{styles_rel}</Relationships>',
            ),
            ("xl/styles.xml", _STYLES),
            ("_rels/.rels", _ROOT_RELS),
            ("[Content_Types].xml", _CONTENT_TYPES.format(overrides=overrides)),
        ]


def open_sink(path: Path, fmt: str, encoding: str, columns: Sequence[str]) -> Sink:
    """Open the sink for a file format: csv, jsonl or xlsx."""
    if fmt == "csv":
        return CsvSink(path, columns, encoding)
    if fmt == "jsonl":
        return JsonlSink(path, columns)
    if fmt == "xlsx":
        return XlsxSink(path, columns)
    raise ValueError(f"unknown format {fmt!r}; valid formats: csv, jsonl, xlsx")


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
