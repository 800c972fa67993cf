"""Hub KPIs (`lakehub metrics`), computed from the catalog alone (no Spark); each states its method."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .hub_records import ShareStatus
from .quality_records import ObjectionStatus, ValidationRecord
from .records import DatasetRecord, JobKind, RunStatus, Tier
from .sharing import AUTO_APPROVER, DEFAULT_RESPONSE_WORKING_DAYS
from .store import CatalogStore

FRESHNESS_TARGET = 95.0
DEFAULT_SLA_HOURS = 24
"""Freshness SLA of a base dataset registered without one (source specs default to 1 day)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpi:
    """One hub KPI: its value (None when not available, with the reason) and how it was computed."""

    key: str
    title: str
    available: bool
    value: float | None
    unit: str
    method: str
    target: float | None = None
    met: bool | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HubMetrics:
    """Every KPI at one moment."""

    generated_at: datetime
    kpis: tuple[Kpi, ...]

    def get(self, key: str) -> Kpi:
        """The KPI with this key."""
        return next(k for k in self.kpis if k.key == key)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def _last_update(store: CatalogStore, dataset: DatasetRecord) -> datetime | None:
    """Newest of: the dataset's last Delta version, the last succeeded ingest of its source."""
    times = [dataset.updated_at] if dataset.current_version is not None else []
    if dataset.source_id is not None:
        for run in store.list_runs(source_id=dataset.source_id, job_kind=JobKind.INGEST.value, limit=50):
            if run.status is RunStatus.SUCCEEDED and run.finished_at is not None:
                times.append(run.finished_at)
                break
    return max(times) if times else None


def freshness(store: CatalogStore, now: datetime) -> Kpi:
    """基础库实时更新率: share of base datasets updated within their freshness SLA."""
    method = (
        "fresh base datasets / base datasets × 100; a dataset is fresh when now − last update ≤ its SLA "
        "(freshness_sla_hours registered from the source spec's freshness_sla_days, "
        f"{DEFAULT_SLA_HOURS} h when missing); last update = newest of its last Delta version and the last "
        "succeeded ingest of its source (an unchanged re-delivery commits no version but is still an update)"
    )
    bases = store.list_datasets(tier=Tier.BASE.value)
    if not bases:
        return Kpi(
            key="base_freshness_rate",
            title="基础库实时更新率",
            available=False,
            value=None,
            unit="%",
            target=FRESHNESS_TARGET,
            method=method,
            reason="no base datasets are registered yet; land data with `lakehub run`",
        )
    rows = {}
    fresh = 0
    for d in bases:
        sla = d.freshness_sla_hours or DEFAULT_SLA_HOURS
        last = _last_update(store, d)
        age = None if last is None else round((now - last).total_seconds() / 3600, 1)
        ok = age is not None and age <= sla
        fresh += ok
        rows[d.name] = {
            "sla_hours": sla,
            "last_update": last.isoformat() if last else None,
            "age_hours": age,
            "fresh": ok,
        }
    value = _share(fresh, len(bases))
    return Kpi(
        key="base_freshness_rate",
        title="基础库实时更新率",
        available=True,
        value=value,
        unit="%",
        target=FRESHNESS_TARGET,
        met=value is not None and value >= FRESHNESS_TARGET,
        method=method,
        details={"fresh": fresh, "datasets": len(bases), "by_dataset": rows},
    )


def sharing(store: CatalogStore, now: datetime) -> list[Kpi]:
    """共享申请响应率 and 共享申请平均办结时长 from the recorded sharing requests."""
    requests = store.list_share_requests(now=now)
    answered = [r for r in requests if r.responded_at is not None]
    on_time = [r for r in answered if r.responded_at is not None and r.responded_at <= r.due_at]
    overdue = [r for r in requests if r.status is ShareStatus.PENDING and r.overdue]
    waiting = [r for r in requests if r.status is ShareStatus.PENDING and not r.overdue]
    judged = len(answered) + len(overdue)
    response_details = {
        "requests": len(requests),
        "answered": len(answered),
        "answered_on_time": len(on_time),
        "answered_late": len(answered) - len(on_time),
        "pending_overdue": len(overdue),
        "pending_within_deadline": len(waiting),
        "auto_approved": sum(1 for r in requests if r.decided_by == AUTO_APPROVER),
        "deadline_working_days_default": DEFAULT_RESPONSE_WORKING_DAYS,
    }
    response_method = (
        "requests answered (approved or rejected) by their deadline / (answered requests + pending requests "
        f"past their deadline) × 100; the deadline is {DEFAULT_RESPONSE_WORKING_DAYS} working days (Mon–Fri, "
        "China time, end of day) after the request unless `share request --due-days` set another; pending "
        "requests still within their deadline are not judged yet; 无条件共享 requests are approved by the "
        "platform at once and count as answered on time"
    )
    hours = [
        (r.resolved_at - r.requested_at).total_seconds() / 3600 for r in requests if r.resolved_at is not None
    ]
    resolution_details = {
        "resolved": len(hours),
        "rejected": sum(1 for r in requests if r.status is ShareStatus.REJECTED),
        "delivered": sum(1 for r in requests if r.exports > 0),
        "approved_not_delivered": sum(
            1 for r in requests if r.status is ShareStatus.APPROVED and not r.exports
        ),
        "median_hours": round(statistics.median(hours), 1) if hours else None,
    }
    resolution_method = (
        "mean of resolved_at − requested_at in hours over resolved requests; a request is resolved (办结) when "
        "it is rejected, or when its data is first delivered (`lakehub share export`); approved requests not "
        "yet exported are still open"
    )
    return [
        Kpi(
            key="sharing_response_rate",
            title="共享申请响应率",
            available=judged > 0,
            value=_share(len(on_time), judged),
            unit="%",
            method=response_method,
            reason=None
            if judged
            else (
                "no sharing request has been answered or passed its deadline yet"
                if requests
                else "no sharing request has been made yet (`lakehub share request`)"
            ),
            details=response_details,
        ),
        Kpi(
            key="sharing_mean_resolution_hours",
            title="共享申请平均办结时长",
            available=bool(hours),
            value=round(statistics.fmean(hours), 1) if hours else None,
            unit="h",
            method=resolution_method,
            reason=None
            if hours
            else (
                "no sharing request has been resolved (rejected or delivered) yet"
                if requests
                else "no sharing request has been made yet (`lakehub share request`)"
            ),
            details=resolution_details,
        ),
    ]


