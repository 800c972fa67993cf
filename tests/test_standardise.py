"""Each standardisation turns a department's way of writing a value into the canonical typed value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from lakehub.pipelines.sources import ColumnSpec
from lakehub.quality_rules.cn_codes import id15_to_id18, is_valid_resident_id

pytestmark = pytest.mark.spark


def _standardise(
    spark: Any, spec: ColumnSpec, values: list[str | None], sentinels: tuple[str, ...] | None = None
) -> list[tuple[Any, str | None]]:
    from lakehub.pipelines.sources import DEFAULT_SENTINELS
    from lakehub.pipelines.standardise import error_column, standardise_columns

    frame = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, raw string")
    result = standardise_columns(frame, {spec.name: "raw"}, [spec], sentinels or DEFAULT_SENTINELS)
    rows = result.orderBy("i").collect()
    return [(r[spec.name], r[error_column(spec.name)]) for r in rows]


def test_resident_ids_are_trimmed_uppercased_half_width_and_upgraded_from_15_digits(spark: Any) -> None:
    spec = ColumnSpec(name="id_number", type="resident_id", title="公民身份号码")
    legacy = "360421850315001"
    values = [
        " 360404198503150015 ",
        "36040419900722002x",
        "３６０４０４１９８５０３１５００１５",
        legacy,
        "12345",
    ]
    out = _standardise(spark, spec, values)
    assert [v for v, _ in out[:4]] == [
        "360404198503150015",
        "36040419900722002X",
        "360404198503150015",
        id15_to_id18(legacy),
    ]
    assert is_valid_resident_id(out[3][0])
    assert out[4] == (None, "TYPE_INVALID:id_number")


def test_dates_in_every_department_format_become_iso_dates(spark: Any) -> None:
    spec = ColumnSpec(name="d", type="date", title="日期")
    values = [
        "2023-01-05",
        "20230105",
        "2023/1/5",
        "2023年1月5日",
        "44931",
        "２０２３－０１－０５",
        "2023-01-05 08:30:00",
        "2023-13-45",
    ]
    out = _standardise(spark, spec, values)
    assert [v for v, _ in out[:7]] == [dt.date(2023, 1, 5)] * 7
    assert out[7] == (None, "TYPE_INVALID:d")


def test_timestamps_accept_common_forms(spark: Any) -> None:
    spec = ColumnSpec(name="t", type="timestamp", title="时间")
    out = _standardise(
        spark, spec, ["2024-03-01 08:15:00", "2024/3/1 8:15:00", "20240301081500", "2024-03-01", "bad"]
    )
    assert [v for v, _ in out[:3]] == [dt.datetime(2024, 3, 1, 8, 15)] * 3
    assert out[3][0] == dt.datetime(2024, 3, 1)
    assert out[4] == (None, "TYPE_INVALID:t")


def test_amounts_in_wan_yuan_with_separators_become_yuan(spark: Any) -> None:
    spec = ColumnSpec(name="amount", type="amount", unit="元", title="金额")
    out = _standardise(spark, spec, ["860.00", "0.0860万元", "1,234.5元", "￥2,000", "12万", "abc"])
    assert [v for v, _ in out[:5]] == [
        Decimal("860.00"),
        Decimal("860.00"),
        Decimal("1234.50"),
        Decimal("2000.00"),
        Decimal("120000.00"),
    ]
    assert out[5] == (None, "TYPE_INVALID:amount")


def test_amount_without_unit_uses_the_columns_declared_unit(spark: Any) -> None:
    spec = ColumnSpec(name="capital", type="amount", unit="万元", title="注册资本")
    assert _standardise(spark, spec, ["50", "500000元"]) == [
        (Decimal("500000.00"), None),
        (Decimal("500000.00"), None),
    ]


def test_sentinels_and_blanks_become_null_without_a_reason(spark: Any) -> None:
    spec = ColumnSpec(name="area", type="decimal", title="面积")
    assert _standardise(spark, spec, ["-9999", "  ", "NULL", "无", None, "88.5"]) == [(None, None)] * 5 + [
        (Decimal("88.50"), None)
    ]


def test_sentinels_with_quotes_and_backslashes_are_matched_exactly(spark: Any) -> None:
    """The sentinel test is SQL text: quotes and backslashes in a spec's sentinels must stay literal."""
    spec = ColumnSpec(name="note", type="string", title="备注")
    sentinels = ("it's", "a\\b", "%", "x_y")
    values = ["it's", "a\\b", "%", "x_y", "its", "ab", "a\\\\b", "xzy", "备注"]
    assert [v for v, _ in _standardise(spark, spec, values, sentinels)] == [None] * 4 + values[4:]


def test_required_column_left_blank_gets_a_reason(spark: Any) -> None:
    spec = ColumnSpec(name="name", type="string", title="姓名", required=True)
    assert _standardise(spark, spec, [" ", "张　伟 "]) == [(None, "REQUIRED_MISSING:name"), ("张 伟", None)]


