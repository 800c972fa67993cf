"""Register what landing writes (raw, base, quarantine tables) in the catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehub.catalog import CatalogStore, DatasetSpec
from lakehub.catalog import ColumnSpec as CatalogColumn
from lakehub.lineage.naming import dataset_name_for_location
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.sources import SourceSpec

if TYPE_CHECKING:
    from lakehub.pipelines.delta_io import WriteOutcome

BASE_META_COLUMNS = (
    CatalogColumn(
        name="_row_hash",
        data_type="bigint",
        title="行内容哈希",
        description="xxhash64 of the standardised values",
    ),
    CatalogColumn(name="_source_file", data_type="string", title="来源文件"),
    CatalogColumn(name="_source_row", data_type="bigint", title="来源行号"),
    CatalogColumn(name="_run_id", data_type="string", title="入库批次"),
    CatalogColumn(name="_landed_at", data_type="timestamp", title="入库时间"),
)
QUARANTINE_META_COLUMNS = (
    CatalogColumn(name="_reasons", data_type="array<string>", title="问题原因代码"),
    CatalogColumn(name="_disposition", data_type="string", title="处置（quarantined/rejected）"),
    CatalogColumn(name="_raw_record", data_type="string", title="无法解析的原始记录"),
    CatalogColumn(name="_source_file", data_type="string", title="来源文件"),
    CatalogColumn(name="_source_sha256", data_type="string", title="来源文件哈希"),
    CatalogColumn(name="_source_row", data_type="bigint", title="来源行号"),
    CatalogColumn(name="_run_id", data_type="string", title="入库批次"),
    CatalogColumn(name="_quarantined_at", data_type="timestamp", title="隔离时间"),
)


def _spec_for(
    config: LakehubConfig, spec: SourceSpec, tier: str, *, typed: bool, title: str, description: str
) -> DatasetSpec:
    location = config.table_path(tier, spec.table_name if tier != "raw" else spec.id)
    ol = dataset_name_for_location(location)
    columns = tuple(
        CatalogColumn(
            name=c.name,
            data_type=c.spark_type if typed else "string",
            title=c.title,
            description=c.description or "",
            sensitivity=c.sensitivity,
            security_level=c.security_level or spec.security_level,
            nullable=not (c.required or c.name in spec.business_key) or not typed,
            is_key=c.name in spec.business_key,
        )
        for c in spec.columns
    )
    extra = {"base": BASE_META_COLUMNS, "quarantine": QUARANTINE_META_COLUMNS}.get(tier, ())
    return DatasetSpec(
        name=f"{tier}.{spec.table_name if tier != 'raw' else spec.id}",
        title=title,
        department=spec.department,
        location=location,
        description=description,
        storage_format="delta" if tier != "raw" else spec.format,
        source_id=spec.id,
        business_key=spec.business_key,
        sharing_class=spec.sharing_class if tier == "base" else "不予共享",
        security_level=spec.security_level,
        base_library=spec.base_library if tier == "base" else None,
        freshness_sla_hours=spec.freshness_sla_days * 24 if tier == "base" else None,
        ol_namespace=ol.namespace,
        ol_name=ol.name,
        columns=columns + extra,
    )


def register_source_tables(
    config: LakehubConfig,
    store: CatalogStore,
    spec: SourceSpec,
    *,
    run_id: str,
    base: WriteOutcome,
    quarantine: WriteOutcome,
) -> None:
    """Upsert raw/base/quarantine datasets and record the Delta versions this run committed."""
    store.register_dataset(
        _spec_for(
            config,
            spec,
            "raw",
            typed=False,
            title=f"{spec.title}（原始文件）",
            description=f"{spec.department}报送的原始文件，按内容哈希不可变保存。",
        )
    )
    store.register_dataset(
        _spec_for(config, spec, "base", typed=True, title=spec.title, description=spec.description)
    )
    store.register_dataset(
        _spec_for(
            config,
            spec,
            "quarantine",
            typed=False,
            title=f"{spec.title}（隔离区）",
            description=f"{spec.title}中未通过入库校验的行，附原因代码，供{spec.department}整改。",
        )
    )
    for tier, outcome in (("base", base), ("quarantine", quarantine)):
        if outcome.version is not None:
            store.record_version(
                f"{tier}.{spec.table_name}",
                version=outcome.version,
                run_id=run_id,
                operation=outcome.operation or "NONE",
                row_count=outcome.row_count,
                rows_inserted=outcome.inserted,
                rows_updated=outcome.updated,
            )
