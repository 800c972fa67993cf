"""Great Expectations engine parity: every built-in rule gives the same verdict and counts in both engines.

One small frame with passing, failing and null values; one suite using every registry expectation (with
mostly, row_condition and ignore_row_if cases); each engine runs it once. Where GX defines a count
differently (element_count, table rules) the GX engine maps it, and the mapping is tested here.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest

from lakehub.quality_rules import (
    ENGINES,
    REGISTRY,
    RuleError,
    RuleResult,
    SuiteResult,
    parse_engine,
    parse_suite,
)
from lakehub.quality_rules.cn_codes import make_resident_id, make_uscc

D = dt.date
AS_OF = D(2025, 1, 20)
ID_M, ID_F, ID_F2 = "360404198503150015", "360404199007220023", "36040419590728864X"
ID_BAD = "360404198503150016"  # wrong check digit
ID_FUTURE = make_resident_id("360404", D(2030, 1, 1), 11)
U1, U2 = make_uscc("1", "360404", "MA7K2L3P"), make_uscc("2", "360430", "0123456A")
U_BAD = U1[:-1] + ("0" if U1[-1] != "0" else "1")
SCHEMA = (
    "_row int, id_number string, gender string, birth_date date, uscc string, phone string, area string, "
    "lon double, lat double, score int, kind string, name string, opened date, closed date"
)
# fmt: off
ROWS = [
    (1, ID_M, "男", D(1985, 3, 15), U1, "13812345678", "360404", 115.9, 29.6, 10, "a", "张伟", D(2025, 1, 1), D(2025, 1, 2)),
    (2, ID_F, "女", D(1990, 7, 22), U2, None, "360430", 116.0, 29.7, 20, "b", "李娜", D(2025, 1, 1), None),
    (3, ID_BAD, "女", D(1985, 3, 15), U_BAD, "138123456", "990404", 29.6, 115.9, 30, "c", "王五", D(2025, 1, 3), D(2025, 1, 1)),
    (4, None, None, None, None, None, None, None, None, None, None, None, None, None),
    (5, ID_M, "男", D(1985, 3, 16), U1, "13812345678", "110101", None, 29.7, 999, "a", "赵六", D(2025, 1, 4), D(2025, 1, 4)),
    (6, ID_F2, None, D(1959, 7, 28), U2.lower(), "13612345678", "36040", 116.1, 29.8, 50, "b", "欧阳娜娜", D(2025, 1, 5), D(2025, 1, 5)),
    (7, ID_FUTURE, "男", None, "9136040", "12812345678", "360404", 116.2, None, -5, "a", "孙七", None, D(2025, 1, 6)),
    (8, ID_F, "男", D(1990, 7, 23), None, "15912345678", "360404", 115.6, 29.5, 70, "b", "周八", D(2025, 1, 2), D(2025, 1, 1)),
]
# fmt: on
SUITE = """\
suite: parity
dataset: base.parity
rules:
  - {id: id_present, expectation: expect_column_values_to_not_be_null, column: id_number, dimension: 完整性}
  - {id: phone_when_scored, expectation: expect_column_values_to_not_be_null, column: phone,
     row_condition: score > 15, condition_parser: spark, mostly: 0.6, dimension: 完整性}
  - {id: score_range, expectation: expect_column_values_to_be_between, column: score, min_value: 0,
     max_value: 100, dimension: 准确性}
  - {id: score_mostly, expectation: expect_column_values_to_be_between, column: score, min_value: 0,
     strict_min: true, max_value: 100, strict_max: true, mostly: 0.7, dimension: 准确性}
  - {id: opened_since, expectation: expect_column_values_to_be_between, column: opened, min_value: 2025-01-02,
     dimension: 时效性}
  - {id: kind_set, expectation: expect_column_values_to_be_in_set, column: kind, value_set: [a, b], mostly: 0.8,
     dimension: 规范性}
  - {id: phone_regex, expectation: expect_column_values_to_match_regex, column: phone, regex: '^1[3-9]',
     row_condition: "kind <> 'c'", dimension: 规范性}
  - {id: name_length, expectation: expect_column_value_lengths_to_be_between, column: name, min_value: 2,
     max_value: 3, dimension: 规范性, severity: warn}
  - {id: id_unique, expectation: expect_column_values_to_be_unique, column: id_number, dimension: 一致性}
  - {id: kind_gender_unique, expectation: expect_compound_columns_to_be_unique, column_list: [kind, gender],
     dimension: 一致性}
  - {id: kind_gender_unique_any, expectation: expect_compound_columns_to_be_unique, column_list: [kind, gender],
     ignore_row_if: any_value_is_missing, mostly: 0.5, dimension: 一致性}
  - {id: birth_is_date, expectation: expect_column_values_to_be_of_type, column: birth_date, type_: DateType,
     dimension: 规范性}
  - {id: score_is_int, expectation: expect_column_values_to_be_of_type, column: score, type_: int, dimension: 规范性}
  - {id: score_is_text, expectation: expect_column_values_to_be_of_type, column: score, type_: string,
     dimension: 规范性}
  - {id: fresh_30, expectation: expect_column_max_to_be_within_days, column: opened, max_age_days: 30,
     dimension: 时效性}
  - {id: fresh_10, expectation: expect_column_max_to_be_within_days, column: opened, max_age_days: 10,
     dimension: 时效性}
  - {id: rows, expectation: expect_table_row_count_to_be_between, min_value: 1, max_value: 10, dimension: 完整性}
  - {id: rows_few, expectation: expect_table_row_count_to_be_between, max_value: 5, dimension: 完整性}
  - {id: id_valid, expectation: expect_column_values_to_be_valid_cn_resident_id, column: id_number,
     dimension: 准确性}
  - {id: id_valid_women, expectation: expect_column_values_to_be_valid_cn_resident_id, column: id_number,
     row_condition: "gender = '女'", mostly: 0.5, dimension: 准确性}
  - {id: uscc_valid, expectation: expect_column_values_to_be_valid_cn_uscc, column: uscc, dimension: 准确性}
  - {id: phone_mobile, expectation: expect_column_values_to_be_valid_cn_mobile, column: phone, dimension: 规范性}
  - {id: area_valid, expectation: expect_column_values_to_be_valid_cn_admin_code, column: area, dimension: 规范性}
  - {id: area_jiujiang, expectation: expect_column_values_to_be_valid_cn_admin_code, column: area,
     prefix: '3604', value_set: ['360404', '360430', '110101'], mostly: 0.5, dimension: 规范性}
  - {id: in_county, expectation: expect_column_pair_values_to_be_in_bbox, column_A: lon, column_B: lat,
     dimension: 准确性}
  - {id: in_county_complete, expectation: expect_column_pair_values_to_be_in_bbox, column_A: lon, column_B: lat,
     ignore_row_if: either_value_is_missing, bbox: [115.0, 29.0, 116.5, 30.0], dimension: 准确性}
  - {id: closed_after_opened, expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: closed,
     column_B: opened, or_equal: true, ignore_row_if: either_value_is_missing, dimension: 一致性}
  - {id: closed_strictly_after, expectation: expect_column_pair_values_A_to_be_greater_than_B, column_A: closed,
     column_B: opened, ignore_row_if: either_value_is_missing, mostly: 0.2, dimension: 一致性}
  - {id: id_gender, expectation: expect_column_pair_values_to_match_cn_resident_id_gender, column_A: id_number,
     column_B: gender, dimension: 一致性}
  - {id: id_gender_all_rows, expectation: expect_column_pair_values_to_match_cn_resident_id_gender,
     column_A: id_number, column_B: gender, ignore_row_if: neither, dimension: 一致性}
  - {id: id_birth, expectation: expect_column_pair_values_to_match_cn_resident_id_birth_date,
     column_A: id_number, column_B: birth_date, dimension: 一致性}
  - {id: id_birth_women, expectation: expect_column_pair_values_to_match_cn_resident_id_birth_date,
     column_A: id_number, column_B: birth_date, row_condition: "gender = '女'", dimension: 一致性}
  - {id: closed_not_before_opened, expectation: expect_rows_to_satisfy_sql_predicate, predicate: closed >= opened,
     column_list: [closed, opened], dimension: 一致性}
  - {id: score_positive_mostly, expectation: expect_rows_to_satisfy_sql_predicate, predicate: score > 0,
     column_list: [score], mostly: 0.8, dimension: 准确性}
  - {id: kind_a_score_small, expectation: expect_rows_to_satisfy_sql_predicate, predicate: score < 500,
     column_list: [name, score], row_condition: "kind = 'a'", dimension: 准确性}
  - {id: some_date_present, expectation: expect_rows_to_satisfy_sql_predicate,
     predicate: opened IS NOT NULL OR closed IS NOT NULL, dimension: 完整性}
