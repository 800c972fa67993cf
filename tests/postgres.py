"""A throwaway PostgreSQL server on loopback for catalog tests: initdb in a temp folder, pg_ctl start/stop.

scripts/install.sh installs Debian's `postgresql` package; the server binaries live in
/usr/lib/postgresql/<major>/bin. As root, the server runs as the `postgres` system user (PostgreSQL
refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATABASE = "lakehub_test"


def _server_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError(
            "PostgreSQL server binaries not found. Fix: run `bash scripts/install.sh` (installs Debian's postgresql)."
        )
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(args: list[str], user: str | None) -> None:
    command = ["runuser", "-u", user, "--", *args] if user else args
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:1])} failed: {completed.stderr.strip() or completed.stdout.strip()}"
        )


@contextmanager
def loopback_postgres() -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1 in a fresh temp folder; yield a psycopg URL; stop and delete afterwards."""
    bin_dir = _server_bin_dir()
    user = "postgres" if os.geteuid() == 0 else None
    # Not under pytest's tmp_path: that lives in a root-only folder the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="lakehub-pg-"))
    data = root / "pgdata"
    sockets = root / "sockets"
    sockets.mkdir()
    for folder in (root, sockets):
        if user:
            shutil.chown(folder, user)
    role = user or os.environ.get("USER") or "lakehub"
    _run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", role, "-A", "trust", "-E", "UTF8", "--no-sync"], user
    )
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {sockets} -c fsync=off"
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(root / "server.log"),
            "start",
        ],
        user,
    )
    try:
        _run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", role, DATABASE], user)
        yield f"postgresql+psycopg://{role}@127.0.0.1:{port}/{DATABASE}"
    finally:
        try:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user)
        finally:
            shutil.rmtree(root, ignore_errors=True)
