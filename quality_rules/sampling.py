"""Sample failing values gathered while the one-pass aggregation runs (lakehub.udf.SampleCollector).

Each row that fails some rule calls the native function `wanted(g)` once per group g of 63 rules: a bit
mask of the group's rules that still lack samples in this task, ANDed with the rules the row fails. Only
when that leaves a bit set are the group's (masked) texts built and passed to one `record` call, which
keeps them in a Spark accumulator; the flags themselves are untouched, so counts are unchanged. One call
site per group keeps the pass's generated code small (a call per rule measured +0.5 s per 3M rows even
when never taken). Reading the samples back costs no scan of the data.

The functions are registered once per session and reused (new functions would change the suite's
generated code and cost a recompilation per validation); a lock serialises validations that collect
samples on the same session, since the collector holds one accumulator at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import reduce
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

PREFIX = "lakehub_samples"
GROUP = 63
"""Rules per wanted-mask (SampleCollector.GROUP: one bit each in a positive long)."""
WANTED = "__lakehub_wanted"
RECORDED = "__lakehub_recorded"
_LOCK = threading.Lock()
_REGISTERED: dict[int, tuple[Any, int]] = {}
"""id(JVM session) -> (JVM collector, rows kept per rule)."""


class SampleCollector:
    """One validation's view of the session's collector: `mark` the failing flags, then read `texts`."""

    def __init__(self, collector: Any, per_rule: int) -> None:
        self._collector = collector
        self.per_rule = per_rule
        self._flags: list[str] = []
        self._recorders: list[str] = []

    def mark(self, frame: DataFrame, texts: Mapping[str, Column]) -> DataFrame:
        """`frame` plus one recording column per group of 63 flags: for a row failing some of the group's
        rules, `wanted(g)` masks the failing flags still lacking samples, and only when some remain is the
        group's texts array built and handed to one `record` call. The caller aggregates `aggregates()`
        in the same pass (that keeps the recording columns from being pruned); counts are unaffected."""
        from pyspark.sql import functions as F

        self._flags = list(texts)
        self._recorders = []
        for g in range((len(self._flags) + GROUP - 1) // GROUP):
            flags = self._flags[g * GROUP : (g + 1) * GROUP]
            failed_any = reduce(lambda a, b: a | b, [F.col(flag) for flag in flags])
            failed_bits = reduce(
                lambda a, b: a.bitwiseOR(b),
                [F.when(F.col(flag), F.lit(1 << k)).otherwise(F.lit(0)) for k, flag in enumerate(flags)],
            )
            wanted = F.call_function(f"{PREFIX}_wanted", F.lit(g)).bitwiseAND(failed_bits)
            picked, recorded = f"{WANTED}{g}", f"{RECORDED}{g}"
            frame = frame.withColumn(picked, F.when(failed_any, wanted).otherwise(F.lit(0)))
            record = F.call_function(
                f"{PREFIX}_record", F.lit(g), F.col(picked), F.array(*[texts[flag] for flag in flags])
            )
            frame = frame.withColumn(recorded, F.when(F.col(picked) != 0, record))
            self._recorders.append(recorded)
        return frame

    def aggregates(self) -> list[Column]:
        """Aggregates over the recording columns `mark` added, for the caller's one aggregation."""
        from pyspark.sql import functions as F

        return [F.count_if(F.col(name)).alias(name) for name in self._recorders]

    def texts(self) -> dict[str, list[str]]:
        """Per flag, the texts of its first `per_rule` true rows in scan order (partition, then row)."""
        entries: dict[tuple[int, int, int], str] = {}
        for line in self._collector.collected():
            partition, sequence, index, text = str(line).split("\t", 3)
            entries[(int(partition), int(sequence), int(index))] = text
        found: dict[str, list[str]] = {}
        for (_, _, flag), text in sorted(entries.items()):
            kept = found.setdefault(self._flags[flag], [])
            if len(kept) < self.per_rule:
                kept.append(text)
        return found


@contextmanager
def collecting(spark: SparkSession, per_rule: int) -> Iterator[SampleCollector]:
    """The session's collector, reset for one validation (held exclusively until the block ends)."""
    jsession: Any = spark._jsparkSession  # the collector is a JVM object (classic Spark)
    with _LOCK:
        key = id(jsession)
        registered = _REGISTERED.get(key)
        if registered is None or registered[1] != per_rule:
            jvm: Any = spark._jvm
            registered = (jvm.lakehub.udf.SampleCollector.register(jsession, PREFIX, per_rule), per_rule)
            _REGISTERED[key] = registered
        collector = registered[0]
        collector.reset(jsession)
        yield SampleCollector(collector, per_rule)
