"""Transports: NDJSON file, HTTP to an OpenLineage endpoint on loopback, the catalog; failures never fail a job."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lakehub.catalog.lineage_graph import open_lineage_graph
from lakehub.lineage.report import JobRun
from lakehub.lineage.transports import TransportEmitter
from lakehub.pipelines.config import LakehubConfig, LineageSettings, TransportSettings
from lakehub.pipelines.emit import lineage_emitter
from tests.lineage_helpers import dataset, official_validator


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(201)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(tmp_path: Path, *transports: TransportSettings) -> LakehubConfig:
    return LakehubConfig(
        warehouse=str(tmp_path / "lakehouse"),
        base_dir=str(tmp_path),
        lineage=LineageSettings(namespace="lakehub://360404", transports=transports),
    )


def _emit_run(config: LakehubConfig, tmp_path: Path) -> tuple[TransportEmitter, JobRun]:
    emitter = lineage_emitter(config)
    assert isinstance(emitter, TransportEmitter)
    run = JobRun(str(uuid.uuid4()), "model.theme.person", "MODEL")
    source, target = dataset("base.population", tmp_path), dataset("theme.person", tmp_path)
    emitter.start(run, [source])
    emitter.complete(run, [source], [target])
    return emitter, run


def test_http_transport_posts_valid_events_to_the_lineage_endpoint(
    receiver: ThreadingHTTPServer, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}"
    config = _config(tmp_path, TransportSettings(kind="http", url=url, timeout=2))
    emitter, run = _emit_run(config, tmp_path)
    received = receiver.received  # type: ignore[attr-defined]
    assert [path for path, _ in received] == ["/api/v1/lineage", "/api/v1/lineage"]
    assert [event["eventType"] for _, event in received] == ["START", "COMPLETE"]
    assert {event["run"]["runId"] for _, event in received} == {run.run_id}
    validator = official_validator()
    assert all(validator.problems(event) == [] for _, event in received)
    assert emitter.problems == [] and emitter.pending_count() == 0


def test_unreachable_endpoint_keeps_events_and_delivers_them_once_it_answers(tmp_path: Path) -> None:
    port = _free_port()
    config = _config(
        tmp_path,
        TransportSettings(kind="http", url=f"http://127.0.0.1:{port}", timeout=1, retries=0),
        TransportSettings(kind="file", path="events.ndjson"),
    )
    emitter, run = _emit_run(config, tmp_path)
    assert len(emitter.problems) == 2 and all(p.transport.startswith("http:") for p in emitter.problems)
    assert emitter.pending_count() == 2
    assert len((tmp_path / "events.ndjson").read_text(encoding="utf-8").splitlines()) == 2

    server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        later = JobRun(str(uuid.uuid4()), "model.business.mart", "MODEL")
        emitter.start(later, [dataset("theme.person", tmp_path)])
    finally:
        server.shutdown()
        server.server_close()
    delivered = [(e["run"]["runId"], e["eventType"]) for _, e in server.received]  # type: ignore[attr-defined]
    assert delivered == [(run.run_id, "START"), (run.run_id, "COMPLETE"), (later.run_id, "START")]
    assert emitter.pending_count() == 0


def test_several_transports_at_once_write_the_catalog_and_a_file(tmp_path: Path) -> None:
    config = _config(
        tmp_path, TransportSettings(kind="catalog"), TransportSettings(kind="file", path="out/ev.ndjson")
    )
    emitter, _ = _emit_run(config, tmp_path)
    lines = [
        json.loads(line) for line in (tmp_path / "out" / "ev.ndjson").read_text(encoding="utf-8").splitlines()
    ]
    assert [e["eventType"] for e in lines] == ["START", "COMPLETE"]
    with open_lineage_graph(config.effective_catalog_url) as graph:
        result = graph.walk("theme.person", "upstream")
    assert [(n.name, n.jobs) for n in result.nodes] == [("base.population", ("model.theme.person",))]
    assert emitter.problems == []


def test_a_broken_catalog_transport_does_not_raise_into_the_job(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x", encoding="utf-8")
    config = LakehubConfig(
        warehouse=str(tmp_path / "lakehouse"),
        catalog_url=f"sqlite:///{blocker}/catalog.db",
        base_dir=str(tmp_path),
    )
    emitter, _ = _emit_run(config, tmp_path)
    assert [p.transport for p in emitter.problems] == ["catalog", "catalog"]
    assert emitter.pending_count() == 2


def test_transport_settings_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="needs url"):
        TransportSettings(kind="http")
    with pytest.raises(ValueError, match="needs path"):
        TransportSettings(kind="file")
