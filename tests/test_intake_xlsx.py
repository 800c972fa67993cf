"""XLSX staging in the JVM (`StageXlsx`) against the Python path (calamine): same bytes, or it declines.

Every workbook below is staged both ways. Where the JVM reader takes a workbook, the staged file (row numbers,
JSON records, nulls, number texts) must be byte for byte what Python writes; where it declines, `stage_file`
must still give Python's result, and a header Python refuses must give the same error.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from lakehub.pipelines.errors import InputFileError
from lakehub.pipelines.intake import stage_file
from lakehub.pipelines.intake_xlsx import stage_xlsx_in_jvm
from lakehub.sample_data.writers import XlsxSink
from tests.helpers import ID_FEMALE_1990, SPECS

SPEC = SPECS["assistance_payment"]
COLUMNS = list(SPEC.column_names)
TITLES = [c.title for c in SPEC.columns]
ROW = ["P1", ID_FEMALE_1990, "李娜", "高龄补贴", "100.5", "2024-01-05", "沙河街镇"]


def _openpyxl(rows: list[list[Any]], *headers: list[Any]) -> Callable[[Path], None]:
    """A workbook by openpyxl: one sheet per header (default: the spec's names), each with ``rows``."""

    def write(path: Path) -> None:
        book = Workbook()
        for index, header in enumerate(headers or (COLUMNS,)):
            sheet = book.active if index == 0 else book.create_sheet(f"续{index}")
            assert sheet is not None
            sheet.append(header)
            for row in rows:
                sheet.append(row)
        book.save(path)

    return write


def _styled_empty_cells(path: Path) -> None:
    """Cells that carry a style but no value (Excel writes these for formatted blanks), also past the data."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(TITLES)
    sheet.append(ROW)
    sheet.cell(row=3, column=2).font = Font(bold=True)
    sheet.append(ROW)  # row 4 (row 3 holds only a styled blank)
    sheet.cell(row=9, column=3).font = Font(bold=True)
    book.save(path)


def _generator(rows_per_sheet: int) -> Callable[[Path], None]:
    """lakehub's own sample writer: inline strings, whole numbers, sheets continued with the same header."""

    def write(path: Path) -> None:
        with XlsxSink(path, COLUMNS, max_rows_per_sheet=rows_per_sheet) as sink:
            sink.write_rows(
                [[f"P{i}", ID_FEMALE_1990, "王芳", "高龄补贴", 100 + i, "20240105", None] for i in range(7)]
            )

    return write


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _raw(
    *sheets: str, shared: list[str] | None = None, styles: str | None = None, header: bool = True
) -> Callable[[Path], None]:
    """A workbook written part by part, for what openpyxl never writes (rich text, rows without numbers, ...)."""

    def write(path: Path) -> None:
        cells = "".join(f'<x:c t="inlineStr"><x:is><x:t>{name}</x:t></x:is></x:c>' for name in COLUMNS)
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        if shared is not None:
            rels += f'<Relationship Id="rIdS" Type="{_RELS}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
        if styles is not None:
            rels += f'<Relationship Id="rIdT" Type="{_RELS}/styles" Target="styles.xml"/>'
        listed = "".join(
            f'<x:sheet name="表{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, len(sheets) + 1)
        )
        parts = {
            "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
            "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": f'<x:workbook xmlns:x="{_MAIN}" xmlns:r="{_RELS}"><x:sheets>{listed}</x:sheets>'
            "</x:workbook>",
            "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships">{rels}</Relationships>',
        }
        for i, rows in enumerate(sheets, start=1):
            first = f"<x:row>{cells}</x:row>" if header else ""
            parts[f"xl/worksheets/sheet{i}.xml"] = (
                f'<x:worksheet xmlns:x="{_MAIN}"><x:sheetData>{first}{rows}</x:sheetData></x:worksheet>'
            )
        if shared is not None:
            parts["xl/sharedStrings.xml"] = f'<sst xmlns="{_MAIN}">{"".join(shared)}</sst>'
        if styles is not None:
            parts["xl/styles.xml"] = styles
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
            for name, text in parts.items():
                book.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)

    return write


def _cells(*cells: str, row: str = "") -> str:
    return f"<x:row{row}>" + "".join(cells) + "</x:row>"


_STYLES = (
    f'<styleSheet xmlns="{_MAIN}"><numFmts count="3"><numFmt numFmtId="164" formatCode="0.00_ "/>'
    '<numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    '<numFmt numFmtId="166" formatCode="[Red]#,##0.00;[Blue]\\-#,##0.00"/></numFmts>'
    '<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="2"/><xf numFmtId="14"/><xf numFmtId="164"/>'
    '<xf numFmtId="165"/><xf numFmtId="166"/></cellXfs></styleSheet>'
)
"""Cell styles 0, 1, 3 and 5 show numbers (General, 0.00, two custom formats); 2 and 4 show dates."""

