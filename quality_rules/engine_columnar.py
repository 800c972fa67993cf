"""The columnar one pass: a suite evaluated over a scan's column batches (lakehub.udf.ColumnarChecks).

Spark's own pass (engine_spark) turns a Parquet or Delta scan's column batches — and a cached frame's
batches — into rows, copying every string (out of its dictionary, out of the cache's buffer) before any
check runs. When the frame is a plain file scan or a plain scan of a cached frame and every rule of the
suite is one of the kernels below, the JVM reads the batches in place instead (national-code checks once
per dictionary entry, strings checked on their bytes where they lie) and returns the same counts, table
aggregates and sample texts; `engine_spark.validate` then builds the same results from them. Anything
else — a computed or filtered frame, a rule without a kernel, a row_condition other than `column OP number`
or `column = 'text'`, a column of another type, uniqueness over more than MAX_DUPLICATE_KEYS repeated
values — returns None and the row engine runs. The tests run every kernel through both
engines on the same files and caches.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from lakehub.quality_rules.cn_spark import EARLIEST_BIRTH
from lakehub.quality_rules.column_rules import column
from lakehub.quality_rules.compiled import CompiledRule, TableCheck
from lakehub.quality_rules.masking import Sensitivity, mask_value

log = logging.getLogger(__name__)

EPOCH = dt.date(1970, 1, 1)
INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
FLOATING = (T.FloatType, T.DoubleType)
TEMPORAL = (T.DateType, T.TimestampType, T.TimestampNTZType)
_CONDITION = re.compile(r"^\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*(>=|<=|<>|!=|==|=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_TEXT_CONDITION = re.compile(r"^\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*(<>|!=|==|=)\s*'([^'\\]*)'\s*$")
MAX_DUPLICATE_KEYS = 200_000
"""Uniqueness rules: at most this many repeated values are sent to the JVM; more, and the row pass runs."""

Kernel = dict[str, Any]


class _Program:
    """The kernels of one suite over the columns it reads (their positions in `columns`)."""

    def __init__(self, frame: DataFrame, reference: Callable[[], dt.date]) -> None:
        self.types = {f.name: f.dataType for f in frame.schema.fields}
        self.order = list(frame.columns)
        self.columns: list[str] = []
        self.reference = reference
        self.zone = frame.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"
        """Where timestamps are shown (sample texts), as Spark's CAST(... AS STRING) does."""

    def col(self, name: str) -> int:
        if name not in self.columns:
            self.columns.append(name)
        return self.columns.index(name)

    def is_string(self, name: str) -> bool:
        return isinstance(self.types.get(name), T.StringType)

    def is_number(self, name: str) -> bool:
        return isinstance(self.types.get(name), INTEGRAL + FLOATING)

    def is_date(self, name: str) -> bool:
        return isinstance(self.types.get(name), T.DateType)

    def finish(self, rules: list[Kernel], tables: list[int]) -> tuple[list[str], list[int]]:
        """Columns in the frame's order (so the selection is the scan itself), the kernels' column positions
        moved to match, and the table columns' positions."""
        ordered = [c for c in self.order if c in self.columns]
        moved = {old: ordered.index(name) for old, name in enumerate(self.columns)}
        for rule in rules:
            rule["cols"] = [moved[c] for c in rule["cols"]]
            rule["samples"] = [moved[c] for c in rule["samples"]]
            if rule.get("cond"):
                rule["cond"]["col"] = moved[rule["cond"]["col"]]
        return ordered, [moved[c] for c in tables]


def _day(value: dt.date) -> int:
    return (value - EPOCH).days


def _condition(program: _Program, text: str | None) -> dict[str, Any] | bool | None:
    """A row_condition as a kernel condition; None without one, False when the kernels cannot express it."""
    if text is None:
        return None
    ops = {"==": "=", "<>": "!="}
    quoted = _TEXT_CONDITION.match(text)
    if quoted and program.is_string(quoted.group(1)):
        name, op, literal = quoted.groups()
        return {"col": program.col(name), "op": ops.get(op, op), "value": literal}
    found = _CONDITION.match(text)
    if not found or not program.is_number(found.group(1)):
        return False
    name, op, literal = found.groups()
    if "." in literal and isinstance(program.types[name], INTEGRAL):
        return False  # Spark compares as decimal: left to the row engine
    value = float(literal) if "." in literal else int(literal)
    return {"col": program.col(name), "op": ops.get(op, op), "value": value}


