"""Builders for stored quality results without Spark: registered datasets, suite results, recorded validations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from lakehub.catalog import CatalogStore, ColumnSpec, DatasetSpec, ValidationRecord
from lakehub.pipelines.sources import SourceSpec
from lakehub.quality_rules.recording import FailingRow, issue_values, validation_values
from lakehub.quality_rules.results import RuleResult, SuiteResult
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985, SPECS

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
SENSITIVITY = {"id_number": "resident_id", "name": "name", "phone": "phone", "household_address": "address"}


def register_base(store: CatalogStore, source: str, **changes: object) -> None:
    """Register base.<source> as landing would (department, key, classification, SLA)."""
    spec: SourceSpec = SPECS[source]
    fields: dict[str, object] = {
        "name": f"base.{spec.table_name}",
        "title": spec.title,
        "department": spec.department,
        "location": f"/srv/lakehouse/base/{spec.table_name}",
        "description": spec.description,
        "source_id": spec.id,
        "business_key": spec.business_key,
        "sharing_class": spec.sharing_class,
        "security_level": spec.security_level,
        "freshness_sla_hours": spec.freshness_sla_days * 24,
        "columns": tuple(
            ColumnSpec(
                name=c.name,
                data_type=c.spark_type,
                title=c.title,
                sensitivity=c.sensitivity,
                security_level=c.security_level or spec.security_level,
            )
            for c in spec.columns
        ),
    }
    fields.update(changes)
    store.register_dataset(DatasetSpec(**fields))  # type: ignore[arg-type]  # keys mirror DatasetSpec fields


def rule(
    rule_id: str,
    *,
    elements: int = 100,
    unexpected: int = 0,
    severity: str = "error",
    dimension: str = "准确性",
    department: str | None = "区公安分局",
    description: str | None = None,
    columns: tuple[str, ...] = ("id_number",),
    samples: tuple[str, ...] = (),
    observed: str | None = None,
    success: bool | None = None,
) -> RuleResult:
    """A rule result with counts; success defaults to no unexpected values."""
    return RuleResult(
        rule_id=rule_id,
        expectation=rule_id.split(":")[0],
        column=",".join(columns) or None,
        columns=columns,
        severity=severity,
        dimension=dimension,
        department=department,
        description=description,
        success=unexpected == 0 if success is None else success,
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=None if observed is not None or not elements else unexpected * 100 / elements,
        mostly=None,
        sample_unexpected=samples,
        observed_value=observed,
    )


ID_RULE = "expect_column_values_to_be_valid_cn_resident_id:id_number"
PHONE_RULE = "expect_column_values_to_be_valid_cn_mobile:phone"
GENDER_RULE = "expect_column_pair_values_to_match_cn_resident_id_gender:id_number,gender"


def population_result(*, bad_ids: int = 2, bad_phones: int = 5, rows: int = 100) -> SuiteResult:
    """A population suite result: ID rule (error), phone rule (warn), gender rule (error) passing."""
    return SuiteResult(
        suite="population",
        dataset="base.population",
        row_count=rows,
        results=(
            rule(
                ID_RULE,
                elements=rows,
                unexpected=bad_ids,
                description="公民身份号码须符合GB 11643",
                samples=("360404********0011",) if bad_ids else (),
            ),
            rule(
                PHONE_RULE,
                elements=rows,
                unexpected=bad_phones,
                severity="warn",
                dimension="规范性",
                columns=("phone",),
                samples=("138****5678",) if bad_phones else (),
            ),
            rule(GENDER_RULE, elements=rows, dimension="一致性", columns=("id_number", "gender")),
        ),
        data_passes=1,
    )


def failing_rows(result: SuiteResult) -> list[FailingRow]:
    """One failing row per failed rule, with real (unmasked) values as Spark would collect them."""
    rows = []
    for n, r in enumerate(result.failed, start=2):
        values = {"id_number": ID_MALE_1985, "phone": "1381234567", "gender": "女"}
        rows.append(
            FailingRow(
                rule_id=r.rule_id,
                key=(("id_number", ID_MALE_1985 if n % 2 else ID_FEMALE_1990),),
                values=values,
                source_file="ga_population.csv",
                source_row=n,
            )
        )
    return rows


def record(
    store: CatalogStore,
    result: SuiteResult,
    *,
    at: datetime = T0,
    version: int = 0,
    dataset: str = "base.population",
    department: str = "区公安分局",
) -> ValidationRecord:
    """Store a validation of `dataset` at `at` with issues for its failing rules."""
    run_id = store.start_run("quality.run", "quality")
    issues = issue_values(result, failing_rows(result), department=department, sensitivity=SENSITIVITY)  # type: ignore[arg-type]  # literal kinds
    values = validation_values(result, dataset=dataset, run_id=run_id, delta_version=version, issues=issues)
    return store.record_validation(replace(values, validated_at=at))
