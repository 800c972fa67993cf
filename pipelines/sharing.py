"""Exports of approved sharing requests: read the Delta table with delta-rs (no JVM), mask, write, log.

Only the request's columns leave; sensitive columns are masked with `quality_rules.masking` unless the
approval granted them in clear. The file is written under a temporary name, hashed (SHA-256) and
renamed, then logged in the audit log with its row count; if the log cannot be written the file is
removed, so nothing leaves unlogged. Refusals (pending or rejected requests, 不予共享 data) are logged too.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lakehub.catalog import CatalogStore, ExportPlan, ExportValues
from lakehub.catalog.deadlines import CHINA_TIME
from lakehub.pipelines.errors import ShareExportError
from lakehub.quality_rules.masking import Sensitivity, mask_value
from lakehub.quality_rules.spreadsheet import csv_cell, xlsx_row

if TYPE_CHECKING:
    import pyarrow as pa

    from lakehub.pipelines.config import LakehubConfig

log = logging.getLogger(__name__)

FORMATS = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareExport:
    """One written export of a sharing request and the audit entry that logged it."""

    request_id: int
    dataset: str
    requesting_department: str
    path: str
    file_format: str
    row_count: int
    sha256: str
    bytes: int
    delta_version: int | None
    columns: tuple[str, ...]
    masked_columns: tuple[str, ...]
    unmasked_sensitive_columns: tuple[str, ...]
    audit_seq: int


def check_format(out: Path) -> str:
    """The export format named by the file extension, or a ShareExportError listing the valid ones."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ShareExportError(
            f"Cannot export to {out}: '{suffix or 'no extension'}' is not supported. "
            f"Valid extensions: {', '.join(FORMATS)}. Fix: name the file e.g. 共享数据.xlsx."
        )
    return suffix[1:]


def read_share_table(location: str, dataset: str, columns: Sequence[str]) -> tuple[pa.Table, int]:
    """The requested columns of the Delta table at `location` (current version) and that version."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(location)
    except TableNotFoundError as err:
        raise ShareExportError(
            f"There is no Delta table for {dataset} at {location}. Fix: land it first "
            "(`lakehub run` or `lakehub ingest SOURCE`), then export again."
        ) from err
    return table.to_pyarrow_table(columns=list(columns)), table.version()


def mask_table(table: pa.Table, masked: Mapping[str, str]) -> pa.Table:
    """Replace each masked column by its masked text (`quality_rules.masking.mask_value`)."""
    import pyarrow as pa

    for name, kind in masked.items():
        index = table.schema.get_field_index(name)
        values = [
            mask_value(None if v is None else str(v), cast(Sensitivity, kind))
            for v in table.column(index).to_pylist()
        ]
        table = table.set_column(index, pa.field(name, pa.string()), pa.array(values, pa.string()))
    return table


def _rows(table: pa.Table) -> Iterator[list[Any]]:
    for batch in table.to_batches():
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        yield from (list(row) for row in zip(*columns, strict=True))


def _write_csv(path: Path, table: pa.Table) -> None:
    # UTF-8 with BOM: Excel on Chinese Windows opens it without garbling.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.column_names)
        writer.writerows([csv_cell(v) for v in row] for row in _rows(table))


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(CHINA_TIME).replace(tzinfo=None)  # Excel has no time zones
    return value


def _write_xlsx(path: Path, table: pa.Table, plan: ExportPlan) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("共享数据")
    sheet.append(table.column_names)
    for row in _rows(table):
        sheet.append(xlsx_row(sheet, [_xlsx_value(v) for v in row]))
    notes = book.create_sheet("说明")
    request = plan.request
    for label, value in (
        ("共享申请编号", request.id),
        ("数据集", request.dataset),
        ("共享类型", plan.sharing_class),
        ("提供部门", request.owner_department),
        ("申请部门", request.requesting_department),
        ("用途", request.purpose),
        ("审批", f"{request.decided_department or ''} {request.decided_by or ''}".strip()),
    ):
        notes.append(xlsx_row(notes, [label, value]))
    notes.append([])
    notes.append(["字段", "中文名", "脱敏"])
    for name in table.column_names:
        notes.append([name, plan.titles.get(name, ""), "是" if name in plan.masked else ""])
    book.properties.title = f"{request.dataset} 共享数据（申请 {request.id}）"
    book.save(path)


def _write_parquet(path: Path, table: pa.Table, plan: ExportPlan) -> None:
    import pyarrow.parquet as pq

    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            b"lakehub.share_request": str(plan.request.id).encode(),
            b"lakehub.dataset": plan.request.dataset.encode(),
            b"lakehub.masked_columns": ",".join(sorted(plan.masked)).encode(),
        }
    )
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write(path: Path, file_format: str, table: pa.Table, plan: ExportPlan) -> None:
    if file_format == "csv":
        _write_csv(path, table)
    elif file_format == "xlsx":
        _write_xlsx(path, table, plan)
    else:
        _write_parquet(path, table, plan)


def export_share(
    config: LakehubConfig, request_id: int, out: Path, *, actor: str, now: datetime | None = None
) -> ShareExport:
    """Write an approved request's data to `out` (.csv, .xlsx or .parquet), masked, and log it."""
    file_format = check_format(out)
    moment = now or datetime.now(UTC)
    with CatalogStore.open(config.effective_catalog_url) as store:
        plan = store.plan_share_export(request_id, actor=actor, now=moment)
        table, version = read_share_table(plan.location, plan.request.dataset, plan.columns)
        table = mask_table(table, plan.masked)
        target = out.resolve()
        partial = target.with_name(f".{target.name}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write(partial, file_format, table, plan)
            partial.replace(target)
        except OSError as err:
            raise ShareExportError(
                f"Cannot write the export to {target}: {err.strerror or err}. Fix: choose a writable --out path."
            ) from err
        finally:
            partial.unlink(missing_ok=True)
        values = ExportValues(
            path=str(target),
            file_format=file_format,
            sha256=_sha256(target),
            bytes=target.stat().st_size,
            row_count=table.num_rows,
            delta_version=version,
        )
        try:
            entry = store.record_share_export(plan, values, actor=actor, now=moment)
        except BaseException:
            target.unlink(missing_ok=True)  # nothing leaves the hub without its audit entry
            raise
    log.info(
        "exported %d rows of %s for request %d to %s",
        values.row_count,
        plan.request.dataset,
        request_id,
        target,
    )
    return ShareExport(
        request_id=request_id,
        dataset=plan.request.dataset,
        requesting_department=plan.request.requesting_department,
        path=values.path,
        file_format=file_format,
        row_count=values.row_count,
        sha256=values.sha256,
        bytes=values.bytes,
        delta_version=version,
        columns=plan.columns,
        masked_columns=tuple(sorted(plan.masked)),
        unmasked_sensitive_columns=plan.unmasked_sensitive,
        audit_seq=entry.seq,
    )
