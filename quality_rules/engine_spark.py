"""The one-pass Spark engine: a whole suite becomes one projection of per-rule flags and one aggregation.

Passes over the data: 1 computing every rule (counts and table aggregates); +1 grouped pass when the
suite has uniqueness rules (one GROUPING SETS aggregation for all of them, joined back by broadcast, in
the same Spark job). A few masked sample values per failing rule are recorded during the main pass by a
JVM SampleCollector (no extra scan; `samples=False` leaves it out). Cache the input first if it is
expensive to recompute.
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

from lakehub.quality_rules import engine_columnar
from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import (
    Check,
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
from lakehub.quality_rules.sampling import GROUP, collecting
from lakehub.quality_rules.suite import RuleSpec, Suite

log = logging.getLogger(__name__)

FAILURES = "_failures"
"""array<string> of the ids of the row-level rules a row fails."""
SAMPLE_SIZE = 5
"""Distinct (masked) failing values reported per rule."""
SAMPLE_ROWS = 20
"""Failing rows read per rule to pick the samples from (as GX's partial unexpected list)."""


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


def _repeated(frame: DataFrame, sets: Sequence[tuple[str, ...]]) -> tuple[DataFrame, list[Column | None]]:
    """One grouped aggregation over every column set: the value combinations occurring more than once, and
    per set the condition picking its rows (None: every row, when there is one set)."""
    count = F.count(F.lit(1)).alias("_n")
    if len(sets) == 1:
        return frame.groupBy(*[column(c) for c in sets[0]]).agg(count).where(F.col("_n") > 1), [None]
    every = list(dict.fromkeys(c for s in sets for c in s))
    counted = (
        frame.groupingSets([[column(c) for c in s] for s in sets], *[column(c) for c in every])
        .agg(count, F.grouping_id().alias("_gid"))
        .where(F.col("_n") > 1)
    )
    width = len(every)
    picks: list[Column | None] = []
    for columns in sets:
        gid = sum(1 << (width - 1 - j) for j, name in enumerate(every) if name not in columns)
        picks.append(F.col("_gid") == gid)
    return counted, picks


def _duplicate_keys(frame: DataFrame, sets: Sequence[tuple[str, ...]]) -> list[DataFrame]:
    """Per column set, the value combinations occurring more than once, from one grouped aggregation."""
    counted, picks = _repeated(frame, sets)
    return [
        (counted if pick is None else counted.where(pick)).select(*[column(c) for c in columns])
        for columns, pick in zip(sets, picks, strict=True)
    ]


def repeated_keys(
    frame: DataFrame, sets: Sequence[tuple[str, ...]], limit: int
) -> list[list[tuple[Any, ...]]] | None:
    """Per column set, its repeated value combinations, collected in one job; None when a set has more than
    `limit` (then more than len(sets) * limit rows in all is already proof enough)."""
    counted, picks = _repeated(frame, sets)
    every = list(dict.fromkeys(c for s in sets for c in s))
    marks = [F.lit(True) if pick is None else pick for pick in picks]
    rows = (
        counted.select(*[column(c) for c in every], *[m.alias(f"_in{k}") for k, m in enumerate(marks)])
        .limit(len(sets) * limit + 1)
        .collect()
    )
    if len(rows) > len(sets) * limit:
        return None
    found = []
    for k, columns in enumerate(sets):
        mine = [tuple(row[every.index(c)] for c in columns) for row in rows if row[f"_in{k}"]]
        if len(mine) > limit:
            return None
        found.append(mine)
    return found


def _with_duplicate_flags(
    frame: DataFrame, sets: Sequence[tuple[str, ...]], duplicates: Sequence[DataFrame]
) -> DataFrame:
    """Add `_dup<s>` (true or null) per column set; null-safe equality, so all-null keys match too."""
    joined = frame
    for s, (columns, dups) in enumerate(zip(sets, duplicates, strict=True)):
        right = dups.select(
            *[column(c).alias(f"_g{s}_{j}") for j, c in enumerate(columns)], F.lit(True).alias(f"_dup{s}")
        )
        condition = reduce(
            lambda a, b: a & b, [column(c).eqNullSafe(F.col(f"_g{s}_{j}")) for j, c in enumerate(columns)]
        )
        joined = joined.join(F.broadcast(right), condition, "left")
    return joined


def with_derived(frame: DataFrame, checks: Sequence[Check]) -> DataFrame:
    """The frame plus the helper columns the checks read (each computed once per row, shared by name).

    Spark keeps this projection apart from the one reading it (it does not inline non-trivial expressions
    referenced more than once), so a parsed resident-ID body is parsed once, not once per digit.
    """
    derived: dict[str, Column] = {}
    for check in checks:
        if isinstance(check, RowCheck):
            derived.update(check.derived)
    for name, value in derived.items():  # one projection each: a helper may read the ones before it
        frame = frame.withColumn(name, value)
    return frame


def _flag(
    frame: DataFrame, compiled: Sequence[CompiledRule], duplicates: Sequence[DataFrame] | None = None
) -> DataFrame:
    """The frame plus `_u<i>` (row fails rule i) and `_e<i>` (row is an element of rule i) per row rule.

    `duplicates` are the duplicated keys per column set of the uniqueness rules (computed when not given).
    """
    sets = _group_sets(compiled)
    if sets and duplicates is None:
        duplicates = _duplicate_keys(frame, sets)
    base = with_derived(frame, [item.check for item in compiled])
    joined = _with_duplicate_flags(base, sets, duplicates or []) if sets else base
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


def _texts(
    compiled: Sequence[CompiledRule], rules: Sequence[int], masks: Mapping[str, Sensitivity]
) -> list[Column | None]:
    """Per row rule, the masked text shown for a failing row (None: the rule shows no samples)."""
    texts: list[Column | None] = []
    for i in rules:
        check = compiled[i].check
        assert not isinstance(check, TableCheck)
        texts.append(_sample_text(check, masks) if check.sample_columns else None)
    return texts


WORD = GROUP
"""Row rules per verdict word: one bit each in a positive long."""


def _words(compiled: Sequence[CompiledRule]) -> list[list[int]]:
    """The row rules' indexes in `compiled`, in groups of WORD: group g's rule k is bit k of word g."""
    rules = [i for i, _ in _row_rules(compiled)]
    return [rules[start : start + WORD] for start in range(0, len(rules), WORD)]


def _word(flags: Sequence[str]) -> Column:
    """A long with bit k set where boolean column flags[k] is true."""
    bits = [F.when(F.col(flag), F.lit(1 << k)).otherwise(F.lit(0)) for k, flag in enumerate(flags)]
    return reduce(lambda a, b: a.bitwiseOR(b), bits).cast("long")


def pack(flagged: DataFrame, frame_columns: Sequence[str], words: Sequence[Sequence[int]]) -> DataFrame:
    """The frame's columns plus, per group of row rules (`_words`), two verdict words: `_uw<g>` (bit k: the row
    fails the group's rule k) and `_ew<g>` (bit k: the row is one of its elements).

    The aggregation then reads two columns per 63 rules instead of two per rule. With one argument per
    flag, the generated per-row method's call into the aggregation took ~30 arguments on top of its own
    33, more stack slots than the JIT's C2 compiler can represent ("unsupported calling sequence"), so
    the whole per-row code ran as C1 code whenever samples were collected.
    """
    packed = []
    for g, rules in enumerate(words):
        packed += [
            _word([f"_u{i}" for i in rules]).alias(f"_uw{g}"),
            _word([f"_e{i}" for i in rules]).alias(f"_ew{g}"),
        ]
    return flagged.select(*[column(c) for c in frame_columns], *packed)


def _metrics(
    packed: DataFrame,
    compiled: Sequence[CompiledRule],
    words: Sequence[Sequence[int]],
    extra: Sequence[Column] = (),
) -> Row:
    """The one pass: element and unexpected counts per row rule, and every table rule's aggregates.

    Only sums and fixed-width aggregates, so Spark runs one code-generated aggregation (string aggregates
    for samples would force an interpreted sort aggregation several times slower; a SampleCollector
    records them instead, see `validate`). A rule's counts are sums of its bit of the verdict words
    (`count_if` would make Spark project each condition as a column of its own).
    """

    def bits(word: str, k: int) -> Column:
        return F.coalesce(F.sum(F.shiftright(F.col(word), k).bitwiseAND(F.lit(1))), F.lit(0))

    aggregates: list[Column] = [F.count(F.lit(1)).alias("_rows")]
    for i, item in enumerate(compiled):
        if isinstance(item.check, TableCheck):
            aggregates += [a.alias(f"_t{i}_{j}") for j, a in enumerate(item.check.aggregates)]
    for g, rules in enumerate(words):
        for k, i in enumerate(rules):
            aggregates += [bits(f"_ew{g}", k).alias(f"_ne{i}"), bits(f"_uw{g}", k).alias(f"_nu{i}")]
    return packed.agg(*aggregates, *extra).collect()[0]


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


def rule_fields(spec: RuleSpec) -> dict[str, Any]:
    """The RuleResult fields that come from the rule itself (the same for every engine)."""
    return {
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


def counted_result(
    spec: RuleSpec, elements: int, unexpected: int, samples: tuple[str, ...] = (), **extra: Any
) -> RuleResult:
    """A per-value rule's result from its counts: GE's `mostly` verdict (vacuously true without elements)."""
    mostly = spec.kwargs.fraction or 1.0
    return RuleResult(
        **rule_fields(spec),
        success=elements == 0 or (elements - unexpected) / elements >= mostly,
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=None if elements == 0 else unexpected * 100.0 / elements,
        sample_unexpected=samples,
        **extra,
    )


def _result(
    item: CompiledRule, index: int, row: Mapping[str, Any] | Row, facts: TableFacts, samples: tuple[str, ...]
) -> RuleResult:
    spec = item.rule
    if isinstance(item.check, TableCheck):
        values = tuple(row[f"_t{index}_{j}"] for j in range(len(item.check.aggregates)))
        verdict = item.check.evaluate(values, facts)
        return RuleResult(
            **rule_fields(spec),
            success=verdict.success,
            element_count=verdict.element_count,
            unexpected_count=0,
            unexpected_percent=None,
            sample_unexpected=(),
            observed_value=verdict.observed_value,
        )
    return counted_result(spec, int(row[f"_ne{index}"]), int(row[f"_nu{index}"]), samples)


def _row_pass(
    frame: DataFrame,
    compiled: Sequence[CompiledRule],
    masks: Mapping[str, Sensitivity],
    sets: Sequence[tuple[str, ...]],
    samples: bool,
) -> tuple[Row, dict[int, list[str]]]:
    """The row engine's pass: the metrics row and, per rule index, the texts of its first failing rows."""
    # Duplicated keys are cached: built once, broadcast into the main pass.
    duplicates = [keys.cache() for keys in _duplicate_keys(frame, sets)] if sets else []
    try:
        words = _words(compiled)
        packed = pack(_flag(frame, compiled, duplicates), frame.columns, words)
        if samples:
            groups = [(f"_uw{g}", _texts(compiled, rules, masks)) for g, rules in enumerate(words)]
            with collecting(frame.sparkSession, SAMPLE_ROWS) as collector:
                marked = collector.mark(packed, groups)
                metrics = _metrics(marked, compiled, words, collector.aggregates())
                by_bit = collector.texts()
            found = {
                i: by_bit[(g, k)]
                for g, rules in enumerate(words)
                for k, i in enumerate(rules)
                if (g, k) in by_bit
            }
        else:
            metrics, found = _metrics(packed, compiled, words), {}
    finally:
        for keys in duplicates:
            keys.unpersist()
    return metrics, found


def validate(
    frame: DataFrame,
    suite: Suite,
    *,
    as_of: dt.date | None = None,
    sensitivity: Mapping[str, Sensitivity] | None = None,
    samples: bool = True,
    columnar: bool = True,
) -> SuiteResult:
    """Validate a frame against a suite: one pass computing every rule (see the module docstring).

    A plain Parquet/Delta or cache scan whose rules all have columnar kernels is read batch by batch in the JVM
    (engine_columnar; same counts and samples); `columnar=False` always runs the row pass.

    Sample values are masked for columns named in `sensitivity`, in the suite's `sensitive`, or implied by
    any rule of the suite (a resident-ID rule's column is masked in every rule's samples).
    """
    check_columns(frame.columns, suite)
    compiled = compile_suite(suite, as_of=as_of)
    masks = sample_masks(suite, compiled, sensitivity)
    sets = _group_sets(compiled)
    read = (
        engine_columnar.tally(
            frame,
            compiled,
            masks,
            as_of=as_of,
            samples=samples,
            sample_rows=SAMPLE_ROWS,
            repeated=lambda column_sets, limit: repeated_keys(frame, column_sets, limit),
        )
        if columnar
        else None
    )
    metrics: Mapping[str, Any] | Row
    if read is not None:
        metrics, found = read
    else:
        metrics, found = _row_pass(frame, compiled, masks, sets, samples)
    values = {i: tuple(sorted(set(texts))[:SAMPLE_SIZE]) for i, texts in found.items()}
    facts = TableFacts(
        row_count=int(metrics["_rows"]),
        column_types={
            f.name: (type(f.dataType).__name__, f.dataType.simpleString()) for f in frame.schema.fields
        },
    )
    results = tuple(_result(item, i, metrics, facts, values.get(i, ())) for i, item in enumerate(compiled))
    passes = 1 + bool(sets)
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
