"""Build OpenLineage run events (openlineage-python) from the neutral job reports of lineage.report.

Only names, types, counts, versions, descriptions and code go into an event: never row values.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    set_producer,
)
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    column_lineage_dataset,
    data_quality_assertions_dataset,
    data_quality_metrics_dataset,
    data_quality_metrics_input_dataset,
    dataset_version_dataset,
    documentation_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    ownership_dataset,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    source_code_job,
    sql_job,
    storage_dataset,
    symlinks_dataset,
    tags_dataset,
)
from openlineage.client.serde import Serde

from .column_lineage import derive_sql_lineage
from .naming import DatasetName, dataset_name_for_location, dataset_name_for_table
from .report import DatasetIO, FieldSource, JobRun, RuleOutcome

log = logging.getLogger(__name__)

PRODUCER = "https://github.com/lakehub/lakehub/tree/v0.1.0"
"""URI identifying lakehub as the producer of its events (OpenLineage BaseEvent.producer)."""
DEFAULT_NAMESPACE = "lakehub://360404"
"""Job namespace when none is configured: the county's GB/T 2260 code (九江市柴桑区)."""
SYMLINK_TYPE = "TABLE"
"""Symlink identifier type carrying a dataset's short name ``tier.name``."""
INTEGRATION = "LAKEHUB"
NULL_EXPECTATION = "expect_column_values_to_not_be_null"

EventType = Literal["START", "COMPLETE", "FAIL"]

set_producer(PRODUCER)


def _engine_version(run: JobRun) -> str:
    if run.processing_engine_version:
        return run.processing_engine_version
    package = "pyspark" if run.processing_engine == "spark" else run.processing_engine
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _owner(department: str) -> str:
    """OpenLineage owner names are ``kind:name`` (e.g. team:data); departments are teams."""
    return f"department:{department}"


