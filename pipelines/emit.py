"""The lineage emitter a job reports to, built from the configured transports."""

from __future__ import annotations

from lakehub.lineage.report import LineageEmitter, RecordingEmitter
from lakehub.pipelines.config import LakehubConfig


def lineage_emitter(config: LakehubConfig) -> LineageEmitter:
    """The emitter for ``config.lineage`` (issue 5 replaces this with the real transports)."""
    del config
    return RecordingEmitter()
