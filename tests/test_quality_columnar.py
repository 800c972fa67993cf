"""The columnar pass over file scans and cached frames agrees with the row pass, kernel by kernel, and steps aside
when it cannot."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakehub.quality_rules import Suite, SuiteResult, parse_suite
from lakehub.quality_rules.cn_codes import make_resident_id, make_uscc

pytestmark = pytest.mark.spark

AS_OF = dt.date(2025, 6, 30)
SCHEMA = (
    "rid string, gender string, birth date, uscc string, phone string, area string, code string, "
    "lon double, lat double, amount double, qty bigint, small int, created date, closed date, "
    "stamp_a timestamp, stamp_b timestamp, price decimal(18,2)"
)


def _rows(count: int, seed: int) -> list[tuple[Any, ...]]:
    """Valid values with every kind of defect the kernels tell apart, nulls and NaN included (seeded)."""
    rng = random.Random(seed)
    areas = [
        "360404",
        "360421",
        "360402",
        "360102",
        "990404",
        "3604",
        "36040",
        "36040x",
        "３６０４０４",
        None,
    ]
    rows = []
    for n in range(count):
        birth = dt.date(1895, 1, 1) + dt.timedelta(days=rng.randrange(365 * 135))
        rid: str | None = make_resident_id("360404", birth, rng.randrange(1000))
        roll = rng.random()
        if roll < 0.08:
            rid = rid[:17] + ("0" if rid[17] != "0" else "1")
        elif roll < 0.12:
            rid = rid[:17]
        elif roll < 0.15:
            rid = rid[:16] + "x" + rid[17]
        elif roll < 0.18:
            rid = rid[:10] + "1332" + rid[14:]  # month 13
        elif roll < 0.22:
            rid = None
        elif roll < 0.24:
            rid = rid[:17] + "X"
        gender = rng.choice(["男", "女", "女", "男", "未知", None])
        stated = birth if rng.random() < 0.8 else rng.choice([birth + dt.timedelta(days=1), None])
        uscc: str | None = make_uscc(rng.choice("159"), "360404", f"{rng.randrange(10**8):08d}")
        roll = rng.random()
        if roll < 0.1:
            uscc = uscc[:17] + ("0" if uscc[17] != "0" else "1")
        elif roll < 0.15:
            uscc = uscc.lower()
        elif roll < 0.2:
            uscc = None
        phone = rng.choice(
            [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}", "12345678901", "1381234", None]
        )
        code = rng.choice(
            [f"R{rng.randrange(10**10):010d}", f"R{rng.randrange(10**9):09d}", "r0000000001", None]
        )
        lon = rng.choice(
            [115.6, 115.55, 116.25, 116.3, 29.6, math.nan, -0.0, None, 115.9 + rng.random() / 10]
        )
        lat = rng.choice([29.45, 29.95, 29.7, 115.9, math.nan, None, 29.5 + rng.random() / 10])
        amount = rng.choice([-9999.0, 0.0, -0.0, 500000.0, 500000.5, 1e7, math.nan, None, rng.random() * 1e6])
        qty = rng.choice([None, -1, 0, 10, 100, 2**60, rng.randrange(1000)])
        small = rng.choice([None, -5, 0, 7, 99])
        created = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(600))
        closed = rng.choice([None, created, created + dt.timedelta(days=rng.randrange(-20, 40))])
        stamp_a = rng.choice(
            [
                None,
                dt.datetime(2024, 5, 1, 8, 0, 0),
                dt.datetime(2024, 5, 1, 8, 0, 1),
                dt.datetime(1999, 12, 31, 23, 59, 59, 500000),
            ]
        )
        stamp_b = rng.choice([None, dt.datetime(2024, 5, 1, 8, 0, 0), dt.datetime(2024, 5, 1, 8, 0, 0, 120)])
        price = rng.choice(
            [
                None,
                Decimal("0.00"),
                Decimal("-0.50"),
                Decimal("1000000.00"),
                Decimal("1000000.01"),
                Decimal("12.30"),
            ]
        )
        area = rng.choice(areas)
        rows.append(
            (
                rid,
                gender,
                stated,
                uscc,
                phone,
                area,
                code,
                lon,
                lat,
                amount,
                qty,
                small,
                created,
                closed,
                stamp_a,
                stamp_b,
                price,
            )
        )
        if n % 7 == 0:  # repeated values, so dictionary pages hold entries many rows share
            rows.append(rows[rng.randrange(len(rows))])
    return rows


SUITE = """\
suite: columnar
dataset: base.columnar
rules:
  - {expectation: expect_column_values_to_not_be_null, column: rid}
  - {expectation: expect_column_values_to_not_be_null, column: phone, row_condition: "amount > 500000"}
  - {expectation: expect_column_values_to_not_be_null, column: phone, row_condition: "qty <= 10", mostly: 0.5}
  - {expectation: expect_column_values_to_not_be_null, column: uscc, row_condition: "amount == 0"}
  - {expectation: expect_column_values_to_not_be_null, column: code, row_condition: "small != 0"}
  - {expectation: expect_column_values_to_not_be_null, column: phone, row_condition: "gender = '男'"}
  - {expectation: expect_column_values_to_not_be_null, column: rid, row_condition: "area <> '360404'"}
  - {expectation: expect_column_values_to_be_unique, column: rid}
  - {expectation: expect_column_values_to_be_unique, column: qty}
  - {expectation: expect_column_values_to_be_unique, column: phone}
  - {expectation: expect_column_values_to_be_valid_cn_resident_id, column: rid}
  - {expectation: expect_column_values_to_be_valid_cn_resident_id, column: rid, row_condition: "lon >= 116"}
  - {expectation: expect_column_values_to_be_valid_cn_uscc, column: uscc}
  - {expectation: expect_column_values_to_be_valid_cn_mobile, column: phone}
  - {expectation: expect_column_values_to_be_valid_cn_admin_code, column: area}
  - {expectation: expect_column_values_to_be_valid_cn_admin_code, column: area, prefix: ['3604', '99']}
  - {expectation: expect_column_values_to_be_valid_cn_admin_code, column: area, lengths: [4, 6],
     value_set: ['360404', '3604']}
  - {expectation: expect_column_values_to_match_regex, column: code, regex: '^R[0-9]{10}$'}
  - {expectation: expect_column_values_to_match_regex, column: code, regex: '[0-9]{9}'}
  - {expectation: expect_column_values_to_be_in_set, column: gender, value_set: [男, 女]}
  - {expectation: expect_column_values_to_be_between, column: amount, min_value: 0, max_value: 1000000}
  - {expectation: expect_column_values_to_be_between, column: amount, min_value: 0, strict_min: true}
  - {expectation: expect_column_values_to_be_between, column: amount, max_value: 500000.5, strict_max: true}
  - {expectation: expect_column_values_to_be_between, column: qty, min_value: 0, max_value: 100}
  - {expectation: expect_column_values_to_be_between, column: price, min_value: 0, max_value: 1000000}
  - {expectation: expect_column_values_to_be_between, column: price, max_value: 0, strict_max: true}
  - {expectation: expect_compound_columns_to_be_unique, column_list: [rid, gender]}
  - {expectation: expect_compound_columns_to_be_unique, column_list: [qty, code, small],
     ignore_row_if: any_value_is_missing}
  - {expectation: expect_compound_columns_to_be_unique, column_list: [gender, area], ignore_row_if: never}
  - {expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: stamp_a, column_B: stamp_b}
  - {expectation: expect_column_values_to_be_between, column: small, min_value: 0}
  - {expectation: expect_column_values_to_be_between, column: created, min_value: 2024-03-01,
     max_value: 2025-01-31}
  - {expectation: expect_column_pair_values_to_be_in_bbox, column_A: lon, column_B: lat}
  - {expectation: expect_column_pair_values_to_be_in_bbox, column_A: lon, column_B: lat,
     ignore_row_if: either_value_is_missing}
  - {expectation: expect_column_pair_values_to_be_in_bbox, column_A: lon, column_B: lat, ignore_row_if: neither}
  - {expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: closed, column_B: created,
     or_equal: true, ignore_row_if: either_value_is_missing}
  - {expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: closed, column_B: created}
  - {expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: lon, column_B: lat,
     ignore_row_if: neither}
  - {expectation: expect_column_pair_values_to_match_cn_resident_id_gender, column_A: rid, column_B: gender}
  - {expectation: expect_column_pair_values_to_match_cn_resident_id_gender, column_A: rid, column_B: gender,
     ignore_row_if: neither, male_values: [男, M], female_values: [女]}
  - {expectation: expect_column_pair_values_to_match_cn_resident_id_birth_date, column_A: rid, column_B: birth}
  - {expectation: expect_column_pair_values_to_match_cn_resident_id_birth_date, column_A: rid, column_B: birth,
     ignore_row_if: both_values_are_missing}
  - {expectation: expect_column_max_to_be_within_days, column: created, max_age_days: 200}
  - {expectation: expect_column_values_to_be_of_type, column: qty, type_: bigint}
  - {expectation: expect_table_row_count_to_be_between, min_value: 1}
