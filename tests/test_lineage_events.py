"""OpenLineage events built from job reports: facets, spec validity, column lineage from SQL."""

from __future__ import annotations

import filecmp
import json
import uuid

from lakehub.lineage.column_lineage import derive_sql_lineage
from lakehub.lineage.events import EventBuilder, event_to_dict
from lakehub.lineage.report import ColumnInfo, DatasetIO, FieldSource, JobRun, ParentRun, RuleOutcome
from lakehub.lineage.spec import SPEC_DIR
from tests.lineage_helpers import official_spec_dir, official_validator

POPULATION = DatasetIO(
    name="base.population",
    location="/data/lakehouse/base/population",
    title="户籍人口",
    tier="base",
    columns=(ColumnInfo("id_number", "string", "公民身份号码", "resident_id"), ColumnInfo("name", "string")),
    version="3",
    owner="区公安分局",
    quality=(
        RuleOutcome("expect_column_values_to_not_be_null", "id_number", True, 100, 0, "error", "完整性"),
        RuleOutcome(
            "expect_column_values_to_be_valid_cn_resident_id", "id_number", False, 100, 4, "error", "准确性"
        ),
    ),
)
PERSON = DatasetIO(
    name="theme.person_profile",
    location="/data/lakehouse/theme/person_profile",
    title="人员画像",
    tier="theme",
    columns=(ColumnInfo("id_number", "string"), ColumnInfo("name_upper", "string")),
    version="0",
    row_count=100,
    byte_count=4096,
    rows_written=100,
    owner="区数据局",
)
SQL = "SELECT p.id_number, upper(p.name) AS name_upper FROM base.population p"


def _run(**extra: object) -> JobRun:
    return JobRun(
        run_id=str(uuid.uuid4()),
        job_name="model.theme.person_profile",
        job_type="MODEL",
        parent=ParentRun(str(uuid.uuid4()), "run.all"),
        description="人员画像主题模型",
        owner="区数据局",
        sql=SQL,
        **extra,  # type: ignore[arg-type]
    )


def test_vendored_spec_is_the_official_spec() -> None:
    official = official_spec_dir()
    assert filecmp.cmp(SPEC_DIR / "OpenLineage.json", official / "OpenLineage.json", shallow=False)
    names = sorted(p.name for p in (official / "facets").glob("*.json"))
    assert names == sorted(p.name for p in (SPEC_DIR / "facets").glob("*.json"))
    _, mismatch, errors = filecmp.cmpfiles(SPEC_DIR / "facets", official / "facets", names, shallow=False)
    assert not mismatch and not errors


def test_start_complete_and_fail_share_the_run_id_and_validate_against_the_official_spec() -> None:
    builder, run, validator = EventBuilder("lakehub://360404"), _run(), official_validator()
    events = [
        event_to_dict(builder.build("START", run, [POPULATION])),
        event_to_dict(builder.build("COMPLETE", run, [POPULATION], [PERSON])),
        event_to_dict(builder.build("FAIL", run, [POPULATION], error="model failed: column x not found")),
    ]
    for event in events:
        assert validator.problems(event) == [], event["eventType"]
    assert {e["run"]["runId"] for e in events} == {run.run_id}
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "FAIL"]
    assert events[2]["run"]["facets"]["errorMessage"]["message"] == "model failed: column x not found"
    assert "errorMessage" not in events[1]["run"]["facets"]


def test_complete_event_carries_the_required_facets() -> None:
    run = _run()
    event = event_to_dict(EventBuilder().build("COMPLETE", run, [POPULATION], [PERSON]))
    run_facets, job_facets = event["run"]["facets"], event["job"]["facets"]
    assert run_facets["parent"]["run"]["runId"] == run.parent.run_id  # type: ignore[union-attr]
    assert run_facets["parent"]["job"]["name"] == "run.all"
    assert run_facets["processing_engine"]["name"] == "spark"
    assert job_facets["jobType"]["jobType"] == "MODEL" and job_facets["sql"]["query"] == SQL
    assert job_facets["ownership"]["owners"][0]["name"] == "department:区数据局"
    source = event["inputs"][0]
    assert source["namespace"] == "file" and source["name"] == "/data/lakehouse/base/population"
    assert source["facets"]["version"]["datasetVersion"] == "3"
    assert [a["success"] for a in source["inputFacets"]["dataQualityAssertions"]["assertions"]] == [
        True,
        False,
    ]
    assert source["inputFacets"]["dataQualityMetrics"]["columnMetrics"]["id_number"]["nullCount"] == 0
    tags = {(t["key"], t.get("field")): t["value"] for t in source["facets"]["tags"]["tags"]}
    assert tags[("classification", "id_number")] == "resident_id" and tags[("title", None)] == "户籍人口"
    target = event["outputs"][0]
    assert target["outputFacets"]["outputStatistics"] == {
        "_producer": target["outputFacets"]["outputStatistics"]["_producer"],
        "_schemaURL": target["outputFacets"]["outputStatistics"]["_schemaURL"],
        "rowCount": 100,
        "size": 4096,
    }
    assert [f["name"] for f in target["facets"]["schema"]["fields"]] == ["id_number", "name_upper"]
    assert target["facets"]["symlinks"]["identifiers"][0]["name"] == "theme.person_profile"
    fields = target["facets"]["columnLineage"]["fields"]
    assert fields["id_number"]["inputFields"][0]["name"] == "/data/lakehouse/base/population"
    assert fields["id_number"]["inputFields"][0]["transformations"][0]["subtype"] == "IDENTITY"
    assert fields["name_upper"]["inputFields"][0]["field"] == "name"
    assert fields["name_upper"]["inputFields"][0]["transformations"][0]["subtype"] == "TRANSFORMATION"


