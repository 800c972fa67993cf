"""The projected lineage graph: walks over cycles, self-loops and diamonds, --as-of, impact, import/export, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lakehub.catalog import CatalogStore
from lakehub.catalog.lineage_graph import LineageQueryError, LineageResult
from lakehub.catalog.lineage_store import LineageRepository
from lakehub.lineage.events import EventBuilder
from lakehub.lineage.exchange import export_events, import_events
from lakehub.lineage.query import query_lineage
from lakehub.lineage.report import FieldSource
from lakehub.pipelines.config import LakehubConfig
from tests.lineage_helpers import REPO, run_job

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def repo(catalog_store: CatalogStore) -> LineageRepository:
    return LineageRepository(catalog_store)


@pytest.fixture
def url(lakehub_config: LakehubConfig) -> str:
    return lakehub_config.effective_catalog_url


def _names(result: LineageResult) -> dict[str, int]:
    return {n.name: n.depth for n in result.nodes}


def _job(
    repo: LineageRepository, tmp_path: Path, job: str, inputs: list[str], outputs: list[str], **kw: object
) -> str:
    return run_job(repo, EventBuilder(), tmp_path / "lakehouse", job, inputs, outputs, **kw)  # type: ignore[arg-type]


def test_diamond_reports_each_dataset_once_at_its_shortest_depth_with_both_parents(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    _job(repo, tmp_path, "a_to_b", ["base.a"], ["theme.b"])
    _job(repo, tmp_path, "a_to_c", ["base.a"], ["theme.c"])
    _job(repo, tmp_path, "bc_to_d", ["theme.b", "theme.c"], ["business.d"])
    down = query_lineage(url, "downstream", "base.a")
    assert _names(down) == {"theme.b": 1, "theme.c": 1, "business.d": 2}
    d = next(n for n in down.nodes if n.name == "business.d")
    assert d.via == ("theme.b", "theme.c") and d.jobs == ("bc_to_d",)
    assert not down.cycle
    up = query_lineage(url, "upstream", "business.d", depth=1)
    assert _names(up) == {"theme.b": 1, "theme.c": 1}
    assert _names(query_lineage(url, "upstream", "business.d")) == {"theme.b": 1, "theme.c": 1, "base.a": 2}


def test_cycles_and_self_loops_terminate_and_are_flagged(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    _job(repo, tmp_path, "x_to_y", ["base.x"], ["theme.y"])
    _job(repo, tmp_path, "y_to_z", ["theme.y"], ["theme.z"])
    _job(repo, tmp_path, "z_to_x", ["theme.z"], ["base.x"])
    _job(repo, tmp_path, "w_merge", ["theme.w", "theme.y"], ["theme.w"])
    result = query_lineage(url, "downstream", "base.x")
    assert _names(result) == {"theme.y": 1, "theme.z": 2, "theme.w": 2}
    assert result.cycle
    self_loop = query_lineage(url, "downstream", "theme.w")
    assert self_loop.cycle and _names(self_loop) == {}
    assert query_lineage(url, "upstream", "theme.w").cycle
    assert not query_lineage(url, "downstream", "theme.z", depth=1).cycle


def test_as_of_shows_the_graph_before_a_job_changed_its_inputs(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    first = datetime(2026, 3, 1, 8, tzinfo=UTC)
    later = datetime(2026, 6, 1, 8, tzinfo=UTC)
    _job(repo, tmp_path, "build_mart", ["theme.old_source"], ["business.mart"], when=first)
    _job(repo, tmp_path, "build_mart", ["theme.new_source"], ["business.mart"], when=later)
    assert _names(query_lineage(url, "upstream", "business.mart")) == {"theme.new_source": 1}
    assert _names(query_lineage(url, "upstream", "business.mart", as_of="2026-04-01")) == {
        "theme.old_source": 1
    }
    assert _names(query_lineage(url, "upstream", "business.mart", as_of="2026-02-01")) == {}
    with pytest.raises(LineageQueryError, match="YYYY-MM-DD"):
        query_lineage(url, "upstream", "business.mart", as_of="last spring")


def test_impact_lists_downstream_datasets_columns_owners_and_jobs(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    _job(
        repo,
        tmp_path,
        "model.theme.person",
        ["base.population", "base.social_insurance"],
        ["theme.person"],
        sql="SELECT p.id_number, p.name FROM base.population p JOIN base.social_insurance s ON s.id_number = p.id_number",
    )
    _job(
        repo,
        tmp_path,
        "model.business.subsidy",
        ["theme.person"],
        ["business.subsidy"],
        lineage={"resident": (FieldSource("theme.person", "id_number", masking=True),)},
        columns=("resident",),
    )
    impact = query_lineage(url, "impact", "base.population")
    assert _names(impact) == {"theme.person": 1, "business.subsidy": 2}
    mart = next(n for n in impact.nodes if n.name == "business.subsidy")
    assert (
        mart.owner == "区公安分局"
        and mart.jobs == ("model.business.subsidy",)
        and mart.columns == ("resident",)
    )
    assert {c.name: c.depth for c in impact.columns} == {
        "theme.person.id_number": 1,
        "theme.person.name": 1,
        "business.subsidy.resident": 2,
    }
    column = query_lineage(url, "impact", "base.population.id_number")
    assert {n.name for n in column.nodes} == {"theme.person.id_number", "business.subsidy.resident"}
    trace = query_lineage(url, "column", "business.subsidy.resident", direction="up")
    assert [(n.name, n.depth) for n in trace.nodes] == [
        ("theme.person.id_number", 1),
        ("base.population.id_number", 2),
    ]
    with pytest.raises(LineageQueryError, match="Its columns: id_number, name"):
        query_lineage(url, "column", "theme.person.nope")


def test_unknown_and_ambiguous_names_say_what_to_do(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    _job(repo, tmp_path, "j", ["base.population"], ["theme.person"])
    with pytest.raises(LineageQueryError, match=r"Did you mean: base\.population"):
        query_lineage(url, "downstream", "base.populaton")
    assert _names(query_lineage(url, "downstream", "population")) == {"theme.person": 1}
    full = f"file/{tmp_path / 'lakehouse' / 'base' / 'population'}"
    assert _names(query_lineage(url, "downstream", full)) == {"theme.person": 1}


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_reports_invalid_lines_by_number_and_keeps_the_valid_ones(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    _job(repo, tmp_path, "model.theme.person", ["base.population"], ["theme.person"])
    exported = export_events(url, tmp_path / "ours.ndjson")
    ours = (tmp_path / "ours.ndjson").read_text(encoding="utf-8").splitlines()
    spark_event = json.loads(
        (REPO / "tests" / "data" / "spark_openlineage_event.json").read_text(encoding="utf-8")
    )
    bad_uuid = dict(spark_event, run={"runId": "run-1"})
    source = _write_lines(
        tmp_path / "mixed.ndjson",
        [json.dumps(spark_event), "{not json", json.dumps(bad_uuid), "", '["an", "array"]', ours[1]],
    )
    other = tmp_path / "other_catalog"
    other_url = f"sqlite:///{other}/_catalog.db"
    report = import_events(other_url, source)
    assert exported.events == 2
    assert (report.imported, report.skipped) == (2, 3)
    assert [p.line for p in report.problems] == [2, 3, 5]
    assert "run.runId" in report.problems[1].message and "not JSON" in report.problems[0].message
    spark_out = spark_event["outputs"][0]
    name = f"{spark_out['namespace']}/{spark_out['name']}"
    assert {n.name for n in query_lineage(other_url, "upstream", name).nodes} == {
        "hive://metastore:9083/ods.orders"
    }
    assert _names(query_lineage(other_url, "upstream", "theme.person")) == {"base.population": 1}


def test_export_then_import_round_trips_every_event_unchanged(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    _job(repo, tmp_path, "a", ["base.a"], ["theme.b"])
    _job(repo, tmp_path, "b", ["theme.b"], ["business.c"])
    first = tmp_path / "first.ndjson"
    export_events(url, first)
    copy_url = f"sqlite:///{tmp_path / 'copy'}/_catalog.db"
    assert import_events(copy_url, first).imported == 4
    second = tmp_path / "second.ndjson"
    assert export_events(copy_url, second).events == 4
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    assert _names(query_lineage(copy_url, "downstream", "base.a")) == _names(
        query_lineage(url, "downstream", "base.a")
    )


def test_cli_impact_answers_as_json_without_sqlalchemy_or_spark(
    repo: LineageRepository, lakehub_config: LakehubConfig, tmp_path: Path
) -> None:
    _job(repo, tmp_path, "model.theme.person", ["base.population"], ["theme.person"])
    code = (
        "import sys, runpy\n"
        "sys.argv = ['lakehub', 'lineage', 'impact', 'base.population', '--json']\n"
        "from lakehub.cli.entry import run\n"
        "try:\n    run()\nexcept SystemExit as done:\n    code = done.code\n"
        "heavy = [m for m in ('sqlalchemy', 'pyspark', 'typer', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
    )
    env = {**os.environ, "LAKEHUB_CATALOG_URL": lakehub_config.effective_catalog_url}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "HEAVY [] EXIT 0" in done.stderr
    result = json.loads(done.stdout)
    assert [(n["name"], n["depth"]) for n in result["nodes"]] == [("theme.person", 1)]


def test_cli_lineage_errors_are_one_line_with_exit_2(
    lakehub_config: LakehubConfig, repo: LineageRepository
) -> None:
    env = {**os.environ, "LAKEHUB_CATALOG_URL": lakehub_config.effective_catalog_url}
    lakehub = str(Path(sys.executable).with_name("lakehub"))
    done = subprocess.run(
        [lakehub, "lineage", "upstream", "base.nothing"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "has no lineage" in done.stderr and "Traceback" not in done.stderr


def test_the_writer_of_a_dataset_owns_its_description_readers_only_fill_gaps(
    repo: LineageRepository, url: str, tmp_path: Path
) -> None:
    import uuid

    from lakehub.catalog.lineage_store import to_stored
    from lakehub.lineage.events import event_to_dict
    from lakehub.lineage.report import JobRun
    from tests.lineage_helpers import dataset

    builder, root = EventBuilder(), tmp_path / "lakehouse"
    landed = dataset("base.population", root, owner="区公安分局")
    land = JobRun(str(uuid.uuid4()), "ingest.population", "INGEST")
    read_as = dataset("base.population", root, ("id_number",), owner="区数据局")
    model = JobRun(str(uuid.uuid4()), "model.theme.p", "MODEL")
    events = [
        builder.build("COMPLETE", land, [dataset("raw.population", root)], [landed]),
        builder.build(
            "COMPLETE",
            model,
            [read_as, dataset("base.unknown_owner", root, owner="区民政局")],
            [dataset("theme.p", root)],
        ),
    ]
    repo.add_events([to_stored(event_to_dict(e)) for e in events])
    up = {n.name: n.owner for n in query_lineage(url, "upstream", "theme.p").nodes}
    assert up == {
        "base.population": "区公安分局",
        "base.unknown_owner": "区民政局",
        "raw.population": "区公安分局",
    }
    assert query_lineage(url, "column", "base.population.name", direction="down").nodes == ()


def test_lean_cli_finds_the_same_catalog_as_the_full_config_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakehub.cli.entry import catalog_url
    from lakehub.pipelines.config import load_config

    config_file = tmp_path / "lakehub.toml"
    config_file.write_text('warehouse = "./wh"\n[spark]\nmaster = "local[2]"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert (
        catalog_url(None, {})
        == load_config(None, {}).effective_catalog_url
        == f"sqlite:///{tmp_path}/wh/_catalog.db"
    )
    env = {"LAKEHUB_WAREHOUSE": "/srv/lake"}
    assert catalog_url(None, env) == load_config(None, env).effective_catalog_url
    env = {"LAKEHUB_CATALOG_URL": "postgresql+psycopg://hub@db/lakehub"}
    assert catalog_url(None, env) == load_config(None, env).effective_catalog_url
    config_file.write_text('catalog_url = "sqlite:////data/c.db"\n', encoding="utf-8")
    assert catalog_url(config_file, {}) == load_config(config_file, {}).effective_catalog_url
