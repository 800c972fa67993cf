"""Validate data that has not landed: an already standardised frame against a suite (one Spark pass)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from pyspark.sql import DataFrame

from lakehub.quality_rules.engine_cross import check_predicates
from lakehub.quality_rules.engine_spark import check_columns
from lakehub.quality_rules.engines import Engine, parse_engine, validate_frame
from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.masking import Sensitivity
from lakehub.quality_rules.results import SuiteResult
from lakehub.quality_rules.suite import Suite

log = logging.getLogger(__name__)


def dataset_table(dataset: str) -> tuple[str, str]:
    """(tier, name) of a suite's `tier.name` dataset, e.g. ('base', 'population')."""
    tier, dot, name = dataset.partition(".")
    if not dot or not tier or not name or "/" in dataset:
        raise RuleError(
            f"Suite dataset '{dataset}' is not a tier.name short name. Fix: write e.g. `dataset: base.population`."
        )
    return tier, name


def check_frame(
    frame: DataFrame,
    suite: Suite,
    *,
    sensitivity: Mapping[str, Sensitivity] | None = None,
    as_of: dt.date | None = None,
    engine: Engine = "spark",
) -> SuiteResult:
    """Validate standardised rows (e.g. a delivered file, not landed) against a suite with either engine.

    For the GX engine the rows are cached for the run: GX reads them once per metric batch.
    """
    engine = parse_engine(engine)
    if suite.is_cross:
        raise RuleError(
            f"Suite '{suite.suite}' ({suite.origin}) is cross-table: it reads "
            f"{', '.join(suite.required_datasets)}, not one delivered file. Fix: land those datasets and run "
            "`lakehub quality run`, or check the file against its source's suite."
        )
    log.info("checking %s against suite %s (%s, engine %s)", suite.dataset, suite.suite, suite.origin, engine)
    check_columns(frame.columns, suite)
    check_predicates(frame, suite)
    if engine == "spark":
        return validate_frame(frame, suite, engine=engine, as_of=as_of, sensitivity=sensitivity)
    cached = frame.cache()
    try:
        return validate_frame(cached, suite, engine=engine, as_of=as_of, sensitivity=sensitivity)
    finally:
        cached.unpersist()
