"""Lineage tables: the append-only OpenLineage event log and the graph projected from it.

Events are kept verbatim (``lineage_events``) for export and audit; jobs, dataset nodes, dataset
edges and column edges are a projection rebuilt from them. Edges carry the event time they were first
seen (``valid_from``) and, once a later run of the same job stops writing them, ``valid_to``: the
graph as of a date is the edges valid at that time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import CatalogBase


class LineageEventRow(CatalogBase):
    """One OpenLineage event as received (emitted by lakehub or imported), never updated."""

    __tablename__ = "lineage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    event_type: Mapped[str | None] = mapped_column(String(20))
    event_time: Mapped[datetime] = mapped_column(index=True)
    job_namespace: Mapped[str | None] = mapped_column(String(500))
    job_name: Mapped[str | None] = mapped_column(String(500))
    producer: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class LineageJobRow(CatalogBase):
    """A job that read or wrote datasets (lakehub's own or another producer's)."""

    __tablename__ = "lineage_jobs"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(500))
    job_type: Mapped[str | None] = mapped_column(String(50))
    integration: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    latest_run_id: Mapped[str | None] = mapped_column(String(64))
    latest_state: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime]


class LineageNodeRow(CatalogBase):
    """A dataset seen in lineage events, keyed by its OpenLineage namespace and name."""

    __tablename__ = "lineage_nodes"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    short_name: Mapped[str | None] = mapped_column(String(200), index=True)
    tier: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    byte_count: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[str | None] = mapped_column(String(100))
    quality_passed: Mapped[int | None] = mapped_column(Integer)
    quality_total: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class LineageEdgeRow(CatalogBase):
    """Dataset → dataset through a job, valid from the first event showing it until superseded."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        Index("ix_lineage_edges_source_id", "source_id"),
        Index("ix_lineage_edges_target_id", "target_id"),
        Index("ix_lineage_edges_job_id_target_id", "job_id", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("lineage_jobs.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("lineage_nodes.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("lineage_nodes.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]


class LineageColumnEdgeRow(CatalogBase):
    """Input column → output column through a job (from the column-lineage facet)."""

    __tablename__ = "lineage_column_edges"
    __table_args__ = (
        Index("ix_lineage_column_edges_source_id_source_field", "source_id", "source_field"),
        Index("ix_lineage_column_edges_target_id_target_field", "target_id", "target_field"),
        Index("ix_lineage_column_edges_job_id_target_id", "job_id", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("lineage_jobs.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("lineage_nodes.id", ondelete="CASCADE"))
    source_field: Mapped[str] = mapped_column(String(300))
    target_id: Mapped[int] = mapped_column(ForeignKey("lineage_nodes.id", ondelete="CASCADE"))
    target_field: Mapped[str] = mapped_column(String(300))
    transformation: Mapped[str | None] = mapped_column(String(30))
    subtype: Mapped[str | None] = mapped_column(String(50))
    masking: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
