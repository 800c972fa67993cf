"""Quality scores (质量评分) 0–100 from stored validations, with the trend against the previous validation.

Definition: a rule's pass rate is 1 − unexpected / elements (a rule with no elements, or a table-level
rule such as a row count, counts 1 when it succeeded and 0 when it failed). A group's score is
100 × Σ(weight × pass rate) / Σ weight over the rules of the newest table validation of each dataset in
the group, with weight 2 for severity error and 1 for warn. The previous score is the same formula over
each dataset's validation before its newest (datasets validated only once have none); the trend is
the difference, rounded to 0.1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, get_args

from lakehub.quality_rules.errors import RuleError

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore, RuleResultRecord, ValidationRecord

Grouping = Literal["dataset", "department", "dimension"]
GROUPINGS: tuple[str, ...] = get_args(Grouping)
SEVERITY_WEIGHTS = {"error": 2, "warn": 1}
UNKNOWN_DEPARTMENT = "（未指定部门）"
METHOD = (
    "score = 100 × Σ(w × pass_rate) / Σ w over the rules of each dataset's newest table validation; "
    "pass_rate = 1 − unexpected/elements (table-level or element-less rules: 1 if passed else 0); "
    "w = 2 for severity error, 1 for warn; trend = score − the same over each dataset's previous validation"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """The score of one group (a dataset, department or dimension)."""

    by: str
    group: str
    score: float
    previous: float | None
    delta: float | None
    trend: str
    """▲ up, ▼ down, ＝ unchanged, empty when there is no previous validation."""
    rules: int
    failed_rules: int
    elements: int
    unexpected: int
    datasets: tuple[str, ...]
    validated_at: datetime | None


def rule_pass_rate(rule: RuleResultRecord) -> float:
    """1 − unexpected/elements; table-level or element-less rules score by success alone."""
    if rule.observed_value is not None or rule.element_count <= 0:
        return 1.0 if rule.success else 0.0
    return max(0.0, 1.0 - rule.unexpected_count / rule.element_count)


def weighted_score(rules: Iterable[RuleResultRecord]) -> float | None:
    """100 × weighted mean pass rate, or None without rules."""
    total = weight = 0.0
    for rule in rules:
        w = SEVERITY_WEIGHTS.get(rule.severity, 1)
        total += w * rule_pass_rate(rule)
        weight += w
    return None if weight == 0 else round(100.0 * total / weight, 1)


def rule_group(validation: ValidationRecord, rule: RuleResultRecord, by: str) -> str:
    """The group a rule of a validation falls in."""
    if by == "dataset":
        return validation.dataset
    if by == "department":
        return rule.department or validation.department or UNKNOWN_DEPARTMENT
    return rule.dimension


def check_grouping(by: str) -> Grouping:
    """The grouping, or RuleError listing the valid ones."""
    if by not in GROUPINGS:
        raise RuleError(
            f"Cannot group scores by '{by}'. Valid values are: {', '.join(GROUPINGS)}. Fix: pass --by dataset."
        )
    return by  # type: ignore[return-value]  # checked against the Literal's values just above


def _split(validations: Sequence[ValidationRecord]) -> tuple[list[ValidationRecord], list[ValidationRecord]]:
    """(newest per dataset, the one before it per dataset) from validations ordered newest first per dataset."""
    latest: dict[str, ValidationRecord] = {}
    previous: dict[str, ValidationRecord] = {}
    for v in sorted(validations, key=lambda v: (v.validated_at, v.id), reverse=True):
        if v.dataset not in latest:
            latest[v.dataset] = v
        elif v.dataset not in previous:
            previous[v.dataset] = v
    return list(latest.values()), list(previous.values())


def _trend(delta: float | None) -> str:
    if delta is None:
        return ""
    return "▲" if delta > 0 else "▼" if delta < 0 else "＝"


def compute_scores(
    validations: Sequence[ValidationRecord], by: str = "dataset", *, department: str | None = None
) -> list[Score]:
    """Scores per group from each dataset's newest two validations (see the module docstring)."""
    grouping = check_grouping(by)
    latest, previous = _split(validations)

    def collect(
        items: Sequence[ValidationRecord],
    ) -> dict[str, list[tuple[ValidationRecord, RuleResultRecord]]]:
        groups: dict[str, list[tuple[ValidationRecord, RuleResultRecord]]] = {}
        for v in items:
            for rule in v.rules:
                if department is not None and rule_group(v, rule, "department") != department:
                    continue
                groups.setdefault(rule_group(v, rule, grouping), []).append((v, rule))
        return groups

    now, before = collect(latest), collect(previous)
    scores = []
    for group in sorted(now):
        members = now[group]
        score = weighted_score(r for _, r in members)
        assert score is not None
        prior = weighted_score(r for _, r in before.get(group, []))
        delta = None if prior is None else round(score - prior, 1)
        scores.append(
            Score(
                by=grouping,
                group=group,
                score=score,
                previous=prior,
                delta=delta,
                trend=_trend(delta),
                rules=len(members),
                failed_rules=sum(1 for _, r in members if not r.success),
                elements=sum(r.element_count for _, r in members),
                unexpected=sum(r.unexpected_count for _, r in members),
                datasets=tuple(sorted({v.dataset for v, _ in members})),
                validated_at=max(v.validated_at for v, _ in members),
            )
        )
    return scores


def quality_scores(store: CatalogStore, by: str = "dataset", *, department: str | None = None) -> list[Score]:
    """`lakehub quality scores`: scores from the catalog's stored validations (no Spark)."""
    check_grouping(by)
    if department is not None and department not in store.quality_departments():
        from lakehub.catalog import UnknownDepartmentError

        raise UnknownDepartmentError(department, store.quality_departments())
    return compute_scores(store.latest_validations(per_dataset=2), by, department=department)