def test_mobiles_lose_country_code_and_separators(spark: Any) -> None:
    spec = ColumnSpec(name="phone", type="mobile", title="电话")
    out = _standardise(
        spark, spec, ["+8613812345678", "138-1234-5678", "１３８１２３４５６７８", "0792-1234567"]
    )
    assert [v for v, _ in out[:3]] == ["13812345678"] * 3
    assert out[3] == (None, "TYPE_INVALID:phone")


def test_coordinates_and_integers_are_range_and_type_checked(spark: Any) -> None:
    lon = ColumnSpec(name="lon", type="lon", title="经度")
    count = ColumnSpec(name="n", type="int", title="数量")
    assert _standardise(spark, lon, ["115.9", "215.0"]) == [(115.9, None), (None, "TYPE_INVALID:lon")]
    assert _standardise(spark, count, ["3", "3.0", "3.5", "-9999"]) == [
        (3, None),
        (3, None),
        (None, "TYPE_INVALID:n"),
        (None, None),
    ]


def test_uscc_is_uppercased_and_charset_checked(spark: Any) -> None:
    spec = ColumnSpec(name="uscc", type="uscc", title="统一社会信用代码")
    out = _standardise(spark, spec, ["91360404ma35l0xx8k", "91360404MA35L0XX8I"])
    assert out[0] == ("91360404MA35L0XX8K", None)
    assert out[1] == (None, "TYPE_INVALID:uscc")


def test_date_forms_calendar_and_range_are_checked_natively(spark: Any) -> None:
    spec = ColumnSpec(name="d", type="date", title="日期")
    good = ["2023.1.5", "2023-1-5", "2023/01/05 8:30", "2023-01-05T08:30:00", "44931.0", "2024-02-29"]
    bad = [
        "2023-02-29",
        "1899-12-31",
        "2101-01-01",
        "44931.5",
        "2023-01-05 garbage",
        "2023/1-5",
        "2023年1月5",
    ]
    out = _standardise(spark, spec, good + bad)
    assert [v for v, _ in out[:5]] == [dt.date(2023, 1, 5)] * 5
    assert out[5] == (dt.date(2024, 2, 29), None)
    assert out[len(good) :] == [(None, "TYPE_INVALID:d")] * len(bad)


def test_timestamps_keep_fractions_excel_time_of_day_and_reject_bad_clocks(spark: Any) -> None:
    spec = ColumnSpec(name="t", type="timestamp", title="时间")
    good = [
        "2024-03-01T08:15:00",
        "2024年3月1日 8:15:00",
        "2024/3/1 8:15",
        "2024-03-01 08:15:00.5",
        "45352.34375",
    ]
    out = _standardise(spark, spec, [*good, "2024-03-01 25:00", "2024-03-01 08:61", "2024-03-01 8"])
    at = dt.datetime(2024, 3, 1, 8, 15)
    assert [v for v, _ in out[:5]] == [at, at, at, at.replace(microsecond=500000), at]
    assert out[5:] == [(None, "TYPE_INVALID:t")] * 3


def test_free_text_keeps_chinese_punctuation_while_codes_narrow_everything(spark: Any) -> None:
    name = ColumnSpec(name="name", type="string", title="姓名")
    code = ColumnSpec(name="phone", type="mobile", title="电话")
    assert _standardise(spark, name, ["　张伟（二）Ａ１ "]) == [("张伟（二）A1", None)]
    assert _standardise(spark, code, ["（１３８）１２３４５６７８", "86 138 1234 5678", "1381234567８9"]) == [
        ("13812345678", None),
        ("13812345678", None),
        (None, "TYPE_INVALID:phone"),
    ]


def test_free_text_without_wide_forms_is_only_trimmed(spark: Any) -> None:
    """Text is read from its bytes; only full-width forms (U+FF01-U+FF5E) and U+3000 are narrowed."""
    name = ColumnSpec(name="name", type="string", title="姓名")
    values = ["  张伟 ", "李娜Ａ", "王芳\u3000", "ｦﾝ半角", "｟括号｠", "é ñ", "陈 静", "Ａ", "～"]
    assert _standardise(spark, name, values) == [
        ("张伟", None),
        ("李娜A", None),
        ("王芳", None),
        ("ｦﾝ半角", None),
        ("｟括号｠", None),
        ("é ñ", None),
        ("陈 静", None),
        ("A", None),
        ("～", None),
    ]


