"""The one entry point that validates a Spark frame with either engine: lakehub's one-pass engine or GX.

Importing this module imports neither pyspark nor Great Expectations; the chosen engine is imported when
`validate_frame` runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, get_args

from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.masking import Sensitivity
from lakehub.quality_rules.results import SuiteResult
from lakehub.quality_rules.suite import Suite

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

Engine = Literal["spark", "gx"]
"""`spark`: lakehub's one-pass Spark engine (default); `gx`: Great Expectations Core on its Spark engine."""
ENGINES: tuple[str, ...] = get_args(Engine)


def parse_engine(name: str) -> Engine:
    """The engine of this name; an unknown name is an error listing the valid ones."""
    if name == "spark":
        return "spark"
    if name == "gx":
        return "gx"
    raise RuleError(
        f"'{name}' is not a valid engine. Valid engines: {', '.join(ENGINES)}. "
        "Fix: pass --engine spark (one pass, default) or --engine gx (Great Expectations)."
    )


def validate_frame(
    frame: DataFrame,
    suite: Suite,
    *,
    engine: Engine = "spark",
    as_of: dt.date | None = None,
    sensitivity: Mapping[str, Sensitivity] | None = None,
    samples: bool = True,
) -> SuiteResult:
    """Validate a frame against a suite with the chosen engine; both return the same SuiteResult shape.

    `as_of` is the reference date of 'not in the future' and freshness rules (None: today); samples are
    masked for the columns in `sensitivity`, the suite's `sensitive` and those a rule implies.
    """
    if parse_engine(engine) == "gx":
        from lakehub.quality_rules.engine_gx import validate as validate_gx

        return validate_gx(frame, suite, as_of=as_of, sensitivity=sensitivity, samples=samples)
    from lakehub.quality_rules.engine_spark import validate as validate_spark

    return validate_spark(frame, suite, as_of=as_of, sensitivity=sensitivity, samples=samples)
