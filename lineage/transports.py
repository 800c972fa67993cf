"""Where events go: the catalog, an NDJSON file, an OpenLineage HTTP endpoint (Marquez-compatible).

Every transport takes event dicts. ``TransportEmitter`` sends each event to all configured transports;
a transport that fails never fails the data job: the event is kept in a pending file next to the
warehouse and sent again before the next event to that transport, and the failure is logged and
counted in ``problems``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .events import EventBuilder, EventType, event_to_dict, event_to_json
from .report import DatasetIO, JobRun

log = logging.getLogger(__name__)

Event = Mapping[str, Any]


class EventTransport(Protocol):
    """Sends one event somewhere; raises when it could not."""

    @property
    def key(self) -> str:
        """Stable identity (kind + target) naming its pending file."""

    def send(self, event: Event) -> None:
        """Deliver the event or raise."""


@dataclass(slots=True)
class FileTransport:
    """Appends each event as one JSON line to an NDJSON file."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def key(self) -> str:
        return f"file:{self.path}"

    def send(self, event: Event) -> None:
        line = event_to_json(event) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)


class HttpTransport:
    """POSTs events to an OpenLineage endpoint (``<url>/api/v1/lineage``) with openlineage-python."""

    def __init__(
        self, url: str, *, endpoint: str = "api/v1/lineage", timeout: float = 5.0, retries: int = 2
    ) -> None:
        from openlineage.client.transport.http import HttpConfig
        from openlineage.client.transport.http import HttpTransport as OpenLineageHttp

        retry = {
            "total": retries,
            "read": retries,
            "connect": retries,
            "backoff_factor": 0.2,
            "status_forcelist": [500, 502, 503, 504],
            "allowed_methods": ["HEAD", "POST"],
        }
        self.url = url
        self._transport = OpenLineageHttp(
            HttpConfig(url=url, endpoint=endpoint, timeout=timeout, retry=retry)
        )
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return f"http:{self.url}"

    def send(self, event: Event) -> None:
        with self._lock:
            self._transport.emit(dict(event))  # type: ignore[arg-type]  # Serde serialises plain dicts too


class CatalogTransport:
    """Stores events in the catalog and projects them into the lineage graph."""

    def __init__(self, url: str, store: Any = None) -> None:
        self.url = url
        self._store = store
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return "catalog"

    def send(self, event: Event) -> None:
        from lakehub.catalog.lineage_store import LineageRepository, to_stored

        with self._lock:
            if self._store is None:
                from lakehub.catalog import CatalogStore

                self._store = CatalogStore.open(self.url)
            LineageRepository(self._store).add_events([to_stored(event)])


class _PendingFailed(Exception):
    """Pending events could not be delivered; these are still waiting."""

    def __init__(self, events: list[Event], error: Exception) -> None:
        super().__init__(str(error))
        self.events = events
        self.error = error


@dataclass(frozen=True, slots=True)
class TransportProblem:
    """A delivery that failed; the event waits in ``pending``."""

    transport: str
    error: str
    pending: str | None


class TransportEmitter:
    """The LineageEmitter of real jobs: builds events and sends them to every transport, never raising."""

    def __init__(
        self, builder: EventBuilder, transports: Sequence[EventTransport], pending_dir: Path | None = None
    ) -> None:
        self.builder = builder
        self.transports = tuple(transports)
        self.pending_dir = pending_dir
        self.problems: list[TransportProblem] = []
        self.sent = 0
        self._lock = threading.Lock()

    def start(self, run: JobRun, inputs: Sequence[DatasetIO] = ()) -> None:
        """Emit START."""
        self._emit("START", run, inputs, ())

    def complete(self, run: JobRun, inputs: Sequence[DatasetIO], outputs: Sequence[DatasetIO]) -> None:
        """Emit COMPLETE."""
        self._emit("COMPLETE", run, inputs, outputs)

    def fail(
        self, run: JobRun, error: str, inputs: Sequence[DatasetIO] = (), outputs: Sequence[DatasetIO] = ()
    ) -> None:
        """Emit FAIL with the error message facet."""
        self._emit("FAIL", run, inputs, outputs, error)

    def _emit(
        self,
        event_type: EventType,
        run: JobRun,
        inputs: Sequence[DatasetIO],
        outputs: Sequence[DatasetIO],
        error: str | None = None,
    ) -> None:
        try:
            event = event_to_dict(self.builder.build(event_type, run, inputs, outputs, error=error))
        except Exception:  # a lineage bug must not fail the data job
            log.exception("could not build the %s event of %s; the job goes on", event_type, run.job_name)
            return
        self.send(event)

    def send(self, event: Event) -> None:
        """Deliver one event to every transport, after the events still pending for it (order kept)."""
        for transport in self.transports:
            try:
                self.retry_pending(transport)
                transport.send(event)
                self.sent += 1
            except _PendingFailed as failed:
                self._keep(transport, [*failed.events, event], failed.error)
            except Exception as err:
                self._keep(transport, [event], err)

    def retry_pending(self, transport: EventTransport) -> int:
        """Send the events kept for ``transport``; raise _PendingFailed with the rest if one fails."""
        path = self._pending_path(transport)
        if path is None or not path.is_file():
            return 0
        with self._lock:
            lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            path.unlink()
        for index, line in enumerate(lines):
            try:
                transport.send(json.loads(line))
            except Exception as err:
                raise _PendingFailed([json.loads(rest) for rest in lines[index:]], err) from err
        if lines:
            log.info("delivered %d pending lineage events to %s", len(lines), transport.key)
        return len(lines)

    def pending_count(self) -> int:
        """Events waiting for a transport that failed."""
        total = 0
        for transport in self.transports:
            path = self._pending_path(transport)
            if path is not None and path.is_file():
                total += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        return total

    def _pending_path(self, transport: EventTransport) -> Path | None:
        if self.pending_dir is None:
            return None
        digest = hashlib.sha256(transport.key.encode()).hexdigest()[:12]
        return self.pending_dir / f"pending-{transport.key.split(':', 1)[0]}-{digest}.ndjson"

    def _keep(self, transport: EventTransport, events: Sequence[Event], err: Exception) -> None:
        path = self._pending_path(transport)
        message = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
        if path is not None:
            try:
                with self._lock:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with path.open("a", encoding="utf-8") as out:
                        out.writelines(event_to_json(e) + "\n" for e in events)
            except OSError as io_err:
                log.warning("could not keep lineage events for %s: %s", transport.key, io_err)
                path = None
        self.problems.append(TransportProblem(transport.key, message, str(path) if path else None))
        log.warning(
            "lineage transport %s failed (%s); %d event(s) kept in %s and retried with the next event",
            transport.key,
            message,
            len(events),
            path or "memory (no pending folder)",
        )
