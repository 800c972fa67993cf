"""Cross-table rules: referential, one-source conflicts, cross-table order, custom SQL, and the sample hub suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehub.pipelines.sources import load_sources
from lakehub.quality_rules import (
    DatasetMismatchError,
    RuleConfigError,
    load_builtin_suite,
    parse_suite,
    validate_datasets,
)
from lakehub.sample_data import Manifest, generate_sample

SCALE, SEED = 200, 7
# cross_hub rule id → (source whose rows it checks, defect kinds whose rows, and only those, it must flag).
HUB_TARGETS: dict[str, tuple[str, frozenset[str]]] = {
    "payment_recipient_in_population": ("assistance_payment", frozenset()),
    "insured_person_in_population": ("social_insurance", frozenset({"id_check_digit"})),
    "house_owner_in_population": ("housing", frozenset()),
    "legal_rep_in_population": ("market_entity", frozenset()),
    "farm_head_in_population": ("agri_operator", frozenset()),
    "employer_in_market": ("social_insurance", frozenset()),
    "cooperative_in_market": ("agri_operator", frozenset()),
    "insured_address_matches_household": ("social_insurance", frozenset({"address_conflict"})),
    "no_payment_after_death": ("assistance_payment", frozenset({"deceased_still_paid"})),
    "custody_person_in_population": ("custody", frozenset()),
    "no_payment_in_custody": ("assistance_payment", frozenset({"imprisoned_still_paid"})),
}
# Single-table logical-consistency rules over the same frames (validate_datasets runs them too).
SINGLE_TARGETS: dict[tuple[str, str], frozenset[str]] = {
    ("population", "expect_column_pair_values_to_match_cn_resident_id_gender:id_number,gender"): frozenset(
        {"gender_mismatch"}
    ),
    (
        "population",
        "expect_column_pair_values_to_match_cn_resident_id_birth_date:id_number,birth_date",
    ): frozenset({"birth_date_mismatch"}),
    ("grid_event", "expect_column_pair_values_A_to_be_greater_than_B:closed_at,created_at"): frozenset(
        {"closed_before_created"}
    ),
    (
        "market_entity",
        "expect_column_pair_values_A_to_be_greater_than_B:deregistered_date,established_date",
    ): frozenset({"closed_before_created"}),
}
CROSS_KINDS = {"deceased_still_paid", "imprisoned_still_paid", "address_conflict", "closed_before_created"}

TWO_DATASETS = """\
suite: pair
datasets:
  people: base.people
  pay: base.pay
