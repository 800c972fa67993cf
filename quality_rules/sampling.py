"""Sample failing values gathered while the one-pass aggregation runs (lakehub.udf.SampleCollector).

The engine marks a rule's failing rows as `failed AND (NOT want(rule) OR record(rule, text))`. Both JVM
functions return true on failing rows, so counts are unchanged; `want` is true for the first `per_rule`
failing rows of the rule in each task only, so the (masked) text is built for those rows alone, and
`record` keeps it in a Spark accumulator. Reading them back costs no scan of the data.

The functions are registered once per session and reused (new functions would change the suite's
generated code and cost a recompilation per validation); a lock serialises validations that collect
samples on the same session, since the collector holds one accumulator at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession

PREFIX = "lakehub_samples"
_LOCK = threading.Lock()
_REGISTERED: dict[int, tuple[Any, int]] = {}
"""id(JVM session) -> (JVM collector, rows kept per rule)."""


class SampleCollector:
    """One validation's view of the session's collector: `mark` a failing flag, then read `texts`."""

    def __init__(self, collector: Any, per_rule: int) -> None:
        self._collector = collector
        self.per_rule = per_rule

    @staticmethod
    def mark(failed: Column, rule: int, text: Column) -> Column:
        """`failed`, recording `text` for the rule's first failing rows (the text is built only for them)."""
        from pyspark.sql import functions as F

        index = F.lit(rule)
        wanted = F.call_function(f"{PREFIX}_want", index)
        return failed & (~wanted | F.call_function(f"{PREFIX}_record", index, text))

    def texts(self) -> dict[int, list[str]]:
        """Per rule, the texts of its first `per_rule` failing rows in scan order (partition, then row)."""
        entries: dict[tuple[int, int, int], str] = {}
        for line in self._collector.collected():
            partition, sequence, rule, text = str(line).split("\t", 3)
            entries[(int(partition), int(sequence), int(rule))] = text
        found: dict[int, list[str]] = {}
        for (_, _, rule), text in sorted(entries.items()):
            kept = found.setdefault(rule, [])
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
