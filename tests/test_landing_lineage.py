"""Landing's data-quality assertions: landing's minimal checks and the suite's rules as one list, no repeats."""

from __future__ import annotations

import uuid
from collections import Counter

from lakehub.lineage.events import EventBuilder, event_to_dict
from lakehub.lineage.report import DatasetIO, JobRun
from lakehub.pipelines.landing_lineage import landing_assertions
from lakehub.quality_rules import Suite, SuiteResult, load_builtin_suite, parse_suite
from lakehub.quality_rules.engine_spark import counted_result
from tests.helpers import POPULATION
from tests.lineage_helpers import official_validator

NOT_NULL = "expect_column_values_to_not_be_null"
ID_NOT_NULL = f"{NOT_NULL}:id_number"
ID_UNIQUE = "expect_column_values_to_be_unique:id_number"
READ = 100
# Landing's minimal checks found 3 rows without an id and 2 later copies of an id.
REASONS = {"KEY_MISSING:id_number": 3, "DUPLICATE_KEY:id_number": 2}


def _checked(suite: Suite, unexpected: dict[str, int]) -> SuiteResult:
    """The suite's results as landing reports them: 97 checked rows, the given unexpected counts."""
    results = tuple(counted_result(rule, READ - 3, unexpected.get(rule.id, 0)) for rule in suite.rules)
    return SuiteResult(
        suite=suite.suite, dataset=suite.dataset, row_count=READ - 3, results=results, data_passes=1
    )


def _keys(outcomes: tuple[object, ...]) -> Counter[tuple[str, str | None]]:
    return Counter((o.expectation, o.column) for o in outcomes)  # type: ignore[attr-defined]


def test_a_check_both_landing_and_the_suite_make_is_one_assertion_naming_both() -> None:
    suite = load_builtin_suite("population")
    # The suite's id check saw one more duplicate than landing's DUPLICATE_KEY count: the worse count is kept.
    result = _checked(suite, {ID_NOT_NULL: 0, ID_UNIQUE: 4})
    outcomes = landing_assertions(POPULATION, READ, REASONS, result, suite.rules)
    by_name = {o.name: o for o in outcomes}
    id_present = by_name[f"landing + population/{ID_NOT_NULL}"]
    assert (id_present.expectation, id_present.column) == (NOT_NULL, "id_number")
    assert not id_present.success and (id_present.element_count, id_present.unexpected_count) == (READ, 3)
    one_per_id = by_name[f"landing + population/{ID_UNIQUE}"]
    assert one_per_id.column == "id_number" and not one_per_id.success
    assert (one_per_id.element_count, one_per_id.unexpected_count) == (READ - 3, 4)
    assert by_name[f"landing + population/{NOT_NULL}:name"].success
    assert f"population/{ID_NOT_NULL}" not in by_name and f"population/{ID_UNIQUE}" not in by_name
    assert by_name["population/expect_column_values_to_be_valid_cn_resident_id:id_number"].element_count == 97
    landing_only = [o for o in outcomes if o.name == "landing"]
    assert {o.expectation for o in landing_only} == {"expect_column_values_to_be_of_type"}
    assert len(outcomes) == len(landing_only) + len(suite.rules)
    assert max(_keys(outcomes).values()) == 1, "no check listed twice"


def test_a_suite_rule_over_fewer_rows_or_with_mostly_is_a_check_of_its_own() -> None:
    suite = parse_suite(
        "suite: population\ndataset: base.population\nrules:\n"
        f"  - {{expectation: {NOT_NULL}, column: id_number, row_condition: \"status = '正常'\", dimension: 完整性}}\n"
        f"  - {{expectation: {NOT_NULL}, column: name, mostly: 0.9, dimension: 完整性}}\n"
        f"  - {{expectation: {NOT_NULL}, column: phone, dimension: 完整性}}\n",
        "population.yml",
    )
    outcomes = landing_assertions(POPULATION, READ, REASONS, _checked(suite, {}), suite.rules)
    names = [o.name for o in outcomes if o.expectation == NOT_NULL]
    assert names == [
        "landing",
        "landing",
        f"population/{NOT_NULL}:id_number",
        f"population/{NOT_NULL}:name",
        f"population/{NOT_NULL}:phone",
    ]


def test_landing_without_a_suite_reports_its_minimal_checks_only() -> None:
    outcomes = landing_assertions(POPULATION, READ, REASONS)
    assert {o.name for o in outcomes} == {"landing"} and max(_keys(outcomes).values()) == 1
    unique = next(o for o in outcomes if o.expectation == "expect_compound_columns_to_be_unique")
    assert (unique.column, unique.success, unique.unexpected_count) == ("id_number", False, 2)


def test_the_merged_assertions_validate_against_the_official_spec_and_carry_their_origin() -> None:
    suite = load_builtin_suite("population")
    quality = landing_assertions(POPULATION, READ, REASONS, _checked(suite, {ID_UNIQUE: 2}), suite.rules)
    base = DatasetIO(name="base.population", location="/lake/base/population", tier="base", quality=quality)
    run = JobRun(run_id=str(uuid.uuid4()), job_name="ingest.population", job_type="INGEST")
    event = event_to_dict(EventBuilder("lakehub://360404").build("COMPLETE", run, [], [base]))
    assert official_validator().problems(event) == []
    assertions = event["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"]
    assert len(assertions) == len(quality)
    assert Counter((a["assertion"], a.get("column")) for a in assertions).most_common(1)[0][1] == 1
    merged = next(a for a in assertions if a["name"] == f"landing + population/{ID_NOT_NULL}")
    assert merged == {**merged, "assertion": NOT_NULL, "column": "id_number", "success": False}
