"""Samples of failing values, gathered during the one pass by the JVM SampleCollector."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lakehub.quality_rules import engine_spark, parse_suite
from lakehub.quality_rules.engine_spark import SAMPLE_ROWS, SAMPLE_SIZE

pytestmark = pytest.mark.spark

PARTITIONS = 4
ROWS = 4000


def _frame(spark: Any) -> Any:
    """ROWS rows over PARTITIONS partitions in row order: `code` fails its regex on every 10th row from 500
    on, `rare` on exactly one row (the last), `late` on rows of the last partition only."""
    from pyspark.sql import functions as F

    ids = spark.range(0, ROWS, 1, PARTITIONS)
    return ids.select(
        F.col("id").cast("int").alias("n"),
        F.when((F.col("id") >= 500) & (F.col("id") % 10 == 0), F.format_string("X%05d", "id"))
        .otherwise(F.format_string("C%05d", "id"))
        .alias("code"),
        F.when(F.col("id") == ROWS - 1, F.lit("bad")).otherwise(F.lit("ok")).alias("rare"),
        F.when(F.col("id") >= ROWS - ROWS // PARTITIONS + 7, F.format_string("L%05d", "id"))
        .otherwise(F.lit("fine"))
        .alias("late"),
    )


SUITE = """\
suite: sampling
dataset: base.sampling
rules:
  - {expectation: expect_column_values_to_match_regex, column: code, regex: '^C', dimension: 规范性}
  - {expectation: expect_column_values_to_be_in_set, column: rare, value_set: [ok], dimension: 规范性}
  - {expectation: expect_column_values_to_be_in_set, column: late, value_set: [fine], dimension: 规范性}
  - {expectation: expect_column_values_to_be_between, column: n, min_value: 0, max_value: 100000, dimension: 准确性}
"""


def test_samples_are_the_first_failing_values_in_scan_order_of_every_failing_rule(spark: Any) -> None:
    frame = _frame(spark)
    assert frame.rdd.getNumPartitions() == PARTITIONS
    result = engine_spark.validate(frame, parse_suite(SUITE, "test"))
    by_rule = {r.column: r for r in result.results}
    failing_codes = [f"X{n:05d}" for n in range(500, ROWS, 10)]
    assert by_rule["code"].unexpected_count == len(failing_codes)
    assert by_rule["code"].sample_unexpected == tuple(sorted(failing_codes[:SAMPLE_ROWS])[:SAMPLE_SIZE])
    assert by_rule["rare"].unexpected_count == 1 and by_rule["rare"].sample_unexpected == ("bad",)
    late = [f"L{n:05d}" for n in range(ROWS - ROWS // PARTITIONS + 7, ROWS)]
    assert by_rule["late"].sample_unexpected == tuple(late[:SAMPLE_SIZE])
    assert by_rule["n"].unexpected_count == 0 and by_rule["n"].sample_unexpected == ()
    assert result.data_passes == 1


def test_samples_do_not_change_counts_and_can_be_left_out(spark: Any) -> None:
    frame, suite = _frame(spark), parse_suite(SUITE, "test")
    with_samples = engine_spark.validate(frame, suite)
    without = engine_spark.validate(frame, suite, samples=False)
    counts = [(r.rule_id, r.element_count, r.unexpected_count, r.success) for r in with_samples.results]
    assert counts == [(r.rule_id, r.element_count, r.unexpected_count, r.success) for r in without.results]
    assert not any(r.sample_unexpected for r in without.results)


def test_suites_with_more_rules_than_one_mask_holds_still_sample_every_rule(spark: Any) -> None:
    from pyspark.sql import functions as F

    count = 70  # more than one 63-rule group of the collector
    frame = spark.range(0, 200, 1, 2).select(
        *[
            F.when(F.col("id") == 150 + (i % 40), F.lit(f"bad{i}")).otherwise(F.lit("ok")).alias(f"c{i}")
            for i in range(count)
        ]
    )
    rules = "\n".join(
        f"  - {{expectation: expect_column_values_to_be_in_set, column: c{i}, value_set: [ok], dimension: 规范性}}"
        for i in range(count)
    )
    result = engine_spark.validate(
        frame, parse_suite(f"suite: wide\ndataset: base.wide\nrules:\n{rules}\n", "t")
    )
    assert [r.sample_unexpected for r in result.results] == [(f"bad{i}",) for i in range(count)]
    # Counts of the rules in the second 63-bit verdict word too.
    assert [(r.element_count, r.unexpected_count) for r in result.results] == [(200, 1)] * count


def test_concurrent_validations_on_one_session_keep_their_samples_apart(spark: Any) -> None:
    from pyspark.sql import functions as F

    suite = parse_suite(
        "suite: c\ndataset: base.c\nrules:\n  - {expectation: expect_column_values_to_be_in_set, column: v, value_set: [ok], dimension: 规范性}\n",
        "t",
    )
    frames = {tag: spark.range(0, 500, 1, 2).select(F.lit(tag).alias("v")) for tag in ("left", "right")}
    found: dict[str, tuple[str, ...]] = {}

    def run(tag: str) -> None:
        found[tag] = engine_spark.validate(frames[tag], suite).results[0].sample_unexpected

    threads = [threading.Thread(target=run, args=(tag,)) for tag in frames]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == {"left": ("left",), "right": ("right",)}