TAKEN: dict[str, Callable[[Path], None]] = {
    "openpyxl-strings-numbers-booleans": _openpyxl(
        [
            ROW,
            ["P2", ID_FEMALE_1990, "  ", "特困人员供养", 100.5, 45000, "沙河街镇"],
            ["P3", ID_FEMALE_1990, 'say "hi" \\ back', "最低生活保障", -0.1, 1e-05, 0.0001],
            ["P4", ID_FEMALE_1990, "line\nbreak\ttab", "残疾人两项补贴", 123456.789, 2.5e-07, 1234567890.125],
            ["P5", ID_FEMALE_1990, True, "高龄补贴", False, -7, 0.30000000000000004],
            [None, None, None, None, None, None, None],
            ["  ", "\u3000", None, "\xa0", None, None, None],
            ["P6", 360404, "😀 四字节", "高龄补贴", 1 / 3, 2**52, -(2**53) + 1],
        ]
    ),
    "openpyxl-titles-two-sheets": _openpyxl([ROW, [None] * 7, ROW], TITLES, TITLES),
    "openpyxl-styled-blank-cells": _styled_empty_cells,
    "generator-one-sheet": _generator(100),
    "generator-three-sheets": _generator(3),
    "raw-rich-text-and-types": _raw(
        _cells(
            '<x:c t="s"><x:v>0</x:v></x:c>',
            '<x:c t="s"><x:v>1</x:v></x:c>',
            '<x:c t="str"><x:f>A1</x:f><x:v>formula text</x:v></x:c>',
            '<x:c t="b"><x:v>1</x:v></x:c>',
            '<x:c s="1"><x:v>12.50</x:v></x:c>',
            '<x:c s="3"><x:v>3</x:v></x:c>',
            '<x:c s="5"><x:v>-1E3</x:v></x:c>',
        )
        + _cells(
            '<x:c r="C5" t="inlineStr"><x:is><x:r><x:t>甲</x:t></x:r><x:r><x:t xml:space="preserve"> 乙 </x:t></x:r></x:is></x:c>',
            row=' r="5"',
        )
        + _cells('<x:c r="G6" t="inlineStr"><x:is><x:t>&lt;&amp;&gt;</x:t></x:is></x:c>', row=' r="6"'),
        shared=[
            "<si><t>P9</t></si>",
            "<si><r><rPr><b/></rPr><t>3604</t></r><r><t>04199007220023</t></r></si>",
        ],
        styles=_STYLES,
    ),
    "raw-xml-space-and-empty-strings": _raw(
        _cells(
            '<x:c t="inlineStr"><x:is><x:t> P1 </x:t></x:is></x:c>',
            '<x:c t="inlineStr"><x:is><x:t xml:space="preserve"> 3604 </x:t></x:is></x:c>',
            '<x:c t="inlineStr"><x:is><x:t>\u3000名\u00a0</x:t></x:is></x:c>',
            '<x:c t="inlineStr"><x:is><x:t>&#32;&#10;</x:t></x:is></x:c>',
            '<x:c t="str"><x:v> kept </x:v></x:c>',
            '<x:c t="inlineStr"><x:is><x:t><![CDATA[ <cdata> ]]></x:t></x:is></x:c>',
            '<x:c t="inlineStr"><x:is><x:t></x:t></x:is></x:c>',
        )
        + _cells(
            '<x:c r="B4" t="inlineStr"><x:is><x:t xml:space="preserve">  </x:t></x:is></x:c>', row=' r="4"'
        )
        + _cells('<x:c r="A6" t="str"><x:v></x:v></x:c>', row=' r="6"')
        + _cells('<x:c r="A8" s="0"/>', row=' r="8"'),
        _cells('<x:c t="inlineStr"><x:is><x:t>P2</x:t></x:is></x:c>'),
        "",
        _cells('<x:c r="A3" t="b"><x:v>0</x:v></x:c>', row=' r="3"'),
    ),
}

DECLINED: dict[str, Callable[[Path], None]] = {
    "date-cells": _openpyxl([["P1", ID_FEMALE_1990, "李娜", "高龄补贴", 100, dt.date(2024, 1, 5), "x"]]),
    "datetime-cells": _openpyxl(
        [["P1", ID_FEMALE_1990, "李娜", "高龄补贴", 100, dt.datetime(2024, 1, 5, 8), "x"]]
    ),
    "number-header": _openpyxl([ROW], [*COLUMNS[:-1], 7]),
    "sheets-with-other-headers": _openpyxl([ROW], COLUMNS, TITLES),  # same columns, by title on sheet 2
    "cells-right-of-the-header": _openpyxl([[*ROW, "多余"]]),
    "date-style-number": _raw(_cells('<x:c s="2"><x:v>45000</x:v></x:c>'), styles=_STYLES),
    "custom-date-style-number": _raw(_cells('<x:c s="4"><x:v>45000</x:v></x:c>'), styles=_STYLES),
    "error-cell": _raw(_cells('<x:c t="e"><x:v>#DIV/0!</x:v></x:c>')),
    "escaped-text": _raw(_cells('<x:c t="inlineStr"><x:is><x:t>a_x000D_b</x:t></x:is></x:c>')),
    "phonetic-run": _raw(
        _cells('<x:c t="s"><x:v>0</x:v></x:c>'), shared=["<si><t>张</t><rPh><t>zhang</t></rPh></si>"]
    ),
    "header-not-in-the-first-row": _raw(
        _cells('<x:c r="A2" t="inlineStr"><x:is><x:t>P1</x:t></x:is></x:c>', row=' r="2"'), header=False
    ),
    "empty-string-right-of-the-header": _raw(
        _cells('<x:c r="H2" t="inlineStr"><x:is><x:t> </x:t></x:is></x:c>', row=' r="2"')
    ),
    "boolean-as-word": _raw(_cells('<x:c t="b"><x:v>true</x:v></x:c>')),
    "number-with-spaces": _raw(_cells("<x:c><x:v> 12 </x:v></x:c>")),
    "whole-number-beyond-2^53": _raw(_cells("<x:c><x:v>360404199007220021</x:v></x:c>")),
}


