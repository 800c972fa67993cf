"""Sample failing values gathered while the one-pass aggregation runs (lakehub.udf.SampleCollector).

The engine packs each row's verdicts into words of 63 bits (one per rule, see `engine_spark.pack`). For a
row whose word has a sampled rule's bit set, the native function `wanted(g)` gives the group's rules that
still lack samples in this task; only when some of the row's failing rules remain are the group's (masked)
texts built and passed to one `record` call, which keeps them in a Spark accumulator; counts are
unchanged. One call site per group keeps the pass's generated code small (a call per rule measured +0.5 s
per 3M rows even when never taken). Reading the samples back costs no scan of the data.

The functions are registered once per session and reused (new functions would change the suite's
generated code and cost a recompilation per validation); a lock serialises validations that collect
samples on the same session, since the collector holds one accumulator at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    """One validation's view of the session's collector: `mark` the verdict words, then read `texts`."""

    def __init__(self, collector: Any, per_rule: int) -> None:
        self._collector = collector
        self.per_rule = per_rule
        self._recorders: list[str] = []

    def mark(self, frame: DataFrame, groups: Sequence[tuple[str, Sequence[Column | None]]]) -> DataFrame:
        """`frame` plus one recording column per group: `groups[g]` is the column holding group g's verdict
        word (bit k set: the row fails the group's rule k) and, per bit, the text shown for a failing row
        (None: that rule has no samples). The caller aggregates `aggregates()` in the same pass (that keeps
        the recording columns from being pruned); counts are unaffected."""
        from pyspark.sql import functions as F

        self._recorders = []
        for g, (word, texts) in enumerate(groups):
            if len(texts) > GROUP:
                raise ValueError(f"a verdict word holds {GROUP} rules, not {len(texts)}")
            sampled = sum(1 << k for k, text in enumerate(texts) if text is not None)
            if not sampled:
                continue
            failing = F.col(word).bitwiseAND(F.lit(sampled))
            wanted = F.call_function(f"{PREFIX}_wanted", F.lit(g)).bitwiseAND(failing)
            picked, recorded = f"{WANTED}{g}", f"{RECORDED}{g}"
            frame = frame.withColumn(picked, F.when(failing != 0, wanted).otherwise(F.lit(0)))
            shown = [F.lit(None).cast("string") if text is None else text for text in texts]
            record = F.call_function(f"{PREFIX}_record", F.lit(g), F.col(picked), F.array(*shown))
            frame = frame.withColumn(recorded, F.when(F.col(picked) != 0, record))
            self._recorders.append(recorded)
        return frame

    def aggregates(self) -> list[Column]:
        """Aggregates over the recording columns `mark` added, for the caller's one aggregation."""
        from pyspark.sql import functions as F

        return [F.count(F.col(name)).alias(name) for name in self._recorders]

    def texts(self) -> dict[tuple[int, int], list[str]]:
        """Per (group, bit), the texts of its first `per_rule` failing rows in scan order (partition, then row)."""
        entries: dict[tuple[int, int, int], str] = {}
        for line in self._collector.collected():
            partition, sequence, index, text = str(line).split("\t", 3)
            entries[(int(partition), int(sequence), int(index))] = text
        found: dict[tuple[int, int], list[str]] = {}
        for (_, _, rule), text in sorted(entries.items()):
            kept = found.setdefault(divmod(rule, GROUP), [])
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
