"""Lineage query speed on a large imported graph: 10,000 datasets and 50,000 dataset edges.

    .venv/bin/python bench/lineage.py [--datasets 10000] [--edges 50000] [--runs 5]

Generates the graph as OpenLineage events (START + COMPLETE per job, with schema and column-lineage
facets), imports them with `lakehub lineage import` into a fresh SQLite catalog, then times
`lakehub lineage impact|downstream|upstream|column` as whole CLI processes (wall time including
interpreter and CLI start). Prints one JSON document. Target (issue 5): impact ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_S = 0.5
PRODUCER = "https://github.com/lakehub/lakehub/tree/v0.1.0"
SCHEMA = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
LINEAGE = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
)
COLUMNS = ("id_number", "name", "address", "amount")
WAREHOUSE = "/data/lakehouse"


def _dataset(tier: str, index: int) -> dict[str, Any]:
    return {"namespace": "file", "name": f"{WAREHOUSE}/{tier}/{tier}_{index:05d}"}


def _facets(lineage: dict[str, Any] | None) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "schema": {
            "_producer": PRODUCER,
            "_schemaURL": SCHEMA,
            "fields": [{"name": c, "type": "string"} for c in COLUMNS],
        }
    }
    if lineage:
        facets["columnLineage"] = {"_producer": PRODUCER, "_schemaURL": LINEAGE, "fields": lineage}
    return facets


def generate(datasets: int, edges: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Tiered graph raw → base → theme → business (plus a few cycles); one job per non-raw dataset."""
    rng = random.Random(seed)
    quarter = datasets // 10
    sizes = {"raw": 2 * quarter, "base": 2 * quarter, "theme": 3 * quarter}
    sizes["business"] = datasets - sum(sizes.values())
    order = ["raw", "base", "theme", "business"]
    base_edges = sizes["base"]
    per_job = (edges - base_edges) / (sizes["theme"] + sizes["business"])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events: list[dict[str, Any]] = []
    made = 0
    for tier_index, tier in enumerate(order[1:], start=1):
        for index in range(sizes[tier]):
            if tier == "base":
                inputs = [("raw", index)]
            else:
                pools = [(t, sizes[t]) for t in order[1:tier_index]] + [(tier, index)]
                pools = [(t, n) for t, n in pools if n > 0]
                wanted = int(per_job) + (1 if rng.random() < per_job - int(per_job) else 0)
                picks: set[tuple[str, int]] = set()
                while len(picks) < wanted:
                    t, n = rng.choice(pools)
                    picks.add((t, rng.randrange(n)))
                inputs = sorted(picks)
            made += len(inputs)
            output = _dataset(tier, index)
            lineage = {
                column: {
                    "inputFields": [
                        {
                            **_dataset(*rng.choice(inputs)),
                            "field": column,
                            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                        }
                    ]
                }
                for column in COLUMNS
            }
            run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            job = {"namespace": "bench://county", "name": f"model.{tier}.{tier}_{index:05d}"}
            when = start + timedelta(seconds=len(events))
            ins = [{**_dataset(t, i), "facets": _facets(None)} for t, i in inputs]
            common = {
                "producer": PRODUCER,
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            }
            events.append(
                {
                    **common,
                    "eventType": "START",
                    "eventTime": when.isoformat(),
                    "run": {"runId": run_id},
                    "job": job,
                    "inputs": ins,
                    "outputs": [],
                }
            )
            events.append(
                {
                    **common,
                    "eventType": "COMPLETE",
                    "eventTime": (when + timedelta(milliseconds=500)).isoformat(),
                    "run": {"runId": run_id},
                    "job": job,
                    "inputs": ins,
                    "outputs": [{**output, "facets": _facets(lineage)}],
                }
            )
    return events, {"datasets": datasets, "edges": made, "jobs": len(events) // 2, "events": len(events)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_cli(args: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    """Wall and CPU (user + system) time of whole CLI processes; CPU time is what an idle machine's wall would be."""
    walls, cpus = [], []
    output = ""
    for _ in range(runs):
        cpu = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
        output = done.stdout
    result = json.loads(output)
    return {
        "command": " ".join(["lakehub", *args[1:]]),
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_s_min": round(min(walls), 3),
        "wall_s_max": round(max(walls), 3),
        "cpu_s_median": round(statistics.median(cpus), 3),
        "nodes": len(result["nodes"]),
        "columns": len(result.get("columns") or ()),
        "max_depth": max((n["depth"] for n in result["nodes"]), default=0),
    }


def _python_start(runs: int) -> dict[str, float]:
    """Wall time of a bare `python -c pass`: how loaded the machine was while measuring."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        walls.append(time.perf_counter() - started)
    return {"wall_s_median": round(statistics.median(walls), 3), "wall_s_min": round(min(walls), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "lakehub-bench-lineage")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="query the graph a previous run imported into --work (skip import)",
    )
    args = parser.parse_args()

    lakehub = str(Path(sys.executable).with_name("lakehub"))
    env = {**os.environ, "LAKEHUB_CATALOG_URL": f"sqlite:///{args.work}/_catalog.db"}
    summary = args.work / "import.json"
    if args.reuse and summary.is_file():
        previous = json.loads(summary.read_text(encoding="utf-8"))
        shape, generate_s, import_s, imported = (
            previous["graph"],
            previous["generate_s"],
            previous["import_s"],
            previous["imported"],
        )
    else:
        shutil.rmtree(args.work, ignore_errors=True)
        args.work.mkdir(parents=True)
        started = time.perf_counter()
        events, shape = generate(args.datasets, args.edges, args.seed)
        events_file = args.work / "events.ndjson"
        with events_file.open("w", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps(event, separators=(",", ":")) + "\n")
        generate_s = time.perf_counter() - started
        started = time.perf_counter()
        done = subprocess.run(
            [lakehub, "lineage", "import", str(events_file), "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        import_s = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"import failed: {done.stderr or done.stdout}")
        imported = json.loads(done.stdout)
        record = {"graph": shape, "generate_s": generate_s, "import_s": import_s, "imported": imported}
        summary.write_text(json.dumps(record), encoding="utf-8")

    probe = "base.base_00007"
    queries = {
        "impact": _time_cli([lakehub, "lineage", "impact", probe, "--json"], env, args.runs),
        "impact_column": _time_cli(
            [lakehub, "lineage", "impact", f"{probe}.id_number", "--json"], env, args.runs
        ),
        "downstream": _time_cli([lakehub, "lineage", "downstream", probe, "--json"], env, args.runs),
        "upstream": _time_cli(
            [lakehub, "lineage", "upstream", "business.business_00042", "--json"], env, args.runs
        ),
        "column_up": _time_cli(
            [
                lakehub,
                "lineage",
                "column",
                "business.business_00042.id_number",
                "--direction",
                "up",
                "--json",
            ],
            env,
            args.runs,
        ),
    }
    print(
        json.dumps(
            {
                "graph": shape,
                "generate_s": round(generate_s, 2),
                "import": {
                    "wall_s": round(import_s, 2),
                    "events": imported["imported"],
                    "skipped": imported["skipped"],
                    "datasets_added": imported["datasets_added"],
                    "edges_added": imported["edges_added"],
                    "column_edges_added": imported["column_edges_added"],
                },
                "queries": queries,
                "target_impact_s": TARGET_S,
                "impact_within_target": queries["impact"]["wall_s_median"] <= TARGET_S,
                "python_start_s": _python_start(args.runs),
                "load_average": list(os.getloadavg()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
