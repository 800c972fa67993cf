"""Model specs and the DAG: loading, order, selection, cycles and unknown references (no Spark)."""

from __future__ import annotations

from pathlib import Path

import openlineage_sql
import pytest

from lakehub.pipelines.dag import check_graph, descendants, heights, select_models, topological_order
from lakehub.pipelines.jobs import registered_models
from lakehub.pipelines.model_runner import model_suite
from lakehub.pipelines.model_specs import (
    ModelGraphError,
    ModelSpec,
    ModelSpecError,
    load_model,
    load_models,
)
from tests.conftest import make_config

BASE = {"base.population", "base.social_insurance"}
SIDECAR = """\
title: 测试模型
owner: 区数据管理局
description: 测试用模型
columns:
  - {name: id_number, title: 公民身份号码, classification: resident_id}
  - {name: name, title: 姓名, classification: name}
"""


def _model(root: Path, tier: str, name: str, sql: str, sidecar: str = SIDECAR) -> ModelSpec:
    folder = root / tier
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
    (folder / f"{name}.yml").write_text(sidecar, encoding="utf-8")
    return load_model(folder / f"{name}.sql", tier)


def _chain(root: Path) -> dict[str, ModelSpec]:
    """base.population → theme.a → theme.b → business.c, and theme.d beside them."""
    specs = [
        _model(root, "theme", "a", "SELECT id_number, name FROM ref('base.population')"),
        _model(root, "theme", "b", "SELECT id_number, name FROM ref('theme.a')"),
        _model(
            root, "business", "c", "SELECT b.id_number, b.name FROM ref('theme.b') b JOIN ref('theme.a') a"
        ),
        _model(root, "theme", "d", "SELECT id_number, name FROM ref('base.social_insurance')"),
    ]
    return {s.full_name: s for s in specs}


def test_models_run_after_every_model_they_reference(tmp_path: Path) -> None:
    models = _chain(tmp_path)
    order = topological_order(models)
    assert set(order) == set(models)
    for name in order:
        for ref in models[name].refs:
            if ref in models:
                assert order.index(ref) < order.index(name), (ref, name)


def test_select_runs_only_the_model_and_plus_adds_its_descendants(tmp_path: Path) -> None:
    models = _chain(tmp_path)
    assert select_models(models, ["theme.b"]) == ["theme.b"]
    assert select_models(models, ["a+"]) == ["theme.a", "theme.b", "business.c"]
    assert select_models(models, [], tiers=["theme"]) == ["theme.a", "theme.b", "theme.d"]
    assert descendants(models, "theme.b") == {"business.c"}


def test_unknown_selection_lists_the_models(tmp_path: Path) -> None:
    with pytest.raises(ModelGraphError, match=r"Unknown model 'theme\.zz'.*theme\.a"):
        select_models(_chain(tmp_path), ["theme.zz"])


def test_a_cycle_is_an_error_naming_the_models_in_it(tmp_path: Path) -> None:
    models = _chain(tmp_path)
    loop = _model(tmp_path / "x", "theme", "a", "SELECT id_number, name FROM ref('business.c')")
    models["theme.a"] = loop
    with pytest.raises(ModelGraphError, match="cycle") as caught:
        check_graph(models, BASE)
    for name in ("theme.a", "theme.b", "business.c"):
        assert name in str(caught.value)
    assert "theme.d" not in str(caught.value)


def test_an_unknown_reference_is_an_error_naming_model_and_dataset(tmp_path: Path) -> None:
    models = _chain(tmp_path)
    bad = _model(tmp_path / "x", "theme", "e", "SELECT id_number, name FROM ref('base.populaton')")
    models[bad.full_name] = bad
    with pytest.raises(ModelGraphError, match=r"theme\.e reads unknown dataset base\.populaton"):
        check_graph(models, BASE)


def test_sidecar_errors_name_the_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match=r"x\.yml: field 'owner'"):
        _model(
            tmp_path, "theme", "x", "SELECT 1 FROM ref('base.population')", SIDECAR.replace("owner", "ownr")
        )
    incremental = SIDECAR + "materialization: incremental\n"
    with pytest.raises(ModelSpecError, match="unique_key of exactly one column"):
        _model(tmp_path, "theme", "y", "SELECT 1 FROM ref('base.population')", incremental)


