"""The entry point for validating landed (or in-memory) datasets; importing it never imports pyspark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakehub.quality_rules.masking import Sensitivity
from lakehub.quality_rules.results import SuiteResult
from lakehub.quality_rules.suite import Suite

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def validate_datasets(
    frames: Mapping[str, DataFrame],
    suite: Suite,
    *,
    as_of: dt.date | None = None,
    sensitivity: Mapping[str, Mapping[str, Sensitivity]] | None = None,
    samples: bool = True,
) -> SuiteResult:
    """Validate a suite over frames keyed by `tier.name` (`suite.required_datasets` lists the ones it needs).

    Single-table suites run in the one-pass engine on `frames[suite.dataset]`; each cross-table rule is
    one join or aggregation. `sensitivity`: `tier.name` → column → sensitivity, for masking samples.
    """
    from lakehub.quality_rules.engine_cross import validate_datasets as validate_over_frames

    return validate_over_frames(frames, suite, as_of=as_of, sensitivity=sensitivity, samples=samples)
