"""Suite YAML loading: valid suites load, and every mistake names file, line, rule and the fix (no Spark)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lakehub.quality_rules import (
    REGISTRY,
    RuleConfigError,
    SuiteFileError,
    SuiteNotFoundError,
    UnknownExpectationError,
    builtin_suite_names,
    load_builtin_suite,
    load_suite,
    parse_suite,
    resolve_suite,
)
from lakehub.quality_rules.column_rules import BetweenKwargs
from lakehub.quality_rules.pair_rules import COUNTY_BBOX, BboxKwargs
from lakehub.sample_data import SOURCE_IDS

VALID = """\
suite: population
dataset: base.population
department: 区公安分局
rules:
  - expectation: expect_column_values_to_be_valid_cn_resident_id
    column: id_number
    severity: error
    dimension: 准确性
    description: 公民身份号码须符合GB 11643
  - expectation: expect_column_values_to_be_between
    column: birth_date
    min_value: 1900-01-01
    max_value: 2025-12-31
    mostly: 0.99
    severity: warn
    dimension: 准确性
    department: 区民政局
  - expectation: expect_column_pair_values_to_be_in_bbox
    column_A: lon
    column_B: lat
    dimension: 准确性
  - expectation: expect_column_values_to_be_between
    column: age
    min_value: 0
    dimension: 准确性
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suites" / "x.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_suite_loads_with_typed_kwargs_defaults_and_ids(tmp_path: Path) -> None:
    suite = load_suite(_write(tmp_path, VALID))
    assert (suite.suite, suite.dataset, len(suite.rules)) == ("population", "base.population", 4)
    resident, birth, bbox, age = suite.rules
    assert resident.id == "expect_column_values_to_be_valid_cn_resident_id:id_number"
    assert resident.department == "区公安分局" and resident.line == 5 and resident.columns == ("id_number",)
    assert isinstance(birth.kwargs, BetweenKwargs) and str(birth.kwargs.min_value) == "1900-01-01"
    assert birth.kwargs.mostly == 0.99 and birth.severity == "warn" and birth.department == "区民政局"
    assert (
        isinstance(bbox.kwargs, BboxKwargs) and bbox.kwargs.bbox == COUNTY_BBOX and bbox.severity == "error"
    )
    assert age.id == "expect_column_values_to_be_between:age"
    assert suite.rule(age.id) is age


def test_repeated_rules_get_distinct_default_ids() -> None:
    text = VALID.replace("column: age", "column: birth_date")
    ids = [r.id for r in parse_suite(text, "x.yml").rules]
    assert ids[1] == "expect_column_values_to_be_between:birth_date"
    assert ids[3] == "expect_column_values_to_be_between:birth_date#2"


def test_unknown_expectation_names_file_line_valid_names_and_closest_match(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        VALID.replace("expect_column_pair_values_to_be_in_bbox", "expect_colum_values_to_not_be_null"),
    )
    with pytest.raises(UnknownExpectationError) as caught:
        load_suite(path)
    message = str(caught.value)
    assert message.startswith(
        f"Unknown expectation 'expect_colum_values_to_not_be_null' in {path} line 18. Valid names: "
    )
    assert all(name in message for name in REGISTRY)
    assert "Did you mean 'expect_column_values_to_not_be_null'?" in message
    assert caught.value.line == 18


def test_bad_kwarg_value_names_file_line_rule_index_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace("mostly: 0.99", "mostly: lots"))
    with pytest.raises(RuleConfigError) as caught:
        load_suite(path)
    message = str(caught.value)
    assert "Rule 2 (expect_column_values_to_be_between)" in message and "field 'mostly'" in message
    assert f"{path} line 14" in message and "Fix:" in message


def test_unknown_kwarg_suggests_the_field_meant(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError) as caught:
        parse_suite(VALID.replace("    min_value: 0\n", "    min_valu: 0\n"), "suites/x.yml")
    message = str(caught.value)
    assert "Rule 4 (expect_column_values_to_be_between) has unknown field 'min_valu'" in message
    assert "suites/x.yml line 24" in message and "Did you mean 'min_value'?" in message


def test_missing_required_field_and_bad_dimension_are_reported_with_lines() -> None:
    with pytest.raises(RuleConfigError, match=r"Rule 3 .* lacks required field 'column_A' in x.yml line 18"):
        parse_suite(VALID.replace("    column_A: lon\n", ""), "x.yml")
    with pytest.raises(RuleConfigError, match=r"field 'dimension'.* in x.yml line 8"):
        parse_suite(
            VALID.replace(
                "dimension: 准确性\n    description: 公民", "dimension: 准确\n    description: 公民"
            ),
            "x.yml",
        )


def test_rule_level_constraints_are_reported_at_the_rule_line() -> None:
    text = VALID.replace("    min_value: 0\n", "")
    with pytest.raises(
        RuleConfigError, match=r"Rule 4 .* is invalid: .*min_value, max_value or both.* line 22"
    ):
        parse_suite(text, "x.yml")
    unique = "suite: s\ndataset: base.t\nrules:\n  - expectation: expect_column_values_to_be_unique\n    column: a\n"
    unique += "    row_condition: a > 1\n    dimension: 一致性\n"
    with pytest.raises(RuleConfigError, match="row_condition is supported only by per-row"):
        parse_suite(unique, "x.yml")


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace("    column: age\n", "    column: [age\n"))
    with pytest.raises(SuiteFileError) as caught:
        load_suite(path)
    assert "Invalid YAML" in str(caught.value) and caught.value.line is not None
    assert caught.value.line in (23, 24) and f"{path} line {caught.value.line}" in str(caught.value)


def test_suite_level_mistakes_name_the_key() -> None:
    with pytest.raises(SuiteFileError, match=r"field 'rules'.* line 3"):
        parse_suite("suite: s\ndataset: base.t\nrules: []\n", "x.yml")
    with pytest.raises(SuiteFileError, match="A suite must be a mapping"):
        parse_suite("- a\n- b\n", "x.yml")
    with pytest.raises(RuleConfigError, match="Rule id 'r1' is used twice"):
        rule = (
            "  - {expectation: expect_column_values_to_not_be_null, column: a, id: r1, dimension: 完整性}\n"
        )
        parse_suite("suite: s\ndataset: base.t\nrules:\n" + rule + rule, "x.yml")


def test_every_sample_source_has_a_builtin_suite_that_loads() -> None:
    assert set(builtin_suite_names()) == set(SOURCE_IDS)
    for name in builtin_suite_names():
        suite = load_builtin_suite(name)
        assert suite.dataset == f"base.{name}" and suite.origin == f"quality_rules/suites/{name}.yml"
        assert all(rule.description and rule.department for rule in suite.rules)


def test_resolve_suite_takes_a_path_or_a_builtin_name(tmp_path: Path) -> None:
    assert resolve_suite("population").suite == "population"
    assert resolve_suite(_write(tmp_path, VALID)).suite == "population"
    with pytest.raises(SuiteNotFoundError, match="Did you mean 'population'"):
        resolve_suite("populaton")
    with pytest.raises(SuiteNotFoundError, match="does not exist"):
        resolve_suite(str(tmp_path / "missing.yml"))


def test_loading_suites_and_the_quality_cli_never_imports_pyspark() -> None:
    code = (
        "import sys, lakehub.quality_rules, lakehub.cli.quality; "
        "lakehub.quality_rules.load_builtin_suite('population'); "
        "assert 'pyspark' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
