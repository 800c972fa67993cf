"""Lineage graph queries: upstream, downstream, impact and column traces over the catalog tables.

Plain SQL through any DB-API-like connection (the stdlib ``sqlite3`` module for SQLite catalogs, so
a query needs neither SQLAlchemy nor a JVM; a SQLAlchemy connection for PostgreSQL). The walk is a
breadth-first frontier: one indexed query per depth level, a visited set, so cycles, self-loops and
diamonds terminate and every node is reported once at its shortest depth with all the jobs and
parents that reach it at that depth.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from .errors import CatalogError

Direction = Literal["upstream", "downstream"]
Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
"""Run SQL with ``:name`` parameters and return all rows."""

CHUNK = 2000
"""Ids per IN list (SQLite allows 32766 parameters; small lists keep plans simple)."""
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy stores DateTime in SQLite (compared as text)."""
LIST_HINT = (
    "Run `lakehub lineage map --format mermaid --out -` or `lakehub catalog list` to see dataset names."
)


class LineageQueryError(CatalogError):
    """A lineage query names an unknown dataset or column, or has a bad option."""


@dataclass(frozen=True, slots=True)
class Node:
    """A dataset node of the lineage graph."""

    id: int
    namespace: str
    name: str
    short_name: str | None
    tier: str | None
    title: str | None
    owner: str | None
    fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Short name when known, else ``namespace/name``."""
        return self.short_name or f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Reached:
    """A node (dataset or column) reached by a walk."""

    name: str
    depth: int
    dataset: str
    column: str | None
    tier: str | None
    title: str | None
    owner: str | None
    jobs: tuple[str, ...]
    via: tuple[str, ...]
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LineageResult:
    """The answer of one lineage query."""

    query: Literal["upstream", "downstream", "impact", "column"]
    root: str
    direction: Direction
    level: Literal["dataset", "column"]
    as_of: str | None
    nodes: tuple[Reached, ...]
    cycle: bool
    """The walk came back to the root (a cycle through it, or a self-loop)."""
    columns: tuple[Reached, ...] = ()
    """Impact: the downstream columns fed by the root's columns."""


@dataclass(slots=True)
class _Walk:
    depth: dict[Any, int] = field(default_factory=dict)
    jobs: dict[Any, set[int]] = field(default_factory=dict)
    via: dict[Any, set[Any]] = field(default_factory=dict)
    cycle: bool = False


