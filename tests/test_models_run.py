"""Theme and business models on the generated county sample: alerts, masking, catalog, lineage, incremental.

One module-scoped hub (sample landed, every model built) is shared; the tests that change base tables
come last in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lakehub.catalog import CatalogStore, RunStatus
from lakehub.lineage.report import RecordingEmitter
from lakehub.pipelines import delta_io, jobs
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.dag import select_models
from lakehub.pipelines.delta_io import current_version
from lakehub.pipelines.model_runner import PHASES, ModelRunner, ModelStatus, mask_frame
from lakehub.pipelines.model_specs import load_model
from lakehub.pipelines.pseudonym import pseudonym_key
from lakehub.quality_rules.masking import mask_value, pseudonymise
from lakehub.sample_data import Manifest, read_manifest

pytestmark = pytest.mark.spark

SCALE, SEED = 200, 11
MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
IDENTIFIER_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|1\d{10})(?![0-9A-Za-z])")


class Hub:
    def __init__(
        self, config: LakehubConfig, manifest: Manifest, report: jobs.DemoReport, emitter: RecordingEmitter
    ):
        self.config = config
        self.manifest = manifest
        self.report = report
        self.emitter = emitter

    def table(self, spark: Any, name: str) -> Any:
        tier, _, table = name.partition(".")
        return spark.read.format("delta").load(self.config.table_path(tier, table))

    @property
    def store(self) -> CatalogStore:
        return CatalogStore.open(self.config.effective_catalog_url)


@pytest.fixture(scope="module")
def hub(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Hub:
    from tests.conftest import make_config

    config = make_config(tmp_path_factory.mktemp("hub"))
    emitter = RecordingEmitter()
    patch = pytest.MonkeyPatch()
    patch.setattr(jobs, "lineage_emitter", lambda _config: emitter)
    try:
        report = jobs.demo(config, scale=SCALE, seed=SEED)
    finally:
        patch.undo()
    return Hub(config, read_manifest(config.landing_path), report, emitter)


def _rows(frame: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in frame.collect()), key=repr)


def test_demo_builds_every_theme_and_business_model(hub: Hub) -> None:
    results = {r.model: r for run in hub.report.models for r in run.results}
    assert [run.tier for run in hub.report.models] == ["theme", "business"]
    assert len(results) == 9
    for name, result in results.items():
        assert result.status is ModelStatus.SUCCEEDED, (name, result.reason)
        assert result.mode == "full" and result.row_count and result.row_count > 0, name
        assert result.quality is not None and result.quality.passed, (
            name,
            result.quality.failed if result.quality else None,
        )
        assert {"plan", "build_write", "version", "validate", "catalog", "lineage"} == set(result.phases), (
            name
        )
        assert set(result.phases) <= set(PHASES) and all(s >= 0 for s in result.phases.values())
    assert hub.report.passed


def test_row_counts_taken_from_commits_and_suites_equal_counting_each_table(spark: Any, hub: Hub) -> None:
    results = [r for run in hub.report.models for r in run.results]
    store = hub.store
    for result in results:
        counted = hub.table(spark, result.model).count()
        assert result.row_count == counted == store.get_dataset(result.model).row_count, result.model
        assert result.quality is not None and result.quality.row_count == counted, result.model


def test_suites_checked_on_the_cached_written_rows_count_what_the_stored_tables_hold(
    spark: Any, hub: Hub
) -> None:
    from lakehub.pipelines.model_runner import model_suite
    from lakehub.quality_rules.engine_spark import validate

    models = jobs.registered_models(hub.config)
    for result in (r for run in hub.report.models for r in run.results):
        assert result.quality is not None, result.model
        suite = model_suite(models[result.model])
        assert suite is not None
        stored = validate(hub.table(spark, result.model), suite)
        counts = [(r.rule_id, r.element_count, r.unexpected_count, r.success) for r in stored.results]
        assert [
            (r.rule_id, r.element_count, r.unexpected_count, r.success) for r in result.quality.results
        ] == (counts), result.model
        assert result.quality.row_count == stored.row_count, result.model


def test_special_population_alerts_are_exactly_the_manifests_deceased_and_imprisoned_still_paid_cases(
    spark: Any, hub: Hub
) -> None:
    kinds = {"deceased_still_paid": "死亡后仍领取", "imprisoned_still_paid": "服刑期间仍领取"}
    expected = {d.key: kinds[d.kind] for d in hub.manifest.defects if d.kind in kinds}
    assert set(expected.values()) == set(kinds.values()), "the sample has both kinds"
    alerts = hub.table(spark, "business.special_population_alert").collect()
    assert {a.payment_id: a.alert_type for a in alerts} == expected
    assert len(alerts) == len(expected)
    for alert in alerts:
        assert alert.pay_month == alert.pay_date.strftime("%Y-%m") and alert.amount > 0
        if alert.alert_type == "死亡后仍领取":
            assert alert.pay_date > alert.death_date == alert.event_date and alert.custody_id is None
            assert "户籍死亡注销" in alert.source_departments
        else:
            assert alert.death_date is None and alert.custody_start_date == alert.event_date
            assert alert.custody_start_date <= alert.pay_date and alert.custody_id and alert.facility
            assert alert.release_date is None or alert.pay_date < alert.release_date
            assert "在押服刑人员名单" in alert.source_departments
        assert alert.days_after_event == (alert.pay_date - alert.event_date).days


def test_business_tables_mask_classified_columns(spark: Any, hub: Hub) -> None:
    alerts = hub.table(spark, "business.special_population_alert").collect()
    raw_ids = {r.id_number for r in hub.table(spark, "base.population").select("id_number").collect()}
    for alert in alerts:
        assert MASKED_ID.match(alert.id_number), alert.id_number
        assert alert.id_number not in raw_ids
        assert re.fullmatch(r".\*", alert.name)
    houses = hub.table(spark, "business.demolition_check").collect()
    assert houses and all(MASKED_ID.match(h.owner_id_number) for h in houses if h.owner_id_number)
    assert all(h.address.endswith("****") for h in houses if h.address and len(h.address) > 6)


def test_theme_profiles_are_keyed_on_the_hubs_pseudonym_with_masked_identifiers(spark: Any, hub: Hub) -> None:
    key = pseudonym_key(hub.config)
    people = hub.table(spark, "base.population").select("id_number", "name", "phone").collect()
    profile = {p.person_key: p for p in hub.table(spark, "theme.person_profile").collect()}
    assert len(profile) == len(people)
    for person in people:
        row = profile[pseudonymise(person.id_number, key)]
        assert row.id_number == mask_value(person.id_number, "resident_id") and MASKED_ID.match(row.id_number)
        assert row.name == mask_value(person.name, "name")
        assert row.phone == mask_value(person.phone, "phone")
    eligible = hub.table(spark, "business.subsidy_eligibility").collect()
    assert eligible and all(e.person_key in profile for e in eligible), "business joins theme on person_key"
    livelihood = {(r.town, r.program): r for r in hub.table(spark, "theme.livelihood_security").collect()}
    deceased = {
        p.id_number for p in hub.table(spark, "base.population").where("status = '死亡注销'").collect()
    }
    payments = hub.table(spark, "base.assistance_payment").where("town IS NOT NULL").collect()
    for (town, program), row in livelihood.items():
        paid = {p.id_number for p in payments if (p.town, p.program) == (town, program)}
        assert row.recipients == len(paid) and row.recipients_deceased == len(paid & deceased), (
            town,
            program,
        )
    assert any(r.recipients_deceased for r in livelihood.values()), "the person_key() join found the profiles"


def _identifier_tokens(value: Any) -> set[str]:
    return set(IDENTIFIER_TOKEN.findall(str(value)))


def test_no_theme_or_business_table_holds_a_resident_id_or_mobile_from_base(spark: Any, hub: Hub) -> None:
    from lakehub.pipelines.sources import load_sources

    raw: set[str] = set()
    for spec in load_sources().values():
        columns = [c.name for c in spec.columns if c.type in ("resident_id", "mobile")]
        for row in hub.table(spark, f"base.{spec.table_name}").select(*columns).collect():
            raw.update(str(v) for v in row if v)
    assert len(raw) >= 2 * SCALE, "population IDs and phones at least"
    scanned = 0
    for tier in ("theme", "business"):
        for name in sorted(p.name for p in Path(hub.config.table_path(tier, "")).iterdir()):
            frame = hub.table(spark, f"{tier}.{name}")
            text = [f.name for f in frame.schema.fields if f.dataType.simpleString() == "string"]
            for row in frame.select(*text).collect():
                for value in row:
                    leaked = _identifier_tokens(value) & raw if value else set()
                    assert not leaked, f"{tier}.{name} holds a clear identifier from base"
                    scanned += 1
    assert scanned > SCALE
    events = repr(hub.emitter.calls)
    assert pseudonym_key(hub.config).hex() not in events and not (_identifier_tokens(events) & raw)


def test_explicitly_granted_columns_stay_unmasked(spark: Any, tmp_path: Path) -> None:
    folder = tmp_path / "business"
    folder.mkdir()
    (folder / "m.sql").write_text("SELECT id_number, phone FROM ref('base.population')", encoding="utf-8")
    (folder / "m.yml").write_text(
        "title: t\nowner: o\ndescription: d\ngrants: [phone]\ncolumns:\n"
        "  - {name: id_number, title: 号码, classification: resident_id}\n"
        "  - {name: phone, title: 电话, classification: phone}\n",
        encoding="utf-8",
    )
    model = load_model(folder / "m.sql", "business")
    frame = spark.createDataFrame([("36040419850315001X", "13812345678")], "id_number string, phone string")
    row = mask_frame(frame, model.masked_columns()).first()
    assert row.id_number == "360404********001X" and row.phone == "13812345678"


def test_model_tables_are_registered_with_owner_columns_classification_version_and_rows(
    spark: Any, hub: Hub
) -> None:
    store = hub.store
    tiers = {d.name: d.tier.value for d in store.list_datasets()}
    assert {"base", "theme", "business"} <= set(tiers.values())
    record = store.get_dataset("business.special_population_alert")
    assert record.department == "区民政局" and record.title.startswith("特殊人群")
    assert record.description and record.current_version is not None
    assert record.row_count == hub.table(spark, "business.special_population_alert").count()
    columns = {c.name: c for c in record.columns}
    assert (
        columns["id_number"].sensitivity is not None
        and columns["id_number"].sensitivity.value == "resident_id"
    )
    assert columns["id_number"].data_type == "string" and columns["payment_id"].is_key
    profile = store.get_dataset("theme.person_profile")
    assert profile.tier.value == "theme" and profile.department == "区数据管理局"
    assert [c.name for c in profile.columns][:3] == ["person_key", "id_number", "name"]
    assert profile.business_key == ("person_key",)
    assert store.history("theme.person_profile")[0].row_count == profile.row_count


def test_every_model_run_reports_lineage_with_sql_quality_and_parent(hub: Hub) -> None:
    calls = [c for c in hub.emitter.calls if c[1].job_type == "MODEL"]
    completes = {c[1].job_name: c for c in calls if c[0] == "COMPLETE"}
    starts = {c[1].job_name for c in calls if c[0] == "START"}
    assert set(completes) == starts and len(completes) == 9
    _, run, inputs, outputs, _ = completes["model.business.special_population_alert"]
    assert run.parent is not None and run.parent.job_name == "run.business"
    assert run.sql and "FROM base.assistance_payment a" in run.sql and "ref(" not in run.sql
    assert {i.name for i in inputs} == {"base.assistance_payment", "base.population", "base.custody"}
    assert all(i.version is not None for i in inputs)
    (output,) = outputs
    assert output.name == "business.special_population_alert" and output.tier == "business"
    assert output.owner == "区民政局" and output.row_count and output.version is not None
    assert {c.name: c.classification for c in output.columns}["id_number"] == "resident_id"
    assert output.quality and all(q.success for q in output.quality)
    _, form_run, _, form_out, _ = completes["model.business.form_autofill_coverage"]
    assert form_run.source_code and "def build" in form_run.source_code and form_run.sql is None
    lineage = form_out[0].column_lineage
    assert {s.column for s in lineage["filled_persons"]} >= {"id_number", "name", "phone"}
    assert all(s.dataset == "theme.person_profile" for s in lineage["coverage_rate"])


def test_a_rerun_without_base_changes_builds_nothing(spark: Any, hub: Hub) -> None:
    before = hub.store.get_dataset("theme.person_profile").current_version
    runs = jobs.run_models(hub.config, spark=spark, emitter=RecordingEmitter())
    statuses = {r.model: r.status for run in runs for r in run.results}
    assert set(statuses.values()) == {ModelStatus.UNCHANGED}
    assert hub.store.get_dataset("theme.person_profile").current_version == before


def test_a_failing_model_skips_its_descendants_and_says_why(spark: Any, hub: Hub, tmp_path: Path) -> None:
    sidecar = "title: t\nowner: o\ndescription: d\ncolumns:\n  - {name: id_number, title: 号码}\n"
    specs = {}
    for tier, name, sql in (
        ("theme", "broken", "SELECT no_such_column AS id_number FROM ref('base.population')"),
        ("business", "child", "SELECT id_number FROM ref('theme.broken')"),
        ("theme", "fine", "SELECT id_number FROM ref('base.population')"),
    ):
        folder = tmp_path / tier
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
        (folder / f"{name}.yml").write_text(sidecar, encoding="utf-8")
        spec = load_model(folder / f"{name}.sql", tier)
        specs[spec.full_name] = spec
    emitter = RecordingEmitter()
    runner = ModelRunner(hub.config, hub.store, spark, emitter)
    runs = runner.run_tiers(specs, select_models(specs))
    results = {r.model: r for run in runs for r in run.results}
    assert results["theme.broken"].status is ModelStatus.FAILED
    assert "no_such_column" in (results["theme.broken"].reason or "")
    assert results["business.child"].status is ModelStatus.SKIPPED
    assert results["business.child"].reason == "skipped: upstream theme.broken failed"
    assert results["theme.fine"].status is ModelStatus.SUCCEEDED
    assert [run.tier for run in runs] == ["theme", "business"]
    assert not any(run.passed for run in runs), (
        "the failed model's tier, and the tier of the model it skipped"
    )
    assert hub.store.get_run(results["business.child"].run_id or "").status is RunStatus.SKIPPED
    assert [c[0] for c in emitter.calls if c[1].job_name == "model.theme.broken"] == ["START", "FAIL"]


def _change_base(spark: Any, hub: Hub) -> str:
    """Update, insert and delete rows of base tables the way a new delivery would."""
    from delta.tables import DeltaTable

    population = DeltaTable.forPath(spark, hub.config.table_path("base", "population"))
    people = population.toDF().where("status = '正常'").orderBy("id_number").limit(3).collect()
    population.update(f"id_number = '{people[0].id_number}'", {"name": "'改名'", "town": "'港口街镇'"})
    population.update(
        f"id_number = '{people[1].id_number}'", {"status": "'死亡注销'", "death_date": "DATE'2025-01-01'"}
    )
    insurance = DeltaTable.forPath(spark, hub.config.table_path("base", "social_insurance"))
    template = insurance.toDF().limit(1)
    template.selectExpr(
        *(
            f"'{people[2].id_number}' AS id_number"
            if c == "id_number"
            else ("'失业保险' AS insurance_type" if c == "insurance_type" else f"`{c}`")
            for c in template.columns
        )
    ).write.format("delta").mode("append").save(hub.config.table_path("base", "social_insurance"))
    housing = DeltaTable.forPath(spark, hub.config.table_path("base", "housing"))
    gone = housing.toDF().orderBy("house_id").first()
    housing.delete(f"house_id = '{gone.house_id}'")
    market = DeltaTable.forPath(spark, hub.config.table_path("base", "market_entity"))
    entity = market.toDF().orderBy("uscc").first()
    market.update(f"uscc = '{entity.uscc}'", {"status": "'吊销'"})
    return str(people[0].id_number)


INCREMENTAL = ("theme.person_profile", "theme.enterprise_profile", "theme.grid_governance")


def test_incremental_runs_equal_a_full_rebuild_after_base_changes(spark: Any, hub: Hub) -> None:
    renamed_id = _change_base(spark, hub)
    runs = jobs.run_models(hub.config, spark=spark, emitter=RecordingEmitter())
    results = {r.model: r for run in runs for r in run.results}
    for name in INCREMENTAL:
        assert results[name].status is ModelStatus.SUCCEEDED and results[name].mode == "incremental", (
            name,
            results[name].reason,
        )
        assert results[name].affected_keys and results[name].affected_keys < results[name].row_count
    assert results["theme.hazard_map"].mode == "incremental"
    assert results["business.special_population_alert"].mode == "full"
    incremental = {name: _rows(hub.table(spark, name)) for name in results}
    for name in INCREMENTAL:
        assert results[name].row_count == len(incremental[name]), f"{name}: MERGE row count from the suite"
    reads: list[str] = []

    def counted_version(session: Any, path: str) -> int | None:
        reads.append(path)
        return current_version(session, path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delta_io, "current_version", counted_version)
        rebuilt = jobs.run_models(hub.config, spark=spark, emitter=RecordingEmitter(), full_refresh=True)
    assert all(r.mode == "full" for run in rebuilt for r in run.results)
    assert reads and len(reads) == len(set(reads)), "each input's Delta log is read once per run"
    assert hub.config.table_path("theme", "person_profile") not in reads, (
        "a table the run wrote is not reread"
    )
    for name in results:
        assert _rows(hub.table(spark, name)) == incremental[name], name
    key = pseudonymise(renamed_id, pseudonym_key(hub.config))
    renamed = hub.table(spark, "theme.person_profile").where(f"person_key = '{key}'").collect()
    assert len(renamed) == 1 and renamed[0].town == "港口街镇" and renamed[0].name == "改*"
    assert {r.person_key for r in hub.table(spark, "theme.person_profile").collect()} == {
        r[0] for r in incremental["theme.person_profile"]
    }, "person_key is stable across incremental and full rebuilds"