def test_business_masking_follows_classification_unless_granted(tmp_path: Path) -> None:
    plain = _model(tmp_path, "business", "m", "SELECT id_number, name FROM ref('base.population')")
    assert plain.masked_columns() == {"id_number": "resident_id", "name": "name"}
    granted = _model(
        tmp_path,
        "business",
        "g",
        "SELECT id_number, name FROM ref('base.population')",
        SIDECAR + "grants: [name]\n",
    )
    assert granted.masked_columns() == {"id_number": "resident_id"}
    theme = _model(tmp_path, "theme", "t", "SELECT id_number, name FROM ref('base.population')")
    assert theme.masked_columns() == {"id_number": "resident_id", "name": "name"}


def test_theme_tier_masks_classified_columns_and_keys_on_pseudonyms_only(tmp_path: Path) -> None:
    keyed = SIDECAR.replace("columns:\n", "unique_key: [person_key]\ncolumns:\n") + (
        "  - {name: person_key, title: 假名键, classification: resident_id, pseudonym: true}\n"
    )
    sql = "SELECT id_number AS person_key, id_number, name FROM ref('base.population')"
    theme = _model(tmp_path, "theme", "k", sql, keyed)
    assert theme.masked_columns() == {"id_number": "resident_id", "name": "name", "person_key": "pseudonym"}
    assert theme.pseudonym_columns == ("person_key",)
    with pytest.raises(ModelSpecError, match=r"unique_key id_number is masked in the theme tier.*pseudonym"):
        _model(
            tmp_path, "theme", "m", sql, keyed.replace("unique_key: [person_key]", "unique_key: [id_number]")
        )
    with pytest.raises(ModelSpecError, match=r"grants \(name\) are for business models.*read"):
        _model(tmp_path, "theme", "g", sql, keyed + "grants: [name]\n")
    with pytest.raises(ModelSpecError, match=r"'person_key' is a pseudonym but has no classification"):
        _model(
            tmp_path, "theme", "n", sql, keyed.replace("classification: resident_id, pseudonym", "pseudonym")
        )
    shipped = load_models()
    for model in shipped.values():
        if model.tier == "theme":
            assert not model.meta.grants, model.full_name
    profile = shipped["theme.person_profile"]
    assert profile.meta.unique_key == ("person_key",) and profile.pseudonym_columns == ("person_key",)
    assert {"id_number", "name", "household_address", "phone"} <= set(profile.masked_columns())


def test_shipped_models_form_a_dag_over_the_registered_sources(tmp_path: Path) -> None:
    models = registered_models(make_config(tmp_path))
    assert {m for m in models if m.startswith("theme.")} == {
        "theme.person_profile",
        "theme.enterprise_profile",
        "theme.grid_governance",
        "theme.hazard_map",
        "theme.livelihood_security",
    }
    assert {m for m in models if m.startswith("business.")} == {
        "business.subsidy_eligibility",
        "business.special_population_alert",
        "business.demolition_check",
        "business.form_autofill_coverage",
    }
    order = topological_order(models)
    assert order.index("theme.person_profile") < order.index("business.subsidy_eligibility")
    assert order.index("theme.person_profile") < order.index("theme.livelihood_security")


def test_every_shipped_model_has_a_suite_for_its_table_reading_declared_columns() -> None:
    for model in load_models().values():
        suite = model_suite(model)
        assert suite is not None, model.full_name
        assert suite.dataset == model.full_name
        for rule in suite.rules:
            assert set(rule.columns) <= set(model.column_names), (model.full_name, rule.id)
        assert all(c.title for c in model.meta.columns)


