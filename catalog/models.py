"""SQLAlchemy models of the catalog; the schema itself is created by Alembic revisions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store aware datetimes converted to UTC; reject naive ones."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"Catalog timestamps must be timezone-aware, got naive {value.isoformat()}.")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class CatalogBase(DeclarativeBase):
    """Declarative base holding the catalog metadata and constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class RunRow(CatalogBase):
    """A job run (ingest, model, quality, demo, export)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_source_id_input_sha256", "source_id", "input_sha256"),)

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(200))
    job_kind: Mapped[str] = mapped_column(String(20), index=True)
    parent_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    source_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    run_date: Mapped[date | None] = mapped_column(Date)
    input_path: Mapped[str | None] = mapped_column(Text)
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    input_bytes: Mapped[int | None] = mapped_column(BigInteger)
    rows_read: Mapped[int | None] = mapped_column(BigInteger)
    rows_landed: Mapped[int | None] = mapped_column(BigInteger)
    rows_quarantined: Mapped[int | None] = mapped_column(BigInteger)
    rows_rejected: Mapped[int | None] = mapped_column(BigInteger)
    rows_inserted: Mapped[int | None] = mapped_column(BigInteger)
    rows_updated: Mapped[int | None] = mapped_column(BigInteger)
    rows_unchanged: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DatasetRow(CatalogBase):
    """A dataset (Delta table) in one tier of the lakehouse."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("ol_namespace", "ol_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    tier: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    storage_format: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)
    business_key: Mapped[list[str]]
    sharing_class: Mapped[str] = mapped_column(String(50))
    security_level: Mapped[str] = mapped_column(String(50))
    base_library: Mapped[str | None] = mapped_column(String(100))
    freshness_sla_hours: Mapped[int | None] = mapped_column(Integer)
    ol_namespace: Mapped[str | None] = mapped_column(String(500))
    ol_name: Mapped[str | None] = mapped_column(String(500))
    current_version: Mapped[int | None] = mapped_column(Integer)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    registered_at: Mapped[datetime]

    columns: Mapped[list[ColumnRow]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        order_by="ColumnRow.position",
        passive_deletes=True,
    )
    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", passive_deletes=True
    )


class ColumnRow(CatalogBase):
    """A column of a dataset with its classification."""

    __tablename__ = "dataset_columns"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    data_type: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    sensitivity: Mapped[str | None] = mapped_column(String(20))
    security_level: Mapped[str | None] = mapped_column(String(50))
    nullable: Mapped[bool]
    is_key: Mapped[bool]

    dataset: Mapped[DatasetRow] = relationship(back_populates="columns")


class VersionRow(CatalogBase):
    """A Delta table version of a dataset, written by one run."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    operation: Mapped[str] = mapped_column(String(50))
    row_count: Mapped[int] = mapped_column(BigInteger)
    rows_inserted: Mapped[int] = mapped_column(BigInteger)
    rows_updated: Mapped[int] = mapped_column(BigInteger)
    rows_deleted: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    dataset: Mapped[DatasetRow] = relationship(back_populates="versions")
    run: Mapped[RunRow] = relationship()


# Further model modules register their tables on the same metadata when the models are imported.
from . import models_hub as models_hub  # noqa: E402
from . import models_lineage as models_lineage  # noqa: E402