def _value_kernel(program: _Program, kind: str, name: str, **extra: Any) -> Kernel:
    return {"kind": kind, "cols": [program.col(name)], "samples": [program.col(name)], **extra}


def _pair_kernel(program: _Program, kind: str, kwargs: Any, **extra: Any) -> Kernel:
    a, b = program.col(kwargs.column_A), program.col(kwargs.column_B)
    return {"kind": kind, "cols": [a, b], "samples": [a, b], "ignore": kwargs.ignore_row_if, **extra}


def _between(program: _Program, kwargs: Any) -> Kernel | None:
    name = kwargs.column
    bounds = (kwargs.min_value, kwargs.max_value)
    if program.is_date(name):
        if not all(b is None or (type(b) is dt.date) for b in bounds):
            return None
        low, high = (None if b is None else _day(b) for b in bounds)
    elif isinstance(program.types.get(name), T.DecimalType):
        if any(isinstance(b, bool) or not (b is None or isinstance(b, int)) for b in bounds):
            return None  # Spark compares a decimal with a fractional bound as doubles: left to the row pass
        low, high = bounds
    elif program.is_number(name):
        if any(isinstance(b, bool) or not (b is None or isinstance(b, int | float)) for b in bounds):
            return None
        if isinstance(program.types[name], INTEGRAL) and any(isinstance(b, float) for b in bounds):
            return None
        low, high = bounds
    else:
        return None
    return _value_kernel(
        program,
        "between",
        name,
        low=low,
        high=high,
        strict_low=kwargs.strict_min,
        strict_high=kwargs.strict_max,
    )


def _kernel(program: _Program, item: CompiledRule) -> Kernel | None:
    """The kernel of one row rule, or None when the kernels cannot express it exactly."""
    name = item.rule.expectation
    kwargs: Any = item.rule.kwargs  # the expectation name decides which kwargs model it is
    column: str | None = getattr(kwargs, "column", None)
    kernel: Kernel | None = None
    if column is None:
        kernel = _pair(program, item)
    elif name == "expect_column_values_to_be_unique":
        if not (program.is_string(column) or isinstance(program.types.get(column), INTEGRAL)):
            return None
        kernel = _value_kernel(program, "unique", column, keys=None)  # keys: filled in by `tally`
    elif name == "expect_column_values_to_not_be_null":
        kernel = {"kind": "not_null", "cols": [program.col(column)], "samples": []}
    elif name == "expect_column_values_to_be_between":
        kernel = _between(program, kwargs)
    elif not program.is_string(column):
        return None
    elif name == "expect_column_values_to_be_valid_cn_resident_id":
        limits = [_day(dt.date.fromisoformat(EARLIEST_BIRTH)), _day(program.reference())]
        kernel = _value_kernel(program, "resident_id", column, numbers=limits)
    elif name == "expect_column_values_to_be_valid_cn_uscc":
        kernel = _value_kernel(program, "uscc", column)
    elif name == "expect_column_values_to_be_valid_cn_mobile":
        kernel = _value_kernel(program, "mobile", column)
    elif name == "expect_column_values_to_be_valid_cn_admin_code":
        others = None if kwargs.value_set is None else list(kwargs.value_set)
        kernel = _value_kernel(
            program,
            "admin_code",
            column,
            numbers=list(kwargs.lengths),
            texts=list(kwargs.prefix),
            others=others,
        )
    elif name == "expect_column_values_to_match_regex":
        kernel = _value_kernel(program, "regex", column, pattern=kwargs.regex)
    elif name == "expect_column_values_to_be_in_set":
        if not all(isinstance(v, str) for v in kwargs.value_set):
            return None
        kernel = _value_kernel(program, "in_set", column, texts=list(kwargs.value_set))
    if kernel is None:
        return None
    condition = _condition(program, kwargs.row_condition)
    if condition is False:
        return None
    kernel["cond"] = condition
    return kernel


