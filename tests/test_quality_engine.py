"""The one-pass Spark engine: counts, mostly, nulls, masking and the per-row failure array on one small frame."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lakehub.quality_rules import DatasetMismatchError, RuleResult, Suite, SuiteResult, parse_suite

pytestmark = pytest.mark.spark

ID_M = "360404198503150015"
ID_F = "360404199007220023"
ID_BAD = "360404198503150016"
ID_F2 = "36040419590728864X"
D = dt.date
ROWS = [
    (
        1,
        ID_M,
        "张伟",
        "男",
        D(1985, 3, 15),
        "13812345678",
        10,
        "a",
        115.9,
        29.6,
        D(2025, 1, 1),
        D(2025, 1, 2),
    ),
    (2, ID_F, "李娜", "女", D(1990, 7, 22), None, 20, "b", 116.0, 29.7, D(2025, 1, 1), None),
    (
        3,
        ID_BAD,
        "王五",
        "女",
        D(1985, 3, 15),
        "138123456",
        30,
        "c",
        29.6,
        115.9,
        D(2025, 1, 3),
        D(2025, 1, 1),
    ),
    (4, None, None, None, None, None, None, None, None, None, None, None),
    (
        5,
        ID_M,
        "赵六",
        "男",
        D(1985, 3, 16),
        "13812345678",
        999,
        "a",
        None,
        29.7,
        D(2025, 1, 4),
        D(2025, 1, 4),
    ),
    (
        6,
        ID_F2,
        "欧阳娜娜",
        "女",
        D(1959, 7, 28),
        "13612345678",
        50,
        "b",
        116.1,
        29.8,
        D(2025, 1, 5),
        D(2025, 1, 5),
    ),
]
SCHEMA = (
    "_row int, id_number string, name string, gender string, birth_date date, phone string, score int, "
    "kind string, lon double, lat double, opened date, closed date"
)
SUITE = """\
suite: engine
dataset: base.engine
department: 区公安分局
rules:
  - {id: id_present, expectation: expect_column_values_to_not_be_null, column: id_number, dimension: 完整性}
  - {id: id_valid, expectation: expect_column_values_to_be_valid_cn_resident_id, column: id_number, dimension: 准确性}
  - {id: id_unique, expectation: expect_column_values_to_be_unique, column: id_number, dimension: 一致性}
  - {id: kind_set, expectation: expect_column_values_to_be_in_set, column: kind, value_set: [a, b], mostly: 0.7,
     dimension: 规范性}
  - {id: score_range, expectation: expect_column_values_to_be_between, column: score, min_value: 0,
     max_value: 100, dimension: 准确性}
  - {id: phone_mobile, expectation: expect_column_values_to_be_valid_cn_mobile, column: phone, dimension: 规范性,
     severity: warn}
  - {id: id_gender, expectation: expect_column_pair_values_to_match_cn_resident_id_gender, column_A: id_number,
     column_B: gender, dimension: 一致性}
  - {id: id_birth, expectation: expect_column_pair_values_to_match_cn_resident_id_birth_date,
     column_A: id_number, column_B: birth_date, dimension: 一致性}
  - {id: in_county, expectation: expect_column_pair_values_to_be_in_bbox, column_A: lon, column_B: lat,
     dimension: 准确性}
  - {id: closed_after_opened, expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: closed,
     column_B: opened, or_equal: true, ignore_row_if: either_value_is_missing, dimension: 一致性}
  - {id: kind_gender_unique, expectation: expect_compound_columns_to_be_unique, column_list: [kind, gender],
     dimension: 一致性}
  - {id: rows, expectation: expect_table_row_count_to_be_between, min_value: 1, max_value: 10, dimension: 完整性}
  - {id: birth_is_date, expectation: expect_column_values_to_be_of_type, column: birth_date, type_: DateType,
     dimension: 规范性}
  - {id: score_is_text, expectation: expect_column_values_to_be_of_type, column: score, type_: string,
     dimension: 规范性}
  - {id: fresh_30, expectation: expect_column_max_to_be_within_days, column: opened, max_age_days: 30,
     dimension: 时效性}
  - {id: fresh_10, expectation: expect_column_max_to_be_within_days, column: opened, max_age_days: 10,
     dimension: 时效性}
  - {id: phone_when_scored, expectation: expect_column_values_to_not_be_null, column: phone,
     row_condition: score > 15, condition_parser: spark, dimension: 完整性}
  - {id: name_length, expectation: expect_column_value_lengths_to_be_between, column: name, min_value: 2,
     max_value: 3, dimension: 规范性, severity: warn}