def as_of_instant(value: str | None) -> datetime | None:
    """``YYYY-MM-DD`` → the end of that day (UTC); an ISO date-time as given (UTC if naive)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()
            return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)
        when = datetime.fromisoformat(value)
    except ValueError as err:
        raise LineageQueryError(
            f"--as-of {value!r} is not a date. Use YYYY-MM-DD (end of that day, UTC) or an ISO date-time."
        ) from err
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


class LineageGraph:
    """Queries over the projected lineage tables through ``query``."""

    def __init__(self, query: Query, *, text_times: bool) -> None:
        self._query = query
        self._text_times = text_times
        self._jobs: dict[int, str] = {}

    # -- resolution -------------------------------------------------------------------------
    def _matches(self, ref: str) -> list[Node]:
        """Nodes a reference names: short name, ``namespace/name`` (or ``file:path``), or a bare name."""
        rows = self._nodes_where("short_name = :ref", {"ref": ref})
        if not rows and "/" in ref:
            rows = self._nodes_where("namespace || '/' || name = :ref", {"ref": ref})
            if not rows and ref.startswith("file:"):
                rows = self._nodes_where(
                    "namespace = 'file' AND name = :ref", {"ref": ref.removeprefix("file:")}
                )
        if not rows and "." not in ref:
            rows = self._nodes_where("short_name LIKE :pattern", {"pattern": f"%.{ref}"})
        return rows

    def _one(self, ref: str, rows: list[Node]) -> Node:
        if len(rows) == 1:
            return rows[0]
        if rows:
            candidates = sorted(f"{n.namespace}/{n.name}" for n in rows)
            raise LineageQueryError(
                f"Dataset '{ref}' is ambiguous in the lineage graph: it matches {', '.join(candidates)}. "
                "Use the full OpenLineage namespace/name."
            )
        names = [
            r[0] for r in self._query("SELECT short_name FROM lineage_nodes WHERE short_name IS NOT NULL", {})
        ]
        close = difflib.get_close_matches(ref, names, n=3, cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise LineageQueryError(f"Dataset '{ref}' has no lineage in the catalog.{hint} {LIST_HINT}")

    def resolve(self, ref: str) -> Node:
        """The node for ``tier.name``, ``namespace/name`` or a bare name unique among short names."""
        ref = ref.strip()
        return self._one(ref, self._matches(ref))

    def resolve_column(self, ref: str) -> tuple[Node, str | None]:
        """(node, column) for ``DATASET.COLUMN``; a plain dataset reference gives column None."""
        ref = ref.strip()
        rows = self._matches(ref)
        dataset, dot, column = ref.rpartition(".")
        if rows or not dot or not dataset:
            return self._one(ref, rows), None
        parent = self._matches(dataset)
        if not parent:
            return self._one(ref, rows), None
        node = self._one(dataset, parent)
        if node.fields and column not in node.fields and not self._has_column_edges(node.id, column):
            raise LineageQueryError(
                f"Column '{column}' is not in {node.label}. Its columns: {', '.join(node.fields)}."
            )
        return node, column

    def _nodes_where(self, condition: str, params: dict[str, Any], *, fields: bool = True) -> list[Node]:
        listed = "fields" if fields else "NULL"
        sql = f"SELECT id, namespace, name, short_name, tier, title, owner, {listed} FROM lineage_nodes WHERE {condition}"
        return [self._node(row) for row in self._query(sql, params)]

    @staticmethod
    def _node(row: Sequence[Any]) -> Node:
        import json

        fields = row[7]
        if not fields:
            return Node(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6])
        if isinstance(fields, str):
            fields = json.loads(fields)
        names = tuple(str(f.get("name")) for f in fields or () if isinstance(f, dict))
        return Node(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], names)

    def _has_column_edges(self, node_id: int, column: str) -> bool:
        sql = (
            "SELECT 1 FROM lineage_column_edges WHERE (source_id = :n AND source_field = :c) "
            "OR (target_id = :n AND target_field = :c) LIMIT 1"
        )
        return bool(self._query(sql, {"n": node_id, "c": column}))

    # -- walks ------------------------------------------------------------------------------
    def _validity(self, as_of: datetime | None, params: dict[str, Any]) -> str:
        if as_of is None:
            return "valid_to IS NULL"
        params["as_of"] = as_of.strftime(SQLITE_TIME_FORMAT) if self._text_times else as_of
        return "valid_from <= :as_of AND (valid_to IS NULL OR valid_to > :as_of)"

    def _walk(
        self,
        start: Sequence[Any],
        neighbours: Callable[[list[Any]], list[tuple[Any, Any, int]]],
        depth_limit: int | None,
    ) -> _Walk:
        walk = _Walk()
        roots = set(start)
        for root in roots:
            walk.depth[root] = 0
        frontier = list(roots)
        depth = 0
        while frontier and (depth_limit is None or depth < depth_limit):
            depth += 1
            following: list[Any] = []
            for here, there, job in neighbours(frontier):
                if there in roots:
                    walk.cycle = True
                    continue
                seen = walk.depth.get(there)
                if seen is None:
                    walk.depth[there] = depth
                    following.append(there)
                if walk.depth[there] == depth:
                    walk.jobs.setdefault(there, set()).add(job)
                    walk.via.setdefault(there, set()).add(here)
            frontier = following
        return walk

    def _dataset_neighbours(
        self, direction: Direction, as_of: datetime | None
    ) -> Callable[[list[Any]], list[tuple[Any, Any, int]]]:
        near, far = ("source_id", "target_id") if direction == "downstream" else ("target_id", "source_id")

        def step(frontier: list[Any]) -> list[tuple[Any, Any, int]]:
            found: list[tuple[Any, Any, int]] = []
            for chunk in _chunks(frontier):
                params: dict[str, Any] = {f"n{i}": node for i, node in enumerate(chunk)}
                validity = self._validity(as_of, params)
                marks = ", ".join(f":n{i}" for i in range(len(chunk)))
                sql = f"SELECT DISTINCT {near}, {far}, job_id FROM lineage_edges WHERE {near} IN ({marks}) AND {validity}"
                found.extend((row[0], row[1], row[2]) for row in self._query(sql, params))
            return found

        return step

    def _column_neighbours(
        self, direction: Direction, as_of: datetime | None
    ) -> Callable[[list[Any]], list[tuple[Any, Any, int]]]:
        if direction == "downstream":
            near, near_f, far, far_f = "source_id", "source_field", "target_id", "target_field"
        else:
            near, near_f, far, far_f = "target_id", "target_field", "source_id", "source_field"

        def step(frontier: list[Any]) -> list[tuple[Any, Any, int]]:
            found: list[tuple[Any, Any, int]] = []
            wanted = set(frontier)
            for chunk in _chunks(sorted({node for node, _ in frontier})):
                params: dict[str, Any] = {f"n{i}": node for i, node in enumerate(chunk)}
                validity = self._validity(as_of, params)
                marks = ", ".join(f":n{i}" for i in range(len(chunk)))
                sql = (
                    f"SELECT DISTINCT {near}, {near_f}, {far}, {far_f}, job_id FROM lineage_column_edges "
                    f"WHERE {near} IN ({marks}) AND {validity}"
                )
                for row in self._query(sql, params):
                    if (row[0], row[1]) in wanted:
                        found.append(((row[0], row[1]), (row[2], row[3]), row[4]))
            return found

        return step

    def walk(
        self, ref: str, direction: Direction, *, depth: int | None = None, as_of: str | None = None
    ) -> LineageResult:
        """Datasets upstream or downstream of ``ref`` up to ``depth`` hops (all when None)."""
        if depth is not None and depth < 1:
            raise LineageQueryError(f"--depth must be at least 1, got {depth}.")
        root = self.resolve(ref)
        instant = as_of_instant(as_of)
        walk = self._walk([root.id], self._dataset_neighbours(direction, instant), depth)
        nodes = self._nodes_by_id(walk.depth)
        reached = tuple(
            self._reached(
                nodes[n], None, d, walk.jobs.get(n, set()), [nodes[v].label for v in walk.via.get(n, ())]
            )
            for n, d in sorted(walk.depth.items(), key=lambda item: (item[1], nodes[item[0]].label))
            if d > 0
        )
        return LineageResult(direction, root.label, direction, "dataset", as_of, reached, walk.cycle)

    def column(
        self, ref: str, direction: Direction, *, depth: int | None = None, as_of: str | None = None
    ) -> LineageResult:
        """Columns feeding (up) or fed by (down) ``DATASET.COLUMN``."""
        node, column = self.resolve_column(ref)
        if column is None:
            raise LineageQueryError(
                f"'{ref}' names a dataset; give a column as DATASET.COLUMN, e.g. {node.label}."
                f"{node.fields[0] if node.fields else 'id_number'}."
            )
        instant = as_of_instant(as_of)
        walk = self._walk([(node.id, column)], self._column_neighbours(direction, instant), depth)
        return self._column_result(node, column, direction, walk, as_of, walk.depth)

    def impact(self, ref: str, *, as_of: str | None = None) -> LineageResult:
        """Everything downstream of a dataset or column: datasets and columns with depth, owners, jobs."""
        node, column = self.resolve_column(ref)
        instant = as_of_instant(as_of)
        if column is not None:
            walk = self._walk([(node.id, column)], self._column_neighbours("downstream", instant), None)
            return dataclasses.replace(
                self._column_result(node, column, "downstream", walk, as_of, walk.depth), query="impact"
            )
        datasets = self._walk([node.id], self._dataset_neighbours("downstream", instant), None)
        starts = [(node.id, f) for f in node.fields] or self._fields_with_edges(node.id)
        columns = self._walk(starts, self._column_neighbours("downstream", instant), None)
        ids = set(datasets.depth) | {n for n, _ in columns.depth}
        nodes = self._nodes_by_id(ids)
        impacted: dict[int, list[str]] = {}
        for (n, f), d in columns.depth.items():
            if d > 0:
                impacted.setdefault(n, []).append(f)
        reached = tuple(
            self._reached(
                nodes[n],
                None,
                d,
                datasets.jobs.get(n, set()),
                [nodes[v].label for v in datasets.via.get(n, ())],
                tuple(sorted(impacted.get(n, ()))),
            )
            for n, d in sorted(datasets.depth.items(), key=lambda item: (item[1], nodes[item[0]].label))
            if d > 0
        )
        column_nodes = self._column_reached(columns, nodes)
        return LineageResult(
            "impact", node.label, "downstream", "dataset", as_of, reached, datasets.cycle, column_nodes
        )

    def _fields_with_edges(self, node_id: int) -> list[tuple[int, str]]:
        rows = self._query(
            "SELECT DISTINCT source_field FROM lineage_column_edges WHERE source_id = :n", {"n": node_id}
        )
        return [(node_id, str(r[0])) for r in rows]

    def _column_result(
        self,
        node: Node,
        column: str,
        direction: Direction,
        walk: _Walk,
        as_of: str | None,
        depth: dict[Any, int],
    ) -> LineageResult:
        nodes = self._nodes_by_id({n for n, _ in depth})
        columns = self._column_reached(walk, nodes)
        by_dataset: dict[int, int] = {}
        for (n, _), d in depth.items():
            if d > 0:
                by_dataset[n] = min(d, by_dataset.get(n, d))
        datasets = tuple(
            self._reached(
                nodes[n],
                None,
                d,
                {j for (m, _), js in walk.jobs.items() if m == n for j in js},
                sorted({nodes[v[0]].label for (m, _), vs in walk.via.items() if m == n for v in vs}),
                tuple(sorted(f for (m, f), dd in depth.items() if m == n and dd > 0)),
            )
            for n, d in sorted(by_dataset.items(), key=lambda item: (item[1], nodes[item[0]].label))
        )
        return LineageResult(
            "column", f"{node.label}.{column}", direction, "column", as_of, columns, walk.cycle, datasets
        )

    def _column_reached(self, walk: _Walk, nodes: dict[int, Node]) -> tuple[Reached, ...]:
        return tuple(
            self._reached(
                nodes[n],
                f,
                d,
                walk.jobs.get((n, f), set()),
                [f"{nodes[v[0]].label}.{v[1]}" for v in walk.via.get((n, f), ())],
            )
            for (n, f), d in sorted(
                walk.depth.items(), key=lambda item: (item[1], nodes[item[0][0]].label, item[0][1])
            )
            if d > 0
        )

    def _reached(
        self,
        node: Node,
        column: str | None,
        depth: int,
        jobs: Iterable[int],
        via: Iterable[str],
        columns: tuple[str, ...] = (),
    ) -> Reached:
        return Reached(
            name=f"{node.label}.{column}" if column else node.label,
            depth=depth,
            dataset=node.label,
            column=column,
            tier=node.tier,
            title=node.title,
            owner=node.owner,
            jobs=tuple(sorted(self._job_name(j) for j in jobs)),
            via=tuple(sorted(via)),
            columns=columns,
        )

    def _nodes_by_id(self, ids: Iterable[int]) -> dict[int, Node]:
        found: dict[int, Node] = {}
        for chunk in _chunks(sorted(set(ids))):
            params = {f"n{i}": node for i, node in enumerate(chunk)}
            marks = ", ".join(f":n{i}" for i in range(len(chunk)))
            for node in self._nodes_where(f"id IN ({marks})", params, fields=False):
                found[node.id] = node
        return found

    def _job_name(self, job_id: int) -> str:
        if not self._jobs:
            self._jobs = {int(r[0]): str(r[1]) for r in self._query("SELECT id, name FROM lineage_jobs", {})}
        return self._jobs.get(job_id, str(job_id))


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


def sqlite_path(url: str) -> str | None:
    """The database file of a ``sqlite:///path`` URL (None for other URLs or in-memory SQLite)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix) :].split("?", 1)[0]
            return path if path and path != ":memory:" else None
    return None


@contextmanager
def open_lineage_graph(url: str) -> Iterator[LineageGraph]:
    """Lineage queries on the catalog at ``url``: stdlib sqlite3 for SQLite, SQLAlchemy otherwise."""
    import sqlite3

    path = sqlite_path(url)
    if path is not None and not Path(path).is_file():
        raise LineageQueryError(
            f"There is no catalog at {path}, so no lineage yet. Fix: run `lakehub demo` or `lakehub run`, "
            "or `lakehub lineage import EVENTS.ndjson`, or point catalog_url (LAKEHUB_CATALOG_URL) at your catalog."
        )
    if path is not None:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            if connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lineage_column_edges'"
            ).fetchone():

                def run(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
                    return connection.execute(sql, params).fetchall()

                yield LineageGraph(run, text_times=True)
                return
        finally:
            connection.close()
    from sqlalchemy import text

    from .store import CatalogStore

    with CatalogStore.open(url) as store, store._guard(), store.engine.connect() as sa_connection:

        def run_sa(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in sa_connection.execute(text(sql), params)]

        yield LineageGraph(run_sa, text_times=store.engine.dialect.name == "sqlite")
