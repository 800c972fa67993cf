"""Exports of approved sharing requests: Delta read with delta-rs (no JVM), masking, formats, audit entries."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from lakehub.catalog import CatalogStore, ShareRefusedError
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.errors import ShareExportError
from lakehub.pipelines.sharing import export_share
from tests.helpers import ID_FEMALE_1990, ID_MALE_1985
from tests.quality_helpers import register_base
from tests.sharing_helpers import population_delta

MASKED_MALE = ID_MALE_1985[:6] + "********" + ID_MALE_1985[-4:]


@pytest.fixture
def approved(lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path) -> int:
    """An approved request for id_number, name, phone and town of a two-row base.population."""
    population_delta(catalog_store, tmp_path)
    request = catalog_store.request_share(
        "base.population",
        department="区民政局",
        purpose="低保资格比对",
        requested_by="wang",
        columns=("id_number", "name", "phone", "town"),
    )
    catalog_store.decide_share(request.id, approve=True, decided_by="zhao", grant=("name",))
    return request.id


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_export_masks_sensitive_columns_not_granted_and_logs_rows_and_sha256(
    lakehub_config: LakehubConfig, catalog_store: CatalogStore, approved: int, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "共享.csv"
    written = export_share(lakehub_config, approved, out, actor="wang")
    rows = _csv_rows(out)
    assert list(rows[0]) == ["id_number", "name", "phone", "town"], "only the requested columns leave"
    assert [r["id_number"] for r in rows] == [
        MASKED_MALE,
        ID_FEMALE_1990[:6] + "********" + ID_FEMALE_1990[-4:],
    ]
    assert [r["name"] for r in rows] == ["张三丰", "李四"], "granted in clear"
    assert [r["phone"] for r in rows] == ["138****8000", ""]
    assert ID_MALE_1985 not in out.read_text(encoding="utf-8-sig")
    assert written.masked_columns == ("id_number", "phone") and written.unmasked_sensitive_columns == (
        "name",
    )
    [entry] = catalog_store.audit_log(action="export")
    assert entry.seq == written.audit_seq and entry.request_id == approved
    assert entry.details["row_count"] == 2 == written.row_count
    assert entry.details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == written.sha256
    assert entry.details["sharing_class"] == "有条件共享" and entry.details["delta_version"] == 0
    assert entry.details["unmasked_sensitive_columns"] == ["name"]
    request = catalog_store.get_share_request(approved)
    assert request.exports == 1 and request.resolved_at == entry.recorded_at
    assert catalog_store.verify_audit().passed


def test_xlsx_and_parquet_exports_carry_the_same_masked_values(
    lakehub_config: LakehubConfig, approved: int, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    export_share(lakehub_config, approved, tmp_path / "a.xlsx", actor="wang")
    export_share(lakehub_config, approved, tmp_path / "a.parquet", actor="wang")
    book = load_workbook(tmp_path / "a.xlsx", read_only=True)
    data = [list(r) for r in book["共享数据"].iter_rows(values_only=True)]
    assert data[0] == ["id_number", "name", "phone", "town"] and data[1] == [
        MASKED_MALE,
        "张三丰",
        "138****8000",
        "新合镇",
    ]
    notes = {r[0]: r for r in book["说明"].iter_rows(values_only=True) if r and r[0]}
    assert (
        notes["共享申请编号"][1] == approved
        and notes["id_number"][2] == "是"
        and notes["name"][2] in ("", None)
    )
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column("id_number").to_pylist()[0] == MASKED_MALE
    assert table.schema.metadata[b"lakehub.masked_columns"] == b"id_number,phone"


def test_export_without_grant_masks_every_sensitive_column(
    lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    population_delta(catalog_store, tmp_path)
    request = catalog_store.request_share(
        "base.population", department="区民政局", purpose="核对", requested_by="wang"
    )
    catalog_store.decide_share(request.id, approve=True, decided_by="zhao")
    written = export_share(lakehub_config, request.id, tmp_path / "all.csv", actor="wang")
    rows = _csv_rows(tmp_path / "all.csv")
    assert written.masked_columns == ("id_number", "name", "phone")
    assert [r["name"] for r in rows] == ["张*", "李*"] and "_source_row" not in rows[0]


def test_negative_list_data_never_leaves_even_when_approved_before(
    lakehub_config: LakehubConfig, catalog_store: CatalogStore, approved: int, tmp_path: Path
) -> None:
    location = catalog_store.get_dataset("base.population").location
    register_base(catalog_store, "population", location=location, sharing_class="不予共享")
    out = tmp_path / "leak.csv"
    with pytest.raises(ShareRefusedError, match="不予共享 \\(negative list\\): it cannot be exported"):
        export_share(lakehub_config, approved, out, actor="wang")
    assert not out.exists() and not list(tmp_path.glob(".leak*"))
    assert [e.action for e in catalog_store.audit_log()][-1] == "export_refused"
    assert catalog_store.audit_log(action="export") == []


def test_unapproved_request_is_refused_with_the_approve_command(
    lakehub_config: LakehubConfig, catalog_store: CatalogStore, tmp_path: Path
) -> None:
    population_delta(catalog_store, tmp_path)
    request = catalog_store.request_share(
        "base.population", department="区民政局", purpose="核对", requested_by="w"
    )
    with pytest.raises(ShareRefusedError, match=f"lakehub share approve {request.id}"):
        export_share(lakehub_config, request.id, tmp_path / "x.csv", actor="wang")
    assert not (tmp_path / "x.csv").exists()


def test_unsupported_file_type_and_missing_table_name_the_fix(
    lakehub_config: LakehubConfig, catalog_store: CatalogStore, approved: int, tmp_path: Path
) -> None:
    with pytest.raises(ShareExportError, match=r"Valid extensions: .csv, .xlsx, .parquet"):
        export_share(lakehub_config, approved, tmp_path / "x.json", actor="wang")
    register_base(catalog_store, "housing", location=str(tmp_path / "nowhere"))
    request = catalog_store.request_share(
        "base.housing", department="区民政局", purpose="核对", requested_by="w"
    )
    catalog_store.decide_share(request.id, approve=True, decided_by="zhao")
    with pytest.raises(ShareExportError, match=r"no Delta table for base\.housing.*lakehub run"):
        export_share(lakehub_config, request.id, tmp_path / "h.csv", actor="wang")
    assert catalog_store.audit_log(action="export") == []


def test_export_reads_delta_without_importing_pyspark(
    lakehub_config: LakehubConfig, approved: int, tmp_path: Path
) -> None:
    code = (
        "import sys, json; from pathlib import Path; from lakehub.pipelines.config import LakehubConfig; "
        "from lakehub.pipelines.sharing import export_share; "
        "c = LakehubConfig.model_validate_json(sys.argv[1]); "
        "export_share(c, int(sys.argv[2]), Path(sys.argv[3]), actor='wang'); "
        "assert 'pyspark' not in sys.modules and 'delta' not in sys.modules"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            lakehub_config.model_dump_json(),
            str(approved),
            str(tmp_path / "p.csv"),
        ],
        check=True,
    )
    assert (tmp_path / "p.csv").is_file()
