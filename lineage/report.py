"""What a data job tells lineage about itself: plain values, no OpenLineage classes, no I/O.

Pipelines (landing, quality runs, models, exports) describe each run with these values and hand them
to a ``LineageEmitter``; ``lineage/`` turns them into OpenLineage events and sends them to the
configured transports. Keeping the description neutral means pipelines never know how lineage is
stored, and the emitter can be a recorder in tests.

Never put row values in these objects: names, types, counts, versions and descriptions only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

JobType = Literal["INGEST", "MODEL", "QUALITY", "EXPORT", "PIPELINE"]
"""What kind of lakehub job ran (OpenLineage JobTypeJobFacet.jobType)."""

TransformationType = Literal["DIRECT", "INDIRECT"]
"""OpenLineage column-lineage transformation type."""


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A column of a dataset as the job saw it."""

    name: str
    type: str
    description: str | None = None
    classification: str | None = None
    """Sensitivity class from the source spec or model (e.g. 'resident_id', 'phone', 'name')."""


@dataclass(frozen=True, slots=True)
class FieldSource:
    """One input field an output column is computed from."""

    dataset: str
    """Short name ``tier.name`` (e.g. ``base.population``) or a file location for raw inputs."""
    column: str
    transformation: TransformationType = "DIRECT"
    subtype: str = "IDENTITY"
    """OpenLineage subtype: IDENTITY, TRANSFORMATION, AGGREGATION, JOIN, FILTER, GROUP_BY, ..."""
    description: str | None = None
    masking: bool = False
    """True when the output column is a masked form of this input."""


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One data-quality rule's verdict on a dataset (no sample values)."""

    expectation: str
    column: str | None
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    severity: str | None = None
    dimension: str | None = None
    name: str | None = None
    """Where the check came from (`landing`, `<suite>/<rule id>`, or both joined by ' + '): the assertion's name."""


@dataclass(frozen=True, slots=True)
class DatasetIO:
    """A dataset a job read or wrote."""

    name: str
    """Short name ``tier.name`` (``raw.population``, ``base.population``, ``theme.person_profile``)."""
    location: str
    """Physical location (local path or URI); the OpenLineage name comes from lineage.naming."""
    title: str | None = None
    """Chinese title shown in the asset map (e.g. 户籍人口)."""
    tier: str | None = None
    columns: tuple[ColumnInfo, ...] = ()
    version: str | None = None
    """Delta table version after the write (outputs) or as read (inputs)."""
    row_count: int | None = None
    byte_count: int | None = None
    owner: str | None = None
    """Owning department (e.g. 公安局)."""
    description: str | None = None
    column_lineage: Mapping[str, tuple[FieldSource, ...]] = field(default_factory=dict)
    """Output column → the input fields it comes from (outputs only)."""
    quality: tuple[RuleOutcome, ...] = ()
    storage_format: str | None = "delta"
    null_counts: Mapping[str, int] = field(default_factory=dict)
    """Nulls per column, where the job measured them (DataQualityMetrics facet)."""
    rows_written: int | None = None
    """Rows this run wrote (OutputStatistics facet); ``row_count`` is the table's size after it."""
    masked_columns: Mapping[str, str] = field(default_factory=dict)
    """Output column → how it was protected on the way out (``resident_id``/``phone``/``name``/``address``
    masking or ``pseudonym``); its column lineage is flagged ``masking`` (outputs only)."""


@dataclass(frozen=True, slots=True)
class ParentRun:
    """The run that started this one (``lakehub run`` / ``lakehub demo``)."""

    run_id: str
    job_name: str


@dataclass(frozen=True, slots=True)
class JobRun:
    """Identity and static description of one job run; START, COMPLETE and FAIL share it."""

    run_id: str
    """UUID shared by every event of this run (the catalog's run id)."""
    job_name: str
    """e.g. ``ingest.population``, ``model.theme.person_profile``, ``quality.base.population``, ``run.all``."""
    job_type: JobType
    parent: ParentRun | None = None
    description: str | None = None
    owner: str | None = None
    sql: str | None = None
    """Spark SQL of a SQL model (column lineage is derived from it with openlineage-sql)."""
    source_code: str | None = None
    """Python source of a Python model."""
    processing_engine: str = "spark"
    processing_engine_version: str | None = None


class LineageEmitter(Protocol):
    """Receives a job's lifecycle. Implementations must never raise into the data job."""

    def start(self, run: JobRun, inputs: Sequence[DatasetIO] = ()) -> None:
        """The job started reading ``inputs``."""

    def complete(self, run: JobRun, inputs: Sequence[DatasetIO], outputs: Sequence[DatasetIO]) -> None:
        """The job finished and wrote ``outputs``."""

    def fail(
        self,
        run: JobRun,
        error: str,
        inputs: Sequence[DatasetIO] = (),
        outputs: Sequence[DatasetIO] = (),
    ) -> None:
        """The job failed with ``error`` (a message free of row values)."""


@dataclass(slots=True)
class RecordingEmitter:
    """Keeps every call in memory: for tests, and as the no-op emitter when lineage is off."""

    calls: list[tuple[str, JobRun, tuple[DatasetIO, ...], tuple[DatasetIO, ...], str | None]] = field(
        default_factory=list
    )

    def start(self, run: JobRun, inputs: Sequence[DatasetIO] = ()) -> None:
        """Record a START."""
        self.calls.append(("START", run, tuple(inputs), (), None))

    def complete(self, run: JobRun, inputs: Sequence[DatasetIO], outputs: Sequence[DatasetIO]) -> None:
        """Record a COMPLETE."""
        self.calls.append(("COMPLETE", run, tuple(inputs), tuple(outputs), None))

    def fail(
        self,
        run: JobRun,
        error: str,
        inputs: Sequence[DatasetIO] = (),
        outputs: Sequence[DatasetIO] = (),
    ) -> None:
        """Record a FAIL."""
        self.calls.append(("FAIL", run, tuple(inputs), tuple(outputs), error))
