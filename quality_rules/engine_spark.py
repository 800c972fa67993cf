"""The one-pass Spark engine: a whole suite becomes one projection of per-rule flags and one aggregation.

Passes over the data: 1 computing every rule (counts, table aggregates, hashes of a few failing values);
+1 grouped pass when the suite has uniqueness rules (one GROUPING SETS aggregation for all of them,
joined back by broadcast, in the same Spark job); +1 light pass reading only the sampled columns when
some rule has unexpected values, to fetch the masked sample values behind the hashes (`samples=False`
skips it). Cache the input first if it is expensive to recompute.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import reduce
from typing import Any

from pyspark.errors import ParseException
from pyspark.sql import Column, DataFrame, Row
from pyspark.sql import functions as F

from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import (
    CompileContext,
    CompiledRule,
    GroupCheck,
    RowCheck,
    TableCheck,
    TableFacts,
)
from lakehub.quality_rules.errors import DatasetMismatchError, RuleConfigError
from lakehub.quality_rules.masking import Sensitivity, mask_column
from lakehub.quality_rules.registry import REGISTRY
from lakehub.quality_rules.results import RuleResult, SuiteResult
from lakehub.quality_rules.suite import RuleSpec, Suite

log = logging.getLogger(__name__)

FAILURES = "_failures"
"""array<string> of the ids of the row-level rules a row fails."""
SAMPLE_SIZE = 5


def _row_condition(spec: RuleSpec) -> Column | None:
    """The rule's row_condition as a never-null predicate."""
    if spec.kwargs.row_condition is None:
        return None
    try:
        return F.coalesce(F.expr(spec.kwargs.row_condition), F.lit(False))
    except ParseException as err:
        raise RuleConfigError(
            spec.origin,
            spec.line,
            f"Rule '{spec.id}' has a row_condition that is not Spark SQL",
            "Fix: write a predicate such as `insurance_type NOT LIKE '城乡居民%'`.",
        ) from err


def compile_rule(spec: RuleSpec, *, as_of: dt.date | None = None) -> CompiledRule:
    """Compile one rule to Column expressions (no session, data, file or clock is touched)."""
    check = REGISTRY[spec.expectation].compile(spec.kwargs, CompileContext(as_of))
    condition = _row_condition(spec)
    if condition is not None and isinstance(check, RowCheck):
        check = replace(check, unexpected=check.unexpected & condition, element=check.element & condition)
    return CompiledRule(spec, check)


def compile_suite(suite: Suite, *, as_of: dt.date | None = None) -> tuple[CompiledRule, ...]:
    """Compile every rule of a suite."""
    return tuple(compile_rule(rule, as_of=as_of) for rule in suite.rules)


