"""What a model run records: the table's catalog entry and version, and its lineage inputs and output."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lakehub.catalog import CatalogStore, ColumnSpec, DatasetNotFoundError, DatasetSpec
from lakehub.lineage.naming import dataset_name_for_location
from lakehub.lineage.report import ColumnInfo, DatasetIO, JobRun, ParentRun
from lakehub.pipelines.config import LakehubConfig
from lakehub.pipelines.model_code import python_column_lineage
from lakehub.pipelines.model_planning import Input
from lakehub.pipelines.model_protection import protection_note
from lakehub.pipelines.model_results import Written
from lakehub.pipelines.model_specs import ModelSpec
from lakehub.pipelines.validation import rule_outcomes
from lakehub.quality_rules.results import SuiteResult

log = logging.getLogger(__name__)


def model_location(config: LakehubConfig, name: str) -> str:
    """Delta location of a dataset ``tier.name``."""
    tier, _, table = name.partition(".")
    return config.table_path(tier, table)


def model_job(model: ModelSpec, run_id: str, parent_run_id: str, parent_job: str) -> JobRun:
    """The lineage job of one model run, under the tier run."""
    return JobRun(
        run_id=run_id,
        job_name=model.job_name,
        job_type="MODEL",
        parent=ParentRun(parent_run_id, parent_job),
        description=model.meta.description,
        owner=model.meta.owner,
        sql=model.render_sql() if model.kind == "sql" else None,
        source_code=model.code if model.kind == "python" else None,
        processing_engine_version=_pyspark_version(),
    )


def dataset_spec(config: LakehubConfig, model: ModelSpec, types: Mapping[str, str]) -> DatasetSpec:
    """What the catalog records about a model's table."""
    location = model_location(config, model.full_name)
    ol = dataset_name_for_location(location)
    masked = model.masked_columns()
    return DatasetSpec(
        name=model.full_name,
        title=model.meta.title,
        department=model.meta.owner,
        location=location,
        description=model.meta.description,
        business_key=model.meta.unique_key,
        sharing_class=model.meta.sharing_class,
        security_level=model.meta.security_level,
        ol_namespace=ol.namespace,
        ol_name=ol.name,
        columns=tuple(
            ColumnSpec(
                name=c.name,
                data_type=types.get(c.name, "string"),
                title=c.title,
                description=(c.description + protection_note(masked.get(c.name))).strip(),
                sensitivity=c.classification,
                security_level=c.security_level,
                nullable=c.name not in model.meta.unique_key,
                is_key=c.name in model.meta.unique_key,
            )
            for c in model.meta.columns
        ),
    )


def register_model_table(
    store: CatalogStore,
    config: LakehubConfig,
    model: ModelSpec,
    run_id: str,
    written: Written,
    types: Mapping[str, str],
) -> None:
    """Register (or refresh) the table in the catalog and record the commit as a version."""
    store.register_dataset(dataset_spec(config, model, types))
    if written.version is not None:
        store.record_version(
            model.full_name,
            version=written.version,
            run_id=run_id,
            operation=written.operation,
            row_count=written.row_count,
            rows_inserted=written.inserted,
            rows_updated=written.updated,
            rows_deleted=written.deleted,
        )


def input_io(store: CatalogStore, item: Input) -> DatasetIO:
    """A model input as lineage reports it (title and owner from the catalog when registered)."""
    tier = item.name.partition(".")[0]
    title: str | None = None
    owner: str | None = None
    try:
        record = store.get_dataset(item.name)
        title, owner = record.title, record.department
    except DatasetNotFoundError:
        log.debug("input %s is not in the catalog", item.name)
    return DatasetIO(
        name=item.name,
        location=item.location,
        title=title,
        tier=tier,
        version=str(item.version),
        owner=owner,
    )


def output_io(
    config: LakehubConfig,
    model: ModelSpec,
    written: Written,
    quality: SuiteResult | None,
    types: Mapping[str, str],
) -> DatasetIO:
    """The model's table as lineage reports it: columns, classification, version, rows, rule outcomes."""
    masked = model.masked_columns()
    return DatasetIO(
        name=model.full_name,
        location=model_location(config, model.full_name),
        title=model.meta.title,
        tier=model.tier,
        columns=tuple(
            ColumnInfo(
                name=c.name,
                type=types.get(c.name, "string"),
                description=f"{c.title}：{c.description}" if c.description else c.title,
                classification=c.classification,
            )
            for c in model.meta.columns
        ),
        version=str(written.version) if written.version is not None else None,
        row_count=written.row_count,
        owner=model.meta.owner,
        description=model.meta.description,
        column_lineage=python_column_lineage(model, masked) if model.kind == "python" else {},
        quality=rule_outcomes(quality),
        masked_columns=masked,
    )


def _pyspark_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyspark")
    except PackageNotFoundError:
        return None
