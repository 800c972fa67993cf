"""Validate a suite over several named datasets: single-table rules in one pass, each cross rule one join.

The frames are given by `tier.name` (landed Delta tables or in-memory frames alike). Rules reading only the
suite's own dataset go through the one-pass engine (`engine_spark.validate`); each cross-table rule is one
join or aggregation over the datasets it names, plus a light pass for masked samples when it failed.
Every SQL text (predicates, queries) is parsed and analysed against the frames' schemas before any data is
read; a bad one fails naming the suite file, line and rule.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections.abc import Mapping
from typing import Any

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CompileContext, CompiledRule, CrossCheck, SampleColumn
from lakehub.quality_rules.engine_spark import (
    FAILURES,
    annotate,
    check_columns,
    compile_rule,
    counted_result,
    validate,
)
from lakehub.quality_rules.errors import DatasetMismatchError, RuleConfigError
from lakehub.quality_rules.masking import Sensitivity, mask_column
from lakehub.quality_rules.registry import REGISTRY
from lakehub.quality_rules.results import RuleResult, SuiteResult
from lakehub.quality_rules.sql_predicate import SqlPredicateKwargs, predicate_column
from lakehub.quality_rules.suite import RuleSpec, Suite

log = logging.getLogger(__name__)

SAMPLE_SIZE = 5
DatasetSensitivity = Mapping[str, Mapping[str, Sensitivity]]
"""`tier.name` → column → sensitivity (e.g. from the source specs)."""


def _spark_problem(err: Exception) -> str:
    """The first line of Spark's message (names columns and SQL text, never row values)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _sql_error(rule: RuleSpec, what: str, err: Exception, fix: str) -> RuleConfigError:
    return RuleConfigError(
        rule.origin,
        rule.line,
        f"Rule '{rule.id}' has {what} that Spark cannot run ({_spark_problem(err)})",
        f"Fix: {fix}",
    )


def compile_row_rules(suite: Suite, *, as_of: dt.date | None = None) -> tuple[CompiledRule, ...]:
    """Compile the suite's single-table rules; SQL that does not parse fails naming file, line and rule."""
    compiled = []
    for rule in suite.rules:
        if REGISTRY[rule.expectation].is_cross:
            continue
        try:
            compiled.append(compile_rule(rule, as_of=as_of))
        except ParseException as err:
            raise _sql_error(rule, "SQL", err, "write a Spark SQL boolean expression.") from err
    return tuple(compiled)


def check_predicates(frame: DataFrame, suite: Suite) -> None:
    """Parse and analyse every SQL predicate and row_condition of the suite's single-table rules on `frame`.

    Only the schema is used (Spark analyses eagerly); no data is read.
    """
    for rule in suite.rules:
        if REGISTRY[rule.expectation].is_cross:
            continue
        texts: list[tuple[str, str]] = []
        if isinstance(rule.kwargs, SqlPredicateKwargs):
            texts.append(("a predicate", rule.kwargs.predicate))
        if rule.kwargs.row_condition is not None:
            texts.append(("a row_condition", rule.kwargs.row_condition))
        for what, text in texts:
            try:
                kind = frame.select(predicate_column(text).alias("_p")).schema["_p"].dataType.typeName()
            except (ParseException, AnalysisException) as err:
                raise _sql_error(
                    rule,
                    what,
                    err,
                    f"write a Spark SQL boolean expression over the columns of {suite.dataset} "
                    f"({', '.join(frame.columns)}).",
                ) from err
            if kind not in ("boolean", "void"):
                raise RuleConfigError(
                    rule.origin,
                    rule.line,
                    f"Rule '{rule.id}' has {what} of type {kind}, not a boolean",
                    "Fix: write a condition such as `closed_at >= created_at`.",
                )


def _frames_by_alias(frames: Mapping[str, DataFrame], suite: Suite) -> dict[str, DataFrame]:
    """Each alias the suite's rules use → its frame; a missing dataset fails naming the suite and the fix."""
    missing = [name for name in suite.required_datasets if name not in frames]
    if missing:
        raise DatasetMismatchError(
            f"Suite '{suite.suite}' ({suite.origin}) reads {', '.join(missing)}, which were not given. "
            f"Given: {', '.join(frames) or 'none'}. Fix: land those datasets first, or pass a frame for each "
            f"of {', '.join(suite.required_datasets)}."
        )
    aliases = {"batch": suite.dataset, **suite.datasets}
    return {alias: frames[name] for alias, name in aliases.items() if name in frames}


