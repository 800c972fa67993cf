"""The built-in suites catch exactly the generator's single-source defects (precision and recall 100%)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehub.pipelines.sources import load_sources
from lakehub.quality_rules import load_builtin_suite
from lakehub.sample_data import Manifest, generate_sample

pytestmark = pytest.mark.spark

SCALE, SEED = 200, 7
LONLAT = frozenset({"lonlat_swapped", "lonlat_outside_county"})
# (source, rule id) → defect kinds whose rows, and only those, the rule must flag.
TARGETS: dict[tuple[str, str], frozenset[str]] = {
    ("population", "expect_column_values_to_be_valid_cn_resident_id:id_number"): frozenset(
        {"id_check_digit"}
    ),
    ("population", "expect_column_pair_values_to_match_cn_resident_id_gender:id_number,gender"): frozenset(
        {"gender_mismatch"}
    ),
    (
        "population",
        "expect_column_pair_values_to_match_cn_resident_id_birth_date:id_number,birth_date",
    ): frozenset({"birth_date_mismatch"}),
    ("social_insurance", "expect_column_values_to_be_valid_cn_resident_id:id_number"): frozenset(
        {"id_check_digit"}
    ),
    ("social_insurance", "expect_column_values_to_not_be_null:monthly_base"): frozenset({"sentinel_value"}),
    ("market_entity", "expect_column_values_to_be_valid_cn_uscc:uscc"): frozenset({"uscc_check_char"}),
    (
        "market_entity",
        "expect_column_pair_values_A_to_be_greater_than_B:deregistered_date,established_date",
    ): frozenset({"closed_before_created"}),
    ("grid_event", "expect_column_pair_values_A_to_be_greater_than_B:closed_at,created_at"): frozenset(
        {"closed_before_created"}
    ),
    ("grid_event", "expect_column_pair_values_to_be_in_bbox:lon,lat"): LONLAT,
    ("housing", "expect_column_pair_values_to_be_in_bbox:lon,lat"): LONLAT,
    ("housing", "expect_column_values_to_not_be_null:area_sqm"): frozenset({"sentinel_value"}),
    ("hazard_enterprise", "expect_column_pair_values_to_be_in_bbox:lon,lat"): LONLAT,
    ("hazard_enterprise", "expect_column_values_to_not_be_null:open_hazards"): frozenset({"sentinel_value"}),
    ("agri_operator", "expect_column_pair_values_to_be_in_bbox:lon,lat"): LONLAT,
    ("agri_operator", "expect_column_values_to_not_be_null:farmland_mu"): frozenset({"sentinel_value"}),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    folder = tmp_path_factory.mktemp("quality_sample")
    return folder, generate_sample(folder, scale=SCALE, seed=SEED)


def _flagged_rows(spark: Any, folder: Path, manifest: Manifest, source: str) -> dict[str, set[int]]:
    """Rule id → manifest rows (1-based data rows) the source's built-in suite flags."""
    from pyspark.sql import functions as F

    from lakehub.pipelines.classify import read_staged, standardise_rows
    from lakehub.pipelines.intake import stage_file
    from lakehub.quality_rules.engine_spark import FAILURES, annotate

    spec = load_sources()[source]
    staged = stage_file(folder / manifest.sources[source].file, spec, folder / "staged" / f"{source}.txt")
    rows = standardise_rows(read_staged(spark, staged, spec), spec)
    flagged: dict[str, set[int]] = {}
    for row in annotate(rows, load_builtin_suite(source)).where(F.size(FAILURES) > 0).collect():
        for rule_id in row[FAILURES]:
            flagged.setdefault(rule_id, set()).add(int(row["_row"]))
    return flagged


def _defect_rows(manifest: Manifest, source: str, kinds: frozenset[str]) -> set[int]:
    return {d.row for d in manifest.defects if d.source == source and d.kind in kinds}


def test_population_suite_flags_exactly_the_id_gender_and_birth_date_defects(
    spark: Any, sample: tuple[Path, Manifest]
) -> None:
    folder, manifest = sample
    flagged = _flagged_rows(spark, folder, manifest, "population")
    for (source, rule_id), kinds in TARGETS.items():
        if source == "population":
            expected = _defect_rows(manifest, source, kinds)
            assert expected, f"the sample has no {sorted(kinds)} defects"
            assert flagged.get(rule_id, set()) == expected, rule_id


def test_every_suite_flags_exactly_the_single_source_defects_it_targets(
    spark: Any, sample: tuple[Path, Manifest]
) -> None:
    folder, manifest = sample
    sources = sorted({source for source, _ in TARGETS} - {"population"})
    flagged = {source: _flagged_rows(spark, folder, manifest, source) for source in sources}
    for (source, rule_id), kinds in TARGETS.items():
        if source in flagged:
            expected = _defect_rows(manifest, source, kinds)
            assert expected, f"{source}: the sample has no {sorted(kinds)} defects"
            assert flagged[source].get(rule_id, set()) == expected, (source, rule_id)
