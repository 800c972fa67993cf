"""`lakehub quality run`: validate a landed base table at its Delta version and store results and failing rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from lakehub.catalog import CatalogStore, RunStatus
from lakehub.pipelines import quality_jobs
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import PipelineError
from lakehub.pipelines.landing import land_file
from lakehub.quality_rules.cn_codes import make_resident_id
from tests.conftest import make_config
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985, POPULATION, population_row, write_population

pytestmark = pytest.mark.spark

CONTRACT_KEYS = {"expectation", "column", "success", "element_count", "unexpected_count"}
# A warn rule: landing lands the rows it flags (error rules quarantine theirs), so `quality run` finds them in base.
REGISTERED_RULE = "expect_column_pair_values_A_to_be_greater_than_B:registered_date,birth_date"
ID_THIRD = make_resident_id("360404", date(1970, 1, 1), 7)
ID_FOURTH = make_resident_id("360404", date(1980, 5, 5), 9)


@pytest.fixture(scope="module")
def landed(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LakehubConfig, CatalogStore]]:
    """base.population landed once from 4 rows: clean, registered before birth (twice), clean."""
    config = make_config(tmp_path_factory.mktemp("quality-run"))
    store = CatalogStore.open(config.effective_catalog_url)
    rows = [
        population_row(),
        population_row(
            id_number=ID_FEMALE_1990,
            name="李娜",
            gender="女",
            birth_date="1990-07-22",
            registered_date="1990-07-21",
        ),
        population_row(
            id_number=ID_THIRD, name="王强", birth_date="1970-01-01", registered_date="1969-12-31"
        ),
        population_row(id_number=ID_FOURTH, birth_date="1980-05-05", name="赵敏"),
    ]
    path = write_population(config.landing_path / "ga_population.csv", rows)
    result = land_file(config, store, POPULATION, path, spark_factory=lambda: spark)
    assert result.rows_landed == 4, result
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quality_jobs, "spark_factory", lambda _config: lambda: spark)
        yield config, store


def test_quality_run_stores_results_at_the_delta_version_with_masked_failing_rows(
    landed: tuple[LakehubConfig, CatalogStore],
) -> None:
    lakehub_config, catalog_store = landed
    outcome = quality_jobs.quality_run(lakehub_config, "population", issue_cap=10)
    (validation,) = outcome.validations
    assert validation.dataset == "base.population" and validation.delta_version == 0
    assert outcome.passed and catalog_store.get_run(outcome.run_id).status is RunStatus.SUCCEEDED
    stored = catalog_store.latest_validations()[0]
    assert stored.id == validation.validation_id and stored.delta_version == 0 and stored.row_count == 4
    by_rule = {r.rule_id: r for r in stored.rules}
    assert by_rule[REGISTERED_RULE].unexpected_count == 2 and not by_rule[REGISTERED_RULE].success
    issues = {i.rule_id: i for i in catalog_store.list_issues(department="区公安分局")}
    assert set(issues) == {r.rule_id for r in stored.rules if not r.success}
    listed = [i for i in catalog_store.list_issues(department="区公安分局") if i.rule_id == REGISTERED_RULE]
    assert sorted(i.source_row for i in listed) == [2, 3]
    first = min(listed, key=lambda i: i.source_row or 0)
    assert first.record_key == "360404********0023" and first.source_file == "ga_population.csv"
    assert first.field == "registered_date,birth_date" and first.value == "1990-07-21|1990-07-22"
    stored_text = repr(catalog_store.list_issues())
    assert (
        ID_FEMALE_1990 not in stored_text and ID_THIRD not in stored_text and ID_MALE_1985 not in stored_text
    )


def test_issue_cap_bounds_the_rows_kept_per_rule(
    landed: tuple[LakehubConfig, CatalogStore],
) -> None:
    lakehub_config, catalog_store = landed
    before = len(catalog_store.rule_history("base.population", REGISTERED_RULE))
    quality_jobs.quality_run(lakehub_config, issue_cap=1)
    counts: dict[str, int] = {}
    for issue in catalog_store.list_issues():
        counts[issue.rule_id] = counts.get(issue.rule_id, 0) + 1
    assert counts and max(counts.values()) == 1
    (none,) = quality_jobs.quality_run(lakehub_config, "base.population", issue_cap=0).validations
    assert none.issues_recorded == 0
    assert len(catalog_store.rule_history("base.population", REGISTERED_RULE)) == before + 2, (
        "history is kept"
    )


def test_quality_run_of_a_dataset_not_landed_yet_skips_it_naming_the_fix(
    landed: tuple[LakehubConfig, CatalogStore],
) -> None:
    lakehub_config, _ = landed
    outcome = quality_jobs.quality_run(lakehub_config, "market_entity")
    assert outcome.validations == ()
    ((name, why),) = outcome.skipped
    assert name == "base.market_entity"
    assert why.startswith("no Delta table at ") and why.endswith(
        "land it with `lakehub ingest market_entity`"
    )


def test_quality_run_cli_json_lists_each_rule_with_the_contract_keys(
    landed: tuple[LakehubConfig, CatalogStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakehub.cli.main import app

    monkeypatch.chdir(landed[0].base_dir)
    result = CliRunner().invoke(app, ["quality", "run", "base.population", "--json"])
    assert result.exit_code == 0, result.output  # only warn rules fail
    rules = json.loads(result.stdout)
    assert len(rules) == 12 and all(set(r) >= CONTRACT_KEYS | {"dataset", "delta_version"} for r in rules)
    assert {r["dataset"] for r in rules} == {"base.population"}


def test_quality_run_of_a_dataset_without_a_suite_names_the_ones_with_suites(
    landed: tuple[LakehubConfig, CatalogStore],
) -> None:
    with pytest.raises(PipelineError, match=r"Datasets with a suite: base\.agri_operator"):
        quality_jobs.quality_run(landed[0], "quarantine.population")


TINY_CROSS = """\
suite: tiny_cross
dataset: base.population
rules:
  - {expectation: unexpected_rows_expectation, id: registered_before_birth, dimension: 一致性,
     unexpected_rows_query: "SELECT id_number FROM {batch} WHERE registered_date < birth_date"}
"""


def test_quality_run_with_gx_runs_cross_table_suites_on_the_one_pass_engine_and_records_it(
    landed: tuple[LakehubConfig, CatalogStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lakehub.quality_rules as rules
    from lakehub.quality_rules import parse_suite

    builtin = rules.load_builtin_suite
    monkeypatch.setattr(rules, "builtin_cross_suite_names", lambda: ("tiny_cross",))
    monkeypatch.setattr(
        rules,
        "load_builtin_suite",
        lambda name: parse_suite(TINY_CROSS, "tiny_cross.yml") if name == "tiny_cross" else builtin(name),
    )
    lakehub_config, catalog_store = landed
    outcome = quality_jobs.quality_run(lakehub_config, engine="gx", issue_cap=0)
    assert outcome.engine == "gx"
    by_suite = {v.result.suite: v for v in outcome.validations}
    assert {name: v.engine for name, v in by_suite.items()} == {"population": "gx", "tiny_cross": "spark"}
    (cross_rule,) = by_suite["tiny_cross"].result.results
    assert cross_rule.unexpected_count == 2 and not cross_rule.success
    stored = {v.suite: v.engine for v in catalog_store.latest_validations(per_dataset=2)}
    assert stored == {"population": "gx", "tiny_cross": "spark"}