def _pair(program: _Program, item: CompiledRule) -> Kernel | None:
    name = item.rule.expectation
    kwargs: Any = item.rule.kwargs  # the expectation name decides which kwargs model it is
    if name == "expect_column_pair_values_to_be_in_bbox":
        if not (program.is_number(kwargs.column_A) and program.is_number(kwargs.column_B)):
            return None
        return _pair_kernel(program, "bbox", kwargs, bounds=list(kwargs.bbox))
    if name == "expect_column_pair_values_A_to_be_greater_than_B":
        a, b = program.types.get(kwargs.column_A), program.types.get(kwargs.column_B)
        same = type(a) is type(b) and isinstance(a, (*INTEGRAL, *FLOATING, *TEMPORAL))
        return _pair_kernel(program, "greater", kwargs, strict_low=not kwargs.or_equal) if same else None
    if name == "expect_column_pair_values_to_match_cn_resident_id_gender":
        if not (program.is_string(kwargs.column_A) and program.is_string(kwargs.column_B)):
            return None
        male, female = list(kwargs.male_values), list(kwargs.female_values)
        return _pair_kernel(program, "id_gender", kwargs, texts=male, others=female)
    if name == "expect_compound_columns_to_be_unique":
        names = list(kwargs.column_list)
        if not all(program.is_string(c) or isinstance(program.types.get(c), INTEGRAL) for c in names):
            return None
        cols = [program.col(c) for c in names]
        return {"kind": "compound_unique", "cols": cols, "samples": cols, "ignore": kwargs.ignore_row_if}
    if name == "expect_column_pair_values_to_match_cn_resident_id_birth_date":
        if not (program.is_string(kwargs.column_A) and program.is_date(kwargs.column_B)):
            return None
        return _pair_kernel(program, "id_birth_date", kwargs)
    return None


def _table(program: _Program, item: CompiledRule) -> list[int] | None:
    """The columns whose non-null count and maximum a table rule needs ([] for none), None if unsupported."""
    name = item.rule.expectation
    kwargs: Any = item.rule.kwargs  # the expectation name decides which kwargs model it is
    if name == "expect_table_row_count_to_be_between":
        return []
    if name == "expect_column_values_to_be_of_type" and kwargs.column in program.types:
        return [program.col(kwargs.column)]
    if name == "expect_column_max_to_be_within_days" and program.is_date(kwargs.column):
        return [program.col(kwargs.column)]
    return None


def _table_values(
    item: CompiledRule, tally: Sequence[Mapping[str, Any]], reference: Callable[[], dt.date]
) -> tuple[Any, ...]:
    """The values the table rule's Spark aggregates would give, from its columns' count and maximum."""
    name = item.rule.expectation
    if name == "expect_table_row_count_to_be_between":
        return ()
    if name == "expect_column_values_to_be_of_type":
        return (tally[0]["non_null"],)
    newest = None if tally[0]["max"] is None else EPOCH + dt.timedelta(days=tally[0]["max"])
    return (
        tally[0]["non_null"],
        None if newest is None else newest.isoformat(),
        None if newest is None else (reference() - newest).days,
    )


@dataclass(frozen=True, slots=True)
class ColumnarPlan:
    """A suite as kernels: the columns read (in the frame's order) and where the results go."""

    selected: tuple[str, ...]
    scan: DataFrame
    """The frame's selection of `selected`, whose physical plan was checked (the pass reads this one)."""
    table_positions: tuple[int, ...]
    kernels: tuple[tuple[int, Kernel], ...]
    """(rule index, kernel) per row rule."""
    tables: tuple[tuple[int, tuple[int, ...]], ...]
    """(rule index, positions in `table_positions`) per table rule."""
    reference: Callable[[], dt.date]


