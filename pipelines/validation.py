"""Validation plumbing shared by landing, `quality run` and models: engine switch, failing rows, recording.

Spark stays inside the functions; the module imports without pyspark.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lakehub.catalog import CatalogStore
from lakehub.lineage.report import RuleOutcome
from lakehub.pipelines.sources import SourceSpec
from lakehub.quality_rules.masking import Sensitivity
from lakehub.quality_rules.recording import FailingRow, issue_values, record_suite_result

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakehub.quality_rules import Suite, SuiteResult

log = logging.getLogger(__name__)


def suite_sensitivity(spec: SourceSpec, suite: Suite) -> dict[str, Sensitivity]:
    """Columns to mask: classified in the source spec or named sensitive by the suite."""
    found: dict[str, Sensitivity] = {c.name: c.sensitivity for c in spec.columns if c.sensitivity}
    return {**found, **suite.sensitive}


def collect_failing_rows(frame: DataFrame, suite: Suite, spec: SourceSpec, cap: int) -> list[FailingRow]:
    """At most `cap` rows per row-level rule from `annotate`'s `_failures`, in source-file row order."""
    from pyspark.sql import functions as F

    from lakehub.quality_rules.column_rules import column
    from lakehub.quality_rules.engine_spark import FAILURES, annotate

    meta: list[str] = [c for c in ("_source_file", "_source_row") if c in frame.columns]
    read = list(dict.fromkeys([*spec.business_key, *(c for rule in suite.rules for c in rule.columns)]))
    annotated = annotate(frame.select(*[column(c) for c in spec.column_names], *meta), suite)
    failing = annotated.where(F.size(FAILURES) > 0).select(
        F.explode(FAILURES).alias("_rule"),
        *[column(c).cast("string").alias(f"_v{i}") for i, c in enumerate(read)],
        *meta,
    )
    order = meta or [f"_v{i}" for i in range(len(spec.business_key))]
    return _first_failing_rows(failing, read, spec.business_key, order, cap)


def _first_failing_rows(
    failing: DataFrame, read: Sequence[str], keys: Sequence[str], order: Sequence[str], cap: int
) -> list[FailingRow]:
    """At most `cap` rows per rule of `failing` (`_rule`, `_v<i>` = read[i], optional provenance) by `order`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy("_rule").orderBy(*order)
    picked = failing.withColumn("_n", F.row_number().over(window)).where(F.col("_n") <= cap)
    rows = []
    for row in picked.collect():
        values = {c: row[f"_v{i}"] for i, c in enumerate(read)}
        fields = row.asDict()
        rows.append(
            FailingRow(
                rule_id=row["_rule"],
                key=tuple((k, values.get(k)) for k in keys),
                values=values,
                source_file=fields.get("_source_file"),
                source_row=None if fields.get("_source_row") is None else int(fields["_source_row"]),
            )
        )
    return sorted(rows, key=lambda r: (r.rule_id, r.source_file or "", r.source_row or 0))


def landing_failing_rows(
    flagged: DataFrame, spec: SourceSpec, suite: Suite, result: SuiteResult, *, cap: int
) -> list[FailingRow]:
    """The delivery's rows quarantined by the suite's rules (reason code = rule id), at most `cap` per rule in
    delivery order. `flagged` holds the delivery's quarantined rows as the quarantine table stores them
    (`classify.flagged_rows`): read before the write, so the landing's last seconds do not wait for a read
    of the table back. Nothing is read when no rule failed or nothing is wanted (`cap` 0)."""
    from pyspark.sql import functions as F

    if not cap or not any(not r.success or r.unexpected_count for r in result.results):
        return []
    rule_ids = [rule.id for rule in suite.rules if rule.id]
    read = list(dict.fromkeys([*spec.business_key, *(c for rule in suite.rules for c in rule.columns)]))
    read = [c for c in read if c in spec.column_names]
    failing = flagged.select(
        F.explode("_reasons").alias("_rule"),
        *[F.col(c).alias(f"_v{i}") for i, c in enumerate(read)],
        "_source_file",
        "_source_row",
    ).where(F.col("_rule").isin(rule_ids))
    return _first_failing_rows(failing, read, spec.business_key, ["_source_row"], cap)


def record_landing_validation(
    store: CatalogStore,
    spec: SourceSpec,
    suite: Suite,
    result: SuiteResult,
    failing: Sequence[FailingRow],
    *,
    run_id: str,
    delta_version: int | None,
    sha256: str,
) -> None:
    """Store what landing checked of the source's suite, with the rows it quarantined as rectification issues."""
    record_suite_result(
        store,
        result,
        dataset=f"base.{spec.table_name}",
        run_id=run_id,
        delta_version=delta_version,
        engine="spark",
        issues=issue_values(
            result, failing, department=spec.department, sensitivity=suite_sensitivity(spec, suite)
        ),
        input_sha256=sha256,
    )


def rule_outcomes(result: SuiteResult | None) -> tuple[RuleOutcome, ...]:
    """A suite result as lineage data-quality assertions (verdicts and counts, never sample values)."""
    if result is None:
        return ()
    return tuple(
        RuleOutcome(
            expectation=r.expectation,
            column=r.column,
            success=r.success,
            element_count=r.element_count,
            unexpected_count=r.unexpected_count,
            severity=r.severity,
            dimension=r.dimension,
            name=f"{result.suite}/{r.rule_id}",
        )
        for r in result.results
    )
