"""The offline quality report (数据质量报告): one self-contained HTML file, inline CSS and SVG, no network."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.scores import METHOD, Score, compute_scores, rule_group, weighted_score

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore, RuleHistoryPoint, RuleResultRecord, ValidationRecord

log = logging.getLogger(__name__)

TEMPLATE = "templates/report.html.j2"
HISTORY = 20
"""Validations shown in each sparkline."""
SPARK_WIDTH, SPARK_HEIGHT = 120, 28


@dataclass(frozen=True, slots=True)
class Spark:
    """An inline SVG sparkline: polyline points plus the last point."""

    points: str
    last_x: float
    last_y: float
    count: int
    first: float
    last: float


@dataclass(frozen=True, slots=True)
class DatasetView:
    """A dataset row of the report."""

    score: Score
    version: int | None
    rows: int
    spark: Spark | None


@dataclass(frozen=True, slots=True)
class FailingRule:
    """A failing rule of a dataset's newest validation."""

    dataset: str
    department: str
    rule_id: str
    expectation: str
    description: str
    dimension: str
    severity: str
    unexpected: int
    elements: int
    percent: str
    samples: tuple[str, ...]
    spark: Spark | None


@dataclass(frozen=True, slots=True)
class ObjectionSummary:
    """Objection counts of one department."""

    department: str
    open: int
    overdue: int
    resolved: int


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the template shows."""

    title: str
    generated_at: str
    department: str | None
    overall: float | None
    validations: int
    departments: tuple[Score, ...]
    dimensions: tuple[Score, ...]
    datasets: tuple[DatasetView, ...]
    failing: tuple[FailingRule, ...]
    objections: tuple[ObjectionSummary, ...]
    method: str


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What `lakehub quality report` wrote."""

    path: str
    department: str | None
    datasets: int
    failing_rules: int
    overall: float | None
    bytes: int


def sparkline(
    values: Sequence[float], *, floor: float | None = None, ceiling: float | None = None
) -> Spark | None:
    """Polyline points of a series scaled into SPARK_WIDTH × SPARK_HEIGHT (None for fewer than 1 value)."""
    if not values:
        return None
    lo = min(values) if floor is None else min(floor, *values)
    hi = max(values) if ceiling is None else max(ceiling, *values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    step = SPARK_WIDTH / max(1, len(values) - 1)
    pad = 3.0
    coords = [
        (
            round(i * step if len(values) > 1 else SPARK_WIDTH / 2, 1),
            round(pad + (hi - v) / (hi - lo) * (SPARK_HEIGHT - 2 * pad), 1),
        )
        for i, v in enumerate(values)
    ]
    return Spark(
        points=" ".join(f"{x},{y}" for x, y in coords),
        last_x=coords[-1][0],
        last_y=coords[-1][1],
        count=len(values),
        first=values[0],
        last=values[-1],
    )


def _percent(rule: RuleResultRecord) -> str:
    if rule.observed_value is not None:
        return f"实际 {rule.observed_value}"
    return "" if rule.unexpected_percent is None else f"{rule.unexpected_percent:.2f}%"


def _failure_rate(point: RuleHistoryPoint) -> float:
    if point.unexpected_percent is not None:
        return point.unexpected_percent
    return 0.0 if point.success else 100.0


def _dataset_spark(store: CatalogStore, dataset: str, department: str | None) -> Spark | None:
    history = store.validation_history(dataset, limit=HISTORY)[::-1]
    values = []
    for v in history:
        rules = [r for r in v.rules if department is None or rule_group(v, r, "department") == department]
        score = weighted_score(rules)
        if score is not None:
            values.append(score)
    return sparkline(values, ceiling=100.0)


def _failing_rules(
    store: CatalogStore, latest: Sequence[ValidationRecord], department: str | None
) -> list[FailingRule]:
    found = []
    for v in latest:
        for rule in v.rules:
            owner = rule_group(v, rule, "department")
            if rule.success or (department is not None and owner != department):
                continue
            history = store.rule_history(v.dataset, rule.rule_id, limit=HISTORY)
            found.append(
                FailingRule(
                    dataset=v.dataset,
                    department=owner,
                    rule_id=rule.rule_id,
                    expectation=rule.expectation,
                    description=rule.description or rule.expectation,
                    dimension=rule.dimension,
                    severity=rule.severity,
                    unexpected=rule.unexpected_count,
                    elements=rule.element_count,
                    percent=_percent(rule),
                    samples=rule.sample_unexpected,
                    spark=sparkline([_failure_rate(p) for p in history], floor=0.0),
                )
            )
    return sorted(found, key=lambda f: (f.severity != "error", -f.unexpected, f.dataset, f.rule_id))


def _objections(store: CatalogStore, department: str | None, now: datetime) -> list[ObjectionSummary]:
    counts: dict[str, list[int]] = {}
    for o in store.list_objections(department=department, now=now):
        row = counts.setdefault(o.department, [0, 0, 0])
        if o.status.value == "open":
            row[0] += 1
            row[1] += o.overdue
        else:
            row[2] += 1
    return [ObjectionSummary(d, *c) for d, c in sorted(counts.items())]


def build_report(
    store: CatalogStore, *, department: str | None = None, now: datetime | None = None
) -> ReportData:
    """Collect scores, failing rules with masked samples, trends and objections from the catalog."""
    moment = now or datetime.now(UTC)
    if department is not None and department not in store.quality_departments():
        from lakehub.catalog import UnknownDepartmentError

        raise UnknownDepartmentError(department, store.quality_departments())
    recent = store.latest_validations(per_dataset=2)
    latest = store.latest_validations(per_dataset=1)
    by_dataset = {s.group: s for s in compute_scores(recent, "dataset", department=department)}
    datasets = [
        DatasetView(
            by_dataset[v.dataset], v.delta_version, v.row_count, _dataset_spark(store, v.dataset, department)
        )
        for v in latest
        if v.dataset in by_dataset
    ]
    rules = [
        r
        for v in latest
        for r in v.rules
        if department is None or rule_group(v, r, "department") == department
    ]
    return ReportData(
        title=f"{department or '全区'}数据质量报告",
        generated_at=moment.astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        department=department,
        overall=weighted_score(rules),
        validations=len(datasets),
        departments=tuple(compute_scores(recent, "department", department=department)),
        dimensions=tuple(compute_scores(recent, "dimension", department=department)),
        datasets=tuple(datasets),
        failing=tuple(_failing_rules(store, latest, department)),
        objections=tuple(_objections(store, department, moment)),
        method=METHOD,
    )


def render_report(data: ReportData) -> str:
    """The report as one HTML document (jinja2, autoescaped)."""
    from jinja2 import Environment, StrictUndefined

    source = resources.files("lakehub.quality_rules").joinpath(TEMPLATE).read_text(encoding="utf-8")
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source).render(
        r=data, spark_width=SPARK_WIDTH, spark_height=SPARK_HEIGHT, history=HISTORY
    )


def write_report(
    store: CatalogStore, out: Path, *, department: str | None = None, now: datetime | None = None
) -> ReportSummary:
    """`lakehub quality report`: write the offline HTML report to `out`."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise RuleError(
            f"The quality report is HTML; {out} does not end in .html. Fix: pass e.g. --out report.html."
        )
    data = build_report(store, department=department, now=now)
    html = render_report(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    log.info("wrote quality report %s (%d datasets)", out, len(data.datasets))
    return ReportSummary(
        path=str(out),
        department=department,
        datasets=len(data.datasets),
        failing_rules=len(data.failing),
        overall=data.overall,
        bytes=len(html.encode("utf-8")),
    )