def plan_pass(
    frame: DataFrame, compiled: Sequence[CompiledRule], *, as_of: dt.date | None, samples: bool
) -> ColumnarPlan | None:
    """The suite as one columnar pass over `frame`, or None when a rule has no kernel or the frame is not a
    plain file or cache scan (checked on its physical plan; nothing is read)."""
    reference_cache: list[dt.date] = []

    def reference() -> dt.date:
        if as_of is not None:
            return as_of
        if not reference_cache:  # Spark's current_date(), as the row engine's expressions read it
            from pyspark.sql import functions as F

            today = frame.sparkSession.range(1).select(F.current_date()).first()
            assert today is not None
            reference_cache.append(today[0])
        return reference_cache[0]

    program = _Program(frame, reference)
    kernels: list[tuple[int, Kernel]] = []
    tables: list[tuple[int, list[int]]] = []
    for i, item in enumerate(compiled):
        if isinstance(item.check, TableCheck):
            columns = _table(program, item)
            if columns is None:
                log.debug("row pass: no columnar kernel for rule %s", item.rule.id)
                return None
            tables.append((i, columns))
            continue
        kernel = _kernel(program, item)
        if kernel is None:
            log.debug("row pass: no columnar kernel for rule %s", item.rule.id)
            return None
        if not samples:
            kernel["samples"] = []
        kernel["zone"] = program.zone
        kernels.append((i, kernel))
    if not program.columns:
        return None
    table_columns = sorted({c for _, cols in tables for c in cols})
    selected, positions = program.finish([k for _, k in kernels], table_columns)
    scan = frame.select(*map(column, selected))
    jvm: Any = frame.sparkSession._jvm  # classic Spark: the plan check reads the JVM's physical plan
    if not jvm.lakehub.udf.ColumnarChecks.scanOf(scan._jdf):
        log.debug("row pass: the frame is neither a plain file scan nor a plain cache scan")
        return None
    return ColumnarPlan(
        selected=tuple(selected),
        scan=scan,
        table_positions=tuple(positions),
        kernels=tuple(kernels),
        tables=tuple((i, tuple(table_columns.index(c) for c in cols)) for i, cols in tables),
        reference=reference,
    )


def tally(
    frame: DataFrame,
    compiled: Sequence[CompiledRule],
    masks: Mapping[str, Sensitivity],
    *,
    as_of: dt.date | None,
    samples: bool,
    sample_rows: int,
    repeated: Callable[[Sequence[tuple[str, ...]], int], list[list[tuple[Any, ...]]] | None],
) -> tuple[dict[str, Any], dict[int, list[str]]] | None:
    """The one pass's metrics (`_rows`, `_ne<i>`, `_nu<i>`, `_t<i>_<j>`) and sample texts per rule index, read
    from the column batches; None when `plan_pass` finds no columnar pass. `repeated(sets, limit)` gives each
    column set's repeated values (None when a set has more than `limit`), for the uniqueness rules."""
    plan = plan_pass(frame, compiled, as_of=as_of, samples=samples)
    if plan is None:
        return None
    selected, kernels = plan.selected, plan.kernels
    unique = [k for _, k in kernels if k["kind"] in ("unique", "compound_unique")]
    if unique:  # the grouped pass: value combinations occurring more than once, per column set (one job)
        sets = list(dict.fromkeys(tuple(selected[c] for c in k["cols"]) for k in unique))
        keys = repeated(sets, MAX_DUPLICATE_KEYS)
        if keys is None:
            log.info("a key repeats over %d values: the row pass checks uniqueness", MAX_DUPLICATE_KEYS)
            return None
        found_keys = {
            names: [list(key) if len(names) > 1 else key[0] for key in found]
            for names, found in zip(sets, keys, strict=True)
        }
        for kernel in unique:
            kernel["keys"] = found_keys[tuple(selected[c] for c in kernel["cols"])]
    program = json.dumps(
        {"rules": [k for _, k in kernels], "tables": list(plan.table_positions)}, ensure_ascii=False
    )
    jvm: Any = frame.sparkSession._jvm  # classic Spark: ColumnarChecks reads the scan's batches in the JVM
    try:
        raw = jvm.lakehub.udf.ColumnarChecks.run(plan.scan._jdf, program, sample_rows)
    except (CapturedException, Py4JJavaError) as err:  # a kernel fault must not cost the validation
        log.warning("columnar pass failed (%s); running the row pass instead", type(err).__name__)
        return None
    if raw is None:
        return None
    result = json.loads(raw)
    metrics: dict[str, Any] = {"_rows": result["rows"]}
    found: dict[int, list[str]] = {}
    for (i, kernel), counted in zip(kernels, result["rules"], strict=True):
        metrics[f"_ne{i}"], metrics[f"_nu{i}"] = counted["element"], counted["unexpected"]
        shown = [selected[c] for c in kernel["samples"]]
        texts = [
            "|".join(
                mask_value(part, masks.get(name)) or "null" for name, part in zip(shown, parts, strict=True)
            )
            for parts in counted["samples"]
        ]
        if texts:
            found[i] = texts
    for i, positions in plan.tables:
        values = _table_values(compiled[i], [result["tables"][p] for p in positions], plan.reference)
        for j, value in enumerate(values):
            metrics[f"_t{i}_{j}"] = value
    log.info("columnar pass over %d column(s), %d rule kernel(s)", len(selected), len(kernels))
    return metrics, found