def objection_resolution(store: CatalogStore, now: datetime) -> Kpi:
    """质量异议办结时长: mean and median hours from raising to resolving, and overdue count."""
    objections = store.list_objections(now=now)
    hours = [
        (o.resolved_at - o.raised_at).total_seconds() / 3600
        for o in objections
        if o.status is ObjectionStatus.RESOLVED and o.resolved_at is not None
    ]
    open_ = [o for o in objections if o.status is ObjectionStatus.OPEN]
    details = {
        "raised": len(objections),
        "resolved": len(hours),
        "open": len(open_),
        "overdue": sum(o.overdue for o in open_),
        "resolved_late": sum(1 for o in objections if o.resolved_at is not None and o.resolved_at > o.due_at),
        "median_hours": round(statistics.median(hours), 1) if hours else None,
    }
    method = (
        "mean (and median) of resolved_at − raised_at in hours over resolved objections; overdue = open "
        "objections past their due time (5 working days by default)"
    )
    if not hours:
        return Kpi(
            key="objection_resolution_hours",
            title="质量异议平均办结时长",
            available=False,
            value=None,
            unit="h",
            method=method,
            reason="no objection has been resolved yet",
            details=details,
        )
    return Kpi(
        key="objection_resolution_hours",
        title="质量异议平均办结时长",
        available=True,
        value=round(statistics.fmean(hours), 1),
        unit="h",
        method=method,
        details=details,
    )


def _rate_table(pairs: list[tuple[str, bool]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for group, success in pairs:
        row = table.setdefault(group, {"rules": 0, "passed": 0})
        row["rules"] += 1
        row["passed"] += success
    for row in table.values():
        row["rate"] = _share(row["passed"], row["rules"])
    return dict(sorted(table.items()))


def quality_pass_rate(latest: list[ValidationRecord]) -> Kpi:
    """质量规则通过率 overall, by department and by dimension, from each dataset's newest validation."""
    method = (
        "passed rules / rules × 100 over the newest stored table validation of each dataset "
        "(`lakehub quality run`); a rule's department is its own, else the dataset's owner"
    )
    rules = [(v, r) for v in latest for r in v.rules]
    if not rules:
        return Kpi(
            key="quality_pass_rate",
            title="质量规则通过率",
            available=False,
            value=None,
            unit="%",
            method=method,
            reason="no validation is stored yet; run `lakehub quality run`",
        )
    passed = sum(r.success for _, r in rules)
    return Kpi(
        key="quality_pass_rate",
        title="质量规则通过率",
        available=True,
        value=_share(passed, len(rules)),
        unit="%",
        method=method,
        details={
            "by_department": _rate_table(
                [(r.department or v.department or "（未指定部门）", r.success) for v, r in rules]
            ),
            "by_dimension": _rate_table([(r.dimension, r.success) for _, r in rules]),
            "datasets": len(latest),
        },
    )


def catalogue_completeness(store: CatalogStore) -> list[Kpi]:
    """资产目录完整率 of datasets and of columns."""
    datasets = store.list_datasets()
    complete = [
        d
        for d in datasets
        if d.department.strip()
        and d.description.strip()
        and d.sharing_class.strip()
        and d.security_level.strip()
    ]
    columns = [c for d in datasets for c in d.columns]
    described = [c for c in columns if (c.title.strip() or c.description.strip()) and c.security_level]
    reason = "the catalog has no datasets yet" if not datasets else None
    return [
        Kpi(
            key="catalogue_completeness_datasets",
            title="资产目录完整率（数据集）",
            available=bool(datasets),
            value=_share(len(complete), len(datasets)),
            unit="%",
            method=(
                "datasets with owner (department), description and classification (sharing class and "
                "security level) all filled / datasets × 100, over every tier"
            ),
            reason=reason,
            details={
                "complete": len(complete),
                "datasets": len(datasets),
                "incomplete": sorted({d.name for d in datasets} - {d.name for d in complete}),
            },
        ),
        Kpi(
            key="catalogue_completeness_columns",
            title="资产目录完整率（字段）",
            available=bool(columns),
            value=_share(len(described), len(columns)),
            unit="%",
            method="columns with a title or description and a security level / columns × 100",
            reason=reason,
            details={"complete": len(described), "columns": len(columns)},
        ),
    ]


def hub_metrics(store: CatalogStore, *, now: datetime | None = None) -> HubMetrics:
    """`lakehub metrics`: every hub KPI from the catalog."""
    moment = now or datetime.now(UTC)
    latest = store.latest_validations(per_dataset=1)
    kpis = [
        freshness(store, moment),
        *sharing(store, moment),
        objection_resolution(store, moment),
        quality_pass_rate(latest),
        *catalogue_completeness(store),
    ]
    return HubMetrics(generated_at=moment, kpis=tuple(kpis))
