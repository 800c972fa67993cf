"""Stored validation results: history, rule trends, failing-row issues, and scores with trends (no Spark)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lakehub.catalog import (
    CatalogError,
    CatalogStore,
    DatasetNotFoundError,
    UnknownDepartmentError,
    ValidationSubject,
)
from lakehub.quality_rules import RuleError
from lakehub.quality_rules.recording import FailingRow, issue_values, masked_key, record_suite_result
from lakehub.quality_rules.scores import compute_scores, quality_scores, rule_pass_rate
from tests.helpers import ID_MALE_1985
from tests.quality_helpers import (
    ID_RULE,
    PHONE_RULE,
    SENSITIVITY,
    T0,
    population_result,
    record,
    register_base,
    rule,
)


@pytest.fixture
def store() -> CatalogStore:
    with CatalogStore.open("sqlite://") as opened:
        register_base(opened, "population")
        register_base(opened, "housing")
        yield opened


def test_record_validation_stores_every_rule_field_and_defaults_department_to_the_owner(
    store: CatalogStore,
) -> None:
    result = population_result()
    run_id = store.start_run("quality.run", "quality")
    stored = record_suite_result(store, result, dataset="population", run_id=run_id, delta_version=3)
    assert stored.dataset == "base.population" and stored.department == "区公安分局"
    assert stored.delta_version == 3 and stored.engine == "spark" and stored.outcome == "failed"
    assert stored.rules_total == 3 and stored.rules_failed == 2 and stored.row_count == 100
    by_id = {r.rule_id: r for r in stored.rules}
    original = {r.rule_id: r for r in result.results}
    for rule_id, r in by_id.items():
        o = original[rule_id]
        assert (r.expectation, r.column, r.columns, r.severity, r.dimension, r.department, r.description) == (
            o.expectation,
            o.column,
            o.columns,
            o.severity,
            o.dimension,
            o.department,
            o.description,
        )
        assert (r.success, r.element_count, r.unexpected_count, r.unexpected_percent) == (
            o.success,
            o.element_count,
            o.unexpected_count,
            o.unexpected_percent,
        )
        assert r.sample_unexpected == o.sample_unexpected
    assert [r.rule_id for r in stored.rules] == [r.rule_id for r in result.results], "suite order kept"


def test_history_is_kept_and_a_rules_trend_is_queryable(store: CatalogStore) -> None:
    for day, bad in enumerate((9, 4, 0)):
        record(store, population_result(bad_ids=bad), at=T0 + timedelta(days=day), version=day)
    trend = store.rule_history("base.population", ID_RULE)
    assert [p.unexpected_count for p in trend] == [9, 4, 0]
    assert [p.delta_version for p in trend] == [0, 1, 2] and [p.success for p in trend] == [
        False,
        False,
        True,
    ]
    history = store.validation_history("population")
    assert [v.delta_version for v in history] == [2, 1, 0]
    latest = store.latest_validations(per_dataset=2)
    assert [v.delta_version for v in latest] == [2, 1]


def test_recording_a_table_validation_of_an_unknown_dataset_names_close_matches(store: CatalogStore) -> None:
    run_id = store.start_run("quality.run", "quality")
    with pytest.raises(DatasetNotFoundError, match=r"base\.population"):
        record_suite_result(store, population_result(), dataset="base.populaton", run_id=run_id)


def test_file_validations_are_stored_apart_from_table_validations(store: CatalogStore) -> None:
    run_id = store.start_run("quality.check", "quality")
    record_suite_result(
        store,
        population_result(),
        dataset="/landing/ga_population.csv",
        run_id=run_id,
        input_sha256="ab" * 32,
        subject=ValidationSubject.FILE,
    )
    assert store.latest_validations() == []
    files = store.latest_validations(subject=ValidationSubject.FILE)
    assert files[0].input_sha256 == "ab" * 32 and files[0].dataset == "/landing/ga_population.csv"
    assert store.validation_history("/landing/ga_population.csv")[0].id == files[0].id


def test_issue_values_mask_keys_and_values_and_give_a_chinese_reason_and_fix() -> None:
    result = population_result(bad_ids=1, bad_phones=0)
    row = FailingRow(
        rule_id=ID_RULE,
        key=(("id_number", ID_MALE_1985),),
        values={"id_number": ID_MALE_1985},
        source_file="ga_population.csv",
        source_row=7,
    )
    (issue,) = issue_values(result, [row], department="区公安分局", sensitivity=SENSITIVITY)  # type: ignore[arg-type]  # literal kinds
    assert issue.record_key == "360404********0015" and issue.value == "360404********0015"
    assert ID_MALE_1985 not in repr(issue)
    assert issue.reason == "公民身份号码须符合GB 11643" and "身份证原件" in issue.suggested_fix
    assert (issue.source_file, issue.source_row, issue.field) == ("ga_population.csv", 7, "id_number")


def test_composite_keys_mask_each_sensitive_part() -> None:
    key = (("id_number", ID_MALE_1985), ("month", "2026-01"))
    assert masked_key(key, SENSITIVITY) == "id_number=360404********0015; month=2026-01"  # type: ignore[arg-type]  # literal kinds


def test_issues_come_from_each_datasets_newest_validation_only(store: CatalogStore) -> None:
    record(store, population_result(bad_ids=3, bad_phones=1), at=T0)
    record(store, population_result(bad_ids=1, bad_phones=0), at=T0 + timedelta(days=1), version=1)
    issues = store.list_issues(department="区公安分局")
    assert [i.rule_id for i in issues] == [ID_RULE]
    assert issues[0].record_key.count("*") == 8 and issues[0].validated_at == T0 + timedelta(days=1)


def test_unknown_department_lists_the_valid_ones(store: CatalogStore) -> None:
    with pytest.raises(UnknownDepartmentError, match="区公安分局") as caught:
        store.list_issues(department="公安局")
    assert "区住房和城乡建设局" in str(caught.value) and "Fix:" in str(caught.value)


def test_rule_pass_rate_uses_counts_and_table_rules_use_success() -> None:
    assert rule_pass_rate(_record(rule(ID_RULE, elements=200, unexpected=50))) == 0.75
    assert (
        rule_pass_rate(_record(rule("expect_table_row_count_to_be_between", observed="0", success=False)))
        == 0
    )
    assert rule_pass_rate(_record(rule(PHONE_RULE, elements=0, unexpected=0))) == 1.0


def _record(result: object) -> object:
    from lakehub.quality_rules.recording import rule_values

    return rule_values(result)  # type: ignore[arg-type]  # RuleResult built by the helper


def test_scores_weight_errors_twice_and_show_the_trend(store: CatalogStore) -> None:
    record(store, population_result(bad_ids=10, bad_phones=40), at=T0)
    record(store, population_result(bad_ids=2, bad_phones=40), at=T0 + timedelta(days=1), version=1)
    (score,) = quality_scores(store, "dataset")
    # rules: id 98% (w2), phone 60% (w1), gender 100% (w2) → (196 + 60 + 200) / 5 = 91.2
    assert score.group == "base.population" and score.score == 91.2
    # before: id 90% → (180 + 60 + 200) / 5 = 88.0
    assert score.previous == 88.0 and score.delta == 3.2 and score.trend == "▲"
    assert score.rules == 3 and score.failed_rules == 2
    dims = {s.group: s for s in quality_scores(store, "dimension")}
    assert dims["规范性"].score == 60.0 and dims["一致性"].score == 100.0 and dims["一致性"].trend == "＝"
    (dept,) = quality_scores(store, "department")
    assert dept.group == "区公安分局" and dept.score == 91.2


def test_scores_without_a_previous_validation_have_no_trend(store: CatalogStore) -> None:
    record(store, population_result(), at=T0)
    (score,) = compute_scores(store.latest_validations(per_dataset=2), "dataset")
    assert score.previous is None and score.delta is None and score.trend == ""


def test_scores_reject_an_unknown_grouping(store: CatalogStore) -> None:
    with pytest.raises(RuleError, match="Valid values are: dataset, department, dimension"):
        quality_scores(store, "town")


def test_a_run_must_exist_before_its_validation_is_recorded(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="not-a-run"):
        record_suite_result(store, population_result(), dataset="base.population", run_id="not-a-run")