def test_declared_column_lineage_wins_over_sql_and_keeps_masking() -> None:
    declared = {
        "id_masked": (FieldSource("base.population", "id_number", "DIRECT", "TRANSFORMATION", masking=True),)
    }
    output = DatasetIO("business.mart", "/data/lakehouse/business/mart", column_lineage=declared)
    event = event_to_dict(
        EventBuilder().build("COMPLETE", _run(source_code="def model(): ..."), [POPULATION], [output])
    )
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert list(fields) == ["id_masked"]
    assert fields["id_masked"]["inputFields"][0]["transformations"][0]["masking"] is True
    assert event["job"]["facets"]["sourceCode"]["language"] == "python"


def test_sql_lineage_maps_short_table_names_joins_and_aggregates() -> None:
    sql = (
        "SELECT p.id_number, p.name AS name, count(s.insurance_type) AS insured_kinds "
        "FROM base.population p JOIN base.social_insurance s ON s.id_number = p.id_number GROUP BY 1, 2"
    )
    lineage = derive_sql_lineage(sql, ["base.population", "base.social_insurance"])
    assert {k: [(f.dataset, f.column, f.subtype) for f in v] for k, v in lineage.items()} == {
        "id_number": [("base.population", "id_number", "IDENTITY")],
        "name": [("base.population", "name", "IDENTITY")],
        "insured_kinds": [("base.social_insurance", "insurance_type", "TRANSFORMATION")],
    }


def test_unparseable_sql_gives_no_column_lineage_instead_of_failing() -> None:
    assert derive_sql_lineage("SELECT FROM WHERE ((", ["base.population"]) == {}


def test_validator_reports_where_an_event_breaks_the_spec() -> None:
    event = event_to_dict(EventBuilder().build("COMPLETE", _run(), [POPULATION], [PERSON]))
    event["run"]["runId"] = "not-a-uuid"
    event["eventTime"] = "yesterday"
    event["outputs"][0]["facets"]["schema"]["fields"][0]["name"] = 7
    problems = {p.path for p in official_validator().problems(json.loads(json.dumps(event)))}
    assert {"run.runId", "eventTime", "outputs.0.facets.schema.fields.0.name"} <= problems


def test_sql_lineage_never_turns_a_cte_into_a_dataset() -> None:
    sql = (
        "WITH people AS (SELECT town, count(*) AS residents FROM base.population GROUP BY town) "
        "SELECT p.town, p.residents FROM people p"
    )
    lineage = derive_sql_lineage(sql, ["base.population"])
    assert {(f.dataset, f.column) for fields in lineage.values() for f in fields} == {
        ("base.population", "town")
    }


def test_sql_lineage_of_masked_and_pseudonymised_columns_is_flagged_masking() -> None:
    sql = "SELECT p.id_number AS person_key, p.id_number, upper(p.name) AS name_upper FROM base.population p"
    output = DatasetIO(
        name="theme.person_profile",
        location="/data/lakehouse/theme/person_profile",
        tier="theme",
        columns=(
            ColumnInfo("person_key", "string", classification="resident_id"),
            ColumnInfo("id_number", "string", classification="resident_id"),
            ColumnInfo("name_upper", "string"),
        ),
        masked_columns={"person_key": "pseudonym", "id_number": "resident_id"},
    )
    run = JobRun(run_id=str(uuid.uuid4()), job_name="model.theme.person_profile", job_type="MODEL", sql=sql)
    event = event_to_dict(EventBuilder().build("COMPLETE", run, [POPULATION], [output]))
    assert official_validator().problems(event) == []
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    key = fields["person_key"]["inputFields"][0]
    assert (key["field"], key["transformations"][0]["masking"]) == ("id_number", True)
    assert "pseudonym" in key["transformations"][0]["description"]
    shown = fields["id_number"]["inputFields"][0]["transformations"][0]
    assert (
        shown["masking"] is True
        and shown["subtype"] == "TRANSFORMATION"
        and "resident_id" in shown["description"]
    )
    assert fields["name_upper"]["inputFields"][0]["transformations"][0].get("masking") is not True