def test_sql_models_give_openlineage_sql_column_lineage_back_to_base_columns() -> None:
    models = load_models()
    for model in models.values():
        if model.kind != "sql":
            continue
        parsed = openlineage_sql.parse([model.render_sql()], dialect="spark")
        assert not parsed.errors, model.full_name
        assert {f"{t.schema}.{t.name}" for t in parsed.in_tables} == set(model.refs)
        traced = {c.descendant.name for c in parsed.column_lineage}
        for column in model.meta.columns:
            if column.classification:
                assert column.name in traced, (model.full_name, column.name)
    alert = openlineage_sql.parse([models["business.special_population_alert"].render_sql()], dialect="spark")
    sources = {
        (o.origin.schema, o.origin.name, o.name)
        for c in alert.column_lineage
        if c.descendant.name == "id_number"
        for o in c.lineage
        if o.origin is not None
    }
    assert ("base", "population", "id_number") in sources


def test_rendered_sql_uses_short_names_for_lineage() -> None:
    model = load_models()["theme.person_profile"]
    sql = model.render_sql()
    assert "ref(" not in sql and "FROM base.population p" in sql


def test_run_with_an_unknown_model_fails_before_starting_spark(tmp_path: Path) -> None:
    from lakehub.pipelines.jobs import run_tiers

    with pytest.raises(ModelGraphError, match=r"Unknown model 'person_profil'.*theme\.person_profile"):
        run_tiers(make_config(tmp_path), tier="theme", select=("person_profil",))


def test_a_business_table_cannot_be_keyed_on_a_masked_column(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match="unique_key id_number is masked"):
        _model(
            tmp_path,
            "business",
            "k",
            "SELECT id_number, name FROM ref('base.population')",
            SIDECAR + "unique_key: [id_number]\n",
        )


def test_a_granted_business_column_must_be_read_from_base(tmp_path: Path) -> None:
    from lakehub.pipelines.model_runner import check_grants

    granted = SIDECAR + "grants: [name]\n"
    from_base = _model(
        tmp_path,
        "business",
        "ok",
        "SELECT t.id_number, b.name FROM ref('theme.person_profile') t "
        "JOIN ref('base.population') b ON t.person_key = person_key(b.id_number)",
        granted,
    )
    check_grants(from_base)
    from_theme = _model(
        tmp_path, "business", "bad", "SELECT id_number, name FROM ref('theme.person_profile')", granted
    )
    with pytest.raises(
        ModelSpecError, match=r"granted column name comes from theme\.person_profile.*base tier"
    ):
        check_grants(from_theme)


def _two_tier_dag(root: Path) -> dict[str, ModelSpec]:
    """theme a → b → f → g → business r, d → f, b → business q; e, h, p read base only."""
    pop, ins = "ref('base.population')", "ref('base.social_insurance')"
    specs = [
        _model(root, "theme", "a", f"SELECT id_number, name FROM {pop}"),
        _model(root, "theme", "b", "SELECT id_number, name FROM ref('theme.a')"),
        _model(root, "theme", "d", f"SELECT id_number, name FROM {ins}"),
        _model(root, "theme", "e", f"SELECT id_number, name FROM {pop}"),
        _model(root, "theme", "f", "SELECT b.id_number, b.name FROM ref('theme.b') b JOIN ref('theme.d') d"),
        _model(root, "theme", "g", "SELECT id_number, name FROM ref('theme.f')"),
        _model(root, "theme", "h", f"SELECT id_number, name FROM {ins}"),
        _model(root, "business", "p", f"SELECT id_number, name FROM {pop}"),
        _model(root, "business", "q", "SELECT id_number, name FROM ref('theme.b')"),
        _model(root, "business", "r", "SELECT id_number, name FROM ref('theme.g')"),
    ]
    return {s.full_name: s for s in specs}


