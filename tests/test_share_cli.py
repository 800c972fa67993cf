"""CLI of sharing and audit: request → approve → export → audit log/verify, one-line refusals, no JVM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from lakehub.catalog import CatalogStore
from lakehub.cli.main import app
from tests.helpers import ID_MALE_1985
from tests.quality_helpers import register_base
from tests.sharing_helpers import population_delta, register_negative_list

LAKEHUB = str(Path(sys.executable).with_name("lakehub"))


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working folder whose default catalog holds base.population (Delta, two rows) and a quarantine table."""
    for name in [k for k in os.environ if k.startswith("LAKEHUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    with CatalogStore.open(f"sqlite:///{tmp_path / 'lakehouse' / '_catalog.db'}") as store:
        population_delta(store, tmp_path)
        register_base(store, "market_entity")
        register_negative_list(store)
    yield tmp_path


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _lakehub(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHUB_")}
    return subprocess.run(
        [LAKEHUB, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=120
    )


def test_request_approve_export_and_audit_flow(hub: Path) -> None:
    created = json.loads(
        _ok(
            "share",
            "request",
            "base.population",
            "--department",
            "区民政局",
            "--purpose",
            "低保资格比对",
            "--columns",
            "id_number,name,town",
            "--by",
            "wang",
            "--json",
        )
    )
    assert created["status"] == "pending" and created["columns"] == ["id_number", "name", "town"]
    listed = json.loads(_ok("share", "list", "--status", "pending", "--json"))
    assert [r["id"] for r in listed] == [created["id"]]
    assert {"id", "dataset", "sharing_class", "requesting_department", "status", "due_at", "overdue"} <= set(
        listed[0]
    )
    approved = _ok("share", "approve", str(created["id"]), "--note", "仅限低保审核使用", "--by", "zhao")
    assert "approved by 区公安分局" in approved
    written = json.loads(
        _ok("share", "export", str(created["id"]), "--out", "out/共享.csv", "--by", "wang", "--json")
    )
    assert written["row_count"] == 2 and written["masked_columns"] == ["id_number", "name"]
    assert ID_MALE_1985 not in (hub / "out" / "共享.csv").read_text(encoding="utf-8-sig")
    log = json.loads(_ok("audit", "log", "--json"))
    assert [e["action"] for e in log] == ["share_request", "share_approve", "export"]
    assert log[-1]["details"]["sha256"] == written["sha256"] and log[-1]["prev_hash"] == log[-2]["hash"]
    table = _ok("audit", "log")
    assert "审计日志" in table and "export" in table
    verified = json.loads(_ok("audit", "verify", "--json"))
    assert verified["passed"] and verified["entries"] == 3 and verified["first_broken"] is None
    shown_verify = _ok("audit", "verify")
    assert "hash chain intact: 3 entries" in shown_verify
    anchor = next(w for w in shown_verify.split() if w.startswith("3:"))
    assert "1 anchor(s) match" in _ok("audit", "verify", "--anchor", anchor)
    assert json.loads(_ok("audit", "verify", "--anchor", anchor, "--json"))["anchors_checked"] == 1
    wrong = CliRunner().invoke(app, ["audit", "verify", "--anchor", "3:" + "0" * 16])
    assert wrong.exit_code == 1 and "the anchor recorded 0000000000000000" in wrong.output
    shown = _ok("share", "list")
    assert "已交付(1)" in shown and "低保资格比对" in shown


def test_tampered_log_fails_verify_naming_the_entry(hub: Path) -> None:
    for _ in range(3):
        _ok("share", "request", "base.market_entity", "--department", "区民政局", "--purpose", "核对")
    with CatalogStore(f"sqlite:///{hub / 'lakehouse' / '_catalog.db'}") as store, store.engine.begin() as db:
        db.execute(text("DROP TRIGGER audit_log_no_update"))
        db.execute(text('UPDATE audit_log SET details = \'{"note": "x"}\' WHERE seq = 4'))
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "hash chain broken at entry 4" in result.output
    data = json.loads(CliRunner().invoke(app, ["audit", "verify", "--json"]).output)
    assert data["first_broken"]["seq"] == 4 and not data["chain_intact"]


def test_negative_list_request_and_unapproved_export_are_one_line_errors(hub: Path) -> None:
    refused = _lakehub(
        hub, "share", "request", "quarantine.population", "--department", "区民政局", "--purpose", "x"
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (
        "不予共享" in refused.stderr
        and "Fix:" in refused.stderr
        and len(refused.stderr.strip().splitlines()) == 1
    )
    _ok("share", "request", "population", "--department", "区民政局", "--purpose", "核对")
    pending = _lakehub(hub, "share", "export", "1", "--out", "x.xlsx")
    assert pending.returncode == 2 and "lakehub share approve 1" in pending.stderr
    assert not (hub / "x.xlsx").exists()
    rejected = _lakehub(hub, "share", "reject", "1", "--reason", "用途不明确", "--department", "区城市管理局")
    assert rejected.returncode == 2 and "only the owning department 区公安分局" in rejected.stderr


def test_sharing_and_audit_commands_never_import_pyspark(hub: Path) -> None:
    _ok("share", "request", "base.market_entity", "--department", "区民政局", "--purpose", "核对")
    _ok(
        "share",
        "request",
        "base.population",
        "--department",
        "区民政局",
        "--purpose",
        "核对",
        "--columns",
        "town",
    )
    _ok("share", "approve", "2")
    code = (
        "import sys; from typer.testing import CliRunner; from lakehub.cli.main import app; "
        "r = CliRunner().invoke(app, sys.argv[1:]); assert r.exit_code == 0, r.output; "
        "assert 'pyspark' not in sys.modules, 'a sharing command imported pyspark'"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHUB_")}
    for args in (
        ["share", "list", "--json"],
        ["share", "export", "2", "--out", "towns.parquet"],
        ["audit", "log", "--since", "2020-01-01", "--json"],
        ["audit", "verify", "--json"],
        ["metrics", "--json"],
    ):
        subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=hub, env=env)
    metrics = json.loads(_ok("metrics", "--json"))
    rate = next(k for k in metrics["kpis"] if k["key"] == "sharing_response_rate")
    assert rate["available"] and rate["value"] == 100.0
