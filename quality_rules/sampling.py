"""Sample failing values gathered while the one-pass aggregation runs (lakehub.udf.SampleCollector).

Each row that fails some rule calls the JVM function `wanted(g)` once per group g of 63 rules: a bit mask
of the group's rules that still lack samples in this task. A rule's failing flag `f` becomes `f AND (bit clear OR record(rule, text))`;
`record` returns true, so counts are unchanged, and keeps the (masked) text in a Spark accumulator. The
text is built only for wanted rows. Reading the samples back costs no scan of the data.

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
_LOCK = threading.Lock()
_REGISTERED: dict[int, tuple[Any, int]] = {}
"""id(JVM session) -> (JVM collector, rows kept per rule)."""


class SampleCollector:
    """One validation's view of the session's collector: `mark` the failing flags, then read `texts`."""

    def __init__(self, collector: Any, per_rule: int) -> None:
        self._collector = collector
        self.per_rule = per_rule
        self._flags: list[str] = []

    def mark(self, frame: DataFrame, texts: Mapping[str, Column]) -> DataFrame:
        """`frame` with each boolean flag column named in `texts` wrapped to record that text for the
        flag's first true rows (the text is built only for recorded rows)."""
        from pyspark.sql import functions as F

        self._flags = list(texts)
        if not self._flags:
            return frame
        masks = {}
        for g in range((len(self._flags) + GROUP - 1) // GROUP):
            group = [F.col(flag) for flag in self._flags[g * GROUP : (g + 1) * GROUP]]
            failed_any = reduce(lambda a, b: a | b, group)
            masks[f"{WANTED}{g}"] = F.when(failed_any, F.call_function(f"{PREFIX}_wanted", F.lit(g)))
        frame = frame.withColumns(masks)

        def marked(k: int, flag: str) -> Column:
            bit = F.col(f"{WANTED}{k // GROUP}").bitwiseAND(F.lit(1 << (k % GROUP)))
            return F.col(flag) & ((bit == 0) | F.call_function(f"{PREFIX}_record", F.lit(k), texts[flag]))

        return frame.withColumns({flag: marked(k, flag) for k, flag in enumerate(self._flags)})

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
