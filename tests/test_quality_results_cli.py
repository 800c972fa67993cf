"""CLI of stored quality results: scores, report, rectify, objection, metrics — no JVM, stable JSON, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lakehub.catalog import CatalogStore
from lakehub.cli.main import app
from tests.helpers import ID_MALE_1985
from tests.quality_helpers import T0, population_result, record, register_base

LAKEHUB = str(Path(sys.executable).with_name("lakehub"))


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working folder whose default catalog holds two validations of base.population and base.housing."""
    for name in [k for k in os.environ if k.startswith("LAKEHUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    with CatalogStore.open(f"sqlite:///{tmp_path / 'lakehouse' / '_catalog.db'}") as store:
        register_base(store, "population")
        register_base(store, "housing")
        record(store, population_result(bad_ids=5), at=T0)
        record(store, population_result(bad_ids=1), at=T0 + timedelta(days=1), version=1)
    yield tmp_path


def test_read_only_quality_commands_and_metrics_never_import_pyspark(hub: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from lakehub.cli.main import app; "
        "r = CliRunner().invoke(app, sys.argv[1:]); assert r.exit_code == 0, r.output; "
        "assert 'pyspark' not in sys.modules, 'a read-only command imported pyspark'"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHUB_")}
    for args in (
        ["quality", "scores", "--by", "department", "--json"],
        ["quality", "report", "--out", "r.html"],
        ["quality", "rectify", "区公安分局", "--out", "list.xlsx"],
        [
            "quality",
            "objection",
            "raise",
            "population",
            "--key",
            ID_MALE_1985,
            "--field",
            "phone",
            "--reason",
            "停机",
        ],
        ["quality", "objection", "list", "--json"],
        ["quality", "objection", "resolve", "1", "--resolution", "已更正"],
        ["metrics", "--json"],
        ["metrics"],
    ):
        subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=hub, env=env, timeout=120)


def test_scores_json_has_stable_keys_and_the_trend(hub: Path) -> None:
    result = CliRunner().invoke(app, ["quality", "scores", "--json"])
    assert result.exit_code == 0, result.output
    (score,) = json.loads(result.stdout)
    assert {"by", "group", "score", "previous", "delta", "trend", "rules", "failed_rules", "datasets"} <= set(
        score
    )
    assert score["group"] == "base.population" and score["trend"] == "▲" and score["delta"] > 0
    table = CliRunner().invoke(app, ["quality", "scores", "--by", "dimension"])
    assert table.exit_code == 0 and "准确性" in table.stdout and "▲" in table.stdout


def test_objection_cli_masks_the_key_and_lists_it_with_due_date(hub: Path) -> None:
    raised = CliRunner().invoke(
        app,
        [
            "quality",
            "objection",
            "raise",
            "population",
            "--key",
            ID_MALE_1985,
            "--field",
            "phone",
            "--reason",
            "停机",
            "--json",
        ],
    )
    assert raised.exit_code == 0, raised.output
    assert ID_MALE_1985 not in raised.stdout
    body = json.loads(raised.stdout)
    assert body["record_key"] == "360404********0015" and body["department"] == "区公安分局"
    listed = json.loads(
        CliRunner().invoke(app, ["quality", "objection", "list", "--status", "open", "--json"]).stdout
    )
    assert [o["id"] for o in listed] == [body["id"]] and listed[0]["overdue"] is False
    assert {"due_at", "status", "raised_by", "resolution", "resolved_at"} <= set(listed[0])


def test_unknown_department_is_one_error_line_listing_the_valid_ones(hub: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHUB_")}
    result = subprocess.run(
        [LAKEHUB, "quality", "rectify", "公安局", "--out", "x.csv"],
        cwd=hub,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = result.stderr.replace("\n", "")
    assert result.stderr.count("error:") == 1 and "Unknown department '公安局'" in message
    assert "Valid departments: 区住房和城乡建设局, 区公安分局" in message and "Fix:" in message


def test_metrics_json_states_each_method_and_marks_sharing_unavailable(hub: Path) -> None:
    result = CliRunner().invoke(app, ["metrics", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    kpis = {k["key"]: k for k in body["kpis"]}
    assert all(k["method"] for k in kpis.values())
    assert (
        kpis["sharing_response_rate"]["available"] is False and kpis["sharing_response_rate"]["value"] is None
    )
    assert kpis["quality_pass_rate"]["details"]["by_department"]["区公安分局"]["rules"] == 3
    table = CliRunner().invoke(app, ["metrics"])
    assert "基础库实时更新率" in table.stdout and "不可用" in table.stdout and "[1]" in table.stdout


def test_report_cli_writes_an_offline_file(hub: Path) -> None:
    result = CliRunner().invoke(app, ["quality", "report", "--out", "out/report.html", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    html = (hub / "out" / "report.html").read_text(encoding="utf-8")
    assert summary["failing_rules"] == 2 and summary["datasets"] == 1 and "http" not in html
