"""The lineage emitter a job reports to, built from the configured transports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lakehub.lineage.events import DEFAULT_NAMESPACE, EventBuilder
from lakehub.lineage.report import LineageEmitter
from lakehub.lineage.transports import (
    CatalogTransport,
    EventTransport,
    FileTransport,
    HttpTransport,
    TransportEmitter,
)
from lakehub.pipelines.config import LakehubConfig, TransportSettings

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore

PENDING_DIR = "_lineage"
"""Folder in the warehouse where events a transport could not take wait for the next attempt."""


def _transport(
    config: LakehubConfig, settings: TransportSettings, store: CatalogStore | None
) -> EventTransport:
    if settings.kind == "file":
        return FileTransport(Path(config.resolve(settings.path or "")))
    if settings.kind == "http":
        return HttpTransport(
            settings.url or "", endpoint=settings.endpoint, timeout=settings.timeout, retries=settings.retries
        )
    return CatalogTransport(config.effective_catalog_url, store)


def lineage_namespace(config: LakehubConfig) -> str:
    """The OpenLineage namespace of lakehub's jobs."""
    return config.lineage.namespace or DEFAULT_NAMESPACE


def lineage_emitter(config: LakehubConfig, store: CatalogStore | None = None) -> LineageEmitter:
    """The emitter for ``config.lineage``: every configured transport; ``store`` is reused by the catalog one."""
    local = config.local_warehouse
    return TransportEmitter(
        EventBuilder(lineage_namespace(config)),
        [_transport(config, t, store) for t in config.lineage.transports],
        local / PENDING_DIR if local is not None else None,
    )