def _run_with_stand_ins(  # type: ignore[no-untyped-def]  # returns the runner's tier runs
    root: Path, models: dict[str, ModelSpec], parallelism: int, failing: frozenset[str] = frozenset()
):
    """The scheduler over two tiers, each model's build replaced by a 0.15 s stand-in: (tier runs, spans)."""
    import threading
    import time

    from lakehub.lineage.report import RecordingEmitter
    from lakehub.pipelines.jobs import open_catalog
    from lakehub.pipelines.model_results import ModelResult, ModelStatus
    from lakehub.pipelines.model_runner import ModelRunner

    config = make_config(root).model_copy(update={"model_parallelism": parallelism})
    spans: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()

    def stand_in(model, *, parent_run_id: str, parent_job: str):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        time.sleep(0.15)
        with lock:
            spans[model.full_name] = (began, time.perf_counter())
        assert parent_job == f"run.{model.tier}", "each model runs under its own tier's parent"
        failed = model.full_name in failing
        return ModelResult(
            model.full_name,
            model.tier,
            ModelStatus.FAILED if failed else ModelStatus.SUCCEEDED,
            parent_run_id,
        )

    def no_spark():  # type: ignore[no-untyped-def]
        raise AssertionError("the scheduler must not start Spark")

    runner = ModelRunner(config, open_catalog(config), no_spark, RecordingEmitter())
    runner.run_model = stand_in  # type: ignore[method-assign]
    return runner.run_tiers(models, topological_order(models)), spans


def test_heights_are_the_longest_chain_of_readers(tmp_path: Path) -> None:
    models = _two_tier_dag(tmp_path)
    height = heights(models, topological_order(models))
    assert height == {
        "theme.a": 4, "theme.b": 3, "theme.d": 3, "theme.f": 2, "theme.g": 1,
        "theme.e": 0, "theme.h": 0, "business.p": 0, "business.q": 0, "business.r": 0,
    }  # fmt: skip
    assert heights(models, ["theme.a", "theme.e"]) == {"theme.a": 0, "theme.e": 0}, "only models in the run"


def test_the_longest_chain_starts_first(tmp_path: Path) -> None:
    """One at a time, the ready model with the longest chain of readers goes first (ties: DAG order)."""
    (_theme, _business), spans = _run_with_stand_ins(tmp_path, _two_tier_dag(tmp_path), 1)
    started = sorted(spans, key=lambda n: spans[n][0])
    assert started[:5] == ["theme.a", "theme.b", "theme.d", "theme.f", "theme.g"], started
    assert set(started[5:]) == {"theme.e", "theme.h", "business.p", "business.q", "business.r"}


@pytest.mark.parametrize("parallelism", [1, 2, 3])
def test_models_run_side_by_side_only_after_what_they_read(tmp_path: Path, parallelism: int) -> None:
    """The scheduler over two tiers (no Spark: each model's build is replaced by a timed stand-in)."""
    from lakehub.pipelines.model_results import ModelStatus

    models = _two_tier_dag(tmp_path)
    order = topological_order(models)
    (theme, business), spans = _run_with_stand_ins(tmp_path, models, parallelism, frozenset({"theme.d"}))

    assert (theme.tier, business.tier) == ("theme", "business") and theme.run_id != business.run_id
    assert [r.model for r in theme.results + business.results] == [
        n for n in order if n.startswith("theme.")
    ] + [n for n in order if n.startswith("business.")], "results keep the DAG order, per tier"
    assert {r.run_id for r in theme.results if r.status is ModelStatus.SUCCEEDED} == {theme.run_id}
    status = {r.model: r.status for r in theme.results + business.results}
    assert status["theme.d"] is ModelStatus.FAILED
    skipped = {"theme.f", "theme.g", "business.r"}
    assert {n for n, s in status.items() if s is ModelStatus.SKIPPED} == skipped, "downstream of a failure"
    assert not skipped & set(spans), "a skipped model is never started"
    assert set(spans) == set(models) - skipped
    for name, (began, _) in spans.items():
        for ref in models[name].refs:
            if ref in spans:
                assert began >= spans[ref][1], f"{name} started before {ref} finished"
    events = sorted([(t, 1) for t, _ in spans.values()] + [(t, -1) for _, t in spans.values()])
    at_once = peak = 0
    for _, step in events:
        at_once += step
        peak = max(peak, at_once)
    assert peak == min(parallelism, 5), f"at most {parallelism} at once, and as many as the DAG allows"
    if parallelism > 1:
        theme_end = max(end for name, (_, end) in spans.items() if name.startswith("theme."))
        assert spans["business.p"][0] < theme_end, (
            "a business model reading only base overlaps the theme tier"
        )