sensitive: {id: resident_id}
rules:
"""


def _suite(rules: str, header: str = TWO_DATASETS) -> Any:
    return parse_suite(header + rules, "tests/pair.yml")


def test_cross_suite_names_datasets_and_defaults_its_own_to_the_first() -> None:
    suite = _suite(
        "  - {expectation: expect_column_values_to_exist_in_other_dataset, dataset: pay, column: id,"
        " other_dataset: people, dimension: 一致性}\n"
    )
    assert suite.dataset == "base.people" and suite.is_cross
    assert suite.required_datasets == ("base.pay", "base.people")
    assert suite.rules[0].id == "expect_column_values_to_exist_in_other_dataset:id"


def test_rule_naming_an_undeclared_dataset_fails_with_file_line_and_fix() -> None:
    with pytest.raises(
        RuleConfigError, match=r"dataset 'persons'.* tests/pair.yml line 7.*persons: tier.name"
    ):
        _suite(
            "  - {expectation: expect_column_values_to_exist_in_other_dataset, dataset: pay, column: id,"
            " other_dataset: persons, dimension: 一致性}\n"
        )
    with pytest.raises(RuleConfigError, match=r"\{alias\}"):
        _suite(
            "  - {expectation: unexpected_rows_expectation, dimension: 一致性,"
            " unexpected_rows_query: 'SELECT * FROM {}'}\n"
        )


def test_single_table_suites_keep_their_shape() -> None:
    suite = load_builtin_suite("population")
    assert not suite.is_cross and suite.required_datasets == ("base.population",)


@pytest.mark.spark
def test_referential_rule_flags_values_missing_from_the_other_dataset_and_ignores_nulls(spark: Any) -> None:
    people = spark.createDataFrame([("A",), ("B",)], "id string")
    pay = spark.createDataFrame(
        [("P1", "A"), ("P2", "C"), ("P3", None), ("P4", "C")], "pid string, id string"
    )
    suite = _suite(
        "  - {expectation: expect_column_values_to_exist_in_other_dataset, dataset: pay, column: id,"
        " other_dataset: people, dimension: 一致性, department: 民政}\n"
    )
    result = validate_datasets({"base.people": people, "base.pay": pay}, suite).results[0]
    assert (result.element_count, result.unexpected_count, result.success) == (3, 2, False)
    assert result.dataset == "base.pay" and result.other_dataset == "base.people"
    assert result.sample_unexpected == ("*",), "the suite marks id as a resident ID, so samples are masked"


@pytest.mark.spark
def test_one_source_conflict_is_reported_to_both_departments(spark: Any) -> None:
    people = spark.createDataFrame(
        [("A", "江西省九江市柴桑区甲村1号"), ("B", "江西省九江市柴桑区乙村2号")], "id string, home string"
    )
    pay = spark.createDataFrame(
        [("A", "江西省九江市柴桑区甲村1号"), ("B", "江西省九江市柴桑区丙村3号"), ("C", "x"), ("A", None)],
        "id string, addr string",
    )
    suite = _suite(
        "  - {expectation: expect_column_values_to_agree_with_other_dataset, dataset: pay, key: [id],"
        " column: addr, other_dataset: people, other_column: home, dimension: 一致性,"
        " department: 人社, other_department: 公安}\n"
    )
    result = validate_datasets(
        {"base.people": people, "base.pay": pay},
        suite,
        sensitivity={"base.pay": {"addr": "address"}, "base.people": {"home": "address"}},
    ).results[0]
    assert (result.element_count, result.unexpected_count) == (2, 1)
    assert result.departments == ("人社", "公安")
    assert result.sample_unexpected == ("*|江西省九江市****|江西省九江市****",)


@pytest.mark.spark
def test_value_after_the_other_datasets_date_is_unexpected(spark: Any) -> None:
    import datetime as dt

    people = spark.createDataFrame([("A", dt.date(2025, 3, 1)), ("B", None)], "id string, death_date date")
    pay = spark.createDataFrame(
        [
            ("A", dt.date(2025, 3, 1)),
            ("A", dt.date(2025, 4, 5)),
            ("B", dt.date(2025, 4, 5)),
            ("Z", dt.date(2025, 1, 1)),
        ],
        "id string, pay_date date",
    )
    suite = _suite(
        "  - {expectation: expect_column_values_to_be_less_than_other_dataset_column, dataset: pay,"
        " key: [id], column: pay_date, other_dataset: people, other_column: death_date, or_equal: true,"
        " dimension: 一致性}\n"
    )
    result = validate_datasets({"base.people": people, "base.pay": pay}, suite).results[0]
    assert (result.element_count, result.unexpected_count) == (2, 1), (
        "living and unknown people are not elements"
    )


@pytest.mark.spark
def test_sql_predicate_and_query_rules_count_failing_rows(spark: Any) -> None:
    people = spark.createDataFrame([("A", "死亡注销"), ("B", "正常")], "id string, status string")
    pay = spark.createDataFrame([("A", 10), ("B", -1), ("B", None)], "id string, amount int")
    header = TWO_DATASETS.replace(
        "people: base.people\n  pay: base.pay", "pay: base.pay\n  people: base.people"
    )
    suite = _suite(
        "  - {expectation: expect_rows_to_satisfy_sql_predicate, predicate: 'amount > 0',"
        " column_list: [amount], dimension: 准确性}\n"
        "  - expectation: unexpected_rows_expectation\n"
        "    dataset: pay\n"
        "    unexpected_rows_query: SELECT p.id FROM {pay} p JOIN {people} q ON p.id = q.id"
        " WHERE q.status = '死亡注销'\n"
        "    sample_columns: [id]\n"
        "    dimension: 一致性\n",
        header,
    )
    predicate, query = validate_datasets({"base.people": people, "base.pay": pay}, suite).results
    assert (predicate.element_count, predicate.unexpected_count, predicate.sample_unexpected) == (
        3,
        1,
        ("-1",),
    )
    assert (query.element_count, query.unexpected_count, query.sample_unexpected) == (3, 1, ("*",))


@pytest.mark.spark
def test_bad_sql_fails_before_reading_data_naming_file_line_and_rule(spark: Any) -> None:
    people = spark.createDataFrame([("A",)], "id string")
    pay = spark.createDataFrame([("A", 1)], "id string, amount int")
    frames = {"base.people": people, "base.pay": pay}
    header = TWO_DATASETS.replace(
        "people: base.people\n  pay: base.pay", "pay: base.pay\n  people: base.people"
    )
    bad_predicate = _suite(
        "  - {expectation: expect_rows_to_satisfy_sql_predicate, id: positive, predicate: 'amount > AND 0',"
        " dimension: 准确性}\n",
        header,
    )
    with pytest.raises(RuleConfigError, match=r"Rule 'positive' has a predicate .* tests/pair.yml line 7"):
        validate_datasets(frames, bad_predicate)
    unknown_column = _suite(
        "  - {expectation: unexpected_rows_expectation, id: q, dataset: pay, dimension: 一致性,"
        " unexpected_rows_query: 'SELECT nope FROM {pay}'}\n",
        header,
    )
    with pytest.raises(RuleConfigError, match=r"Rule 'q' has SQL .*nope.* line 7"):
        validate_datasets(frames, unknown_column)
    referential = _suite(
        "  - {expectation: expect_column_values_to_exist_in_other_dataset, dataset: pay, column: id,"
        " other_dataset: people, dimension: 一致性}\n"
    )
    with pytest.raises(DatasetMismatchError, match=r"reads base.people.*Fix"):
        validate_datasets({"base.pay": pay}, referential)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    folder = tmp_path_factory.mktemp("cross_sample")
    return folder, generate_sample(folder, scale=SCALE, seed=SEED)


@pytest.fixture(scope="module")
def frames(spark: Any, sample: tuple[Path, Manifest]) -> dict[str, Any]:
    """Every sample source standardised as landing does (not landed), by `base.<source>`."""
    from lakehub.pipelines.classify import read_staged, standardise_rows
    from lakehub.pipelines.intake import stage_file

    folder, manifest = sample
    specs = load_sources()
    found = {}
    for source in manifest.sources:
        staged = stage_file(
            folder / manifest.sources[source].file, specs[source], folder / "staged" / f"{source}.txt"
        )
        rows = standardise_rows(read_staged(spark, staged, specs[source]), specs[source])
        found[f"base.{source}"] = rows.drop("_reasons").cache()
    return found


def _rows(manifest: Manifest, source: str, kinds: frozenset[str]) -> set[int]:
    return {d.row for d in manifest.defects if d.source == source and d.kind in kinds}


@pytest.mark.spark
def test_hub_suite_flags_exactly_the_cross_table_defects_it_targets(
    frames: dict[str, Any], sample: tuple[Path, Manifest]
) -> None:
    from lakehub.quality_rules.engine_cross import failing_rows

    _, manifest = sample
    suite = load_builtin_suite("cross_hub")
    flagged = failing_rows(frames, suite)
    for rule_id, (source, kinds) in HUB_TARGETS.items():
        expected = _rows(manifest, source, kinds)
        assert not kinds or expected, f"the sample has no {sorted(kinds)} defects in {source}"
        assert suite.dataset_of(suite.rule(rule_id).kwargs.dataset) == f"base.{source}"
        assert {r["_row"] for r in flagged[rule_id].select("_row").collect()} == expected, rule_id
    assert flagged["deceased_still_contributing"].count() == 0
    result = {r.rule_id: r for r in validate_datasets(frames, suite).results}
    for rule_id, (source, kinds) in HUB_TARGETS.items():
        assert result[rule_id].unexpected_count == len(_rows(manifest, source, kinds)), rule_id
        assert result[rule_id].element_count > 0, rule_id
    conflict = result["insured_address_matches_household"]
    assert conflict.departments == ("区人力资源和社会保障局", "区公安分局")
    assert all("****" in s for s in conflict.sample_unexpected), "addresses and IDs are masked"


@pytest.mark.spark
def test_logical_consistency_defects_are_caught_by_their_rules_through_validate_datasets(
    frames: dict[str, Any], sample: tuple[Path, Manifest]
) -> None:
    from lakehub.quality_rules.engine_cross import failing_rows

    _, manifest = sample
    covered = set()
    for (source, rule_id), kinds in SINGLE_TARGETS.items():
        suite = load_builtin_suite(source)
        flagged = failing_rows({f"base.{source}": frames[f"base.{source}"]}, suite)
        expected = _rows(manifest, source, kinds)
        assert expected and {r["_row"] for r in flagged[rule_id].select("_row").collect()} == expected
        result = validate_datasets({f"base.{source}": frames[f"base.{source}"]}, suite, samples=False)
        assert result.results[[r.id for r in suite.rules].index(rule_id)].unexpected_count == len(expected)
        covered |= kinds
    covered |= {k for _, kinds in HUB_TARGETS.values() for k in kinds}
    assert covered >= CROSS_KINDS


def test_checking_one_delivered_file_against_a_cross_table_suite_says_what_to_run() -> None:
    from lakehub.quality_rules import RuleError, builtin_cross_suite_names
    from lakehub.quality_rules.check import check_frame

    assert builtin_cross_suite_names() == ("cross_hub",)
    with pytest.raises(RuleError, match=r"cross-table.*base.assistance_payment.*lakehub quality run"):
        check_frame(None, load_builtin_suite("cross_hub"))  # type: ignore[arg-type]  # refused before use
