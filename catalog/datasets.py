"""Dataset repository: resolution, registration, versions and search within a caller's session."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from . import convert
from .errors import AmbiguousDatasetError, CatalogError, DatasetNotFoundError
from .models import ColumnRow, DatasetRow, RunRow, VersionRow
from .records import DatasetRecord, DatasetSpec, Tier, VersionRecord, parse_choice


def datasets_query() -> Select[DatasetRow]:
    """Query for datasets with their columns loaded."""
    return select(DatasetRow).options(selectinload(DatasetRow.columns))


def suggest_names(ref: str, names: Sequence[str], limit: int = 3) -> list[str]:
    """Dataset names close to ``ref``, comparing both full and bare (tier-less) names."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(name, []).append(name)
        by_key.setdefault(name.partition(".")[2], []).append(name)
    found: list[str] = []
    for key in difflib.get_close_matches(ref, list(by_key), n=limit * 2, cutoff=0.6):
        found.extend(name for name in by_key[key] if name not in found)
    return found[:limit]


def resolve(session: Session, ref: str, where: str) -> str:
    """Short name for ``tier.name``, ``ol_namespace/ol_name`` or a bare name unique across tiers."""
    ref = ref.strip()
    if session.scalar(select(DatasetRow.name).where(DatasetRow.name == ref)) is not None:
        return ref
    if "/" in ref:
        ol_ref = DatasetRow.ol_namespace + "/" + DatasetRow.ol_name
        hit = session.scalars(select(DatasetRow.name).where(ol_ref == ref)).first()
        if hit is not None:
            return hit
    bare = [f"{tier.value}.{ref}" for tier in Tier]
    hits = sorted(session.scalars(select(DatasetRow.name).where(DatasetRow.name.in_(bare))))
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise AmbiguousDatasetError(ref, where, hits)
    names = list(session.scalars(select(DatasetRow.name)))
    raise DatasetNotFoundError(ref, where, suggest_names(ref, names))


def dataset_row(session: Session, ref: str, where: str) -> DatasetRow:
    """The dataset row a reference resolves to, with columns loaded."""
    name = resolve(session, ref, where)
    return session.scalars(datasets_query().where(DatasetRow.name == name)).one()


def upsert_dataset(session: Session, spec: DatasetSpec, now: datetime, where: str) -> DatasetRecord:
    """Insert or update a dataset by name, replacing its column list; registered_at is kept."""
    _check_ol_name_free(session, spec, where)
    row = session.scalars(datasets_query().where(DatasetRow.name == spec.name)).first()
    if row is None:
        row = DatasetRow(name=spec.name, created_at=now, updated_at=now, registered_at=now, columns=[])
        session.add(row)
    row.tier = spec.tier.value
    row.title = spec.title
    row.department = spec.department
    row.description = spec.description
    row.location = spec.location
    row.storage_format = spec.storage_format
    row.source_id = spec.source_id
    row.business_key = list(spec.business_key)
    row.sharing_class = spec.sharing_class
    row.security_level = spec.security_level
    row.base_library = spec.base_library
    row.freshness_sla_hours = spec.freshness_sla_hours
    row.ol_namespace = spec.ol_namespace
    row.ol_name = spec.ol_name
    _replace_columns(session, row, spec)
    session.flush()
    return convert.dataset_record(row)


def version_exists(session: Session, dataset_id: int, version: int) -> bool:
    """Whether this version of the dataset is already recorded."""
    query = select(VersionRow.id).where(VersionRow.dataset_id == dataset_id, VersionRow.version == version)
    return session.scalar(query) is not None


def add_version(session: Session, dataset: DatasetRow, row: VersionRow) -> None:
    """Add a version and move the dataset's current version, row count and times forward."""
    session.add(row)
    if dataset.current_version is None or row.version >= dataset.current_version:
        dataset.current_version = row.version
        dataset.row_count = row.row_count
        dataset.updated_at = row.created_at
    if row.version == 0:
        dataset.created_at = row.created_at


def select_datasets(session: Session, tier: str | None) -> list[DatasetRecord]:
    """All datasets ordered by name, optionally of one tier."""
    query = datasets_query().order_by(DatasetRow.name)
    if tier is not None:
        query = query.where(DatasetRow.tier == parse_choice(Tier, tier, "tier").value)
    return [convert.dataset_record(row) for row in session.scalars(query)]


def search_datasets(session: Session, text: str) -> list[DatasetRecord]:
    """Datasets matching every word of ``text`` (case-insensitive) in names, titles or columns."""
    query = datasets_query().order_by(DatasetRow.name)
    for term in text.split():
        query = query.where(
            or_(
                DatasetRow.name.icontains(term, autoescape=True),
                DatasetRow.title.icontains(term, autoescape=True),
                DatasetRow.description.icontains(term, autoescape=True),
                DatasetRow.department.icontains(term, autoescape=True),
                DatasetRow.columns.any(
                    or_(
                        ColumnRow.name.icontains(term, autoescape=True),
                        ColumnRow.title.icontains(term, autoescape=True),
                    )
                ),
            )
        )
    return [convert.dataset_record(row) for row in session.scalars(query)]


def select_history(session: Session, ref: str, where: str) -> list[VersionRecord]:
    """Versions of a dataset, newest first, with the job name and status of each run."""
    dataset = dataset_row(session, ref, where)
    rows = session.execute(
        select(VersionRow, RunRow)
        .join(RunRow, VersionRow.run_id == RunRow.run_id)
        .where(VersionRow.dataset_id == dataset.id)
        .order_by(VersionRow.version.desc())
    )
    return [convert.version_record(version, dataset.name, run) for version, run in rows]


def _check_ol_name_free(session: Session, spec: DatasetSpec, where: str) -> None:
    """Refuse an OpenLineage name already used by another dataset."""
    if spec.ol_namespace is None or spec.ol_name is None:
        return
    owner = session.scalar(
        select(DatasetRow.name).where(
            DatasetRow.ol_namespace == spec.ol_namespace,
            DatasetRow.ol_name == spec.ol_name,
            DatasetRow.name != spec.name,
        )
    )
    if owner is not None:
        raise CatalogError(
            f"OpenLineage name {spec.ol_namespace}/{spec.ol_name} of {spec.name} is already used by "
            f"{owner} in the catalog at {where}. Give each dataset its own OpenLineage name."
        )


def _replace_columns(session: Session, row: DatasetRow, spec: DatasetSpec) -> None:
    """Make the dataset's columns match the spec, keeping the ids of columns that stay."""
    existing = {column.name: column for column in row.columns}
    wanted = {column.name for column in spec.columns}
    for name, stale in existing.items():
        if name not in wanted:
            row.columns.remove(stale)
    session.flush()
    for position, column_spec in enumerate(spec.columns):
        column = existing.get(column_spec.name)
        if column is None:
            column = ColumnRow()
            row.columns.append(column)
        convert.apply_column_spec(column, column_spec, position, spec.business_key)


def dataset_record(session: Session, ref: str, where: str) -> DatasetRecord:
    """Record of the dataset a reference resolves to, with its columns."""
    return convert.dataset_record(dataset_row(session, ref, where))