"""


def _suite(text: str, origin: str = "tests/test_quality_columnar.py") -> Suite:
    """A suite whose rules all get dimension 准确性 (the rules above leave it out for width)."""
    return parse_suite(text.replace("{expectation:", "{dimension: 准确性, expectation:"), origin)


def _one_rule(rule: str) -> Suite:
    return _suite(f"suite: s\ndataset: base.s\nrules:\n  - {rule}\n")


def _verdicts(result: SuiteResult) -> list[tuple[Any, ...]]:
    return [
        (r.rule_id, r.success, r.element_count, r.unexpected_count, r.sample_unexpected, r.observed_value)
        for r in result.results
    ]


def _parquet(spark: Any, folder: Path, dictionary: bool, count: int = 3000, seed: int = 7) -> Any:
    """Three files of small row groups (each column chunk has a dictionary of its own when `dictionary`)."""
    path = folder / f"data-{dictionary}"
    frame = spark.createDataFrame(_rows(count, seed), SCHEMA).repartition(3)
    writer = frame.write.option("parquet.enable.dictionary", str(dictionary).lower())
    writer.option("parquet.block.size", 16384).option("parquet.page.size.row.check.min", 50).parquet(
        str(path)
    )
    return spark.read.parquet(str(path))


def _columnar_used(frame: Any, suite: Suite) -> bool:
    from lakehub.quality_rules import engine_columnar
    from lakehub.quality_rules.engine_spark import compile_suite

    compiled = compile_suite(suite, as_of=AS_OF)
    return engine_columnar.plan_pass(frame, compiled, as_of=AS_OF, samples=True) is not None


def _cached(frame: Any, compressed: bool) -> Any:
    """The frame cached in batches of 250 rows (so every partition has several), compressed or (lakehub's
    setting) not: compressed, Spark picks a scheme per column and batch (dictionaries, runs, deltas)."""
    spark = frame.sparkSession
    settings = {
        "spark.sql.inMemoryColumnarStorage.batchSize": "250",
        "spark.sql.inMemoryColumnarStorage.compressed": str(compressed).lower(),
    }
    previous = {key: spark.conf.get(key) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        cached = frame.cache()
        cached.count()
    finally:
        for key, value in previous.items():
            spark.conf.set(key, value)
    return cached


@pytest.mark.parametrize("storage", ["dictionary-pages", "plain-pages", "cached", "cached-compressed"])
def test_columnar_pass_gives_the_row_pass_counts_samples_and_observations(
    spark: Any, tmp_path: Path, storage: str
) -> None:
    import pyarrow.parquet as pq

    from lakehub.quality_rules import engine_spark

    suite = _suite(SUITE)
    if storage.startswith("cached"):
        data = spark.createDataFrame(_rows(3000, 7), SCHEMA).repartition(3)
        frame = _cached(data, compressed=storage == "cached-compressed")
        layout = json.loads(spark.sparkContext._jvm.lakehub.udf.ColumnarChecks.cacheLayout(frame._jdf))
        assert layout["batches"] >= 12, "several cached batches per partition"
        schemes = layout["schemes"]
        if storage == "cached":
            assert all(found == ["PassThrough"] for found in schemes.values()), schemes
        else:  # strings read by the pass itself (plain and dictionary), the rest by Spark's decoders
            assert "DictionaryEncoding" in schemes["gender"] and "PassThrough" in schemes["rid"], schemes
            assert {"RunLengthEncoding", "IntDelta", "LongDelta", "DictionaryEncoding"} & {
                scheme for name in ("small", "qty", "created") for scheme in schemes[name]
            }, schemes
    else:
        dictionary = storage == "dictionary-pages"
        frame = _parquet(spark, tmp_path, dictionary)
        files = sorted((tmp_path / f"data-{dictionary}").glob("*.parquet"))
        assert len(files) == 3 and all(pq.ParquetFile(f).num_row_groups >= 3 for f in files), (
            "dictionaries change"
        )
    assert _columnar_used(frame, suite)
    rows = engine_spark.validate(frame, suite, as_of=AS_OF, columnar=False)
    columnar = engine_spark.validate(frame, suite, as_of=AS_OF)
    assert _verdicts(columnar) == _verdicts(rows)
    assert columnar.row_count == rows.row_count > 3000
    failing = [r for r in rows.results if r.unexpected_count]
    assert len(failing) >= 25, "the data exercises almost every rule's failures"
    assert any(r.sample_unexpected and "*" in r.sample_unexpected[0] for r in columnar.results), "masked"
    assert any(r.success for r in rows.results) and any(not r.success for r in rows.results)
    if storage.startswith("cached"):
        frame.unpersist()


def test_a_cached_column_whose_batches_change_scheme_is_read_batch_by_batch(spark: Any) -> None:
    """One task reads an int column dictionary-encoded in some batches and plain in the next ones: a batch
    must not be read through the dictionary the batch before it had."""
    from lakehub.quality_rules import engine_spark

    rng = random.Random(5)
    values = [
        rng.choice([5, 700_000, 2_000_000_000]) if (n // 250) % 2 == 0 else rng.randrange(10**6)
        for n in range(2000)
    ]
    frame = spark.createDataFrame([(v, v * 7) for v in values], "n int, m bigint").coalesce(1)
    cached = _cached(frame, compressed=True)
    try:
        layout = json.loads(spark.sparkContext._jvm.lakehub.udf.ColumnarChecks.cacheLayout(cached._jdf))
        assert {"DictionaryEncoding", "PassThrough"} <= set(layout["schemes"]["n"]), layout
        suite = _suite(
            "suite: s\ndataset: base.s\nrules:\n"
            "  - {expectation: expect_column_values_to_be_between, column: n, min_value: 2, max_value: 500000}\n"
            "  - {expectation: expect_column_values_to_be_between, column: m, min_value: 14, max_value: 3500000}\n"
        )
        assert _columnar_used(cached, suite)
        rows = engine_spark.validate(cached, suite, as_of=AS_OF, columnar=False)
        assert _verdicts(engine_spark.validate(cached, suite, as_of=AS_OF)) == _verdicts(rows)
        assert all(r.unexpected_count > 0 for r in rows.results)
    finally:
        cached.unpersist()


def test_columnar_pass_without_samples_keeps_the_counts(spark: Any, tmp_path: Path) -> None:
    from lakehub.quality_rules import engine_spark

    suite = _suite(SUITE)
    frame = _parquet(spark, tmp_path, True, count=500, seed=11)
    rows = engine_spark.validate(frame, suite, as_of=AS_OF, columnar=False, samples=False)
    columnar = engine_spark.validate(frame, suite, as_of=AS_OF, samples=False)
    assert _verdicts(columnar) == _verdicts(rows)
    assert all(not r.sample_unexpected for r in columnar.results)


def test_columnar_pass_reads_a_delta_table_and_follows_the_session_date(spark: Any, tmp_path: Path) -> None:
    from lakehub.quality_rules import engine_spark

    rules = "\n".join(line for line in SUITE.splitlines() if "resident_id," in line or "max_to_be" in line)
    suite = _suite(SUITE.split("rules:")[0] + "rules:\n" + rules + "\n")
    spark.createDataFrame(_rows(400, 5), SCHEMA).write.format("delta").save(str(tmp_path / "t"))
    frame = spark.read.format("delta").load(str(tmp_path / "t"))
    assert _columnar_used(frame, suite)
    rows = engine_spark.validate(frame, suite, columnar=False)  # as_of None: Spark's current_date()
    assert _verdicts(engine_spark.validate(frame, suite)) == _verdicts(rows)


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("cached and filtered", "{expectation: expect_column_values_to_not_be_null, column: rid}"),
        ("filtered", "{expectation: expect_column_values_to_not_be_null, column: rid}"),
        (
            "sql condition",
            "{expectation: expect_column_values_to_not_be_null, column: rid, row_condition: \"gender LIKE '男%'\"}",
        ),
        (
            "decimal vs whole",
            '{expectation: expect_column_values_to_not_be_null, column: rid, row_condition: "qty > 0.5"}',
        ),
        (
            "compound with a double",
            "{expectation: expect_compound_columns_to_be_unique, column_list: [rid, lon]}",
        ),
        (
            "decimal fraction bound",
            "{expectation: expect_column_values_to_be_between, column: price, max_value: 0.5}",
        ),
        ("unique doubles", "{expectation: expect_column_values_to_be_unique, column: amount}"),
        ("text bound", "{expectation: expect_column_values_to_be_between, column: code, min_value: R0}"),
        (
            "float bound on whole",
            "{expectation: expect_column_values_to_be_between, column: qty, max_value: 1.5}",
        ),
        (
            "numbers in set",
            "{expectation: expect_column_values_to_be_in_set, column: qty, value_set: [1, 2]}",
        ),
        ("regex on a number", "{expectation: expect_column_values_to_match_regex, column: qty, regex: '^1'}"),
        (
            "mixed pair",
            "{expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: qty, column_B: lon}",
        ),
    ],
)
def test_row_pass_runs_where_the_columnar_pass_cannot_be_exact(
    spark: Any, tmp_path: Path, case: str, rule: str
) -> None:
    from lakehub.quality_rules import engine_spark

    suite = _one_rule(rule)
    frame = _parquet(spark, tmp_path, True, count=200, seed=3)
    cached = frame.cache() if case == "cached and filtered" else None
    if cached is not None:
        frame = cached.where("qty > 0")
    elif case == "filtered":
        frame = frame.where("qty > 0")
    assert not _columnar_used(frame, suite)
    result = engine_spark.validate(frame, suite, as_of=AS_OF)
    assert _verdicts(result) == _verdicts(engine_spark.validate(frame, suite, as_of=AS_OF, columnar=False))
    assert result.row_count > 0
    if cached is not None:
        cached.unpersist()


def test_uniqueness_over_too_many_repeated_values_runs_the_row_pass(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from lakehub.quality_rules import engine_columnar, engine_spark

    suite = _one_rule("{expectation: expect_column_values_to_be_unique, column: rid}")
    frame = _parquet(spark, tmp_path, True, count=300, seed=4)
    expected = _verdicts(engine_spark.validate(frame, suite, as_of=AS_OF, columnar=False))
    assert expected[0][3] > 2, "the data repeats more than two resident IDs"
    monkeypatch.setattr(engine_columnar, "MAX_DUPLICATE_KEYS", 2)
    with caplog.at_level("INFO", logger="lakehub.quality_rules.engine_columnar"):
        assert _verdicts(engine_spark.validate(frame, suite, as_of=AS_OF)) == expected
    assert "the row pass checks uniqueness" in caplog.text
    assert "columnar pass over" not in caplog.text


def test_a_failing_columnar_pass_gives_way_to_the_row_pass_with_a_warning(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from lakehub.quality_rules import engine_columnar, engine_spark

    suite = _one_rule("{expectation: expect_column_values_to_be_valid_cn_uscc, column: uscc}")
    frame = _parquet(spark, tmp_path, True, count=200, seed=8)
    expected = _verdicts(engine_spark.validate(frame, suite, as_of=AS_OF, columnar=False))
    real = engine_columnar._value_kernel

    def broken(program: Any, kind: str, name: str, **extra: Any) -> dict[str, Any]:
        return real(program, "no_such_kernel", name, **extra)  # the JVM refuses the program

    monkeypatch.setattr(engine_columnar, "_value_kernel", broken)
    with caplog.at_level("WARNING", logger="lakehub.quality_rules.engine_columnar"):
        assert _verdicts(engine_spark.validate(frame, suite, as_of=AS_OF)) == expected
    assert "columnar pass failed (IllegalArgumentException)" in caplog.text
    assert "360404" not in caplog.text, "no value reaches the log"
