"""Delivery checks before Spark: each bad input gives one clear error naming file, row or field and the fix."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from lakehub.pipelines.errors import InputFileError
from lakehub.pipelines.intake import ROW_SEPARATOR, StagedFile, stage_file
from lakehub.pipelines.sources import SourceSpec
from tests.helpers import ID_FEMALE_1990, POPULATION, SPECS, csv_text, population_row, write_population


def _stage(tmp_path: Path, path: Path, spec=POPULATION):  # type: ignore[no-untyped-def]  # test helper
    return stage_file(path, spec, tmp_path / "staging" / "s.txt")


Stage = Callable[..., StagedFile]


@pytest.fixture(params=["python", "jvm"])
def stage(request: pytest.FixtureRequest, tmp_path: Path) -> Stage:
    """Stage a text delivery in Python, or with the JVM stager (a running Spark's); both must agree."""
    jvm = request.getfixturevalue("spark")._jvm if request.param == "jvm" else None

    def run(path: Path, spec: SourceSpec = POPULATION) -> StagedFile:
        return stage_file(path, spec, tmp_path / "staging" / "s.txt", jvm=jvm)

    return run


def test_clean_gbk_csv_is_staged_with_row_numbers(tmp_path: Path, stage: Stage) -> None:
    path = write_population(
        tmp_path / "ga_population.csv", [population_row(), population_row(id_number=ID_FEMALE_1990)]
    )
    staged = stage(path)
    lines = staged.staging_path.read_text(encoding="utf-8").splitlines()
    assert staged.rows == 2
    assert [line.split(ROW_SEPARATOR)[0] for line in lines] == ["1", "2"]
    assert "张伟" in lines[0]
    assert staged.columns == POPULATION.column_names


def test_missing_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nope\.csv: file not found\. Fix: check --path"):
        _stage(tmp_path, tmp_path / "nope.csv")


def test_empty_file_is_refused(tmp_path: Path, stage: Stage) -> None:
    path = tmp_path / "ga_population.csv"
    path.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"empty \(0 bytes\)"):
        stage(path)


def test_header_only_file_is_refused(tmp_path: Path, stage: Stage) -> None:
    path = write_population(tmp_path / "ga_population.csv", [])
    with pytest.raises(InputFileError, match="header but no data rows"):
        stage(path)