@pytest.mark.parametrize("separator", [",", "|", "\t"])
def test_native_csv_split_reads_lines_exactly_as_from_csv(spark: Any, separator: str) -> None:
    """Plain lines are split natively; quotes, escapes, CR and wrong field counts are left to from_csv."""
    import random

    from pyspark.sql import functions as F

    from lakehub.pipelines.standardise import CSV_SPLIT_FUNCTION

    columns = ["a", "b", "c", "_corrupt"]
    lines = ["1,2,3", ",,", " , x ,", "张三,李四,王五", "1,2", "1,2,3,4", '"1",2,3', '1,"2,3",4', "a\\,b,c"]
    lines += ["a\r,b,c", "#x,y,z", "a,b,", ",b,c", "１,２,３", "x" * 500 + ",y,z", ",", ",,,", "😀,é,'"]
    pick = random.Random(7)
    alphabet = ["a", "张", ",", " ", '"', "\\", "\r", "#", "\t", "１", "'"]
    lines += ["".join(pick.choice(alphabet) for _ in range(pick.randint(0, 12))) for _ in range(400)]
    lines += [
        ",".join("".join(pick.choice("a张 #１'") for _ in range(pick.randint(0, 3))) for _ in range(3))
        for _ in range(400)
    ]
    lines = [line.replace(",", separator) for line in lines]
    frame = spark.createDataFrame(list(enumerate(lines)), "i int, _line string")
    schema = ", ".join(f"`{c}` string" for c in columns)
    options = {
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": "_corrupt",
        "sep": separator,
        "nullValue": "",
    }
    expected = F.from_csv("_line", schema, options)
    native = F.call_function(
        CSV_SPLIT_FUNCTION, F.col("_line"), F.lit(separator), F.lit("\x1f".join(columns))
    )
    rows = frame.select(expected.alias("expected"), native.alias("native")).collect()
    split = [r for r in rows if r.native is not None]
    assert len(split) > 300 and len(rows) - len(split) > 300  # both ways are exercised
    assert [r.native for r in split] == [r.expected for r in split]
    assert all(r.native._corrupt is None for r in split)
    assert {r.expected._corrupt is None for r in rows} == {True, False}
    for unusable in ['"', "\\", "\r", ",,"]:  # bytes the split gives up on, or not one character
        with pytest.raises(Exception, match="separator must be one ASCII character"):
            frame.select(
                F.call_function(CSV_SPLIT_FUNCTION, F.col("_line"), F.lit(unusable), F.lit("a"))
            ).collect()


def test_instant_stamps_rows_without_changing_the_generated_code(spark: Any) -> None:
    """A landing's row stamp is the given instant, and two landings' write stages compile to the same code."""
    import contextlib
    import io

    from lakehub.pipelines.standardise import instant

    def stamped(at: dt.datetime) -> tuple[list[Any], str]:
        frame = spark.range(3).select("id", instant("id", at).alias("_landed_at"))
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            frame.explain(mode="codegen")
        code = text.getvalue()
        return [r["_landed_at"] for r in frame.orderBy("id").collect()], code[code.index("Generated code") :]

    first = dt.datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=dt.UTC)
    later = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    values, code = stamped(first)
    later_values, later_code = stamped(later)
    # collect() gives naive datetimes in the Python process's local time zone
    assert {v.astimezone(dt.UTC) for v in values} == {first}
    assert {v.astimezone(dt.UTC) for v in later_values} == {later}
    assert code == later_code and "456789" not in code
    nulls = spark.range(2).selectExpr("if(id = 0, null, id) AS id").select(instant("id", first).alias("t"))
    assert {r["t"].astimezone(dt.UTC) for r in nulls.collect()} == {first}  # a null anchor changes nothing
    with pytest.raises(ValueError, match="timezone-aware"):
        instant("id", dt.datetime(2026, 1, 1))


def test_landing_projection_compiles_to_methods_the_jit_handles(spark: Any, tmp_path: Any) -> None:
    """The population source's standardise-and-validate step stays one modest generated method.

    As Spark SQL the step compiled to an 18 KB method (4,400 lines of generated Java) that HotSpot sometimes
    failed to compile at every tier, leaving the landing pass interpreted (3-4x slower) for the JVM's life.
    """
    import contextlib
    import io
    import re

    from lakehub.pipelines.classify import landing_rules, parse_lines, read_lines, standardise_rows
    from lakehub.pipelines.intake import stage_file
    from lakehub.quality_rules import resolve_suite
    from tests.helpers import POPULATION, population_row, write_population

    path = write_population(tmp_path / "ga_population.csv", [population_row()])
    staged = stage_file(path, POPULATION, tmp_path / "staged.txt")
    rules = landing_rules(spark, POPULATION, resolve_suite("population"))
    rows = standardise_rows(
        parse_lines(read_lines(spark, staged, POPULATION, rules), staged, POPULATION), POPULATION, rules
    )
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        rows.explain(mode="codegen")
    longest, current = 0, None
    for line in text.getvalue().splitlines():
        if re.search(r"private \w+ \w+\(.*\) .*\{$", line):
            current = 0
        elif current is not None:
            current += 1
            if re.match(r"/\* \d+ \*/   \}$", line):
                longest, current = max(longest, current), None
    assert 100 < longest < 2600, f"largest generated method of the landing pass: {longest} lines"
