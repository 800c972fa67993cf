"""Process-wide CLI options (--config, --debug) set by the root callback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakehub.pipelines.config import LakehubConfig, load_config


@dataclass(slots=True)
class CliState:
    """Options given before the sub-command."""

    config_path: Path | None = None
    debug: bool = False


STATE = CliState()


def config() -> LakehubConfig:
    """The configuration for this invocation."""
    return load_config(STATE.config_path)
