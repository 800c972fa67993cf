"""Behaviour of lakehub.sample_data: deterministic departmental sources with a defect manifest."""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest
import yaml
from stdnum.cn import ric, uscc

from lakehub.quality_rules import cn_codes as codes
from lakehub.sample_data import (
    DEFECT_KINDS,
    LAYOUTS,
    MANIFEST_FILE,
    SOURCE_IDS,
    Defect,
    InvalidSampleOptionError,
    Manifest,
    generate_sample,
    read_manifest,
)
from lakehub.sample_data.writers import CsvSink, XlsxSink

SPEC_DIR = Path(__file__).resolve().parents[1] / "pipelines" / "source_specs"
SEED = 7
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 115.55, 116.25, 29.45, 29.95
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
PLAIN_AMOUNT = re.compile(r"^\d+\.\d{2}$")
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

PERSON_REFERENCES = [
    ("social_insurance", "id_number", "name"), ("assistance_payment", "id_number", "name"),
    ("housing", "owner_id_number", "owner_name"), ("agri_operator", "head_id_number", "head_name"),
    ("market_entity", "legal_rep_id", "legal_rep_name"), ("custody", "id_number", "name"),
]  # fmt: skip
CREDIT_CODE_REFERENCES = [
    ("social_insurance", "employer_uscc"), ("hazard_enterprise", "uscc"), ("agri_operator", "uscc")
]  # fmt: skip
MIXED_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})|(\d{4})/(\d{1,2})/(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日")

Table = list[dict[str, Any]]
Tables = dict[str, Table]
Sample = tuple[Path, Manifest]
Marked = dict[str, set[int]]


def load_spec(source: str) -> dict[str, Any]:
    """Load a source spec YAML from pipelines/source_specs."""
    return cast("dict[str, Any]", yaml.safe_load((SPEC_DIR / f"{source}.yaml").read_text(encoding="utf-8")))


def read_header_and_rows(directory: Path, source: str) -> tuple[list[list[str]], list[list[Any]]]:
    """Read a source file as written: the header row(s) (one per XLSX sheet) and the data rows."""
    layout = LAYOUTS[source]
    path = directory / layout.file
    if layout.format == "csv":
        with path.open(encoding=layout.encoding, newline="") as handle:
            header, *rows = list(csv.reader(handle))
        return [header], rows
    if layout.format == "jsonl":
        objects = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        headers = [list(obj) for obj in objects] or [list(layout.columns)]
        return headers, [list(obj.values()) for obj in objects]
    workbook = openpyxl.load_workbook(path, read_only=True)
    headers, rows = [], []
    for sheet in workbook.worksheets:
        header, *data = [list(row) for row in sheet.iter_rows(values_only=True)]
        headers.append(header)
        rows.extend(data)
    workbook.close()
    return headers, rows


def read_table(directory: Path, source: str) -> Table:
    """Read a source's data rows as dicts keyed by column."""
    columns = LAYOUTS[source].columns
    return [dict(zip(columns, row, strict=True)) for row in read_header_and_rows(directory, source)[1]]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    directory = tmp_path_factory.mktemp("sample")
    return directory, generate_sample(directory, scale=200, seed=SEED)


@pytest.fixture(scope="module")
def tables(sample: Sample) -> Tables:
    return {source: read_table(sample[0], source) for source in SOURCE_IDS}


@pytest.fixture(scope="module")
def marked(sample: Sample) -> Marked:
    rows: dict[str, set[int]] = {source: set() for source in SOURCE_IDS}
    for defect in sample[1].defects:
        rows[defect.source].add(defect.row)
    return rows


def clean(tables: Tables, marked: Marked, source: str) -> Table:
    """Return the rows of a source that the manifest does not list."""
    return [row for number, row in enumerate(tables[source], 1) if number not in marked[source]]


def parse_mixed_date(value: Any) -> tuple[str, str]:
    """Parse one of the defect date formats; returns (format, ISO date)."""
    text = str(value)
    if re.fullmatch(r"\d{5}", text):
        return "excel_serial", (date(1899, 12, 30) + timedelta(days=int(text))).isoformat()
    parts = MIXED_DATE.fullmatch(text)
    assert parts, f"unrecognised date {value!r}"
    year, month, day = (int(part) for part in parts.groups() if part is not None)
    fmt = "yyyymmdd" if text.isdigit() else ("y/m/d" if "/" in text else "y年m月d日")
    return fmt, date(year, month, day).isoformat()


def test_same_seed_gives_byte_identical_files(sample: Sample, tmp_path: Path) -> None:
    again = generate_sample(tmp_path, scale=200, seed=SEED)
    first_dir, first = sample
    names = sorted(path.name for path in first_dir.iterdir())
    assert names == sorted(path.name for path in tmp_path.iterdir())
    assert MANIFEST_FILE in names and "mz_assistance_payments.xlsx" in names
    for name in names:
        assert (first_dir / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert again == first


def test_different_seed_gives_different_data(sample: Sample, tmp_path: Path) -> None:
    other = generate_sample(tmp_path, scale=200, seed=SEED + 1)
    for source in SOURCE_IDS:
        assert other.sources[source].sha256 != sample[1].sources[source].sha256, source
    assert read_table(tmp_path, "population")[0] != read_table(sample[0], "population")[0]


def test_row_counts_grow_linearly_with_scale_at_steady_defect_rates(tmp_path: Path) -> None:
    subset = ["population", "social_insurance", "assistance_payment", "housing", "grid_event"]
    small = generate_sample(tmp_path / "small", scale=1000, seed=SEED, sources=subset)
    large = generate_sample(tmp_path / "large", scale=2000, seed=SEED, sources=subset)
    assert (small.sources["population"].rows, large.sources["population"].rows) == (1000, 2000)
    for source in subset:
        ratio = large.sources[source].rows / small.sources[source].rows
        assert 1.7 <= ratio <= 2.3, (source, ratio)
    assert 0.6 <= small.sources["social_insurance"].rows / 1000 <= 1.0
    counts = Counter(defect.kind for defect in large.defects if defect.source == "population")
    for kind in ("id_check_digit", "id_15_digit", "id_lowercase_x", "gender_mismatch", "duplicate_person"):
        assert 0.01 <= counts[kind] / 2000 <= 0.02, (kind, counts[kind])


def test_source_files_have_the_spec_name_format_and_columns(sample: Sample) -> None:
    directory, manifest = sample
    for source in SOURCE_IDS:
        spec = load_spec(source)
        entry = manifest.sources[source]
        assert fnmatch.fnmatch(entry.file, spec["file"])
        assert (entry.format, entry.encoding) == (spec["format"], spec["encoding"])
        headers, rows = read_header_and_rows(directory, source)
        expected = [column["name"] for column in spec["columns"]]
        assert headers and all(header == expected for header in headers), source
        assert len(rows) == entry.rows


def test_files_use_their_declared_encodings(sample: Sample) -> None:
    for source in ("population", "hazard_enterprise", "social_insurance", "agri_operator", "housing"):
        raw = (sample[0] / LAYOUTS[source].file).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (LAYOUTS[source].encoding == "utf-8-sig"), source
        if LAYOUTS[source].encoding == "gbk":
            assert "江西省九江市柴桑区" in raw.decode("gbk")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")


def test_every_defect_kind_appears_twice_at_scale_200_one_per_row(sample: Sample) -> None:
    counts = Counter(defect.kind for defect in sample[1].defects)
    assert set(counts) == set(DEFECT_KINDS)
    assert all(counts[kind] >= 2 for kind in DEFECT_KINDS), counts
    assert sample[1].defect_counts == {kind: counts[kind] for kind in sorted(DEFECT_KINDS)}
    places = Counter((defect.source, defect.row) for defect in sample[1].defects)
    assert max(places.values()) == 1


def _check_defect(defect: Defect, row: dict[str, Any], tables: Tables, earlier: Table) -> None:
    """Assert that a row really carries the defect the manifest says it does."""
    value = row[defect.column]
    kind = defect.kind
    if kind == "id_check_digit":
        assert len(value) == 18 and value[-1] != codes.resident_id_check_digit(value[:17])
        assert ric.calc_check_digit(value) != value[-1]
    elif kind == "id_15_digit":
        assert len(value) == 15 and value.isdigit() and codes.id15_to_id18(value) == defect.expected
    elif kind == "id_lowercase_x":
        assert value.endswith("x") and value.upper() == defect.expected
        assert codes.is_valid_resident_id(value.upper())
    elif kind == "fullwidth_digits":
        assert value != defect.expected and value.translate(FULLWIDTH_DIGITS) == defect.expected
    elif kind == "gender_mismatch":
        assert value != ("男" if int(row["id_number"][16]) % 2 else "女")
    elif kind == "birth_date_mismatch":
        number = row["id_number"]
        assert ISO_DATE.match(value) and value.replace("-", "") != number[6:14]
    elif kind == "duplicate_person":
        assert value in {other["id_number"] for other in earlier}
    elif kind == "uscc_check_char":
        assert value[-1] != codes.uscc_check_char(value[:17]) and not uscc.is_valid(value)
    elif kind == "amount_in_wan":
        assert value.endswith("万元") and f"{float(value[:-2]) * 10000:.2f}" == defect.expected
    elif kind == "mixed_date_format":
        fmt, iso = parse_mixed_date(value)
        assert iso == defect.expected and defect.detail.startswith(fmt)
        assert (fmt == "excel_serial" and defect.source == "assistance_payment") == isinstance(value, int)
    elif kind == "deceased_still_paid":
        person = next(p for p in tables["population"] if p["id_number"] == row["id_number"])
        assert person["status"] == "死亡注销" and person["death_date"] < value
    elif kind == "imprisoned_still_paid":
        spells = [c for c in tables["custody"] if c["id_number"] == row["id_number"]]
        assert any(
            _iso(c["custody_start_date"]) <= value
            and (not c["release_date"] or value < _iso(c["release_date"]))
            for c in spells
        ), (row, spells)
    elif kind == "closed_before_created":
        start = row["created_at"] if defect.source == "grid_event" else row["established_date"]
        assert value < start
    elif kind == "lonlat_swapped":
        lon, lat = float(row["lon"]), float(row["lat"])
        assert lat > 90 and LON_MIN <= lat <= LON_MAX and LAT_MIN <= lon <= LAT_MAX
    elif kind == "lonlat_outside_county":
        lon, lat = float(row["lon"]), float(row["lat"])
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert not (LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX)
    elif kind == "sentinel_value":
        assert value == "-9999" and defect.expected is None
    elif kind == "address_conflict":
        person = next(p for p in tables["population"] if p["id_number"] == row["id_number"])
        assert value != person["household_address"]
    else:
        pytest.fail(f"unchecked kind {kind}")


def test_manifest_rows_point_at_rows_that_really_carry_the_defect(sample: Sample, tables: Tables) -> None:
    for defect in sample[1].defects:
        layout = LAYOUTS[defect.source]
        assert defect.column in layout.columns
        row = tables[defect.source][defect.row - 1]
        assert defect.key == "|".join(str(row[column]) for column in layout.business_key)
        _check_defect(defect, row, tables, tables[defect.source][: defect.row - 1])


def test_clean_resident_ids_are_valid_unique_and_match_gender_birth(tables: Tables, marked: Marked) -> None:
    people = clean(tables, marked, "population")
    numbers = [person["id_number"] for person in people]
    assert len(numbers) == len(set(numbers))
    for person in people:
        number = person["id_number"]
        assert len(number) == 18 and codes.is_valid_resident_id(number)
        assert ric.calc_check_digit(number) == number[-1]
        assert number[:4] == "3604"
        assert person["gender"] == ("男" if int(number[16]) % 2 else "女")
        assert person["birth_date"] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        assert (person["status"] == "死亡注销") == bool(person["death_date"])


def test_clean_rows_use_canonical_formats_and_spec_values(tables: Tables, marked: Marked) -> None:
    for source in SOURCE_IDS:
        for column in load_spec(source)["columns"]:
            name, kind = column["name"], column["type"]
            for row in clean(tables, marked, source):
                value = row[name]
                if value in (None, ""):
                    assert not column.get("required"), (source, name)
                    continue
                assert isinstance(value, str), (source, name, value)
                if "values" in column:
                    assert value in column["values"], (source, name, value)
                if kind == "date":
                    assert ISO_DATE.match(value) and value <= "2025-12-31", (source, name, value)
                elif kind == "timestamp":
                    assert TIMESTAMP.match(value) and value <= "2025-12-31 23:59:59", (source, name, value)
                elif kind in ("amount", "decimal"):
                    assert PLAIN_AMOUNT.match(value), (source, name, value)
                elif kind == "mobile":
                    assert re.fullmatch(r"1\d{10}", value), (source, name, value)
                elif kind == "uscc":
                    assert codes.is_valid_uscc(value) and uscc.is_valid(value), (source, name, value)
                elif kind == "resident_id":
                    assert codes.is_valid_resident_id(value), (source, name, value)
                elif kind == "int":
                    assert value.isdigit(), (source, name, value)
                elif kind in ("lon", "lat"):
                    low, high = (LON_MIN, LON_MAX) if kind == "lon" else (LAT_MIN, LAT_MAX)
                    assert re.fullmatch(r"\d+\.\d{6}", value) and low <= float(value) <= high


def test_clean_rows_reference_existing_people_and_entities(tables: Tables, marked: Marked) -> None:
    people = {row["id_number"]: row for row in clean(tables, marked, "population")}
    entities = {row["uscc"]: row for row in clean(tables, marked, "market_entity")}
    for source, id_column, name_column in PERSON_REFERENCES:
        for row in clean(tables, marked, source):
            assert row[id_column] in people, (source, row[id_column])
            assert row[name_column] == people[row[id_column]]["name"], source
    for source, column in CREDIT_CODE_REFERENCES:
        credit_codes = [row[column] for row in clean(tables, marked, source) if row[column]]
        assert credit_codes and all(code in entities for code in credit_codes), source
    for row in clean(tables, marked, "social_insurance"):
        assert row["address"] == people[row["id_number"]]["household_address"]
    hazards = [row["uscc"] for row in tables["hazard_enterprise"]]
    assert len(hazards) == len(set(hazards)) == 40


def test_clean_deceased_people_get_no_payment_after_death(tables: Tables, marked: Marked) -> None:
    deaths = {row["id_number"]: row["death_date"] for row in tables["population"] if row["death_date"]}
    paid = [row for row in clean(tables, marked, "assistance_payment") if row["id_number"] in deaths]
    assert paid and all(str(row["pay_date"]) <= deaths[row["id_number"]] for row in paid)


def _iso(value: Any) -> str:
    """A date as written: ISO already, or one of the mixed defect formats."""
    text = str(value)
    return text if ISO_DATE.match(text) else parse_mixed_date(value)[1]


def test_clean_custody_people_get_no_payment_while_held_and_are_registered_residents(
    tables: Tables, marked: Marked
) -> None:
    spells = [
        (
            c["id_number"],
            _iso(c["custody_start_date"]),
            _iso(c["release_date"]) if c["release_date"] else None,
        )
        for c in tables["custody"]
    ]
    assert len(spells) >= 4 and any(release is None for _, _, release in spells)
    assert any(release is not None for _, _, release in spells)
    held = {number for number, _, _ in spells}
    paid = [row for row in clean(tables, marked, "assistance_payment") if row["id_number"] in held]
    assert paid, "some residents with a custody record are paid outside custody"
    for row in paid:
        for number, start, release in spells:
            if number == row["id_number"]:
                assert not (start <= row["pay_date"] and (release is None or row["pay_date"] < release)), row
    statuses = {c["custody_status"] for c in tables["custody"]}
    assert statuses <= {"在押", "服刑", "已释放"} and "已释放" in statuses
    for row in tables["custody"]:
        assert (row["custody_status"] == "已释放") == bool(row["release_date"]), row


def test_manifest_file_round_trips_and_matches_files(sample: Sample) -> None:
    directory, manifest = sample
    assert read_manifest(directory) == manifest
    text = (directory / MANIFEST_FILE).read_text(encoding="utf-8")
    assert text == json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n"
    data = json.loads(text)
    assert (data["generator"], data["version"], data["county_code"]) == ("lakehub.sample_data", 1, "360404")
    assert (data["seed"], data["scale"]) == (SEED, 200)
    for source, entry in manifest.sources.items():
        assert hashlib.sha256((directory / entry.file).read_bytes()).hexdigest() == entry.sha256, source
    assert list(data["sources"]) == list(SOURCE_IDS)
    order = [(SOURCE_IDS.index(d["source"]), d["row"]) for d in data["defects"]]
    assert order == sorted(order)


def test_sources_option_writes_only_the_chosen_sources(tmp_path: Path) -> None:
    calls: list[tuple[str, int]] = []

    def record(source: str, rows: int) -> None:
        calls.append((source, rows))

    manifest = generate_sample(tmp_path, scale=200, seed=SEED, sources=["hazard_enterprise"], progress=record)
    assert list(manifest.sources) == ["hazard_enterprise"]
    assert {path.name for path in tmp_path.iterdir()} == {"yj_hazard_enterprises.csv", MANIFEST_FILE}
    assert {defect.source for defect in manifest.defects} <= {"hazard_enterprise"}
    assert calls[-1] == ("hazard_enterprise", 40)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"scale": 10}, "--scale"), ({"seed": "x"}, "--seed"), ({"sources": ["populaton"]}, "Valid sources")],
)
def test_invalid_options_raise_errors_that_name_the_fix(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidSampleOptionError, match=message):
        generate_sample(tmp_path, **options)


