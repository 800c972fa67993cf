"""Behaviour of the metadata catalog store: migrations, runs, datasets, resolution and search."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from lakehub.catalog import (
    AmbiguousDatasetError,
    CatalogError,
    CatalogStore,
    CatalogUnavailableError,
    ColumnSpec,
    DatasetNotFoundError,
    DatasetSpec,
    JobKind,
    RowCounts,
    RunNotFoundError,
    RunStatus,
    Sensitivity,
    Tier,
    datasets,
    migrate,
)
from lakehub.catalog.models import CatalogBase

CATALOG_TABLES = {"runs", "datasets", "dataset_columns", "dataset_versions", "alembic_version"}
# A postgresql+psycopg URL of a scratch database (its catalog tables get dropped) adds a PostgreSQL run.
POSTGRES_URL = os.environ.get("LAKEHUB_TEST_POSTGRES_URL")
OL_NAMESPACE = "file:///srv/lakehouse"


def _population_spec(**changes: object) -> DatasetSpec:
    """A base-tier population dataset spec with three columns."""
    fields: dict[str, object] = {
        "name": "base.population",
        "title": "人口基础信息",
        "department": "区公安局",
        "location": "/srv/lakehouse/base/population",
        "description": "户籍人口基础信息",
        "source_id": "population",
        "business_key": ("id_number",),
        "sharing_class": "有条件共享",
        "security_level": "重要数据",
        "base_library": "人口库",
        "freshness_sla_hours": 24,
        "ol_namespace": OL_NAMESPACE,
        "ol_name": "base/population",
        "columns": (
            ColumnSpec(name="id_number", data_type="string", title="公民身份号码", sensitivity="resident_id"),
            ColumnSpec(name="name", data_type="string", title="姓名", sensitivity="name"),
            ColumnSpec(name="birth_date", data_type="date", title="出生日期"),
        ),
    }
    fields.update(changes)
    return DatasetSpec(**fields)  # type: ignore[arg-type]  # keys mirror DatasetSpec fields


def _simple_spec(name: str, title: str, columns: tuple[ColumnSpec, ...] = ()) -> DatasetSpec:
    """A minimal dataset spec."""
    tier, _, table = name.partition(".")
    return DatasetSpec(
        name=name,
        title=title,
        department="区大数据中心",
        location=f"/srv/lakehouse/{tier}/{table}",
        columns=columns,
    )


def _reset_postgres(url: str) -> None:
    """Drop every catalog table so a test starts from an empty PostgreSQL database."""
    engine = create_engine(url)
    with engine.begin() as connection:
        CatalogBase.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite-file", "sqlite-memory"] + (["postgresql"] if POSTGRES_URL else []))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CatalogStore]:
    """A migrated, empty catalog on each backend under test."""
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'lakehouse' / '_catalog.db'}"
    elif request.param == "sqlite-memory":
        url = "sqlite://"
    else:
        pytest.importorskip("psycopg", reason="PostgreSQL tests need the psycopg driver")
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        _reset_postgres(url)
    with CatalogStore.open(url) as opened:
        yield opened


@pytest.fixture
def file_url(tmp_path: Path) -> str:
    """URL of a SQLite catalog file in a directory that does not exist yet."""
    return f"sqlite:///{tmp_path / 'nested' / 'lakehouse' / '_catalog.db'}"


def test_open_creates_parent_directory_and_all_tables(file_url: str, tmp_path: Path) -> None:
    with CatalogStore.open(file_url) as store:
        assert set(inspect(store.engine).get_table_names()) >= CATALOG_TABLES
    assert (tmp_path / "nested" / "lakehouse" / "_catalog.db").is_file()


def test_open_twice_is_a_no_op_that_keeps_data(file_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with CatalogStore.open(file_url) as store:
        store.register_dataset(_population_spec())

    def fail_upgrade(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("alembic upgrade must not run when the catalog is already at head")

    monkeypatch.setattr(command, "upgrade", fail_upgrade)
    with CatalogStore.open(file_url) as again:
        assert [d.name for d in again.list_datasets()] == ["base.population"]


def test_check_reports_the_head_revision(store: CatalogStore) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert store.check() == head == migrate.HEAD_REVISION


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    assert migrate.script_head() == migrate.HEAD_REVISION


def test_check_on_an_empty_database_says_to_run_init(file_url: str) -> None:
    with CatalogStore(file_url) as store, pytest.raises(CatalogUnavailableError, match="lakehub init"):
        store.check()


def test_catalog_from_a_newer_lakehub_is_refused_with_a_fix(file_url: str) -> None:
    with CatalogStore.open(file_url) as store, store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(CatalogUnavailableError, match="upgrade lakehub"):
        CatalogStore.open(file_url)
    with (
        CatalogStore(file_url) as store,
        pytest.raises(CatalogUnavailableError, match=f"expects {migrate.HEAD_REVISION}"),
    ):
        store.check()


def test_queries_on_an_unmigrated_database_say_to_run_init(file_url: str) -> None:
    with CatalogStore(file_url) as store, pytest.raises(CatalogUnavailableError, match="lakehub init"):
        store.list_datasets()


def test_models_match_the_hand_written_migration(store: CatalogStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, CatalogBase.metadata) == []


def test_migration_renders_portable_sql_for_postgresql() -> None:
    config = migrate.alembic_config(url="postgresql+psycopg://lakehub@db.example/lakehub")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE dataset_versions" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert "PRAGMA" not in sql


def test_register_and_get_dataset_with_columns_in_order(store: CatalogStore) -> None:
    registered = store.register_dataset(_population_spec())
    fetched = store.get_dataset("base.population")
    assert fetched == registered
    assert fetched.tier is Tier.BASE
    assert fetched.title == "人口基础信息"
    assert fetched.business_key == ("id_number",)
    assert fetched.current_version is None
    assert fetched.ol_ref == f"{OL_NAMESPACE}/base/population"
    assert [c.name for c in fetched.columns] == ["id_number", "name", "birth_date"]
    assert [c.position for c in fetched.columns] == [0, 1, 2]
    assert fetched.columns[0].is_key and fetched.columns[0].sensitivity is Sensitivity.RESIDENT_ID
    assert not fetched.columns[2].is_key and fetched.columns[2].sensitivity is None


def test_reregistering_replaces_columns_and_keeps_registered_at(store: CatalogStore) -> None:
    first = store.register_dataset(_population_spec())
    second = store.register_dataset(
        _population_spec(
            title="人口基础信息（更新）",
            columns=(
                ColumnSpec(name="name", data_type="string", title="姓名（脱敏前）"),
                ColumnSpec(name="id_number", data_type="string", title="公民身份号码"),
                ColumnSpec(name="town", data_type="string", title="乡镇（街道）"),
            ),
        )
    )
    assert second.id == first.id
    assert second.registered_at == first.registered_at
    assert second.title == "人口基础信息（更新）"
    assert [(c.position, c.name) for c in second.columns] == [(0, "name"), (1, "id_number"), (2, "town")]
    assert second.columns[0].title == "姓名（脱敏前）"
    assert store.get_dataset("base.population") == second
    assert len(store.list_datasets()) == 1


def test_record_version_updates_current_version_row_count_and_updated_at(store: CatalogStore) -> None:
    registered = store.register_dataset(_population_spec())
    run_id = store.start_run("ingest.population", JobKind.INGEST, source_id="population")
    written = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    store.record_version(
        "base.population", version=0, run_id=run_id, operation="WRITE", row_count=100, changed_at=written
    )
    store.record_version(
        "base.population", version=1, run_id=run_id, operation="MERGE", row_count=120, rows_inserted=20
    )
    dataset = store.get_dataset("base.population")
    assert (dataset.current_version, dataset.row_count) == (1, 120)
    assert dataset.created_at == written
    assert dataset.updated_at > written
    assert dataset.registered_at == registered.registered_at


def test_record_version_is_idempotent_for_the_same_version(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    run_id = store.start_run("ingest.population", "ingest")
    for _ in range(2):
        store.record_version("base.population", version=3, run_id=run_id, operation="MERGE", row_count=50)
    assert [v.version for v in store.history("base.population")] == [3]


def test_record_version_treats_a_concurrent_duplicate_as_recorded(
    store: CatalogStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.register_dataset(_population_spec())
    run_id = store.start_run("ingest.population", "ingest")
    store.record_version("base.population", version=0, run_id=run_id, operation="WRITE", row_count=1)
    real_check = datasets.version_exists
    checks: list[int] = []

    def miss_first_check(session: Session, dataset_id: int, version: int) -> bool:
        checks.append(version)
        return len(checks) > 1 and real_check(session, dataset_id, version)

    monkeypatch.setattr(datasets, "version_exists", miss_first_check)
    store.record_version("base.population", version=0, run_id=run_id, operation="WRITE", row_count=1)
    assert len(checks) == 2
    assert len(store.history("base.population")) == 1


def test_sqlite_catalog_enforces_foreign_keys(file_url: str) -> None:
    with CatalogStore.open(file_url) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_record_version_of_an_older_version_does_not_move_current_back(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    run_id = store.start_run("ingest.population", "ingest")
    store.record_version("base.population", version=5, run_id=run_id, operation="MERGE", row_count=50)
    store.record_version("base.population", version=4, run_id=run_id, operation="MERGE", row_count=40)
    dataset = store.get_dataset("base.population")
    assert (dataset.current_version, dataset.row_count) == (5, 50)


def test_record_version_with_unknown_run_or_naive_time_is_refused(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    with pytest.raises(RunNotFoundError, match="no-such-run"):
        store.record_version(
            "base.population", version=0, run_id="no-such-run", operation="WRITE", row_count=1
        )
    run_id = store.start_run("ingest.population", "ingest")
    with pytest.raises(CatalogError, match="timezone-aware"):
        store.record_version(
            "base.population",
            version=0,
            run_id=run_id,
            operation="WRITE",
            row_count=1,
            changed_at=datetime(2025, 1, 1),  # deliberately naive
        )


def test_run_start_and_finish_records_counts_details_and_utc_times(store: CatalogStore) -> None:
    run_id = store.start_run(
        "ingest.population",
        "ingest",
        source_id="population",
        run_date=date(2025, 3, 1),
        input_path="/drop/ga_population.csv",
        input_sha256="a" * 64,
        input_bytes=2048,
    )
    assert store.get_run(run_id).status is RunStatus.RUNNING
    counts = RowCounts(read=10, landed=7, quarantined=2, rejected=1, inserted=5, updated=2, unchanged=0)
    finished = store.finish_run(
        run_id, RunStatus.SUCCEEDED, counts=counts, details={"reasons": {"身份证校验位错误": 2}}
    )
    assert finished == store.get_run(run_id)
    assert finished.counts == counts and finished.counts.balanced
    assert finished.details == {"reasons": {"身份证校验位错误": 2}}
    assert finished.run_date == date(2025, 3, 1) and finished.input_bytes == 2048
    assert finished.passed and finished.job_kind is JobKind.INGEST
    assert finished.finished_at is not None and finished.started_at.tzinfo is not None
    assert finished.finished_at.utcoffset() == timedelta(0)
    assert finished.finished_at >= finished.started_at


def test_row_counts_balance_only_when_every_row_is_accounted_for() -> None:
    assert RowCounts(read=3, landed=1, quarantined=1, rejected=1).balanced
    assert not RowCounts(read=3, landed=1, quarantined=1).balanced


def test_finishing_a_run_twice_or_as_running_is_refused(store: CatalogStore) -> None:
    run_id = store.start_run("theme.population_profile", "model")
    with pytest.raises(CatalogError, match="succeeded, failed, skipped"):
        store.finish_run(run_id, RunStatus.RUNNING)
    failed = store.finish_run(run_id, RunStatus.FAILED, error="AnalysisException: column town not found")
    assert not failed.passed and failed.counts is None
    with pytest.raises(CatalogError, match="already finished as failed"):
        store.finish_run(run_id, RunStatus.SUCCEEDED)
    with pytest.raises(RunNotFoundError, match="lakehub ingest"):
        store.get_run("missing")


def test_unknown_job_kind_lists_valid_kinds(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="Valid values are: ingest, model, quality, demo, export"):
        store.start_run("x", "ingestion")


def test_list_runs_filters_by_source_and_kind_newest_first(store: CatalogStore) -> None:
    first = store.start_run("ingest.population", "ingest", source_id="population")
    second = store.start_run("ingest.housing", "ingest", source_id="housing")
    third = store.start_run("ingest.population", "ingest", source_id="population")
    store.start_run("theme.population_profile", "model")
    assert [r.run_id for r in store.list_runs(source_id="population")] == [third, first]
    assert {r.run_id for r in store.list_runs(job_kind="ingest")} == {first, second, third}
    assert len(store.list_runs(limit=2)) == 2


def test_find_succeeded_ingest_returns_latest_success_for_that_file(store: CatalogStore) -> None:
    sha = "b" * 64
    failed = store.start_run("ingest.population", "ingest", source_id="population", input_sha256=sha)
    store.finish_run(failed, RunStatus.FAILED, error="disk full")
    assert store.find_succeeded_ingest("population", sha) is None
    older = store.start_run("ingest.population", "ingest", source_id="population", input_sha256=sha)
    store.finish_run(older, RunStatus.SUCCEEDED)
    newer = store.start_run("ingest.population", "ingest", source_id="population", input_sha256=sha)
    store.finish_run(newer, RunStatus.SUCCEEDED)
    found = store.find_succeeded_ingest("population", sha)
    assert found is not None and found.run_id == newer
    assert store.find_succeeded_ingest("population", "c" * 64) is None
    assert store.find_succeeded_ingest("housing", sha) is None


def test_resolve_accepts_short_name_openlineage_name_and_unique_bare_name(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    assert store.resolve_dataset("base.population") == "base.population"
    assert store.resolve_dataset(f"{OL_NAMESPACE}/base/population") == "base.population"
    assert store.resolve_dataset("population") == "base.population"
    assert store.get_dataset(" population ").name == "base.population"


def test_resolve_unknown_name_suggests_close_matches(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    with pytest.raises(DatasetNotFoundError) as caught:
        store.resolve_dataset("base.popul")
    message = str(caught.value)
    assert "Dataset 'base.popul' is not in the catalog at" in message
    assert "Did you mean: base.population?" in message
    assert "lakehub catalog list" in message
    assert caught.value.suggestions == ("base.population",)
    with pytest.raises(DatasetNotFoundError, match=r"Did you mean: base\.population"):
        store.resolve_dataset("populaton")


def test_resolve_ambiguous_bare_name_lists_candidates(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    store.register_dataset(_simple_spec("quarantine.population", "人口基础信息隔离区"))
    with pytest.raises(AmbiguousDatasetError) as caught:
        store.get_dataset("population")
    assert caught.value.candidates == ("base.population", "quarantine.population")
    assert "base.population, quarantine.population" in str(caught.value)


def test_search_matches_chinese_title_column_names_and_every_word(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    store.register_dataset(
        _simple_spec(
            "base.housing",
            "房屋登记与征迁安置",
            (ColumnSpec(name="owner_id_number", data_type="string", title="权利人身份号码"),),
        )
    )
    store.register_dataset(_simple_spec("theme.grid_event_summary", "网格事件汇总"))
    assert [d.name for d in store.search("人口")] == ["base.population"]
    assert [d.name for d in store.search("ID_NUMBER")] == ["base.housing", "base.population"]
    assert [d.name for d in store.search("身份 房屋")] == ["base.housing"]
    assert [d.name for d in store.search("公安局")] == ["base.population"]
    assert store.search("100%") == []
    assert len(store.search("")) == 3


def test_history_is_newest_first_with_run_job_and_status(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    first = store.start_run("ingest.population", "ingest")
    store.record_version("population", version=0, run_id=first, operation="WRITE", row_count=10)
    store.finish_run(first, RunStatus.SUCCEEDED)
    second = store.start_run("ingest.population.rerun", "ingest")
    store.record_version("population", version=1, run_id=second, operation="MERGE", row_count=12)
    history = store.history(f"{OL_NAMESPACE}/base/population")
    assert [(v.version, v.operation, v.run_id) for v in history] == [
        (1, "MERGE", second),
        (0, "WRITE", first),
    ]
    assert (history[0].job_name, history[0].run_status) == ("ingest.population.rerun", RunStatus.RUNNING)
    assert history[1].run_status is RunStatus.SUCCEEDED


def test_list_datasets_filters_by_tier_and_rejects_unknown_tiers(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    store.register_dataset(_simple_spec("theme.population_profile", "人口画像"))
    assert [d.name for d in store.list_datasets(tier="theme")] == ["theme.population_profile"]
    with pytest.raises(CatalogError, match="Valid values are: raw, base, theme, business, quarantine"):
        store.list_datasets(tier="gold")


def test_openlineage_name_cannot_be_shared_by_two_datasets(store: CatalogStore) -> None:
    store.register_dataset(_population_spec())
    with pytest.raises(CatalogError, match=r"already used by base\.population"):
        store.register_dataset(_population_spec(name="theme.population"))


def test_dataset_spec_rejects_bad_names_keys_and_sensitivity() -> None:
    with pytest.raises(CatalogError, match="Valid values are: raw, base"):
        _simple_spec("gold.population", "人口")
    with pytest.raises(CatalogError, match=r"tier\.name"):
        DatasetSpec(name="population", title="人口", department="d", location="/x")
    with pytest.raises(CatalogError, match="not among its columns"):
        _population_spec(business_key=("uscc",))
    with pytest.raises(CatalogError, match="resident_id, phone, name, address"):
        ColumnSpec(name="x", data_type="string", sensitivity="bank_card")


def test_importing_the_catalog_does_not_import_spark() -> None:
    code = "import lakehub.catalog, sys; assert 'pyspark' not in sys.modules and 'delta' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unreachable_postgresql_gives_fix_and_hides_password() -> None:
    with pytest.raises(CatalogUnavailableError) as caught:
        CatalogStore.open("postgresql://lakehub:s3cret-pw@127.0.0.1:1/lakehub").check()
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "127.0.0.1:1" in message
    assert "pip install" in message or "lakehub doctor" in message


def test_sqlite_file_under_a_regular_file_gives_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(CatalogUnavailableError, match="writable directory"):
        CatalogStore.open(f"sqlite:///{blocker / 'lakehouse' / '_catalog.db'}")


def test_malformed_url_gives_example_and_hides_password() -> None:
    with pytest.raises(CatalogUnavailableError) as caught:
        CatalogStore("not a url://admin:hunter2@host/db")
    assert "hunter2" not in str(caught.value)
    assert "sqlite:///lakehouse/_catalog.db" in str(caught.value)
