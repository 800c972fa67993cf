"""Validate OpenLineage events against the official JSON schemas (a vendored copy of the spec).

The event is checked against ``OpenLineage.json`` (RunEvent, DatasetEvent or JobEvent); every facet
whose ``_schemaURL`` names one of the official facet schemas is then checked against that facet file.
References between the files resolve locally through a ``referencing`` registry: no network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent / "openlineage_spec"
"""The official OpenLineage JSON schemas (copied from shared/reference/openlineage-spec, Apache-2.0)."""
EVENT_DEFS = ("RunEvent", "DatasetEvent", "JobEvent")
FACET_CACHE_SIZE = 20_000
BASE_FACET_KEYS = ("_producer", "_schemaURL", "_deleted")


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One schema violation: where in the event and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecValidator:
    """Validates event dicts against the OpenLineage spec files in ``spec_dir``."""

    def __init__(self, spec_dir: Path = SPEC_DIR) -> None:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource

        self.spec_dir = spec_dir
        resources: list[tuple[str, Resource[Any]]] = []
        self._facet_schemas: dict[str, str] = {}
        files = [spec_dir / "OpenLineage.json", *sorted((spec_dir / "facets").glob("*.json"))]
        for path in files:
            schema = json.loads(path.read_text(encoding="utf-8"))
            resources.append((schema["$id"], Resource.from_contents(schema)))
            if path.parent.name == "facets":
                self._facet_schemas[path.stem] = schema["$id"]
        self._core_id = resources[0][0]
        registry: Registry[Any] = Registry().with_resources(resources)
        self._validators = {
            name: Draft202012Validator(
                {"$ref": f"{self._core_id}#/$defs/{name}"},
                registry=registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            for name in EVENT_DEFS
        }
        self._registry = registry
        self._facet_validators: dict[tuple[str, str], Any] = {}
        self._facet_results: dict[str, tuple[tuple[str, str], ...]] = {}

    @property
    def spec_version(self) -> str:
        """Version segment of the core spec $id, e.g. 2-0-2."""
        return self._core_id.rstrip("/").split("/")[-2]

    def problems(self, event: Mapping[str, Any]) -> list[SpecProblem]:
        """Every violation of the spec in ``event`` (empty when valid).

        Facets with an official schema are checked against it (results cached by content: producers
        repeat the same schema facets in event after event); the event itself is checked with those
        facets reduced to the base-facet keys the core schema looks at, so nothing is checked twice.
        """
        kind = _event_kind(event)
        skeleton = _reduce_facets(event, lambda facet: self._facet_validator(facet) is not None)
        found = [
            SpecProblem(_where(error.absolute_path), error.message)
            for error in self._validators[kind].iter_errors(skeleton)
        ]
        when = event.get("eventTime")
        if isinstance(when, str) and not _is_datetime(when):
            found.append(SpecProblem("eventTime", f"{when!r} is not an RFC 3339 date-time"))
        for path, facet in _facets(event):
            validator = self._facet_validator(facet)
            if validator is None:
                continue
            key = json.dumps(facet, sort_keys=True, default=str)
            errors = self._facet_results.get(key)
            if errors is None:
                errors = tuple((_where(e.absolute_path), e.message) for e in validator.iter_errors(facet))
                if len(self._facet_results) >= FACET_CACHE_SIZE:
                    self._facet_results.clear()
                self._facet_results[key] = errors
            found.extend(SpecProblem(f"{path}.{where}".rstrip("."), message) for where, message in errors)
        return found

    def _facet_validator(self, facet: Any) -> Any:
        """Validator for the definition a facet's ``_schemaURL`` names, in the local spec file."""
        from jsonschema import Draft202012Validator

        target = _facet_target(facet)
        if target is None or target[0] not in self._facet_schemas:
            return None
        if target not in self._facet_validators:
            ref = f"{self._facet_schemas[target[0]]}#{target[1]}"
            self._facet_validators[target] = Draft202012Validator(
                {"$ref": ref}, registry=self._registry, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
        return self._facet_validators[target]


def _is_datetime(text: str) -> bool:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _event_kind(event: Mapping[str, Any]) -> str:
    if "run" in event or "eventType" in event:
        return "RunEvent"
    if "dataset" in event:
        return "DatasetEvent"
    return "JobEvent" if "job" in event else "RunEvent"


def _where(path: Any) -> str:
    return ".".join(str(part) for part in path)


def _facet_target(facet: Any) -> tuple[str, str] | None:
    """(schema file stem, JSON pointer) a facet's ``_schemaURL`` names (…/facets/1-2-0/X.json#/$defs/X)."""
    if not isinstance(facet, Mapping):
        return None
    url = facet.get("_schemaURL")
    if not isinstance(url, str) or "/spec/facets/" not in url:
        return None
    document, _, pointer = url.partition("#")
    stem = document.rsplit("/", 1)[-1].removesuffix(".json")
    return stem, pointer or f"/$defs/{stem}"


def _reduce_facets(event: Mapping[str, Any], has_schema: Callable[[Any], bool]) -> Mapping[str, Any]:
    """A copy of the event whose facets with their own schema keep only the base-facet keys."""

    def reduce(facets: Any) -> Any:
        if not isinstance(facets, Mapping):
            return facets
        return {
            name: {k: facet[k] for k in BASE_FACET_KEYS if k in facet} if has_schema(facet) else facet
            for name, facet in facets.items()
        }

    copy = dict(event)
    for part in ("run", "job", "dataset"):
        if isinstance(event.get(part), Mapping):
            copy[part] = (
                {**event[part], "facets": reduce(event[part].get("facets"))}
                if "facets" in event[part]
                else event[part]
            )
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        datasets = event.get(side)
        if isinstance(datasets, list):
            copy[side] = [
                {**d, **{k: reduce(d[k]) for k in ("facets", extra) if k in d}}
                if isinstance(d, Mapping)
                else d
                for d in datasets
            ]
    return copy


def _facets(event: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(path, facet) of every facet in a run, job or dataset event."""
    found: list[tuple[str, Any]] = []

    def collect(prefix: str, facets: Any) -> None:
        if isinstance(facets, Mapping):
            found.extend((f"{prefix}.{key}", value) for key, value in facets.items())

    for part in ("run", "job", "dataset"):
        if isinstance(event.get(part), Mapping):
            collect(f"{part}.facets", event[part].get("facets"))
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        datasets = event.get(side)
        if isinstance(datasets, list):
            for index, dataset in enumerate(datasets):
                if isinstance(dataset, Mapping):
                    collect(f"{side}.{index}.facets", dataset.get("facets"))
                    collect(f"{side}.{index}.{extra}", dataset.get(extra))
    return found


@cache
def default_validator() -> SpecValidator:
    """The validator over the spec shipped with lakehub (built once per process)."""
    return SpecValidator()
