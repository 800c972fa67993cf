"""How a model is built (unchanged, full, incremental) and where a run's time goes, without Spark."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lakehub.pipelines.model_planning import Input, code_fingerprint, plan_build
from lakehub.pipelines.model_results import PhaseClock
from lakehub.pipelines.model_specs import ModelSpec, load_model

SIDECAR = """\
title: 测试模型
owner: 区数据管理局
description: 测试用模型
materialization: {materialization}
unique_key: [town]
change_keys:
  base.population: town
columns:
  - {{name: town, title: 乡镇}}
  - {{name: n, title: 人数}}
"""
SQL = (
    "SELECT p.town, COUNT(*) AS n FROM ref('base.population') p "
    "LEFT JOIN ref('base.housing') h ON h.town = p.town GROUP BY p.town"
)


def _model(tmp_path: Path, materialization: str = "incremental") -> ModelSpec:
    folder = tmp_path / "theme"
    folder.mkdir(exist_ok=True)
    (folder / "towns.sql").write_text(SQL, encoding="utf-8")
    (folder / "towns.yml").write_text(SIDECAR.format(materialization=materialization), encoding="utf-8")
    return load_model(folder / "towns.sql", "theme")


def _inputs(population: int, housing: int) -> list[Input]:
    return [Input("base.population", "/p", population), Input("base.housing", "/h", housing)]


def _plan(
    model: ModelSpec, inputs: list[Input], **overrides: object
) -> tuple[str | None, str, dict[str, tuple[int, int]]]:
    fingerprint = code_fingerprint(model)
    settings: dict[str, object] = {
        "full_refresh": False,
        "exists": True,
        "last": {"code": fingerprint, "input_versions": {"base.population": 3, "base.housing": 5}},
        "fingerprint": fingerprint,
    }
    settings.update(overrides)
    plan = plan_build(model, inputs, **settings)  # type: ignore[arg-type]  # keyword settings built above
    return plan.mode, plan.reason, dict(plan.changed)


def test_unchanged_inputs_build_nothing(tmp_path: Path) -> None:
    assert _plan(_model(tmp_path), _inputs(3, 5))[0] is None


def test_a_changed_input_with_a_change_key_is_read_from_the_version_after_the_last_run(
    tmp_path: Path,
) -> None:
    assert _plan(_model(tmp_path), _inputs(7, 5)) == (
        "incremental",
        "changed: base.population",
        {"base.population": (4, 7)},
    )


@pytest.mark.parametrize(
    ("inputs", "overrides", "reason"),
    [
        ((3, 5), {"full_refresh": True}, "full refresh requested"),
        ((3, 5), {"exists": False}, "first build"),
        ((3, 5), {"last": None}, "no previous run recorded"),
        ((3, 5), {"fingerprint": "other"}, "model code or sidecar changed"),
        ((3, 6), {}, "base.housing changed and has no change key"),
        ((2, 5), {}, "base.population was replaced since the last run"),
    ],
)
def test_anything_unsafe_for_an_incremental_run_rebuilds_in_full_and_says_why(
    tmp_path: Path, inputs: tuple[int, int], overrides: dict[str, object], reason: str
) -> None:
    assert _plan(_model(tmp_path), _inputs(*inputs), **overrides)[:2] == ("full", reason)


def test_a_full_model_is_rebuilt_when_any_input_changed(tmp_path: Path) -> None:
    model = _model(tmp_path, "full")
    assert _plan(model, _inputs(4, 5))[:2] == ("full", "changed: base.population")


def test_phase_clock_counts_a_nested_phase_only_once() -> None:
    clock = PhaseClock()
    with clock("write"):
        time.sleep(0.02)
        with clock("version"):
            time.sleep(0.05)
    with clock("write"):
        time.sleep(0.01)
    assert clock.seconds["version"] >= 0.05
    # Counted once, "write" is about 0.03 s; counting the nested 0.05 s in it too would make it 0.08 s.
    assert 0.03 <= clock.seconds["write"] < clock.seconds["version"] + 0.02