def check_columns(columns: Sequence[str], suite: Suite) -> None:
    """Fail, naming rule, file and line, when a rule reads a column the data lacks."""
    for rule in suite.rules:
        for name in rule.columns:
            if name not in columns:
                close = difflib.get_close_matches(name, list(columns), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise DatasetMismatchError(
                    f"Rule '{rule.id}' in {rule.origin} line {rule.line} reads column '{name}', which the data "
                    f"for {suite.dataset} lacks.{hint} Columns: {', '.join(columns)}. "
                    "Fix: correct the column name in the suite."
                )


def _group_sets(compiled: Sequence[CompiledRule]) -> list[tuple[str, ...]]:
    sets: list[tuple[str, ...]] = []
    for item in compiled:
        if isinstance(item.check, GroupCheck) and item.check.group_columns not in sets:
            sets.append(item.check.group_columns)
    return sets


def _duplicate_keys(frame: DataFrame, sets: Sequence[tuple[str, ...]]) -> list[DataFrame]:
    """Per column set, the value combinations occurring more than once, from one grouped aggregation."""
    count = F.count(F.lit(1)).alias("_n")
    if len(sets) == 1:
        keys = [column(c) for c in sets[0]]
        return [frame.groupBy(*keys).agg(count).where(F.col("_n") > 1).select(*keys)]
    every = list(dict.fromkeys(c for s in sets for c in s))
    counted = (
        frame.groupingSets([[column(c) for c in s] for s in sets], *[column(c) for c in every])
        .agg(count, F.grouping_id().alias("_gid"))
        .where(F.col("_n") > 1)
    )
    width = len(every)
    frames = []
    for columns in sets:
        gid = sum(1 << (width - 1 - j) for j, name in enumerate(every) if name not in columns)
        frames.append(counted.where(F.col("_gid") == gid).select(*[column(c) for c in columns]))
    return frames


def _with_duplicate_flags(frame: DataFrame, sets: Sequence[tuple[str, ...]]) -> DataFrame:
    """Add `_dup<s>` (true or null) per column set; null-safe equality, so all-null keys match too."""
    joined = frame
    for s, (columns, dups) in enumerate(zip(sets, _duplicate_keys(frame, sets), strict=True)):
        right = dups.select(
            *[column(c).alias(f"_g{s}_{j}") for j, c in enumerate(columns)], F.lit(True).alias(f"_dup{s}")
        )
        condition = reduce(
            lambda a, b: a & b, [column(c).eqNullSafe(F.col(f"_g{s}_{j}")) for j, c in enumerate(columns)]
        )
        joined = joined.join(F.broadcast(right), condition, "left")
    return joined


def _flag(frame: DataFrame, compiled: Sequence[CompiledRule]) -> DataFrame:
    """The frame plus `_u<i>` (row fails rule i) and `_e<i>` (row is an element of rule i) per row rule."""
    sets = _group_sets(compiled)
    joined = _with_duplicate_flags(frame, sets) if sets else frame
    flags: list[Column] = []
    for i, item in enumerate(compiled):
        check = item.check
        if isinstance(check, RowCheck):
            flags += [check.unexpected.alias(f"_u{i}"), check.element.alias(f"_e{i}")]
        elif isinstance(check, GroupCheck):
            duplicated = F.coalesce(F.col(f"_dup{sets.index(check.group_columns)}"), F.lit(False))
            flags += [(check.element & duplicated).alias(f"_u{i}"), check.element.alias(f"_e{i}")]
    return joined.select(*[column(c) for c in frame.columns], *flags)


def _row_rules(compiled: Sequence[CompiledRule]) -> list[tuple[int, CompiledRule]]:
    return [(i, c) for i, c in enumerate(compiled) if not isinstance(c.check, TableCheck)]


def annotate(frame: DataFrame, suite: Suite, *, as_of: dt.date | None = None) -> DataFrame:
    """The frame plus `_failures`: ids of the row-level rules each row fails (table rules never appear)."""
    check_columns(frame.columns, suite)
    compiled = compile_suite(suite, as_of=as_of)
    failing = [F.when(F.col(f"_u{i}"), F.lit(c.rule.id)) for i, c in _row_rules(compiled)]
    failures = (
        F.filter(F.array(*failing), lambda e: e.isNotNull()) if failing else F.array().cast("array<string>")
    )
    return _flag(frame, compiled).select(*[column(c) for c in frame.columns], failures.alias(FAILURES))


def _sample_text(check: RowCheck | GroupCheck, masks: Mapping[str, Sensitivity]) -> Column:
    """The masked text shown for a failing row: the value, or a pair's values joined by '|'."""
    parts = [
        F.coalesce(mask_column(column(c).cast("string"), masks.get(c)), F.lit("null"))
        for c in check.sample_columns
    ]
    return parts[0] if len(parts) == 1 else F.concat_ws("|", *parts)


def _value_hash(check: RowCheck | GroupCheck) -> Column:
    return F.xxhash64(*[column(c) for c in check.sample_columns])


def _metrics(flagged: DataFrame, compiled: Sequence[CompiledRule]) -> Row:
    """Counts, table aggregates and, per row rule, up to SAMPLE_SIZE hashes of distinct failing values.

    Only fixed-width aggregates, so Spark runs one code-generated hash aggregation; string aggregates
    (min, collect_set) would force an interpreted sort aggregation several times slower.
    """
    hashes: list[Column] = []
    aggregates: list[Column] = [F.count(F.lit(1)).alias("_rows")]
    for i, item in enumerate(compiled):
        check = item.check
        if isinstance(check, TableCheck):
            aggregates += [a.alias(f"_t{i}_{j}") for j, a in enumerate(check.aggregates)]
            continue
        aggregates += [
            F.count_if(F.col(f"_e{i}")).alias(f"_ne{i}"),
            F.count_if(F.col(f"_u{i}")).alias(f"_nu{i}"),
        ]
        if check.sample_columns:
            hashes.append(F.when(F.col(f"_u{i}"), _value_hash(check)).alias(f"_h{i}"))
            # One bucket per hash residue keeps the picked values distinct.
            aggregates += [
                F.min(F.when(F.pmod(F.col(f"_h{i}"), F.lit(SAMPLE_SIZE)) == k, F.col(f"_h{i}"))).alias(
                    f"_x{i}_{k}"
                )
                for k in range(SAMPLE_SIZE)
            ]
    return flagged.select("*", *hashes).agg(*aggregates).collect()[0]


def _picked_hashes(compiled: Sequence[CompiledRule], metrics: Row) -> dict[int, list[int]]:
    names = metrics.asDict()
    picked = {
        i: [h for k in range(SAMPLE_SIZE) if (h := names.get(f"_x{i}_{k}")) is not None]
        for i in range(len(compiled))
    }
    return {i: hashes for i, hashes in picked.items() if hashes}


def _sample_values(
    frame: DataFrame,
    compiled: Sequence[CompiledRule],
    picked: Mapping[int, list[int]],
    masks: Mapping[str, Sensitivity],
) -> dict[int, tuple[str, ...]]:
    """The masked values behind the picked hashes: a light pass reading only the sampled columns."""
    texts = []
    for i, hashes in picked.items():
        check = compiled[i].check
        assert not isinstance(check, TableCheck)
        texts.append(F.when(_value_hash(check).isin(*hashes), _sample_text(check, masks)).alias(f"_s{i}"))
    found = reduce(lambda a, b: a | b, [F.col(f"_s{i}").isNotNull() for i in picked])
    row = (
        frame.select(*texts)
        .where(found)
        .agg(*[F.array_sort(F.collect_set(f"_s{i}")).alias(f"_s{i}") for i in picked])
        .collect()[0]
    )
    return {i: tuple(row[f"_s{i}"][:SAMPLE_SIZE]) for i in picked}


def sample_masks(
    suite: Suite, compiled: Sequence[CompiledRule], sensitivity: Mapping[str, Sensitivity] | None
) -> dict[str, Sensitivity]:
    """Column → masking of sample values: implied by the suite's rules, then the suite's, then the caller's."""
    implied = {
        name: kind
        for item in compiled
        if not isinstance(item.check, TableCheck)
        for name, kind in item.check.masks.items()
    }
    return {**implied, **suite.sensitive, **(sensitivity or {})}


def _percent(elements: int, unexpected: int) -> float | None:
    return None if elements == 0 else unexpected * 100.0 / elements


def _mostly_success(elements: int, unexpected: int, mostly: float) -> bool:
    """GE's rule: vacuously true without elements, else (elements - unexpected) / elements >= mostly."""
    return elements == 0 or (elements - unexpected) / elements >= mostly


def _result(
    item: CompiledRule, index: int, row: Row, facts: TableFacts, samples: tuple[str, ...]
) -> RuleResult:
    spec = item.rule
    common: dict[str, Any] = {
        "rule_id": spec.id,
        "expectation": spec.expectation,
        "column": ",".join(spec.columns) or None,
        "columns": spec.columns,
        "severity": spec.severity,
        "dimension": spec.dimension,
        "department": spec.department,
        "description": spec.description,
        "mostly": spec.kwargs.fraction,
    }
    if isinstance(item.check, TableCheck):
        values = tuple(row[f"_t{index}_{j}"] for j in range(len(item.check.aggregates)))
        verdict = item.check.evaluate(values, facts)
        return RuleResult(
            **common,
            success=verdict.success,
            element_count=verdict.element_count,
            unexpected_count=0,
            unexpected_percent=None,
            sample_unexpected=(),
            observed_value=verdict.observed_value,
        )
    elements, unexpected = int(row[f"_ne{index}"]), int(row[f"_nu{index}"])
    return RuleResult(
        **common,
        success=_mostly_success(elements, unexpected, spec.kwargs.fraction or 1.0),
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=_percent(elements, unexpected),
        sample_unexpected=samples,
    )


def validate(
    frame: DataFrame,
    suite: Suite,
    *,
    as_of: dt.date | None = None,
    sensitivity: Mapping[str, Sensitivity] | None = None,
    samples: bool = True,
) -> SuiteResult:
    """Validate a frame against a suite: one pass computing every rule (see the module docstring).

    Sample values are masked for columns named in `sensitivity`, in the suite's `sensitive`, or implied by
    any rule of the suite (a resident-ID rule's column is masked in every rule's samples).
    """
    check_columns(frame.columns, suite)
    compiled = compile_suite(suite, as_of=as_of)
    masks = sample_masks(suite, compiled, sensitivity)
    metrics = _metrics(_flag(frame, compiled), compiled)
    picked = _picked_hashes(compiled, metrics) if samples else {}
    values = _sample_values(frame, compiled, picked, masks) if picked else {}
    facts = TableFacts(
        row_count=int(metrics["_rows"]),
        column_types={
            f.name: (type(f.dataType).__name__, f.dataType.simpleString()) for f in frame.schema.fields
        },
    )
    results = tuple(_result(item, i, metrics, facts, values.get(i, ())) for i, item in enumerate(compiled))
    passes = 1 + bool(_group_sets(compiled)) + bool(picked)
    outcome = SuiteResult(
        suite=suite.suite,
        dataset=suite.dataset,
        row_count=facts.row_count,
        results=results,
        data_passes=passes,
    )
    log.info(
        "suite %s on %s: %d rows, %d rules, %d failed, %d data pass(es)",
        suite.suite,
        suite.dataset,
        facts.row_count,
        len(results),
        len(outcome.failed),
        passes,
    )
    return outcome