def _both(tmp_path: Path, write: Callable[[Path], None], jvm: Any) -> tuple[Any, Any]:
    path = tmp_path / "mz.xlsx"
    write(path)
    outcomes = []
    for name, use in (("python", None), ("jvm", jvm)):
        try:
            staged = stage_file(path, SPEC, tmp_path / f"{name}.txt", jvm=use)
            outcomes.append((staged.columns, staged.rows, staged.staging_path.read_bytes()))
        except InputFileError as err:
            outcomes.append(str(err))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("case", sorted(TAKEN))
def test_the_jvm_reader_writes_the_bytes_python_writes(case: str, tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]  # session fixture
    by_python, by_jvm = _both(tmp_path, TAKEN[case], spark._jvm)
    assert not isinstance(by_python, str), by_python
    assert by_python[1] > 0
    assert stage_xlsx_in_jvm(spark._jvm, tmp_path / "mz.xlsx", SPEC, tmp_path / "direct.txt") is not None, (
        "the JVM reader declined a workbook it should read"
    )
    assert (tmp_path / "direct.txt").read_bytes() == by_python[2]
    assert by_jvm == by_python


@pytest.mark.parametrize("case", sorted(DECLINED))
def test_the_jvm_reader_declines_what_it_cannot_reproduce_and_python_decides(
    case: str,
    tmp_path: Path,
    spark,  # type: ignore[no-untyped-def]  # session fixture
) -> None:
    by_python, by_jvm = _both(tmp_path, DECLINED[case], spark._jvm)
    assert by_jvm == by_python
    try:
        direct = stage_xlsx_in_jvm(spark._jvm, tmp_path / "mz.xlsx", SPEC, tmp_path / "direct.txt")
    except InputFileError as err:
        assert str(err) == by_python, "a header error must be Python's own"
    else:
        assert direct is None


def test_an_unknown_header_gives_pythons_error_from_the_jvm_header(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    by_python, by_jvm = _both(tmp_path, _openpyxl([ROW], [*COLUMNS[:-1], "村"]), spark._jvm)
    assert isinstance(by_python, str) and "unknown column(s) ['村']" in by_python
    assert by_jvm == by_python


def test_a_truncated_workbook_is_refused_as_python_refuses_it(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mz.xlsx"
    _openpyxl([ROW])(path)
    path.write_bytes(path.read_bytes()[:-200])
    assert stage_xlsx_in_jvm(spark._jvm, path, SPEC, tmp_path / "direct.txt") is None
    with pytest.raises(InputFileError, match="not a readable XLSX workbook"):
        stage_file(path, SPEC, tmp_path / "jvm.txt", jvm=spark._jvm)


def test_a_failing_jvm_reader_leaves_the_staging_to_python(tmp_path: Path) -> None:
    class Broken:
        def __init__(self, _: str) -> None:
            pass

        def header(self) -> list[str]:
            raise RuntimeError("the JVM went away")

        def close(self) -> None:
            pass

    jvm = type("Jvm", (), {"lakehub": type("Lakehub", (), {"udf": type("Udf", (), {"StageXlsx": Broken})})})
    path = tmp_path / "mz.xlsx"
    _openpyxl([ROW, ROW])(path)
    by_python = stage_file(path, SPEC, tmp_path / "python.txt")
    after_failure = stage_file(path, SPEC, tmp_path / "fallback.txt", jvm=jvm)
    assert after_failure.rows == by_python.rows == 2
    assert (tmp_path / "fallback.txt").read_bytes() == (tmp_path / "python.txt").read_bytes()


@pytest.mark.parametrize(
    "value",
    [
        0.1,
        -0.1,
        1 / 3,
        2.5e-07,
        1e-05,
        0.0001,
        0.00012,
        123456.789,
        1234567890.125,
        0.30000000000000004,
        5e-324,
        9007199254740991.5 / 2,
        4.35,
        2.675,
        1e15 + 0.3,
    ],
)
def test_number_texts_are_pythons_repr(value: float, spark) -> None:  # type: ignore[no-untyped-def]
    text = spark._jvm.lakehub.udf.StageXlsx.numberText(repr(value))
    expected = str(int(value)) if value.is_integer() else repr(value)
    assert text == expected