def _check_reads(rule: RuleSpec, check: CrossCheck, by_alias: Mapping[str, DataFrame], suite: Suite) -> None:
    for alias, names in check.reads.items():
        available = by_alias[alias].columns
        for name in names:
            if name not in available:
                close = difflib.get_close_matches(name, available, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise DatasetMismatchError(
                    f"Rule '{rule.id}' in {rule.origin} line {rule.line} reads column '{name}' of "
                    f"{suite.dataset_of(alias)} ('{alias}'), which it lacks.{hint} "
                    f"Columns: {', '.join(available)}. Fix: correct the column name in the suite."
                )


def _masks(suite: Suite, sensitivity: DatasetSensitivity, sample: SampleColumn) -> Sensitivity | None:
    """How a sample column is masked: the caller's sensitivity of its dataset, else the suite's `sensitive`."""
    names = [suite.dataset_of(sample.dataset)] if sample.dataset else list(sensitivity)
    for name in names:
        found = sensitivity.get(name, {}).get(sample.source)
        if found is not None:
            return found
    return suite.sensitive.get(sample.source)


def _sample_text(check: CrossCheck, suite: Suite, sensitivity: DatasetSensitivity) -> Column:
    parts = [
        F.coalesce(mask_column(column(s.name).cast("string"), _masks(suite, sensitivity, s)), F.lit("null"))
        for s in check.sample_columns
    ]
    return parts[0] if len(parts) == 1 else F.concat_ws("|", *parts)


def _condition(rule: RuleSpec) -> Column | None:
    text = rule.kwargs.row_condition
    return None if text is None else F.coalesce(F.expr(text), F.lit(False))


def _flag_cross(
    rule: RuleSpec, by_alias: Mapping[str, DataFrame], suite: Suite, as_of: dt.date | None
) -> tuple[CrossCheck, DataFrame]:
    """The rule's check and its flagged rows (`_e`, `_u`), with every SQL text analysed up front."""
    compile_cross = REGISTRY[rule.expectation].compile_cross
    assert compile_cross is not None
    check = compile_cross(rule.kwargs, CompileContext(as_of))
    _check_reads(rule, check, by_alias, suite)
    try:
        flagged = check.flag(by_alias)
        condition = _condition(rule)
        if condition is not None:
            flagged = flagged.withColumn("_e", F.col("_e") & condition).withColumn(
                "_u", F.col("_u") & condition
            )
    except (ParseException, AnalysisException) as err:
        raise _sql_error(
            rule,
            "SQL (query, row_condition or compared columns)",
            err,
            "check the query's {alias} names, columns and syntax against the datasets' schemas.",
        ) from err
    return check, flagged


def _cross_result(
    rule: RuleSpec,
    check: CrossCheck,
    flagged: DataFrame,
    suite: Suite,
    sensitivity: DatasetSensitivity,
    samples: bool,
) -> tuple[RuleResult, int, int]:
    """(result, rows of the checked dataset, data passes) of one cross-table rule."""
    rows = F.count(F.lit(1)) if check.keeps_rows else F.count_if(F.col("_e"))
    counts = flagged.agg(
        rows.alias("rows"),
        F.count_if(F.col("_e")).alias("elements"),
        F.count_if(F.col("_u")).alias("unexpected"),
    ).collect()[0]
    elements, unexpected = int(counts["elements"]), int(counts["unexpected"])
    shown: tuple[str, ...] = ()
    passes = 1
    if samples and unexpected and check.sample_columns:
        text = _sample_text(check, suite, sensitivity).alias("_s")
        picked = flagged.where(F.col("_u")).select(text).distinct().orderBy("_s").limit(SAMPLE_SIZE)
        shown = tuple(r["_s"] for r in picked.collect())
        passes += 1
    result = counted_result(
        rule,
        elements,
        unexpected,
        shown,
        dataset=suite.dataset_of(check.dataset),
        other_dataset=None if check.other_dataset is None else suite.dataset_of(check.other_dataset),
        other_department=check.other_department,
    )
    return result, int(counts["rows"]), passes


def _single_table(suite: Suite) -> Suite | None:
    rules = tuple(r for r in suite.rules if not REGISTRY[r.expectation].is_cross)
    return suite.model_copy(update={"rules": rules}) if rules else None


def _cross_rules(suite: Suite) -> tuple[RuleSpec, ...]:
    return tuple(r for r in suite.rules if REGISTRY[r.expectation].is_cross)


def validate_datasets(
    frames: Mapping[str, DataFrame],
    suite: Suite,
    *,
    as_of: dt.date | None = None,
    sensitivity: DatasetSensitivity | None = None,
    samples: bool = True,
) -> SuiteResult:
    """Validate a suite (single-table or cross-table) over frames given by `tier.name`.

    `sensitivity` maps each dataset's columns to their sensitivity (masking samples, like the suite's
    `sensitive`). Results keep the suite's rule order; cross-table results name the checked dataset,
    the other dataset and, for one-source conflicts, the other department.
    """
    by_alias = _frames_by_alias(frames, suite)
    masks = sensitivity or {}
    single = _single_table(suite)
    results: dict[str, RuleResult] = {}
    row_count: int | None = None
    passes = 0
    prepared = [(rule, *_flag_cross(rule, by_alias, suite, as_of)) for rule in _cross_rules(suite)]
    if single is not None:
        frame = frames[suite.dataset]
        check_columns(frame.columns, single)
        check_predicates(frame, single)
        outcome = validate(frame, single, as_of=as_of, sensitivity=masks.get(suite.dataset), samples=samples)
        results.update((r.rule_id, r) for r in outcome.results)
        row_count, passes = outcome.row_count, outcome.data_passes
    for rule, check, flagged in prepared:
        result, rows, used = _cross_result(rule, check, flagged, suite, masks, samples)
        results[rule.id] = result
        passes += used
        if row_count is None and suite.dataset_of(check.dataset) == suite.dataset:
            row_count = rows
    if row_count is None:
        row_count = frames[suite.dataset].count()
        passes += 1
    outcome = SuiteResult(
        suite=suite.suite,
        dataset=suite.dataset,
        row_count=row_count,
        results=tuple(results[rule.id] for rule in suite.rules),
        data_passes=passes,
    )
    log.info(
        "suite %s over %s: %d rules, %d failed, %d data pass(es)",
        suite.suite,
        ", ".join(suite.required_datasets),
        len(outcome.results),
        len(outcome.failed),
        passes,
    )
    return outcome


def failing_rows(
    frames: Mapping[str, DataFrame], suite: Suite, *, as_of: dt.date | None = None
) -> dict[str, DataFrame]:
    """Rule id → the rows failing it (lazy frames, unmasked: base-tier use only, e.g. rectification lists).

    Row and uniqueness rules give the suite dataset's failing rows; cross-table rules the checked
    dataset's failing rows (SQL queries: the rows the query returned). Table-level rules have none.
    """
    by_alias = _frames_by_alias(frames, suite)
    found: dict[str, DataFrame] = {}
    single = _single_table(suite)
    if single is not None:
        frame = frames[suite.dataset]
        check_predicates(frame, single)
        flagged = annotate(frame, single, as_of=as_of)
        row_level = [r for r in single.rules if _is_row_level(r, as_of)]
        for rule in row_level:
            found[rule.id] = flagged.where(F.array_contains(F.col(FAILURES), rule.id)).drop(FAILURES)
    for rule in _cross_rules(suite):
        check, flagged = _flag_cross(rule, by_alias, suite, as_of)
        if check.returned_rows is not None:
            found[rule.id] = check.returned_rows(by_alias)
        else:
            found[rule.id] = flagged.where(F.col("_u")).select(*by_alias[check.dataset].columns)
    return found


def _is_row_level(rule: RuleSpec, as_of: dt.date | None) -> bool:
    from lakehub.quality_rules.compiled import TableCheck

    check: Any = REGISTRY[rule.expectation].compile(rule.kwargs, CompileContext(as_of))
    return not isinstance(check, TableCheck)