class EventBuilder:
    """Turns JobRun/DatasetIO values into OpenLineage RunEvents for one job namespace."""

    def __init__(self, namespace: str = DEFAULT_NAMESPACE) -> None:
        self.namespace = namespace

    def dataset_name(self, io: DatasetIO) -> DatasetName:
        """The OpenLineage name of a dataset, from its location."""
        return dataset_name_for_location(io.location)

    def build(
        self,
        event_type: EventType,
        run: JobRun,
        inputs: Sequence[DatasetIO] = (),
        outputs: Sequence[DatasetIO] = (),
        *,
        error: str | None = None,
        event_time: datetime | None = None,
    ) -> RunEvent:
        """One START, COMPLETE or FAIL event of ``run``."""
        when = (event_time or datetime.now(UTC)).astimezone(UTC)
        names = {io.name: self.dataset_name(io) for io in (*inputs, *outputs)}
        return RunEvent(
            eventType=RunState[event_type],
            eventTime=when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            run=Run(runId=run.run_id, facets=self._run_facets(run, error)),
            job=Job(namespace=self.namespace, name=run.job_name, facets=self._job_facets(run)),
            inputs=[self._input(io) for io in inputs],
            outputs=[self._output(io, run, inputs, names) for io in outputs] if event_type != "START" else [],
        )

    def _run_facets(self, run: JobRun, error: str | None) -> dict[str, RunFacet]:
        facets: dict[str, RunFacet] = {
            "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                version=_engine_version(run),
                name=run.processing_engine,
                openlineageAdapterVersion=importlib.metadata.version("openlineage-python"),
            )
        }
        if run.parent is not None:
            facets["parent"] = parent_run.ParentRunFacet(
                run=parent_run.Run(runId=run.parent.run_id),
                job=parent_run.Job(namespace=self.namespace, name=run.parent.job_name),
                root=parent_run.Root(
                    run=parent_run.RootRun(runId=run.parent.run_id),
                    job=parent_run.RootJob(namespace=self.namespace, name=run.parent.job_name),
                ),
            )
        if error is not None:
            facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=error, programmingLanguage="PYTHON"
            )
        return facets

    def _job_facets(self, run: JobRun) -> dict[str, JobFacet]:
        facets: dict[str, JobFacet] = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration=INTEGRATION, jobType=run.job_type
            )
        }
        if run.description:
            facets["documentation"] = documentation_job.DocumentationJobFacet(description=run.description)
        if run.owner:
            facets["ownership"] = ownership_job.OwnershipJobFacet(
                owners=[ownership_job.Owner(name=_owner(run.owner), type="DEPARTMENT")]
            )
        if run.sql:
            facets["sql"] = sql_job.SQLJobFacet(query=run.sql, dialect="spark")
        if run.source_code:
            facets["sourceCode"] = source_code_job.SourceCodeJobFacet(
                language="python", sourceCode=run.source_code
            )
        return facets

    def _dataset_facets(self, io: DatasetIO) -> dict[str, DatasetFacet]:
        facets: dict[str, DatasetFacet] = {
            "symlinks": symlinks_dataset.SymlinksDatasetFacet(
                identifiers=[
                    symlinks_dataset.Identifier(namespace=self.namespace, name=io.name, type=SYMLINK_TYPE)
                ]
            )
        }
        if io.columns:
            facets["schema"] = schema_dataset.SchemaDatasetFacet(
                fields=[
                    schema_dataset.SchemaDatasetFacetFields(
                        name=c.name, type=c.type, description=c.description, ordinal_position=i + 1
                    )
                    for i, c in enumerate(io.columns)
                ]
            )
        description = " — ".join(part for part in (io.title, io.description) if part)
        if description:
            facets["documentation"] = documentation_dataset.DocumentationDatasetFacet(description=description)
        if io.owner:
            facets["ownership"] = ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name=_owner(io.owner), type="DEPARTMENT")]
            )
        if io.version is not None:
            facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=str(io.version)
            )
        if io.storage_format:
            facets["storage"] = storage_dataset.StorageDatasetFacet(
                storageLayer=io.storage_format,
                fileFormat="parquet" if io.storage_format == "delta" else io.storage_format,
            )
        tags = [tags_dataset.TagsDatasetFacetFields(key="tier", value=io.tier or io.name.partition(".")[0])]
        if io.title:
            tags.append(tags_dataset.TagsDatasetFacetFields(key="title", value=io.title, source="lakehub"))
        tags.extend(
            tags_dataset.TagsDatasetFacetFields(
                key="classification", value=c.classification, source="lakehub", field=c.name
            )
            for c in io.columns
            if c.classification
        )
        facets["tags"] = tags_dataset.TagsDatasetFacet(tags=tags)
        return facets

    def _input(self, io: DatasetIO) -> InputDataset:
        name = self.dataset_name(io)
        input_facets: dict[str, InputDatasetFacet] = {}
        if io.quality:
            input_facets["dataQualityAssertions"] = _assertions(io.quality)
            input_facets["dataQualityMetrics"] = (
                data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
                    rowCount=io.row_count,
                    bytes=io.byte_count,
                    columnMetrics={
                        column: data_quality_metrics_input_dataset.ColumnMetrics(nullCount=count)
                        for column, count in _null_counts(io).items()
                    },
                )
            )
        return InputDataset(
            namespace=name.namespace,
            name=name.name,
            facets=self._dataset_facets(io),
            inputFacets=input_facets,
        )

    def _output(
        self, io: DatasetIO, run: JobRun, inputs: Sequence[DatasetIO], names: Mapping[str, DatasetName]
    ) -> OutputDataset:
        name = self.dataset_name(io)
        facets = self._dataset_facets(io)
        lineage = _flag_masking(
            dict(io.column_lineage)
            or (derive_sql_lineage(run.sql, [i.name for i in inputs]) if run.sql else {}),
            io.masked_columns,
        )
        if lineage:
            facets["columnLineage"] = _column_lineage(lineage, names, self.namespace)
        if io.quality:
            # The spec types assertions as an input facet; on an output they describe what the job wrote.
            facets["dataQualityAssertions"] = _assertions(io.quality)  # type: ignore[assignment]  # see above
        if io.row_count is not None or io.quality:
            facets["dataQualityMetrics"] = data_quality_metrics_dataset.DataQualityMetricsDatasetFacet(
                rowCount=io.row_count,
                columnMetrics={
                    column: data_quality_metrics_dataset.ColumnMetrics(nullCount=count)
                    for column, count in _null_counts(io).items()
                },
            )
        output_facets: dict[str, OutputDatasetFacet] = {}
        written = io.rows_written if io.rows_written is not None else io.row_count
        if written is not None or io.byte_count is not None:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=written, size=io.byte_count
                )
            )
        return OutputDataset(
            namespace=name.namespace, name=name.name, facets=facets, outputFacets=output_facets
        )