def test_utf8_file_declared_gbk_names_the_row_and_the_detected_encoding(tmp_path: Path, stage: Stage) -> None:
    rows = [population_row(), population_row(id_number=ID_FEMALE_1990, name="李娜")]
    path = write_population(tmp_path / "ga_population.csv", rows, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        stage(path)
    message = str(caught.value)
    assert "not valid gbk" in message
    assert "utf" in message.lower().split("fix:")[0]
    assert "encoding:" in message
    assert caught.value.row is not None


def test_missing_column_is_named(tmp_path: Path, stage: Stage) -> None:
    header = [c for c in POPULATION.column_names if c != "phone"]
    path = tmp_path / "ga_population.csv"
    path.write_bytes(csv_text(POPULATION, [population_row()], header=header).encode("gbk"))
    with pytest.raises(InputFileError, match=r"missing column\(s\) \['phone'\]") as caught:
        stage(path)
    assert caught.value.field == "phone"


def test_unknown_column_is_named(tmp_path: Path, stage: Stage) -> None:
    header = [*POPULATION.column_names, "wechat"]
    path = tmp_path / "ga_population.csv"
    path.write_bytes(csv_text(POPULATION, [population_row(wechat="x")], header=header).encode("gbk"))
    with pytest.raises(InputFileError, match=r"unknown column\(s\) \['wechat'\]") as caught:
        stage(path)
    assert caught.value.field == "wechat"


def test_chinese_titles_are_accepted_as_headers(tmp_path: Path, stage: Stage) -> None:
    titles = [c.title for c in POPULATION.columns]
    text = csv_text(POPULATION, [population_row()]).splitlines()
    path = tmp_path / "ga_population.csv"
    path.write_bytes(("\n".join([",".join(titles), *text[1:]]) + "\n").encode("gbk"))
    assert stage(path).columns == POPULATION.column_names


def test_truncated_csv_is_refused_with_its_last_row(tmp_path: Path, stage: Stage) -> None:
    text = csv_text(POPULATION, [population_row(), population_row(id_number=ID_FEMALE_1990)])
    path = tmp_path / "ga_population.csv"
    path.write_bytes(text[: text.rindex(",") - 20].encode("gbk"))
    with pytest.raises(InputFileError, match=r"\(row 2\): the file ends in the middle of a record"):
        stage(path)


def test_last_line_without_newline_is_fine_when_complete(tmp_path: Path, stage: Stage) -> None:
    path = tmp_path / "ga_population.csv"
    path.write_bytes(csv_text(POPULATION, [population_row()]).rstrip("\n").encode("gbk"))
    assert stage(path).rows == 1


def test_bom_and_crlf_are_removed(tmp_path: Path, stage: Stage) -> None:
    spec = SPECS["social_insurance"]
    row = {"id_number": ID_FEMALE_1990, "name": "李娜", "insurance_type": "失业保险"}
    path = tmp_path / "rs.csv"
    path.write_bytes(csv_text(spec, [row]).replace("\n", "\r\n").encode("utf-8-sig"))
    staged = stage(path, spec)
    line = staged.staging_path.read_text(encoding="utf-8").splitlines()[0]
    assert not line.endswith("\r")
    assert staged.columns[0] == "id_number"


def test_truncated_jsonl_is_refused(tmp_path: Path, stage: Stage) -> None:
    spec = SPECS["grid_event"]
    good = json.dumps({"event_id": "E1", "created_at": "2024-01-01 08:00:00"}, ensure_ascii=False)
    path = tmp_path / "cg.jsonl"
    path.write_text(good + "\n" + good[:20], encoding="utf-8")
    with pytest.raises(InputFileError, match=r"\(row 2\).*incomplete JSON"):
        stage(path, spec)


def test_jsonl_unknown_field_is_named(tmp_path: Path, stage: Stage) -> None:
    spec = SPECS["grid_event"]
    path = tmp_path / "cg.jsonl"
    path.write_text(
        json.dumps({"event_id": "E1", "created_at": "2024-01-01", "mood": "ok"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError, match=r"unknown field\(s\) \['mood'\]"):
        stage(path, spec)


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(SPECS["assistance_payment"].column_names))
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_cells_become_text_records(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "mz.xlsx", [["P1", ID_FEMALE_1990, "李娜", "高龄补贴", "100.5", 45000, "沙河街镇"]]
    )
    staged = _stage(tmp_path, path, SPECS["assistance_payment"])
    row, record = staged.staging_path.read_text(encoding="utf-8").splitlines()[0].split(ROW_SEPARATOR)
    assert row == "1"
    assert json.loads(record)["pay_date"] == "45000"


def test_xlsx_whole_numbers_keep_every_digit(tmp_path: Path) -> None:
    """calamine reads numbers as doubles; a whole number past 2^53 is read again with openpyxl, exactly."""
    path = _workbook(tmp_path / "mz.xlsx", [["P1", 7654321, "李娜", "高龄补贴", 100, "2024-01-05", ""]])
    # openpyxl writes big ints as doubles itself; other tools write every digit, as here.
    parts = {}
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<v>7654321</v>" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<v>7654321</v>", b"<v>360404199007220021</v>")
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    staged = _stage(tmp_path, path, SPECS["assistance_payment"])
    lines = staged.staging_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, "the first reading's rows are not kept"
    record = json.loads(lines[0].split(ROW_SEPARATOR)[1])
    assert record["id_number"] == "360404199007220021", "not 360404199007220000 (a double's 17 digits)"
    assert (record["amount"], record["town"]) == ("100", None), "empty cells stay null, whole numbers bare"


def test_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "mz.xlsx", [["P1", ID_FEMALE_1990, "李娜", "高龄补贴", "100", "2024-01-05", "x"]]
    )
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(InputFileError, match="not a readable XLSX workbook"):
        _stage(tmp_path, path, SPECS["assistance_payment"])


def _gbk_every_pair() -> str:
    """Every character Python's GBK codec decodes a byte pair to, 100 to a line."""
    chars = []
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                chars.append(bytes([lead, trail]).decode("gbk"))
            except UnicodeDecodeError:
                continue
    return "\n".join("".join(chars[i : i + 100]) for i in range(0, len(chars), 100))


