"""Store OpenLineage events in the catalog and project them into jobs, datasets and edges.

Events from any producer (lakehub, Spark, Airflow, dbt) are appended verbatim to ``lineage_events``
and projected in the same transaction:

* every dataset becomes a node (namespace + name) with what its facets say: short name (lakehub
  symlink, catalog registration or ``…/<tier>/<name>`` path), title, owner, schema, classification
  tags, version, row count and the share of passed quality assertions;
* every run event that has inputs and outputs (not FAIL/ABORT) opens an edge input → output through
  its job, and its output column-lineage facet opens column edges;
* a COMPLETE closes the job's open edges into an output that this run no longer reads (``valid_to``),
  so the graph as of a date is the edges valid at that time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from .models import DatasetRow
from .models_lineage import (
    LineageColumnEdgeRow,
    LineageEdgeRow,
    LineageEventRow,
    LineageJobRow,
    LineageNodeRow,
)
from .records import Tier

if TYPE_CHECKING:
    from .store import CatalogStore

log = logging.getLogger(__name__)

LAKEHUB_SYMLINK_PREFIX = "lakehub://"
_TIER_PATH = re.compile(r"/(" + "|".join(t.value for t in Tier) + r")/([A-Za-z0-9_]+)/?$")
CLOSING_STATES = ("COMPLETE",)
AUTHORITATIVE_FOR_READERS = ("quality_passed", "quality_total")
"""Node facts a reading job may overwrite: a quality job asserts on what it reads."""
NO_EDGE_STATES = ("FAIL", "ABORT")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event to store: its parsed form and the exact JSON text kept for export."""

    event: Mapping[str, Any]
    text: str
    origin: str = "emitted"
    """emitted (by a lakehub job) or imported (`lakehub lineage import`)."""


@dataclass(frozen=True, slots=True)
class ProjectionSummary:
    """What storing a batch of events changed."""

    events: int
    nodes_created: int
    edges_opened: int
    edges_closed: int
    column_edges_opened: int


def parse_time(text: str) -> datetime:
    """An event time as an aware UTC datetime (naive times are taken as UTC)."""
    when = datetime.fromisoformat(text)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def short_name_from_path(name: str) -> str | None:
    """``base.population`` from a warehouse location ending in ``/base/population``."""
    match = _TIER_PATH.search(name)
    return f"{match.group(1)}.{match.group(2)}" if match else None


