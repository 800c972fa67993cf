"""Hub KPIs from the catalog: freshness, sharing, objections, pass rates, completeness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from lakehub.catalog import CatalogStore, ExportValues, RunStatus
from lakehub.catalog.metrics import hub_metrics
from lakehub.quality_rules.objections import raise_objection
from tests.quality_helpers import T0, population_result, record, register_base


@pytest.fixture
def store() -> Iterator[CatalogStore]:
    with CatalogStore.open("sqlite://") as opened:
        yield opened


def test_empty_catalog_reports_every_kpi_as_not_available_with_a_reason(store: CatalogStore) -> None:
    found = hub_metrics(store, now=T0)
    assert [k.key for k in found.kpis] == [
        "base_freshness_rate",
        "sharing_response_rate",
        "sharing_mean_resolution_hours",
        "objection_resolution_hours",
        "quality_pass_rate",
        "catalogue_completeness_datasets",
        "catalogue_completeness_columns",
    ]
    for kpi in found.kpis:
        assert not kpi.available and kpi.value is None and kpi.reason and kpi.method


def test_freshness_counts_base_datasets_updated_within_their_sla(store: CatalogStore) -> None:
    register_base(store, "population")  # SLA 1 day
    register_base(store, "housing")  # SLA 7 days
    register_base(store, "agri_operator", freshness_sla_hours=None)  # default 24 h
    now = store.list_datasets()[0].updated_at
    run_id = store.start_run("ingest population", "ingest", source_id="population")
    store.finish_run(run_id, RunStatus.SUCCEEDED)
    for name in ("base.population", "base.housing"):
        store.record_version(name, version=0, run_id=run_id, operation="WRITE", row_count=1, changed_at=now)
    stale = store.start_run("ingest agri", "ingest", source_id="agri_operator")
    store.finish_run(stale, RunStatus.FAILED, error="bad file")
    kpi = hub_metrics(store, now=now + timedelta(hours=20)).get("base_freshness_rate")
    assert kpi.available and kpi.value == 66.7 and kpi.target == 95.0 and kpi.met is False
    rows = kpi.details["by_dataset"]
    assert rows["base.population"]["fresh"] and rows["base.population"]["age_hours"] == 20.0
    assert not rows["base.agri_operator"]["fresh"] and rows["base.agri_operator"]["last_update"] is None
    assert rows["base.agri_operator"]["sla_hours"] == 24
    later = hub_metrics(store, now=now + timedelta(hours=25)).get("base_freshness_rate")
    assert later.value == 33.3 and later.details["by_dataset"]["base.housing"]["fresh"]
    assert not later.details["by_dataset"]["base.population"]["fresh"]
    assert "SLA" in kpi.method


def test_sharing_kpis_are_not_available_before_any_request(store: CatalogStore) -> None:
    found = hub_metrics(store, now=T0)
    for key in ("sharing_response_rate", "sharing_mean_resolution_hours"):
        kpi = found.get(key)
        assert not kpi.available and kpi.value is None and "share request" in (kpi.reason or "")


def _deliver(store: CatalogStore, request_id: int, at: datetime) -> None:
    plan = store.plan_share_export(request_id, actor="wang", now=at)
    values = ExportValues(
        path="/tmp/x.csv", file_format="csv", sha256="a" * 64, bytes=1, row_count=1, delta_version=0
    )
    store.record_share_export(plan, values, actor="wang", now=at)


def test_sharing_response_rate_and_mean_resolution_time_from_known_requests(store: CatalogStore) -> None:
    register_base(store, "population")
    register_base(store, "market_entity")

    def ask(dataset: str = "base.population", at: datetime = T0, due_days: int = 10) -> int:
        return store.request_share(
            dataset,
            department="区民政局",
            purpose="比对",
            requested_by="wang",
            now=at,
            due_working_days=due_days,
        ).id

    now = T0 + timedelta(days=10)
    on_time, rejected, late, overdue = ask(), ask(), ask(due_days=1), ask(due_days=1)
    waiting = ask(at=now - timedelta(hours=1))
    automatic = ask("base.market_entity")
    store.decide_share(on_time, approve=True, decided_by="zhao", now=T0 + timedelta(hours=3))
    store.decide_share(
        rejected, approve=False, note="用途不符", decided_by="zhao", now=T0 + timedelta(hours=5)
    )
    store.decide_share(late, approve=True, decided_by="zhao", now=T0 + timedelta(days=4))
    _deliver(store, on_time, T0 + timedelta(hours=27))
    _deliver(store, on_time, T0 + timedelta(hours=50))  # a second delivery does not move the resolution
    _deliver(store, automatic, T0 + timedelta(hours=1))

    found = hub_metrics(store, now=now)
    rate = found.get("sharing_response_rate")
    assert rate.available and rate.value == 60.0 and rate.unit == "%"  # 3 on time of 4 answered + 1 overdue
    assert rate.details["answered_on_time"] == 3 and rate.details["answered_late"] == 1
    assert rate.details["pending_overdue"] == 1 and rate.details["pending_within_deadline"] == 1
    assert rate.details["auto_approved"] == 1 and "10 working days" in rate.method
    resolution = found.get("sharing_mean_resolution_hours")
    assert resolution.available and resolution.value == 11.0  # (27 + 5 + 1) / 3
    assert resolution.details["median_hours"] == 5.0 and resolution.details["approved_not_delivered"] == 1
    assert resolution.details["rejected"] == 1 and resolution.details["delivered"] == 2
    assert "first delivered" in resolution.method
    assert {overdue, waiting} == {r.id for r in store.list_share_requests(status="pending")}


def test_objection_resolution_time_mean_median_and_overdue(store: CatalogStore) -> None:
    register_base(store, "population")
    ids = [
        raise_objection(
            store, "base.population", key="k", field="phone", reason="r", raised_by="u", now=T0
        ).id
        for _ in range(4)
    ]
    for objection_id, hours in zip(ids, (2, 4, 12), strict=False):
        store.resolve_objection(
            objection_id, resolution="done", resolved_by="x", now=T0 + timedelta(hours=hours)
        )
    kpi = hub_metrics(store, now=T0 + timedelta(days=10)).get("objection_resolution_hours")
    assert kpi.available and kpi.value == 6.0 and kpi.unit == "h"
    assert kpi.details["median_hours"] == 4.0 and kpi.details["open"] == 1 and kpi.details["overdue"] == 1


def test_quality_pass_rate_by_department_and_dimension_uses_the_newest_validation(
    store: CatalogStore,
) -> None:
    register_base(store, "population")
    record(store, population_result(bad_ids=0, bad_phones=0), at=T0)
    record(store, population_result(bad_ids=1, bad_phones=0), at=T0 + timedelta(days=1), version=1)
    kpi = hub_metrics(store, now=T0 + timedelta(days=1)).get("quality_pass_rate")
    assert kpi.available and kpi.value == 66.7
    assert kpi.details["by_department"]["区公安分局"] == {"rules": 3, "passed": 2, "rate": 66.7}
    assert kpi.details["by_dimension"]["准确性"]["rate"] == 0.0
    assert kpi.details["by_dimension"]["规范性"]["rate"] == 100.0


def test_catalogue_completeness_of_datasets_and_columns(store: CatalogStore) -> None:
    register_base(store, "population")
    register_base(store, "housing", description="", security_level="")
    found = hub_metrics(store, now=T0)
    datasets = found.get("catalogue_completeness_datasets")
    assert datasets.value == 50.0 and datasets.details["incomplete"] == ["base.housing"]
    columns = found.get("catalogue_completeness_columns")
    assert columns.available and columns.value is not None and 0 < columns.value <= 100
