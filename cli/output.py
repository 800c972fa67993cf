"""Rendering for the CLI: rich tables on stdout, JSON with stable keys, errors on stderr."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped or captured output gets wide tables instead of rich's 80-column default (COLUMNS still wins).
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
console = Console(highlight=False, width=_WIDTH)
error_console = Console(stderr=True, highlight=False, width=_WIDTH)


def to_plain(value: Any) -> Any:
    """Dataclasses, enums, dates and paths → JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Machine output: one JSON document on stdout."""
    print(json.dumps(to_plain(value), ensure_ascii=False, indent=2, sort_keys=False))


def print_table(title: str | None, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A rich table on stdout."""
    table = Table(title=title, show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def print_error(message: str) -> None:
    """One clear error line on stderr."""
    error_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