@dataclass(slots=True)
class _NodeInfo:
    """Metadata a batch learned about one node (last value wins)."""

    values: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Projector:
    """Projects events within one connection; caches ids so bulk imports stay fast."""

    connection: Connection
    nodes: dict[tuple[str, str], int] = field(default_factory=dict)
    jobs: dict[tuple[str, str], int] = field(default_factory=dict)
    catalog_names: dict[tuple[str, str], str] = field(default_factory=dict)
    open_edges: dict[tuple[int, int], dict[int, tuple[int, datetime]]] = field(default_factory=dict)
    open_columns: dict[tuple[int, int], dict[tuple[int, str, str], tuple[int, datetime]]] = field(
        default_factory=dict
    )
    node_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    node_fills: dict[int, dict[str, Any]] = field(default_factory=dict)
    """What readers of a dataset said about it: fills gaps only (its writer is authoritative)."""
    new_nodes: set[int] = field(default_factory=set)
    job_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    new_edges: list[dict[str, Any]] = field(default_factory=list)
    new_columns: list[dict[str, Any]] = field(default_factory=list)
    closed_edges: dict[int, datetime] = field(default_factory=dict)
    closed_columns: dict[int, datetime] = field(default_factory=dict)
    nodes_created: int = 0

    def load(self) -> None:
        c = self.connection
        self.nodes = {
            (ns, n): i
            for i, ns, n in c.execute(
                select(LineageNodeRow.id, LineageNodeRow.namespace, LineageNodeRow.name)
            )
        }
        self.jobs = {
            (ns, n): i
            for i, ns, n in c.execute(select(LineageJobRow.id, LineageJobRow.namespace, LineageJobRow.name))
        }
        self.catalog_names = {
            (ns, n): name
            for name, ns, n in c.execute(select(DatasetRow.name, DatasetRow.ol_namespace, DatasetRow.ol_name))
            if ns is not None and n is not None
        }
        edges = select(
            LineageEdgeRow.id,
            LineageEdgeRow.job_id,
            LineageEdgeRow.target_id,
            LineageEdgeRow.source_id,
            LineageEdgeRow.valid_from,
        ).where(LineageEdgeRow.valid_to.is_(None))
        for edge_id, job, target, source, since in c.execute(edges):
            self.open_edges.setdefault((job, target), {})[source] = (edge_id, _aware(since))
        columns = select(
            LineageColumnEdgeRow.id,
            LineageColumnEdgeRow.job_id,
            LineageColumnEdgeRow.target_id,
            LineageColumnEdgeRow.source_id,
            LineageColumnEdgeRow.source_field,
            LineageColumnEdgeRow.target_field,
            LineageColumnEdgeRow.valid_from,
        ).where(LineageColumnEdgeRow.valid_to.is_(None))
        for edge_id, job, target, source, s_field, t_field, since in c.execute(columns):
            self.open_columns.setdefault((job, target), {})[(source, s_field, t_field)] = (
                edge_id,
                _aware(since),
            )

    def prepare(self, events: Sequence[StoredEvent]) -> None:
        """Insert the batch's new jobs and datasets in bulk (one statement each) before projecting."""
        new_nodes: dict[tuple[str, str], datetime] = {}
        new_jobs: dict[tuple[str, str], datetime] = {}
        for stored in events:
            event = stored.event
            when = parse_time(str(event["eventTime"]))
            job = event.get("job")
            if (
                isinstance(job, Mapping)
                and (key := (str(job["namespace"]), str(job["name"]))) not in self.jobs
            ):
                new_jobs.setdefault(key, when)
            for dataset in _datasets_of(event):
                key = (str(dataset["namespace"]), str(dataset["name"]))
                if key not in self.nodes:
                    new_nodes[key] = min(when, new_nodes.get(key, when))
        if new_jobs:
            self.connection.execute(
                insert(LineageJobRow),
                [{"namespace": ns, "name": n, "updated_at": t} for (ns, n), t in new_jobs.items()],
            )
            self.jobs.update(
                {
                    (ns, n): i
                    for i, ns, n in self.connection.execute(
                        select(LineageJobRow.id, LineageJobRow.namespace, LineageJobRow.name)
                    )
                }
            )
        if new_nodes:
            rows: list[dict[str, Any]] = []
            for (namespace, name), when in new_nodes.items():
                short = self.catalog_names.get((namespace, name)) or short_name_from_path(name)
                rows.append(
                    {
                        "namespace": namespace,
                        "name": name,
                        "short_name": short,
                        "tier": short.partition(".")[0] if short else None,
                        "fields": [],
                        "first_seen": when,
                    }
                )
            self.connection.execute(insert(LineageNodeRow), rows)
            self.nodes.update(
                {
                    (ns, n): i
                    for i, ns, n in self.connection.execute(
                        select(LineageNodeRow.id, LineageNodeRow.namespace, LineageNodeRow.name)
                    )
                }
            )
            self.new_nodes.update(self.nodes[key] for key in new_nodes)
            self.nodes_created += len(rows)

    def node(self, namespace: str, name: str, when: datetime) -> int:
        key = (namespace, name)
        if key not in self.nodes:
            short = self.catalog_names.get(key) or short_name_from_path(name)
            node_id = self.connection.execute(
                insert(LineageNodeRow).values(
                    namespace=namespace,
                    name=name,
                    short_name=short,
                    tier=short.partition(".")[0] if short else None,
                    fields=[],
                    first_seen=when,
                )
            ).inserted_primary_key[0]  # type: ignore[index]  # insert returns one key
            self.nodes[key] = int(node_id)
            self.new_nodes.add(int(node_id))
            self.nodes_created += 1
        return self.nodes[key]

    def job(self, namespace: str, name: str, when: datetime) -> int:
        key = (namespace, name)
        if key not in self.jobs:
            job_id = self.connection.execute(
                insert(LineageJobRow).values(namespace=namespace, name=name, updated_at=when)
            ).inserted_primary_key[0]  # type: ignore[index]  # insert returns one key
            self.jobs[key] = int(job_id)
        return self.jobs[key]

    def project(self, event: Mapping[str, Any]) -> None:
        when = parse_time(str(event["eventTime"]))
        state = event.get("eventType")
        job_part = event.get("job")
        job_id = None
        if isinstance(job_part, Mapping):
            job_id = self.job(str(job_part["namespace"]), str(job_part["name"]), when)
            run = event.get("run") if isinstance(event.get("run"), Mapping) else {}
            self.job_updates.setdefault(job_id, {}).update(
                _job_values(job_part.get("facets") or {}, when, run.get("runId"), state)  # type: ignore[union-attr]  # checked Mapping
            )
        dataset = event.get("dataset")
        if isinstance(dataset, Mapping):
            self._describe(
                self.node(str(dataset["namespace"]), str(dataset["name"]), when), dataset, when, False
            )
        inputs = [self._dataset(d, when, False) for d in event.get("inputs") or () if isinstance(d, Mapping)]
        outputs = [
            (self._dataset(d, when, state == "COMPLETE"), d)
            for d in event.get("outputs") or ()
            if isinstance(d, Mapping)
        ]
        if job_id is None or state in NO_EDGE_STATES:
            return
        run_id = (event.get("run") or {}).get("runId")
        for target, dataset_event in outputs:
            if inputs:
                self._edges(job_id, target, set(inputs), when, run_id, closing=state in CLOSING_STATES)
            lineage = (dataset_event.get("facets") or {}).get("columnLineage")
            if isinstance(lineage, Mapping):
                self._columns(job_id, target, lineage, when, run_id, closing=state in CLOSING_STATES)

    def _dataset(self, dataset: Mapping[str, Any], when: datetime, written: bool) -> int:
        node_id = self.node(str(dataset["namespace"]), str(dataset["name"]), when)
        self._describe(node_id, dataset, when, written)
        return node_id

    def _describe(self, node_id: int, dataset: Mapping[str, Any], when: datetime, written: bool) -> None:
        values = _node_values(dataset)
        if written:
            values["updated_at"] = when
            self.node_updates.setdefault(node_id, {}).update(values)
            return
        authoritative = {k: values.pop(k) for k in AUTHORITATIVE_FOR_READERS if k in values}
        if authoritative:
            self.node_updates.setdefault(node_id, {}).update(authoritative)
        if "fields" in values and node_id not in self.new_nodes:
            del values["fields"]
        if values:
            self.node_fills.setdefault(node_id, {}).update(values)

    def _edges(
        self, job_id: int, target: int, sources: set[int], when: datetime, run_id: Any, *, closing: bool
    ) -> None:
        current = self.open_edges.setdefault((job_id, target), {})
        for source in sources - set(current):
            self.new_edges.append(
                {
                    "job_id": job_id,
                    "source_id": source,
                    "target_id": target,
                    "run_id": run_id,
                    "valid_from": when,
                }
            )
            current[source] = (-len(self.new_edges), when)
        if closing:
            for source in set(current) - sources:
                edge_id, since = current[source]
                if since <= when:
                    self._close(edge_id, when, self.new_edges, self.closed_edges)
                    del current[source]

    def _columns(
        self,
        job_id: int,
        target: int,
        lineage: Mapping[str, Any],
        when: datetime,
        run_id: Any,
        *,
        closing: bool,
    ) -> None:
        wanted: dict[tuple[int, str, str], dict[str, Any]] = {}
        for out_field, spec in (lineage.get("fields") or {}).items():
            for item in (spec or {}).get("inputFields") or ():
                source = self.node(str(item["namespace"]), str(item["name"]), when)
                transformation = ((item.get("transformations") or [None])[0]) or {}
                wanted[(source, str(item["field"]), str(out_field))] = {
                    "transformation": transformation.get("type") or spec.get("transformationType"),
                    "subtype": transformation.get("subtype"),
                    "masking": bool(transformation.get("masking")),
                }
        current = self.open_columns.setdefault((job_id, target), {})
        for key in set(wanted) - set(current):
            source, s_field, t_field = key
            self.new_columns.append(
                {
                    "job_id": job_id,
                    "source_id": source,
                    "source_field": s_field,
                    "target_id": target,
                    "target_field": t_field,
                    "run_id": run_id,
                    "valid_from": when,
                    **wanted[key],
                }
            )
            current[key] = (-len(self.new_columns), when)
        if closing:
            for key in set(current) - set(wanted):
                edge_id, since = current[key]
                if since <= when:
                    self._close(edge_id, when, self.new_columns, self.closed_columns)
                    del current[key]

    @staticmethod
    def _close(
        edge_id: int, when: datetime, pending: list[dict[str, Any]], closed: dict[int, datetime]
    ) -> None:
        """Close a stored edge, or a pending one of this batch (negative id = its position)."""
        if edge_id < 0:
            pending[-edge_id - 1]["valid_to"] = when
        else:
            closed[edge_id] = when

    def flush(self) -> None:
        c = self.connection
        for rows, table in ((self.new_edges, LineageEdgeRow), (self.new_columns, LineageColumnEdgeRow)):
            if rows:
                for row in rows:
                    row.setdefault("valid_to", None)
                c.execute(insert(table), rows)
        for closed, table in (
            (self.closed_edges, LineageEdgeRow),
            (self.closed_columns, LineageColumnEdgeRow),
        ):
            for edge_id, when in closed.items():
                c.execute(update(table).where(table.id == edge_id).values(valid_to=when))
        fills: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for node_id, values in self.node_fills.items():
            fills.setdefault(tuple(sorted(values)), []).append({"_id": node_id, **values})
        for keys, rows in fills.items():
            columns = LineageNodeRow.__table__.c
            statement = (
                update(LineageNodeRow)
                .where(LineageNodeRow.id == bindparam("_id"))
                .values(
                    {
                        key: bindparam(key)
                        if key == "fields"
                        else func.coalesce(columns[key], bindparam(key))
                        for key in keys
                    }
                )
                .execution_options(synchronize_session=False)
            )
            c.execute(statement, rows)
        targets: tuple[tuple[type[LineageNodeRow] | type[LineageJobRow], dict[int, dict[str, Any]]], ...] = (
            (LineageNodeRow, self.node_updates),
            (LineageJobRow, self.job_updates),
        )
        for target, updates in targets:
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row_id, values in updates.items():
                if values:
                    groups.setdefault(tuple(sorted(values)), []).append({"_id": row_id, **values})
            for keys, rows in groups.items():
                statement = (
                    update(target)
                    .where(target.id == bindparam("_id"))
                    .values({key: bindparam(key) for key in keys})
                    .execution_options(synchronize_session=False)
                )
                c.execute(statement, rows)


