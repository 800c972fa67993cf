"""`lakehub lineage import|export`: OpenLineage NDJSON in and out of the catalog.

Import takes events from any producer (Spark, Airflow, dbt integrations, lakehub itself): each line
is parsed and validated against the OpenLineage spec; invalid lines are reported with their line
number and skipped, valid ones are stored and projected into the same graph. Export writes the
stored events back out, one per line, exactly as they were received.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LineageError
from .spec import SpecValidator, default_validator

log = logging.getLogger(__name__)

BATCH = 2000
"""Events stored per transaction."""
MAX_PROBLEMS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class LineProblem:
    """Why one line of an NDJSON file was skipped."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What `lakehub lineage import` did."""

    path: str
    lines: int
    imported: int
    skipped: int
    problems: tuple[LineProblem, ...]
    datasets_added: int
    edges_added: int
    column_edges_added: int
    seconds: float

    @property
    def passed(self) -> bool:
        """Every line was a valid event."""
        return self.skipped == 0


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A valid event and the line it came from."""

    line: int
    event: dict[str, Any]
    text: str


def parse_lines(path: Path, validator: SpecValidator | None = None) -> Iterator[ParsedLine | LineProblem]:
    """Each non-blank line of ``path`` as a valid event or the problem that makes it invalid."""
    validator = validator or default_validator()
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as err:
        raise LineageError(
            f"Cannot read {path}: {err.strerror}. Fix: pass an existing NDJSON file of OpenLineage events."
        ) from err
    with handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                event = json.loads(text)
            except json.JSONDecodeError as err:
                yield LineProblem(number, f"not JSON ({err.msg} at column {err.colno})")
                continue
            if not isinstance(event, dict):
                yield LineProblem(number, f"a JSON {type(event).__name__}, not an event object")
                continue
            problems = validator.problems(event)
            if problems:
                shown = "; ".join(str(p) for p in problems[:MAX_PROBLEMS_SHOWN])
                more = (
                    f" (+{len(problems) - MAX_PROBLEMS_SHOWN} more)"
                    if len(problems) > MAX_PROBLEMS_SHOWN
                    else ""
                )
                yield LineProblem(number, f"not a valid OpenLineage event: {shown}{more}")
                continue
            yield ParsedLine(number, event, text)


def import_events(catalog_url: str, path: Path) -> ImportReport:
    """Validate and store the events of an NDJSON file; invalid lines are reported and skipped."""
    import time

    from lakehub.catalog import CatalogStore
    from lakehub.catalog.lineage_store import LineageRepository, StoredEvent

    started = time.perf_counter()
    problems: list[LineProblem] = []
    lines = imported = nodes = edges = columns = 0
    batch: list[StoredEvent] = []
    with CatalogStore.open(catalog_url) as store:
        repository = LineageRepository(store)

        def flush() -> None:
            nonlocal imported, nodes, edges, columns
            if batch:
                summary = repository.add_events(batch)
                imported += summary.events
                nodes += summary.nodes_created
                edges += summary.edges_opened
                columns += summary.column_edges_opened
                batch.clear()

        for item in parse_lines(path):
            lines += 1
            if isinstance(item, LineProblem):
                problems.append(item)
                log.warning("%s line %d skipped: %s", path, item.line, item.message)
                continue
            batch.append(StoredEvent(item.event, item.text, "imported"))
            if len(batch) >= BATCH:
                flush()
        flush()
    return ImportReport(
        str(path),
        lines,
        imported,
        len(problems),
        tuple(problems),
        nodes,
        edges,
        columns,
        round(time.perf_counter() - started, 3),
    )


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What `lakehub lineage export` wrote."""

    path: str
    events: int


def export_events(catalog_url: str, out: Path) -> ExportReport:
    """Write every stored event to ``out`` as NDJSON, in arrival order."""
    from lakehub.catalog import CatalogStore
    from lakehub.catalog.lineage_store import LineageRepository

    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with CatalogStore.open(catalog_url) as store, partial.open("w", encoding="utf-8") as handle:
        for text in LineageRepository(store).event_texts():
            handle.write(text + "\n")
            count += 1
    partial.replace(out)
    return ExportReport(str(out), count)