_HEADER = ",".join(POPULATION.column_names)
_TRICKY = 'a\r\n\n  \t\n\u3000\u3000\n\x1c\nb\rc\n⊕ 连字\r\n"quoted, with comma",x\n'
_GOOD_DELIVERIES = {
    "gbk-every-pair": ("population", (_HEADER + "\n" + _gbk_every_pair() + "\n").encode("gbk")),
    "gbk-blank-cr-tail": (
        "population",
        (_HEADER + "\r\n" + _TRICKY + ",".join(["无换行"] * 11)).encode("gbk"),
    ),
    "utf8-bom-crlf-spaces": (
        "social_insurance",
        (
            ",".join(SPECS["social_insurance"].column_names)
            + "\r\n"
            + _TRICKY
            + "\xa0\u2028\u2003\n\U0001f600 four bytes,\ufffe\n \x85\n"
        ).encode("utf-8-sig"),
    ),
    "utf8-long-line-and-blocks": (
        "social_insurance",
        (
            ",".join(SPECS["social_insurance"].column_names)
            + "\n"
            + "x" * (17 << 20)
            + "\n"
            + "".join(f"{i},名字{i},养老保险\n" for i in range(700_000))
        ).encode("utf-8"),
    ),
    "jsonl": (
        "grid_event",
        (
            "\ufeff"
            + json.dumps({"event_id": "E1", "created_at": "2024-01-01"}, ensure_ascii=False)
            + "\n\n   \n"
            + json.dumps({"event_id": "E2", "category": "占道经营"}, ensure_ascii=False)
            + "\r\n"
        ).encode("utf-8"),
    ),
}


@pytest.mark.parametrize("case", sorted(_GOOD_DELIVERIES))
def test_jvm_stager_writes_the_bytes_python_writes(case: str, tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    from lakehub.pipelines.intake import _stage_text_in_jvm

    source, data = _GOOD_DELIVERIES[case]
    spec = SPECS[source]
    path = tmp_path / f"delivery.{spec.format}"
    path.write_bytes(data)
    by_python = stage_file(path, spec, tmp_path / "python.txt")
    by_jvm = _stage_text_in_jvm(spark._jvm, path, spec, spec.encoding, tmp_path / "jvm.txt")
    assert by_jvm is not None, "the JVM stager declined a file Python stages"
    assert by_jvm == (by_python.columns, by_python.rows)
    assert (tmp_path / "jvm.txt").read_bytes() == (tmp_path / "python.txt").read_bytes()
    assert by_python.rows > 1


_BAD_DELIVERIES = {
    "gbk-user-defined-area": ("population", "张伟\n".encode("gbk") + b"\xa1\x40\n"),
    "gbk-lead-byte-at-end": ("population", "张伟\n".encode("gbk") + b"x,\xd5"),
    "gbk-lead-byte-before-newline": ("population", "张伟\n".encode("gbk") + b"x,\xd5\nmore\n"),
    "utf8-surrogate": ("social_insurance", b"a\n\xed\xa0\x80\n"),
    "utf8-overlong": ("social_insurance", b"a\n\xc0\xaf\n"),
    "utf8-beyond-unicode": ("social_insurance", b"a\n\xf4\x90\x80\x80\n"),
    "utf8-cut-character": ("social_insurance", b"a\n" + "名字".encode()[:-1]),
}


@pytest.mark.parametrize("case", sorted(_BAD_DELIVERIES))
def test_jvm_stager_declines_what_python_rejects_and_the_error_is_the_same(
    case: str,
    tmp_path: Path,
    spark,  # type: ignore[no-untyped-def]  # the session fixture
) -> None:
    from lakehub.pipelines.intake import _stage_text_in_jvm

    source, body = _BAD_DELIVERIES[case]
    spec = SPECS[source]
    path = tmp_path / "delivery.csv"
    path.write_bytes(",".join(spec.column_names).encode() + b"\n" + body)
    assert _stage_text_in_jvm(spark._jvm, path, spec, spec.encoding, tmp_path / "jvm.txt") is None
    with pytest.raises(InputFileError) as by_python:
        stage_file(path, spec, tmp_path / "python.txt")
    with pytest.raises(InputFileError) as by_jvm:
        stage_file(path, spec, tmp_path / "jvm.txt", jvm=spark._jvm)
    assert str(by_jvm.value) == str(by_python.value)


def test_a_failing_jvm_stager_leaves_the_staging_to_python(tmp_path: Path) -> None:
    class Broken:
        @staticmethod
        def stage(*_: object) -> list[str]:
            raise RuntimeError("the JVM went away")

    jvm = type("Jvm", (), {"lakehub": type("Lakehub", (), {"udf": type("Udf", (), {"StageText": Broken})})})
    path = write_population(tmp_path / "ga_population.csv", [population_row(), population_row(name="李娜")])
    by_python = stage_file(path, POPULATION, tmp_path / "python.txt")
    after_failure = stage_file(path, POPULATION, tmp_path / "fallback.txt", jvm=jvm)
    assert after_failure.rows == by_python.rows == 2
    assert (tmp_path / "fallback.txt").read_bytes() == (tmp_path / "python.txt").read_bytes()