"""
PARITY_SUITE = parse_suite(SUITE, "parity.yml")
# Cross-table rules read several datasets, outside GX's one-batch validation (refused by the gx engine,
# tested below); every single-frame rule is in the parity suite.
RULE_IDS = [rule.id for rule in PARITY_SUITE.rules]


@pytest.fixture(scope="module")
def frame(spark: Any) -> Any:
    cached = spark.createDataFrame(ROWS, SCHEMA).cache()
    yield cached
    cached.unpersist()


@pytest.fixture(scope="module")
def engines(frame: Any) -> dict[str, SuiteResult]:
    from lakehub.quality_rules import validate_frame

    return {
        engine: validate_frame(
            frame, PARITY_SUITE, engine=parse_engine(engine), as_of=AS_OF, sensitivity={"name": "name"}
        )
        for engine in ENGINES
    }


def _rule(result: SuiteResult, rule_id: str) -> RuleResult:
    return next(r for r in result.results if r.rule_id == rule_id)


def test_the_parity_suite_uses_every_registry_expectation_and_gx_maps_each() -> None:
    from lakehub.quality_rules.engine_gx import GX_EXPECTATIONS

    single_frame = {name for name, entry in REGISTRY.items() if not entry.is_cross}
    assert {rule.expectation for rule in PARITY_SUITE.rules} == single_frame
    assert set(GX_EXPECTATIONS) == single_frame


def test_the_gx_engine_refuses_a_cross_table_rule_naming_the_fix() -> None:
    from lakehub.quality_rules.engine_gx import to_gx_expectation

    suite = parse_suite(
        "suite: p\ndatasets: {pay: base.pay, people: base.people}\nrules:\n"
        "  - {expectation: expect_column_values_to_exist_in_other_dataset, dataset: pay, column: id,"
        " other_dataset: people, dimension: 一致性}\n",
        "p.yml",
    )
    with pytest.raises(RuleError, match="cross-table rules run on the one-pass engine"):
        to_gx_expectation(suite.rules[0])


@pytest.mark.spark
@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_both_engines_give_the_same_verdict_and_counts(engines: dict[str, SuiteResult], rule_id: str) -> None:
    ours, theirs = _rule(engines["spark"], rule_id), _rule(engines["gx"], rule_id)
    assert (theirs.success, theirs.unexpected_count, theirs.element_count) == (
        ours.success,
        ours.unexpected_count,
        ours.element_count,
    )
    assert theirs.unexpected_percent == pytest.approx(ours.unexpected_percent)
    assert theirs.observed_value == ours.observed_value
    assert theirs.sample_unexpected == ours.sample_unexpected, "≤5 distinct failures: GX's list holds all"


@pytest.mark.spark
def test_the_parity_data_passes_and_fails_rules_of_every_kind(engines: dict[str, SuiteResult]) -> None:
    result = engines["gx"]
    assert result.row_count == engines["spark"].row_count == len(ROWS)
    failed = {r.rule_id for r in result.failed}
    passed = {r.rule_id for r in result.results} - failed
    assert {
        "id_valid",
        "uscc_valid",
        "phone_mobile",
        "area_valid",
        "in_county",
        "id_gender",
        "id_birth",
        "closed_not_before_opened",
        "kind_a_score_small",
        "some_date_present",
    } <= failed
    assert {
        "kind_set",
        "score_mostly",
        "id_valid_women",
        "area_jiujiang",
        "closed_strictly_after",
        "rows",
        "score_positive_mostly",
    } <= passed
    assert {"fresh_30", "birth_is_date", "score_is_int"} <= passed and {
        "fresh_10",
        "rows_few",
        "score_is_text",
    } <= failed
    assert sum(r.unexpected_count for r in result.results) > 20


@pytest.mark.spark
def test_gx_runs_many_spark_jobs_where_the_one_pass_engine_reads_the_data_twice(
    engines: dict[str, SuiteResult],
) -> None:
    assert engines["spark"].data_passes == 2
    assert engines["gx"].data_passes > 3 * len(RULE_IDS) // 2


@pytest.mark.spark
def test_gx_element_count_counts_the_domain_so_the_engine_subtracts_missing_rows(frame: Any) -> None:
    """GX counts every row of the domain as an element and reports skipped (null, ignored) rows as missing."""
    from lakehub.quality_rules.engine_gx import _batch, to_gx_expectation

    _, batch = _batch(frame)
    rules = {"id_valid": 7, "in_county": 7, "phone_when_scored": 5, "kind_a_score_small": 3}  # lakehub's
    # GX's: row_condition score > 15 keeps 5 rows, kind = 'a' 3; a predicate skips no row (null satisfies it)
    domains = {"id_valid": 8, "in_county": 8, "phone_when_scored": 5, "kind_a_score_small": 3}
    for rule_id, elements in rules.items():
        raw = batch.validate(to_gx_expectation(PARITY_SUITE.rule(rule_id), as_of=AS_OF)).result
        assert raw["element_count"] == domains[rule_id]
        assert raw["element_count"] - raw.get("missing_count", 0) == elements
    for engine in ("spark", "gx"):
        from lakehub.quality_rules import validate_frame

        result = validate_frame(frame, PARITY_SUITE, engine=parse_engine(engine), as_of=AS_OF, samples=False)
        assert {r.rule_id: r.element_count for r in result.results if r.rule_id in rules} == rules


@pytest.mark.spark
def test_the_sql_predicate_counts_false_rows_only_and_samples_the_masked_column_list(
    engines: dict[str, SuiteResult],
) -> None:
    for engine in ("spark", "gx"):
        found = {
            r.rule_id: (r.element_count, r.unexpected_count, r.sample_unexpected)
            for r in engines[engine].results
            if r.expectation == "expect_rows_to_satisfy_sql_predicate"
        }
        assert found == {
            "closed_not_before_opened": (8, 2, ("2025-01-01|2025-01-02", "2025-01-01|2025-01-03")),
            "score_positive_mostly": (8, 1, ("-5",)),
            "kind_a_score_small": (3, 1, ("赵*|999",)),
            "some_date_present": (8, 1, ()),
        }, engine


@pytest.mark.spark
def test_gx_builtin_greater_than_lets_a_row_with_one_missing_value_pass_where_lakehub_fails_it(
    frame: Any,
) -> None:
    """Known difference: GX's Spark `a_greater_than_b` compares with SQL null semantics, so under
    ignore_row_if both_values_are_missing (GX's default) a row with one missing value passes; lakehub (like
    GX's pandas engine) fails it. Suites write `ignore_row_if: either_value_is_missing` (all built-in suites
    do), where both engines agree (test above)."""
    from lakehub.quality_rules import validate_frame

    text = SUITE.split("rules:")[0] + (
        "rules:\n  - {id: closed_after, expectation: expect_column_pair_values_A_to_be_greater_than_B,"
        " column_A: closed, column_B: opened, or_equal: true, dimension: 一致性}\n"
    )
    suite = parse_suite(text, "pair.yml")
    ours, theirs = (validate_frame(frame, suite, engine=e, samples=False).results[0] for e in ("spark", "gx"))
    one_missing = 2  # rows 2 (no closed) and 7 (no opened)
    assert ours.element_count == theirs.element_count == 7
    assert ours.unexpected_count == theirs.unexpected_count + one_missing == 2 + one_missing


def test_an_unknown_engine_is_an_error_listing_the_valid_engines() -> None:
    with pytest.raises(RuleError, match=r"'great' is not a valid engine\. Valid engines: spark, gx\."):
        parse_engine("great")


def test_importing_the_rule_library_imports_neither_pyspark_nor_great_expectations() -> None:
    code = (
        "import sys, lakehub.quality_rules, lakehub.cli.main; "
        "assert not {'pyspark', 'great_expectations'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quality_check_rejects_an_unknown_engine_before_reading_anything(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from lakehub.cli.quality import app

    result = CliRunner().invoke(
        app, ["check", str(tmp_path / "x.csv"), "--suite", "population", "--engine", "ge"]
    )
    assert result.exit_code != 0 and isinstance(result.exception, RuleError)
    assert "Valid engines: spark, gx" in str(result.exception)