def _null_counts(io: DatasetIO) -> dict[str, int]:
    """Null counts per column where a not-null rule measured them."""
    counts = dict(io.null_counts)
    for outcome in io.quality:
        if (
            outcome.expectation == NULL_EXPECTATION
            and outcome.column
            and outcome.unexpected_count is not None
        ):
            counts.setdefault(outcome.column, outcome.unexpected_count)
    return counts


def _assertions(
    outcomes: Sequence[RuleOutcome],
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=o.expectation,
                success=o.success,
                column=o.column,
                severity=o.severity,
                name=o.name,
                description=o.dimension,
                expected=None if o.element_count is None else "0 unexpected",
                actual=None
                if o.unexpected_count is None
                else f"{o.unexpected_count} unexpected of {o.element_count}",
            )
            for o in outcomes
        ]
    )


def _field_dataset(source: FieldSource, names: Mapping[str, DatasetName], namespace: str) -> DatasetName:
    """OpenLineage name of the dataset a field comes from (known I/O, a location, or a symlink name)."""
    if source.dataset in names:
        return names[source.dataset]
    if "/" in source.dataset or "://" in source.dataset:
        return dataset_name_for_location(source.dataset)
    log.debug("column source %s is not among the job's datasets; naming it in %s", source.dataset, namespace)
    return dataset_name_for_table(namespace, source.dataset)


def _flag_masking(
    lineage: Mapping[str, tuple[FieldSource, ...]], masked: Mapping[str, str]
) -> dict[str, tuple[FieldSource, ...]]:
    """Mark the sources of masked or pseudonymised output columns (``masking`` true, a TRANSFORMATION)."""
    flagged: dict[str, tuple[FieldSource, ...]] = {}
    for column, sources in lineage.items():
        how = masked.get(column)
        if how is None:
            flagged[column] = sources
            continue
        note = "keyed pseudonym (HMAC-SHA256)" if how == "pseudonym" else f"masked as {how}"
        flagged[column] = tuple(
            replace(
                source,
                masking=True,
                subtype="TRANSFORMATION" if source.subtype == "IDENTITY" else source.subtype,
                description=f"{source.description}; {note}" if source.description else note,
            )
            if source.transformation == "DIRECT"
            else source
            for source in sources
        )
    return flagged


def _column_lineage(
    lineage: Mapping[str, tuple[FieldSource, ...]], names: Mapping[str, DatasetName], namespace: str
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    fields: dict[str, column_lineage_dataset.Fields] = {}
    for column, sources in lineage.items():
        input_fields = []
        for source in sources:
            dataset = _field_dataset(source, names, namespace)
            input_fields.append(
                column_lineage_dataset.InputField(
                    namespace=dataset.namespace,
                    name=dataset.name,
                    field=source.column,
                    transformations=[
                        column_lineage_dataset.Transformation(
                            type=source.transformation,
                            subtype=source.subtype,
                            description=source.description,
                            masking=source.masking,
                        )
                    ],
                )
            )
        fields[column] = column_lineage_dataset.Fields(inputFields=input_fields)
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)


def event_to_dict(event: RunEvent) -> dict[str, Any]:
    """The event as a JSON-ready dict (None values dropped, as the OpenLineage client sends it)."""
    data: dict[str, Any] = Serde.to_dict(event)
    return data


def event_to_json(event: RunEvent | Mapping[str, Any]) -> str:
    """One compact JSON line of the event."""
    import json

    data = event if isinstance(event, Mapping) else event_to_dict(event)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
