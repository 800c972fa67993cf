"""`lakehub quality check FILE --suite S` validates a delivery without landing it; --json keeps the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lakehub.catalog import CatalogStore, ValidationSubject
from lakehub.cli.quality import app
from lakehub.quality_rules import SuiteNotFoundError
from lakehub.sample_data import generate_sample

CONTRACT_KEYS = {"expectation", "column", "success", "element_count", "unexpected_count"}


@pytest.mark.spark
def test_quality_check_json_lists_every_rule_with_the_contract_keys(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = generate_sample(tmp_path / "sample", scale=100, seed=3, sources=["population"])
    delivery = tmp_path / "sample" / manifest.sources["population"].file
    result = CliRunner().invoke(app, ["check", str(delivery), "--suite", "population", "--json"])
    assert result.exit_code == 1, result.output  # the sample carries wrong check digits: an error rule fails
    rules = json.loads(result.stdout)
    assert len(rules) == 12 and all(set(r) >= CONTRACT_KEYS for r in rules)
    by_id = {r["rule_id"]: r for r in rules}
    ids = by_id["expect_column_values_to_be_valid_cn_resident_id:id_number"]
    assert ids["column"] == "id_number" and ids["element_count"] == 100 and not ids["success"]
    wrong = sum(1 for d in manifest.defects if d.kind == "id_check_digit")
    assert ids["unexpected_count"] == wrong and all("********" in s for s in ids["sample_unexpected"])
    assert not (tmp_path / "lakehouse" / "base").exists(), "checking a file lands nothing"
    assert not (tmp_path / "lakehouse" / "quarantine").exists()
    with CatalogStore.open(f"sqlite:///{tmp_path / 'lakehouse' / '_catalog.db'}") as store:
        (stored,) = store.latest_validations(subject=ValidationSubject.FILE)
    assert stored.dataset == str(delivery.resolve()) and stored.input_sha256 and stored.outcome == "failed"
    assert stored.department == "区公安分局" and len(stored.rules) == 12


def test_quality_check_with_an_unknown_suite_fails_before_reading_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(tmp_path / "x.csv"), "--suite", "populaton"])
    assert result.exit_code != 0 and isinstance(result.exception, SuiteNotFoundError)
    assert "Did you mean 'population'" in str(result.exception)