"""
AS_OF = D(2025, 1, 20)


@pytest.fixture(scope="module")
def checked(spark: Any) -> tuple[Suite, SuiteResult, dict[int, list[str]]]:
    from lakehub.quality_rules.engine_spark import annotate, validate

    frame = spark.createDataFrame(ROWS, SCHEMA)
    suite = parse_suite(SUITE, "engine.yml")
    result = validate(frame, suite, as_of=AS_OF, sensitivity={"name": "name"})
    failures = {r["_row"]: r["_failures"] for r in annotate(frame, suite, as_of=AS_OF).collect()}
    return suite, result, failures


def _by_id(result: SuiteResult) -> dict[str, RuleResult]:
    return {r.rule_id: r for r in result.results}


def test_row_rules_count_non_null_elements_and_unexpected_values(
    checked: tuple[Suite, SuiteResult, dict[int, list[str]]],
) -> None:
    _, result, _ = checked
    counts = {r.rule_id: (r.element_count, r.unexpected_count, r.success) for r in result.results}
    assert counts == {
        "id_present": (6, 1, False),
        "id_valid": (5, 1, False),
        "id_unique": (5, 2, False),
        "kind_set": (5, 1, True),
        "score_range": (5, 1, False),
        "phone_mobile": (4, 1, False),
        "id_gender": (5, 1, False),
        "id_birth": (5, 1, False),
        "in_county": (5, 2, False),
        "closed_after_opened": (4, 1, False),
        "kind_gender_unique": (5, 4, False),
        "rows": (6, 0, True),
        "birth_is_date": (5, 0, True),
        "score_is_text": (5, 0, False),
        "fresh_30": (5, 0, True),
        "fresh_10": (5, 0, False),
        "phone_when_scored": (4, 1, False),
        "name_length": (5, 1, False),
    }
    assert result.row_count == 6 and result.data_passes == 2
    assert not result.passed and result.outcome.value == "failed"


def test_mostly_percent_and_table_observations_follow_ge(
    checked: tuple[Suite, SuiteResult, dict[int, list[str]]],
) -> None:
    _, result, _ = checked
    rules = _by_id(result)
    assert rules["kind_set"].unexpected_percent == pytest.approx(20.0) and rules["kind_set"].mostly == 0.7
    assert rules["rows"].observed_value == "6" and rules["rows"].unexpected_percent is None
    assert rules["score_is_text"].observed_value == "IntegerType"
    assert rules["fresh_10"].observed_value == "2025-01-05 (15 days old)"
    assert rules["in_county"].column == "lon,lat" and rules["in_county"].columns == ("lon", "lat")
    assert rules["rows"].column is None and rules["id_valid"].department == "区公安分局"


def test_samples_are_distinct_and_masked_for_sensitive_columns(
    checked: tuple[Suite, SuiteResult, dict[int, list[str]]],
) -> None:
    _, result, _ = checked
    samples = {r.rule_id: r.sample_unexpected for r in result.results}
    assert samples["id_valid"] == ("360404********0016",)
    assert samples["id_unique"] == ("360404********0015",)
    assert samples["phone_mobile"] == ("138**3456",)
    assert samples["id_gender"] == ("360404********0016|女",)
    assert samples["id_birth"] == ("360404********0015|1985-03-16",)
    assert samples["name_length"] == ("欧*",)
    assert samples["score_range"] == ("999",)
    assert set(samples["in_county"]) <= {"29.6|115.9", "null|29.7"} and samples["in_county"]
    assert set(samples["kind_gender_unique"]) <= {"a|男", "b|女"} and samples["kind_gender_unique"]
    assert samples["id_present"] == () and samples["rows"] == ()


def test_failures_array_names_the_row_rules_each_row_fails(
    checked: tuple[Suite, SuiteResult, dict[int, list[str]]],
) -> None:
    _, _, failures = checked
    assert {row: sorted(ids) for row, ids in failures.items()} == {
        1: ["id_unique", "kind_gender_unique"],
        2: ["kind_gender_unique", "phone_when_scored"],
        3: ["closed_after_opened", "id_gender", "id_valid", "in_county", "kind_set", "phone_mobile"],
        4: ["id_present"],
        5: ["id_birth", "id_unique", "in_county", "kind_gender_unique", "score_range"],
        6: ["kind_gender_unique", "name_length"],
    }


def test_a_rule_reading_a_missing_column_names_rule_file_and_line(spark: Any) -> None:
    from lakehub.quality_rules.engine_spark import validate

    frame = spark.createDataFrame(ROWS, SCHEMA).drop("phone")
    with pytest.raises(
        DatasetMismatchError, match=r"Rule 'phone_mobile' in engine.yml line 12 reads column 'phone'"
    ):
        validate(frame, parse_suite(SUITE, "engine.yml"))


def test_without_samples_or_uniqueness_rules_the_suite_is_one_pass(spark: Any) -> None:
    from lakehub.quality_rules.engine_spark import validate

    frame = spark.createDataFrame(ROWS, SCHEMA)
    head, *rules = SUITE.split("\n  - ")
    suite = parse_suite("\n  - ".join([head, *[r for r in rules if "unique" not in r]]), "engine.yml")
    result = validate(frame, suite, as_of=AS_OF, samples=False)
    assert result.data_passes == 1 and not any(r.sample_unexpected for r in result.results)
    assert {r.rule_id: r.unexpected_count for r in result.results}["id_valid"] == 1