def test_xlsx_continues_on_a_new_sheet_with_the_same_header(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with XlsxSink(path, ["a", "b"], max_rows_per_sheet=3) as sink:
        sink.write_rows([[str(i), i] for i in range(7)])
    workbook = openpyxl.load_workbook(path, read_only=True)
    sheets = [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]
    assert [sheet[0] for sheet in sheets] == [["a", "b"]] * 3
    assert [row for sheet in sheets for row in sheet[1:]] == [[str(i), i] for i in range(7)]


def test_csv_sink_writes_what_the_csv_module_writes(tmp_path: Path) -> None:
    batches: list[list[list[str | None]]] = [[["a", "b", "c"], ["1", "", "中文"]]]
    batches.append([["x,y", 'say "hi"', None], ["line\nbreak", "2", "3"]])
    with CsvSink(tmp_path / "fast.csv", ["h1", "h2", "h3"], "utf-8") as sink:
        for batch in batches:
            sink.write_rows(batch)
    with (tmp_path / "slow.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([["h1", "h2", "h3"], *batches[0], *batches[1]])
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


def test_resident_id_and_credit_code_builders_agree_with_stdnum() -> None:
    for day in range(0, 34_000, 997):  # birth dates 1930–2023: a future birth date is invalid
        number = codes.make_resident_id("360404", date(1930, 1, 1) + timedelta(days=day), day % 1000)
        assert ric.calc_check_digit(number) == number[-1] and codes.is_valid_resident_id(number)
    assert codes.id15_to_id18("360421800224004") == "360421198002240043"
    for body in ("MA35XY7K", "15898765", "MA1CATMT"):
        code = codes.make_uscc("1", "360404", body)
        assert uscc.is_valid(code) and codes.is_valid_uscc(code)
    assert codes.is_valid_uscc("91110000600037341L")


def test_importing_and_generating_does_not_load_pyspark(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from lakehub.sample_data import generate_sample; "
        f"generate_sample(Path({str(tmp_path)!r}), scale=100, sources=['population']); "
        "assert 'pyspark' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
