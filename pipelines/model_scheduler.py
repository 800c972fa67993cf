"""The scheduler of `lakehub run` over the theme and business tiers: one DAG, up to `model_parallelism`
models at once, each as soon as the models it reads in this run have finished, the longest chain first.

It only orders, starts and records; building one model is `ModelRunner.run_model`'s work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from lakehub.catalog import CatalogStore, RunStatus
from lakehub.lineage.report import LineageEmitter
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.dag import descendants, heights
from lakehub.pipelines.landing_lineage import PipelineLineage
from lakehub.pipelines.model_results import ModelProgress, ModelResult, ModelStatus, ModelTierRun
from lakehub.pipelines.model_specs import MODEL_TIERS, ModelSpec, ModelSpecError

log = logging.getLogger(__name__)


class ModelBuilder(Protocol):
    """What the scheduler needs of a runner (`ModelRunner`): where to record, and how to build one model."""

    config: LakehubConfig
    store: CatalogStore
    emitter: LineageEmitter

    def run_model(self, model: ModelSpec, *, parent_run_id: str, parent_job: str) -> ModelResult:
        """Build one model; every error is caught and reported as a failed result."""
        ...


def run_tiers(
    runner: ModelBuilder,
    models: Mapping[str, ModelSpec],
    order: Sequence[str],
    *,
    progress: ModelProgress | None = None,
) -> tuple[ModelTierRun, ...]:
    """Run ``order`` (topologically sorted, one or several tiers) as one DAG: a model waits only for the
    models it reads, so a business model that reads only base tables need not wait for the whole theme
    tier; a failure skips every model that reads it, in any tier. Each tier keeps its own parent run
    (``run.theme``, ``run.business``) with its lineage, results in ``order`` and duration (to its last
    model)."""
    started = time.perf_counter()
    rank = {tier: i for i, tier in enumerate(MODEL_TIERS)}
    tiers = sorted({models[name].tier for name in order}, key=lambda t: (rank.get(t, len(rank)), t))
    parents: dict[str, str] = {}
    lineages: dict[str, PipelineLineage] = {}
    for tier in tiers:
        parents[tier] = runner.store.start_run(f"run.{tier}", "model")
        lineages[tier] = PipelineLineage(
            runner.config, runner.store, parents[tier], f"run.{tier}", runner.emitter
        )
        lineages[tier].start()
    results, ended = _schedule(runner, models, order, parents, progress)
    runs = []
    for tier in tiers:
        names = [name for name in order if models[name].tier == tier]
        mine = [results[name] for name in names]
        status = RunStatus.SUCCEEDED if all(r.passed for r in mine) else RunStatus.FAILED
        runner.store.finish_run(
            parents[tier],
            status,
            details={
                "models": {r.model: r.status.value for r in mine},
                "failed": [r.model for r in mine if r.status is ModelStatus.FAILED],
            },
        )
        failed = [r.model for r in mine if not r.passed]
        lineages[tier].finish(
            f"models failed or failed an error rule: {', '.join(failed)}" if failed else None
        )
        runs.append(ModelTierRun(parents[tier], tier, tuple(mine), max(ended[n] for n in names) - started))
    return tuple(runs)


def _schedule(
    runner: ModelBuilder,
    models: Mapping[str, ModelSpec],
    order: Sequence[str],
    parents: Mapping[str, str],
    progress: ModelProgress | None,
) -> tuple[dict[str, ModelResult], dict[str, float]]:
    """Run ``order`` with up to ``model_parallelism`` models at once, each as soon as the models it reads
    in this run have finished (unless one failed: then it is skipped); each model's result and the time
    it finished.

    A model's Spark jobs, Delta commits, catalog writes and lineage share the one SparkSession; running
    two small models side by side keeps both cores busy while one of them plans or commits.
    """
    position = {name: i for i, name in enumerate(order)}
    height = heights(models, order)
    # Ready models start longest chain first (then in ``order``): theme.person_profile, which three
    # models read, starts before the models nothing reads (before session 10 it started sixth).
    waiting = sorted(order, key=lambda n: (-height[n], position[n]))
    blocked: dict[str, str] = {}  # model → the failed model it reads (directly or not)
    results: dict[str, ModelResult] = {}
    ended: dict[str, float] = {}
    running: dict[Future[ModelResult], str] = {}

    def finished(name: str, result: ModelResult) -> None:
        results[name] = result
        ended[name] = time.perf_counter()
        if result.status is ModelStatus.FAILED:
            for child in descendants(models, name):
                blocked.setdefault(child, name)
        log.info("model %s: %s %s", name, result.status.value, result.phases)
        if progress:
            progress("model", name, len(results), len(order))

    workers = max(1, runner.config.model_parallelism)
    with ThreadPoolExecutor(workers, thread_name_prefix="model") as pool:
        while waiting or running:
            for name in list(waiting):
                upstream = [r for r in models[name].refs if r in position]
                if name in blocked:
                    waiting.remove(name)
                    finished(
                        name, _skip(runner.store, models[name], parents[models[name].tier], blocked[name])
                    )
                elif len(running) < workers and all(r in results for r in upstream):
                    waiting.remove(name)
                    parent, job = parents[models[name].tier], f"run.{models[name].tier}"
                    running[
                        pool.submit(runner.run_model, models[name], parent_run_id=parent, parent_job=job)
                    ] = name
            if not running:
                if waiting:  # cannot happen for a topological order; never spin
                    raise ModelSpecError(f"Models {', '.join(waiting)} wait for models that never run.")
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: position[running[f]]):
                finished(running.pop(future), future.result())
    return results, ended


def _skip(store: CatalogStore, model: ModelSpec, parent: str, upstream: str) -> ModelResult:
    reason = f"skipped: upstream {upstream} failed"
    run_id = store.start_run(model.job_name, "model", parent_run_id=parent)
    store.finish_run(run_id, RunStatus.SKIPPED, details={"reason": reason})
    return ModelResult(model.full_name, model.tier, ModelStatus.SKIPPED, run_id=run_id, reason=reason)
