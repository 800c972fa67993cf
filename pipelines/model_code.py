"""A model's code beyond its SQL: Python builders and their declared column lineage, and the model's suite."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehub.lineage.report import FieldSource
from lakehub.pipelines.model_specs import ModelSpec, ModelSpecError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakehub.quality_rules import Suite


def python_builder(model: ModelSpec) -> Callable[[Mapping[str, DataFrame]], DataFrame]:
    """The Python model's build function (named by the sidecar's ``python:``)."""
    namespace = _python_namespace(model)
    builder = namespace.get(model.meta.python)
    if not callable(builder):
        raise ModelSpecError(
            f"{model.path} defines no function '{model.meta.python}'. Fix: define it or set `python:` in the .yml."
        )
    return builder  # type: ignore[no-any-return]  # user code: checked callable above


def _python_namespace(model: ModelSpec) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "__name__": f"lakehub_model_{model.tier}_{model.name}",
        "__file__": model.path,
    }
    exec(compile(model.code, model.path, "exec"), namespace)
    return namespace


def python_column_lineage(model: ModelSpec, masked: Mapping[str, str]) -> dict[str, tuple[FieldSource, ...]]:
    """A Python model's declared COLUMN_LINEAGE as FieldSource tuples (masking flagged)."""
    declared: Mapping[str, Sequence[tuple[str, str, str]]] = _python_namespace(model).get(
        "COLUMN_LINEAGE", {}
    )
    return {
        output: tuple(
            FieldSource(
                dataset=dataset,
                column=column,
                transformation="INDIRECT" if subtype in ("FILTER", "JOIN", "GROUP_BY", "SORT") else "DIRECT",
                subtype=subtype,
                masking=output in masked,
            )
            for dataset, column, subtype in sources
        )
        for output, sources in declared.items()
    }


def model_suite(model: ModelSpec) -> Suite | None:
    """The model's suite: ``quality_rules/suites/<tier>/<suite>.yml``, a path next to the sidecar, or a
    built-in suite name."""
    from lakehub.quality_rules import load_suite, parse_suite, resolve_suite

    name = model.meta.suite
    if name is None:
        return None
    shipped = resources.files("lakehub.quality_rules").joinpath("suites", model.tier, f"{name}.yml")
    if shipped.is_file():
        return parse_suite(
            shipped.read_text(encoding="utf-8"), f"quality_rules/suites/{model.tier}/{name}.yml"
        )
    beside = Path(model.path).parent / name
    if beside.is_file():
        return load_suite(beside)
    return resolve_suite(name)
