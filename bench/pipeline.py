"""End-to-end hub run (landing + models + quality + catalog + lineage) vs the same transformations as
bare Spark + Delta code without governance, measured in the same JVM.

    .venv/bin/python bench/pipeline.py --scale 1000000 [--scale 10000000]

For each scale it generates the eight departmental deliveries, then (after a warm-up run of both
paths) runs:

- governed: `lakehub run --tier all` as a library call — intake checks, standardisation, validation,
  change-only MERGE into base, quarantine, catalog records, every theme and business model with its
  quality suite, masking, catalog registration and lineage events (the configured emitter, i.e. built
  OpenLineage events with column lineage stored in the catalog); each model's time per phase
  (`ModelResult.phases`) is in the JSON; sources land and models build two at a time (lakehub's
  defaults, `--parallelism N` to change; the JSON says which);
- bare: Spark reads the same files (XLSX through pandas/calamine, Spark has no XLSX reader), applies the
  same standardisation projections as landing (`standardise_columns`: full-width → half-width, 15 → 18-digit
  IDs, the date forms, units, sentinels) and keeps the typed values, overwrites Delta base tables, and
  runs the same model SQL / Python builders over them, overwriting the theme and business Delta tables.
  No intake checks, no reason codes or rules, no duplicate handling or quarantine, no change-only MERGE,
  no catalog, no lineage; one step at a time, as a hand-written script runs. `--bare-cast-only` casts
  instead (the baseline before session 7, which reads mixed date forms, full-width digits and 15-digit
  IDs as null, so its models join less).

Prints one JSON document. Targets (issue 6): governance overhead (governed / bare − 1) ≤ 25 %; cost
grows near-linearly with scale (time ratio / scale ratio reported between consecutive scales).
`--repeat N` runs N rounds per scale (which path goes first alternates) and reports the median round's
overhead, every round's overhead and, as `governed`/`bare`, the figures of the round nearest the median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lakehub.pipelines import jobs
from lakehub.pipelines.config import LakehubConfig, SparkSettings
from lakehub.pipelines.dag import topological_order
from lakehub.pipelines.model_runner import mask_frame, python_builder
from lakehub.pipelines.pseudonym import pseudonym_key, register_pseudonym_function
from lakehub.pipelines.sources import SourceSpec, load_sources
from lakehub.pipelines.spark import build_spark
from lakehub.sample_data import generate_sample, generator_fingerprint

OVERHEAD_TARGET = 0.25


def _sample(folder: Path, scale: int, seed: int) -> float:
    marker = folder / f".scale-{scale}-seed-{seed}-{generator_fingerprint()}"
    started = time.perf_counter()
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate_sample(folder, scale=scale, seed=seed)
        marker.touch()
    return time.perf_counter() - started


def _config(root: Path, landing: Path, driver_memory: str, parallelism: int | None = None) -> LakehubConfig:
    steps = (
        {} if parallelism is None else {"landing_parallelism": parallelism, "model_parallelism": parallelism}
    )
    return LakehubConfig(
        warehouse=str(root / "lakehouse"),
        landing_dir=str(landing),
        spark=SparkSettings(master="local[*]", driver_memory=driver_memory),
        **steps,
    )


def _governed(config: LakehubConfig, spark: Any) -> dict[str, Any]:
    started = time.perf_counter()
    base = jobs.run_base_tier(config)
    landed = time.perf_counter()
    runs = jobs.run_models(config, spark=spark)  # the configured emitter: lineage events into the catalog
    finished = time.perf_counter()
    results = [r for run in runs for r in run.results]
    return {
        "total_s": round(finished - started, 2),
        "landing_s": round(landed - started, 2),
        "models_s": round(finished - landed, 2),
        "passed": base.passed and all(run.passed for run in runs),
        "rows_landed": sum(r.rows_landed for r in base.results),
        "sources": {
            r.source_id: {"seconds": round(r.duration_s, 2), "rows_read": r.rows_read, "phases": r.timings_s}
            for r in base.results
        },
        "models": {
            r.model: {
                "status": r.status.value,
                "rows": r.row_count,
                "quality": r.quality_outcome,
                "seconds": round(r.duration_s, 2),
                "phases": dict(r.phases),
            }
            for r in results
        },
    }


def _bare_read(spark: Any, spec: SourceSpec, path: Path, *, cast_only: bool = False) -> Any:
    from pyspark.sql import functions as F

    from lakehub.pipelines.classify import RAW_PREFIX
    from lakehub.pipelines.standardise import standardise_columns

    if spec.format == "csv":
        encoding = {"utf-8-sig": "UTF-8"}.get(spec.encoding, spec.encoding)
        frame = spark.read.option("header", True).option("encoding", encoding).csv(str(path))
    elif spec.format == "jsonl":
        frame = spark.read.schema(", ".join(f"`{c}` string" for c in spec.column_names)).json(str(path))
    else:
        import pandas as pd

        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")  # as lakehub reads
        # Arrow moves the pandas frame into Spark in columnar batches (row by row it took 20 s at 1M).
        spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        try:
            frame = spark.createDataFrame(pd.concat(sheets.values(), ignore_index=True).astype(object))
        finally:
            spark.conf.unset("spark.sql.execution.arrow.pyspark.enabled")
        # Rows held in the driver: without a shuffle Spark would apply the projections to them there, in one
        # thread and interpreted (ConvertToLocalRelation), 11 s instead of 1 s for 362,785 rows.
        frame = frame.repartition(spark.sparkContext.defaultParallelism)
    frame = frame.toDF(*spec.column_names)
    if cast_only:
        return frame.select(*[_cast(F.col(c.name), c.spark_type).alias(c.name) for c in spec.columns])
    # The same standardisation as landing (full-width → half-width, trims, 15 → 18-digit IDs, the date
    # forms, 元/万元, sentinels → null), without what governs it: no reason codes, checks or quarantine.
    raw = frame.toDF(*[RAW_PREFIX + c for c in spec.column_names])
    typed = standardise_columns(
        raw, {c: RAW_PREFIX + c for c in spec.column_names}, spec.columns, spec.sentinels
    )
    return typed.select(*spec.column_names)


def _cast(value: Any, spark_type: str) -> Any:
    from pyspark.sql import functions as F

    if spark_type == "date":
        return F.to_date(value, "yyyy-MM-dd")
    if spark_type == "timestamp_ntz":
        return F.to_timestamp_ntz(value)
    return value if spark_type == "string" else value.cast(spark_type)


def _bare(config: LakehubConfig, spark: Any, landing: Path, *, cast_only: bool = False) -> dict[str, Any]:
    root = Path(config.warehouse_path) / "bare"
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    sources: dict[str, float] = {}
    for spec in load_sources().values():
        (path,) = sorted(landing.glob(spec.file))
        began = time.perf_counter()
        _bare_read(spark, spec, path, cast_only=cast_only).write.format("delta").mode("overwrite").save(
            str(root / "base" / spec.table_name)
        )
        sources[spec.id] = round(time.perf_counter() - began, 2)
    landed = time.perf_counter()
    models = jobs.registered_models(config)
    key = pseudonym_key(config)
    register_pseudonym_function(spark, key)  # models join base to theme with person_key()
    seconds: dict[str, float] = {}
    for name in topological_order(models):
        model_started = time.perf_counter()
        model = models[name]
        frames = {
            ref: spark.read.format("delta").load(str(root / ref.replace(".", "/"))) for ref in model.refs
        }
        if model.kind == "sql":
            views = {}
            for ref, frame in frames.items():
                views[ref] = "__bare_" + ref.replace(".", "__")
                frame.createOrReplaceTempView(views[ref])
            result = spark.sql(model.render_sql(views))
        else:
            result = python_builder(model)(frames)
        result = mask_frame(result, dict.fromkeys(model.pseudonym_columns, "pseudonym"), key)
        result.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(
            str(root / name.replace(".", "/"))
        )
        seconds[name] = round(time.perf_counter() - model_started, 2)
    finished = time.perf_counter()
    return {
        "total_s": round(finished - started, 2),
        "landing_s": round(landed - started, 2),
        "models_s": round(finished - landed, 2),
        "sources": sources,
        "models": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="population rows (repeatable)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "lakehub-bench-pipeline")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument(
        "--warmup-scale",
        type=int,
        default=100_000,
        help="population rows of the deliveries both paths run once before measuring (JIT-compiles their "
        "hot code; before session 7: 2000, which left the path measured first colder than the other)",
    )
    parser.add_argument(
        "--bare-cast-only",
        action="store_true",
        help="bare path only casts the delivered text to each column's type (the baseline before session 7: "
        "it skips the standardisation, so mixed date forms, full-width digits and 15-digit IDs read as null)",
    )
    parser.add_argument(
        "--parallelism",
        type=int,
        default=None,
        help="sources landed and models built at once by the governed path (default: lakehub's defaults, "
        "2 and 2; 1 runs it one step at a time, as the bare path always does)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds per scale, each path once per round, which goes first alternating (the overhead of one "
        "run moved by 10 points or more on this machine); the JSON gives every round and the median overhead",
    )
    args = parser.parse_args()
    scales = args.scale or [1_000_000]
    work: Path = args.work

    warm_landing = work / "sample-warmup"
    _sample(warm_landing, args.warmup_scale, args.seed)
    warm = _config(work / "warmup", warm_landing, args.driver_memory, args.parallelism)
    shutil.rmtree(work / "warmup", ignore_errors=True)
    spark = build_spark(warm)
    # Spark 4 reads GBK only with legacy Java charsets enabled (lakehub transcodes while staging).
    spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    _governed(warm, spark)
    _bare(warm, spark, warm_landing, cast_only=args.bare_cast_only)

    report: dict[str, Any] = {
        "benchmark": "pipeline",
        "spark_master": spark.sparkContext.master,
        "bare_path": "cast only" if args.bare_cast_only else "standardised (same projections as landing)",
        "governed_steps_at_once": {"sources": warm.landing_parallelism, "models": warm.model_parallelism},
        "bare_steps_at_once": 1,
        "cores": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "runs": [],
    }
    for scale in scales:
        landing = work / f"sample-{scale}"
        generate_s = _sample(landing, scale, args.seed)
        root = work / f"run-{scale}"
        rounds = []
        for number in range(max(1, args.repeat)):
            shutil.rmtree(root, ignore_errors=True)
            config = _config(root, landing, args.driver_memory, args.parallelism)
            governed_first = number % 2 == 0
            if governed_first:
                governed = _governed(config, spark)
                bare = _bare(config, spark, landing, cast_only=args.bare_cast_only)
            else:
                bare = _bare(config, spark, landing, cast_only=args.bare_cast_only)
                governed = _governed(config, spark)
            rounds.append(
                {
                    "first": "governed" if governed_first else "bare",
                    "governed": governed,
                    "bare": bare,
                    "overhead": round(governed["total_s"] / bare["total_s"] - 1, 3),
                    "load_average_after": os.getloadavg(),
                }
            )
            shutil.rmtree(root, ignore_errors=True)
        overhead = statistics.median(r["overhead"] for r in rounds)
        middle = min(rounds, key=lambda r: abs(r["overhead"] - overhead))  # its figures stand for the scale
        report["runs"].append(
            {
                "scale": scale,
                "generate_s": round(generate_s, 2),
                "governed": middle["governed"],
                "bare": middle["bare"],
                "overhead": round(overhead, 3),
                "overhead_rounds": [r["overhead"] for r in rounds],
                "overhead_target": OVERHEAD_TARGET,
                "overhead_met": overhead <= OVERHEAD_TARGET,
                "load_average_after": os.getloadavg(),
                "rounds": rounds if len(rounds) > 1 else [],
            }
        )
    for before, after in zip(report["runs"], report["runs"][1:], strict=False):
        after["growth"] = {
            "scale_ratio": after["scale"] / before["scale"],
            "governed_time_ratio": round(after["governed"]["total_s"] / before["governed"]["total_s"], 2),
            "bare_time_ratio": round(after["bare"]["total_s"] / before["bare"]["total_s"], 2),
        }
    report["load_average_end"] = os.getloadavg()
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    print()


if __name__ == "__main__":
    main()
