"""What the data-asset map shows: every dataset (catalogued or seen in lineage) with its metadata,
the current dataset edges and the current column edges, read from the catalog in a few queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from .models import ColumnRow, DatasetRow
from .models_lineage import LineageColumnEdgeRow, LineageEdgeRow, LineageJobRow, LineageNodeRow

if TYPE_CHECKING:
    from .store import CatalogStore


@dataclass(frozen=True, slots=True)
class AssetColumn:
    """A column on the map."""

    name: str
    type: str | None
    title: str | None = None
    sensitivity: str | None = None


@dataclass(frozen=True, slots=True)
class AssetNode:
    """A dataset on the map."""

    id: str
    namespace: str | None
    ol_name: str | None
    tier: str
    title: str
    owner: str | None
    description: str | None
    rows: int | None
    version: str | None
    quality_score: float | None
    """Share of passed quality assertions of its latest run, 0–100 (None: never checked)."""
    quality_checks: int | None
    security_level: str | None
    sharing_class: str | None
    updated_at: str | None
    freshness_sla_hours: int | None
    fresh: bool | None
    """Updated within its SLA (None when it has no SLA or was never updated)."""
    columns: tuple[AssetColumn, ...] = ()


@dataclass(frozen=True, slots=True)
class AssetEdge:
    """Dataset → dataset through a job."""

    source: str
    target: str
    job: str


@dataclass(frozen=True, slots=True)
class AssetColumnEdge:
    """Column → column through a job."""

    source: str
    source_field: str
    target: str
    target_field: str
    job: str
    subtype: str | None
    masking: bool


@dataclass(frozen=True, slots=True)
class AssetGraph:
    """Everything the asset map renders."""

    nodes: tuple[AssetNode, ...]
    edges: tuple[AssetEdge, ...]
    column_edges: tuple[AssetColumnEdge, ...]
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def _fresh(updated: datetime | None, sla_hours: int | None, now: datetime) -> bool | None:
    if updated is None or sla_hours is None:
        return None
    updated = updated if updated.tzinfo else updated.replace(tzinfo=UTC)
    return (now - updated).total_seconds() <= sla_hours * 3600


def load_asset_graph(connection: Connection) -> AssetGraph:
    """Catalogued datasets joined with lineage nodes (by short name, else OpenLineage name)."""
    now = datetime.now(UTC)
    catalogued = {row.name: row for row in connection.execute(select(DatasetRow))}
    by_ol = {(r.ol_namespace, r.ol_name): name for name, r in catalogued.items() if r.ol_namespace}
    columns: dict[int, list[AssetColumn]] = {}
    for c in connection.execute(select(ColumnRow).order_by(ColumnRow.dataset_id, ColumnRow.position)):
        columns.setdefault(c.dataset_id, []).append(AssetColumn(c.name, c.data_type, c.title, c.sensitivity))
    lineage = list(connection.execute(select(LineageNodeRow)))
    node_key: dict[int, str] = {}
    nodes: dict[str, AssetNode] = {}
    for n in lineage:
        key = n.short_name or by_ol.get((n.namespace, n.name)) or f"{n.namespace}/{n.name}"
        node_key[n.id] = key
        cat = catalogued.get(key)
        fields = [
            AssetColumn(str(f.get("name")), f.get("type"), None, f.get("classification"))
            for f in (n.fields or ())
            if isinstance(f, dict)
        ]
        score = None
        if n.quality_total:
            score = round(100.0 * (n.quality_passed or 0) / n.quality_total, 1)
        updated = n.updated_at or (cat.updated_at if cat is not None else None)
        sla = cat.freshness_sla_hours if cat is not None else None
        nodes[key] = AssetNode(
            id=key,
            namespace=n.namespace,
            ol_name=n.name,
            tier=(cat.tier if cat is not None else n.tier) or "external",
            title=(cat.title if cat is not None else n.title) or key,
            owner=(cat.department if cat is not None else n.owner),
            description=(cat.description if cat is not None else n.description),
            rows=(cat.row_count if cat is not None and cat.row_count is not None else n.row_count),
            version=(
                str(cat.current_version) if cat is not None and cat.current_version is not None else n.version
            ),
            quality_score=score,
            quality_checks=n.quality_total,
            security_level=cat.security_level if cat is not None else None,
            sharing_class=cat.sharing_class if cat is not None else None,
            updated_at=_iso(updated),
            freshness_sla_hours=sla,
            fresh=_fresh(updated, sla, now),
            columns=tuple(columns.get(cat.id, fields)) if cat is not None else tuple(fields),
        )
    for name, cat in catalogued.items():
        if name not in nodes:
            nodes[name] = AssetNode(
                id=name,
                namespace=cat.ol_namespace,
                ol_name=cat.ol_name,
                tier=cat.tier,
                title=cat.title,
                owner=cat.department,
                description=cat.description,
                rows=cat.row_count,
                version=None if cat.current_version is None else str(cat.current_version),
                quality_score=None,
                quality_checks=None,
                security_level=cat.security_level,
                sharing_class=cat.sharing_class,
                updated_at=_iso(cat.updated_at),
                freshness_sla_hours=cat.freshness_sla_hours,
                fresh=_fresh(cat.updated_at, cat.freshness_sla_hours, now),
                columns=tuple(columns.get(cat.id, ())),
            )
    job = aliased(LineageJobRow)
    edges = {
        AssetEdge(node_key[s], node_key[t], name)
        for s, t, name in connection.execute(
            select(LineageEdgeRow.source_id, LineageEdgeRow.target_id, job.name)
            .join(job, job.id == LineageEdgeRow.job_id)
            .where(LineageEdgeRow.valid_to.is_(None))
        )
    }
    column_edges = {
        AssetColumnEdge(node_key[s], sf, node_key[t], tf, name, subtype, bool(masking))
        for s, sf, t, tf, name, subtype, masking in connection.execute(
            select(
                LineageColumnEdgeRow.source_id,
                LineageColumnEdgeRow.source_field,
                LineageColumnEdgeRow.target_id,
                LineageColumnEdgeRow.target_field,
                job.name,
                LineageColumnEdgeRow.subtype,
                LineageColumnEdgeRow.masking,
            )
            .join(job, job.id == LineageColumnEdgeRow.job_id)
            .where(LineageColumnEdgeRow.valid_to.is_(None))
        )
    }
    return AssetGraph(
        tuple(sorted(nodes.values(), key=lambda n: n.id)),
        tuple(sorted(edges, key=lambda e: (e.source, e.target, e.job))),
        tuple(sorted(column_edges, key=lambda e: (e.source, e.source_field, e.target, e.target_field))),
    )


def asset_graph(store: CatalogStore) -> AssetGraph:
    """The asset graph of a CatalogStore's catalog."""
    with store._guard(), store.engine.connect() as connection:
        return load_asset_graph(connection)
