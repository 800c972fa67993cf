"""What a model run reports: per-model results, the tier run, and the write and timing records behind them."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehub.quality_rules import SuiteResult

ModelProgress = Callable[[str, str, int, int], None]
"""progress(phase, model, done, total); phase is 'model'."""

PHASES = ("plan", "build_write", "version", "validate", "catalog", "lineage")
"""Where a model run's time goes (ModelResult.phases): inputs and plan, computing and writing the table
(the same work as bare Spark), reading the commit back, the suite, catalog records, lineage reports."""


class ModelStatus(enum.Enum):
    """How one model run came out."""

    SUCCEEDED = "succeeded"
    UNCHANGED = "unchanged"
    """No input changed since the last run: nothing was computed, written or validated again."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not run because a model it reads failed in this run."""


@dataclass(frozen=True, slots=True)
class ModelResult:
    """Outcome of one model in a run."""

    model: str
    tier: str
    status: ModelStatus
    run_id: str | None = None
    mode: str | None = None
    """'full' or 'incremental' (None when nothing was computed)."""
    reason: str | None = None
    """Why it was rebuilt in full, skipped or failed."""
    version: int | None = None
    row_count: int | None = None
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    affected_keys: int | None = None
    """Incremental runs: output keys recomputed."""
    input_versions: Mapping[str, int] = field(default_factory=dict)
    quality: SuiteResult | None = None
    """The model suite's result on the written table (None when not validated)."""
    duration_s: float = 0.0
    phases: Mapping[str, float] = field(default_factory=dict)
    """Seconds spent per phase (see PHASES), for tuning; phases that did not run are absent."""

    @property
    def passed(self) -> bool:
        """Built (or already up to date) and no error rule of its suite failed."""
        return self.status in (ModelStatus.SUCCEEDED, ModelStatus.UNCHANGED) and (
            self.quality is None or self.quality.passed
        )

    @property
    def quality_outcome(self) -> str | None:
        """passed / warned / failed, or None when not validated."""
        return self.quality.outcome.value if self.quality is not None else None


@dataclass(frozen=True, slots=True)
class ModelTierRun:
    """One `lakehub run` over models of a tier (or the models selected)."""

    run_id: str
    tier: str
    results: tuple[ModelResult, ...]
    duration_s: float

    @property
    def passed(self) -> bool:
        """Every model built and passed its suite."""
        return all(r.passed for r in self.results)


@dataclass(frozen=True, slots=True)
class Written:
    """The commit a model run made (or the table's current state when it made none)."""

    version: int | None
    row_count: int
    inserted: int
    updated: int
    deleted: int
    affected_keys: int | None = None
    operation: str = "WRITE"


class PhaseClock:
    """Adds up wall time per named phase; a nested phase's time is not counted in the enclosing one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._nested: list[float] = []

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            inner = self._nested.pop()
            if self._nested:
                self._nested[-1] += spent
            self.seconds[phase] = round(self.seconds.get(phase, 0.0) + spent - inner, 3)
