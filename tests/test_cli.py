"""The CLI: read paths never start a JVM, errors are one line with exit 2, listings have --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lakehub.catalog import AmbiguousDatasetError
from lakehub.cli.main import app
from lakehub.pipelines.config import load_config
from lakehub.pipelines.errors import ConfigError
from tests.helpers import DELIVERY_HEADER_IDS, population_row, write_population

LAKEHUB = str(Path(sys.executable).with_name("lakehub"))


def _lakehub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHUB_")}
    return subprocess.run(
        [LAKEHUB, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=120
    )


def test_importing_the_cli_and_catalog_does_not_import_spark() -> None:
    code = "import sys, lakehub.cli.main, lakehub.catalog; assert 'pyspark' not in sys.modules and 'delta' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_read_only_commands_run_without_starting_a_jvm(tmp_path: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from lakehub.cli.main import app; "
        "r = CliRunner().invoke(app, sys.argv[1:]); assert r.exit_code == 0, r.output; "
        "assert 'pyspark' not in sys.modules, 'a read-only command imported pyspark'"
    )
    for args in (
        ["source", "list", "--json"],
        ["catalog", "list", "--json"],
        ["doctor", "--quick", "--json"],
    ):
        subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=tmp_path)


def test_source_list_json_has_every_source_with_stable_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["source", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 9
    assert {"id", "department", "format", "encoding", "business_key", "columns", "files"} <= set(rows[0])
    population = next(r for r in rows if r["id"] == "population")
    assert population["department"] == "区公安分局" and population["encoding"] == "gbk"
    assert population["business_key"] == ["id_number"]


def test_source_show_lists_columns_and_found_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_population(tmp_path / "landing" / "ga_population.csv", [population_row()])
    result = CliRunner().invoke(app, ["source", "show", "population", "--json"])
    info = json.loads(result.output)
    assert [c["name"] for c in info["columns"]][:2] == DELIVERY_HEADER_IDS
    assert info["found"] == [str(tmp_path / "landing" / "ga_population.csv")]


def test_unknown_source_is_one_error_line_with_the_fix_and_exit_2(tmp_path: Path) -> None:
    result = _lakehub("source", "show", "populaton", cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "Did you mean: population" in lines[0] and "Fix:" in lines[0]


def test_missing_delivery_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    result = _lakehub("ingest", "population", "--path", str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "missing.csv: file not found. Fix:" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr


def test_bad_sample_option_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    result = _lakehub("sample", "generate", "--out", str(tmp_path / "s"), "--scale", "50", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "scale must be an integer of at least 100, got 50" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr and not (tmp_path / "s").exists()


def test_init_writes_a_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    assert _lakehub("init", str(tmp_path), cwd=tmp_path).returncode == 0
    config = load_config(tmp_path / "lakehub.toml", env={})
    assert config.warehouse_path == str(tmp_path / "lakehouse")
    assert config.effective_catalog_url == f"sqlite:///{tmp_path}/lakehouse/_catalog.db"
    again = _lakehub("init", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "lakehub.toml"
    path.write_text('warehouse = "./wh"\n[spark]\nmaster = "local[1]"\n', encoding="utf-8")
    config = load_config(
        path, env={"LAKEHUB_SPARK_MASTER": "spark://127.0.0.1:7077", "LAKEHUB_CATALOG_URL": "sqlite:///x.db"}
    )
    assert config.spark.master == "spark://127.0.0.1:7077"
    assert config.effective_catalog_url == "sqlite:///x.db"
    assert config.warehouse_path == str(tmp_path / "wh")


def test_invalid_config_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "lakehub.toml"
    path.write_text("[spark]\nshuffle_partitions = 'many'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"spark\.shuffle_partitions"):
        load_config(path, env={})


def test_doctor_quick_reports_each_check(tmp_path: Path) -> None:
    result = _lakehub("doctor", "--quick", "--json", cwd=tmp_path)
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert {"python packages", "java", "delta jars", "warehouse", "catalog", "landing folder"} <= set(checks)
    assert checks["java"]["outcome"] == "ok" and checks["delta jars"]["outcome"] == "ok"
    assert checks["landing folder"]["outcome"] == "warn" and "lakehub demo" in checks["landing folder"]["fix"]


@pytest.mark.spark
def test_ingest_prints_row_accounting(spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_population(
        tmp_path / "landing" / "ga_population.csv", [population_row(), population_row(id_number="bad")]
    )
    result = CliRunner().invoke(app, ["ingest", "population", "--json"])
    assert result.exit_code == 0, result.output
    (landed,) = json.loads(result.output)
    assert (
        landed["rows_read"],
        landed["rows_landed"],
        landed["rows_quarantined"],
        landed["rows_rejected"],
    ) == (2, 1, 1, 0)
    table = CliRunner().invoke(app, ["ingest", "population"])
    assert "skipped" in table.output and "读取" in table.output
    listing = json.loads(CliRunner().invoke(app, ["catalog", "list", "--json"]).output)
    assert {d["name"] for d in listing} == {"raw.population", "base.population", "quarantine.population"}
    shown = json.loads(CliRunner().invoke(app, ["catalog", "show", "base.population", "--json"]).output)
    assert shown["title"] == "户籍人口" and shown["columns"][0]["name"] == "id_number"
    ambiguous = CliRunner().invoke(app, ["catalog", "show", "population"])
    assert isinstance(ambiguous.exception, AmbiguousDatasetError)
    assert "quarantine.population" in str(ambiguous.exception) and "raw.population" in str(
        ambiguous.exception
    )
    found = json.loads(CliRunner().invoke(app, ["catalog", "search", "户籍", "--json"]).output)
    assert "base.population" in {d["name"] for d in found}
    history = json.loads(CliRunner().invoke(app, ["catalog", "history", "base.population", "--json"]).output)
    assert [v["operation"] for v in history] == ["WRITE"] and history[0]["row_count"] == 1


def test_sample_generate_writes_sources_and_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["sample", "generate", "--out", str(tmp_path / "s"), "--scale", "100", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert len(summary["sources"]) == 9 and summary["sources"]["population"]["rows"] == 100
    assert summary["defects"] == sum(summary["defect_counts"].values()) > 0
    assert (tmp_path / "s" / "manifest.json").is_file()


@pytest.mark.spark
def test_doctor_smoke_test_writes_and_reads_delta(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(result.output)}
    assert checks["spark + delta"]["outcome"] == "ok", checks["spark + delta"]
    assert result.exit_code == 0
