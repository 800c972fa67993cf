"""Model DAG from ref() dependencies: validation, topological order, selection (pure Python)."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence

from lakehub.pipelines.model_specs import ModelGraphError, ModelSpec, get_model


def check_graph(models: Mapping[str, ModelSpec], base_tables: Collection[str]) -> None:
    """Raise naming the models involved when a model reads an unknown dataset or the refs form a cycle."""
    known = set(models) | set(base_tables)
    unknown = [(m.full_name, ref) for m in models.values() for ref in m.refs if ref not in known]
    if unknown:
        listed = "; ".join(f"{model} reads unknown dataset {ref}" for model, ref in unknown)
        raise ModelGraphError(
            f"{listed}. Known datasets: {', '.join(sorted(known))}. "
            "Fix: correct the ref() or add the model/source it names."
        )
    cycle = find_cycle(models)
    if cycle:
        raise ModelGraphError(
            f"Models form a cycle: {' → '.join(cycle)}. Fix: remove one of these ref() dependencies."
        )


def find_cycle(models: Mapping[str, ModelSpec]) -> list[str]:
    """One dependency cycle as [a, b, ..., a], or [] when the models form a DAG."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for ref in models[name].refs:
            if ref not in models:
                continue
            if state.get(ref) == 1:
                return [*path[path.index(ref) :], ref]
            if ref not in state and (found := visit(ref)):
                return found
        path.pop()
        state[name] = 2
        return []

    for name in sorted(models):
        if name not in state and (found := visit(name)):
            return found
    return []


def topological_order(models: Mapping[str, ModelSpec], names: Iterable[str] | None = None) -> list[str]:
    """Models (all, or the given ones) so that each comes after the models it reads; ties by name."""
    chosen = set(models if names is None else names)
    upstream = {n: {r for r in models[n].refs if r in chosen} for n in chosen}
    downstream: dict[str, set[str]] = {n: set() for n in chosen}
    for name, refs in upstream.items():
        for ref in refs:
            downstream[ref].add(name)
    ready = [n for n, refs in upstream.items() if not refs]
    heapq.heapify(ready)
    order: list[str] = []
    waiting = {n: len(refs) for n, refs in upstream.items()}
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for child in downstream[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    if len(order) != len(chosen):
        raise ModelGraphError(
            f"Models form a cycle: {' → '.join(find_cycle(models))}. Fix: remove one of these ref() dependencies."
        )
    return order


def heights(models: Mapping[str, ModelSpec], order: Sequence[str]) -> dict[str, int]:
    """Per model of ``order`` (topologically sorted), the longest chain of models in ``order`` that read it
    (0: nothing reads it). A scheduler that starts the highest ready model first starts the head of the
    longest chain early, so the chain's tail does not run alone at the end."""
    height = dict.fromkeys(order, 0)
    for name in reversed(order):  # readers come after what they read: a model's height is final here
        for ref in models[name].refs:
            if ref in height:
                height[ref] = max(height[ref], height[name] + 1)
    return height


def descendants(models: Mapping[str, ModelSpec], name: str) -> set[str]:
    """Every model reading ``name`` directly or through other models."""
    found: set[str] = set()
    frontier = [name]
    while frontier:
        current = frontier.pop()
        for model in models.values():
            if current in model.refs and model.full_name not in found:
                found.add(model.full_name)
                frontier.append(model.full_name)
    return found


def select_models(
    models: Mapping[str, ModelSpec], selectors: Iterable[str] = (), tiers: Collection[str] = ()
) -> list[str]:
    """Models to run in dependency order: ``MODEL`` selects it, ``MODEL+`` adds its descendants.

    Without selectors every model of ``tiers`` (all tiers when empty) is chosen.
    """
    chosen: set[str] = set()
    selectors = list(selectors)
    for selector in selectors:
        with_children = selector.endswith("+")
        model = get_model(models, selector.removesuffix("+"))
        chosen.add(model.full_name)
        if with_children:
            chosen |= descendants(models, model.full_name)
    if not selectors:
        chosen = {n for n, m in models.items() if not tiers or m.tier in tiers}
    return topological_order(models, chosen)