def _datasets_of(event: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """Every dataset an event names: inputs, outputs, a dataset event's dataset, column-lineage sources."""
    found: list[Mapping[str, Any]] = [d for d in (event.get("inputs") or ()) if isinstance(d, Mapping)]
    outputs = [d for d in (event.get("outputs") or ()) if isinstance(d, Mapping)]
    found.extend(outputs)
    if isinstance(event.get("dataset"), Mapping):
        found.append(event["dataset"])
    for output in outputs:
        lineage = (output.get("facets") or {}).get("columnLineage") or {}
        for spec in (lineage.get("fields") or {}).values():
            found.extend(item for item in (spec or {}).get("inputFields") or () if isinstance(item, Mapping))
    return found


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _owner(facet: Any) -> str | None:
    owners = facet.get("owners") if isinstance(facet, Mapping) else None
    if not owners:
        return None
    name = str(owners[0].get("name", ""))
    return name.split(":", 1)[1] if ":" in name else name or None


def _job_values(facets: Mapping[str, Any], when: datetime, run_id: Any, state: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": when}
    if run_id:
        values["latest_run_id"] = str(run_id)
    if state:
        values["latest_state"] = str(state)
    job_type = facets.get("jobType")
    if isinstance(job_type, Mapping):
        values["job_type"] = job_type.get("jobType")
        values["integration"] = job_type.get("integration")
    documentation = facets.get("documentation")
    if isinstance(documentation, Mapping) and documentation.get("description"):
        values["description"] = str(documentation["description"])
    owner = _owner(facets.get("ownership"))
    if owner:
        values["owner"] = owner
    return values


def _node_values(dataset: Mapping[str, Any]) -> dict[str, Any]:
    """Node columns learned from a dataset's facets (only what the facets say)."""
    facets = dataset.get("facets") or {}
    values: dict[str, Any] = {}
    for identifier in (facets.get("symlinks") or {}).get("identifiers") or ():
        if str(identifier.get("namespace", "")).startswith(LAKEHUB_SYMLINK_PREFIX) and identifier.get("name"):
            values["short_name"] = str(identifier["name"])
            values["tier"] = values["short_name"].partition(".")[0]
    classification: dict[str, str] = {}
    for tag in (facets.get("tags") or {}).get("tags") or ():
        key, value = tag.get("key"), tag.get("value")
        if key == "title":
            values["title"] = str(value)
        elif key == "tier" and "tier" not in values:
            values["tier"] = str(value)
        elif key == "classification" and tag.get("field"):
            classification[str(tag["field"])] = str(value)
    schema = facets.get("schema")
    if isinstance(schema, Mapping) and schema.get("fields"):
        values["fields"] = [
            {
                "name": f.get("name"),
                "type": f.get("type"),
                "classification": classification.get(str(f.get("name"))),
            }
            for f in schema["fields"]
            if isinstance(f, Mapping)
        ]
    documentation = facets.get("documentation")
    if isinstance(documentation, Mapping) and documentation.get("description"):
        values["description"] = str(documentation["description"])
        values.setdefault("title", str(documentation["description"]).split(" — ")[0][:200])
    owner = _owner(facets.get("ownership"))
    if owner:
        values["owner"] = owner
    version = facets.get("version")
    if isinstance(version, Mapping) and version.get("datasetVersion") is not None:
        values["version"] = str(version["datasetVersion"])
    statistics = (dataset.get("outputFacets") or {}).get("outputStatistics")
    if isinstance(statistics, Mapping):
        if statistics.get("rowCount") is not None:
            values["row_count"] = int(statistics["rowCount"])
        if statistics.get("size") is not None:
            values["byte_count"] = int(statistics["size"])
    metrics = facets.get("dataQualityMetrics")
    if isinstance(metrics, Mapping) and metrics.get("rowCount") is not None:
        values["row_count"] = int(metrics["rowCount"])
    assertions = (
        facets.get("dataQualityAssertions")
        or (dataset.get("inputFacets") or {}).get("dataQualityAssertions")
        or {}
    ).get("assertions")
    if assertions:
        values["quality_total"] = len(assertions)
        values["quality_passed"] = sum(1 for a in assertions if a.get("success"))
    return values


def store_events(connection: Connection, events: Sequence[StoredEvent]) -> ProjectionSummary:
    """Append events to the log and project them into the graph, within the caller's transaction."""
    projector = _Projector(connection)
    projector.load()
    projector.prepare(events)
    now = datetime.now(UTC)
    rows = []
    for stored in events:
        event = stored.event
        run = event.get("run") if isinstance(event.get("run"), Mapping) else None
        job = event.get("job") if isinstance(event.get("job"), Mapping) else None
        rows.append(
            {
                "run_id": str(run.get("runId")) if run else None,
                "event_type": event.get("eventType"),
                "event_time": parse_time(str(event["eventTime"])),
                "job_namespace": job.get("namespace") if job else None,
                "job_name": job.get("name") if job else None,
                "producer": str(event.get("producer", "")),
                "origin": stored.origin,
                "payload": stored.text,
                "received_at": now,
            }
        )
        projector.project(event)
    if rows:
        connection.execute(insert(LineageEventRow), rows)
    projector.flush()
    return ProjectionSummary(
        events=len(rows),
        nodes_created=projector.nodes_created,
        edges_opened=len(projector.new_edges),
        edges_closed=len(projector.closed_edges) + sum(1 for e in projector.new_edges if e.get("valid_to")),
        column_edges_opened=len(projector.new_columns),
    )


def iter_event_texts(connection: Connection, batch: int = 2000) -> Iterable[str]:
    """Stored events in arrival order, as their original JSON text."""
    last = 0
    while True:
        rows = connection.execute(
            select(LineageEventRow.id, LineageEventRow.payload)
            .where(LineageEventRow.id > last)
            .order_by(LineageEventRow.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row_id, payload in rows:
            last = row_id
            yield payload


def to_stored(event: Mapping[str, Any], origin: str = "emitted") -> StoredEvent:
    """A StoredEvent with the event's compact JSON text."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return StoredEvent(event, text, origin)


class LineageRepository:
    """Writes and reads the lineage tables of one catalog (each call is one transaction)."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store

    def add_events(self, events: Sequence[StoredEvent]) -> ProjectionSummary:
        """Append events and project them; all or nothing."""
        with self.store._guard(), self.store.engine.begin() as connection:
            summary = store_events(connection, events)
        log.debug("stored %d lineage events (%d edges opened)", summary.events, summary.edges_opened)
        return summary

    def event_texts(self) -> Iterable[str]:
        """Every stored event as its original JSON text, in arrival order."""
        with self.store._guard(), self.store.engine.connect() as connection:
            yield from iter_event_texts(connection)

    def event_count(self) -> int:
        """How many events are stored."""
        with self.store._guard(), self.store.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(LineageEventRow)).scalar_one())
