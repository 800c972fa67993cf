"""Quality objections (质量异议): raised on a record's field, routed to the owning department, due in N working days.

An objection is due by the end (23:59:59 China Standard Time, UTC+8) of the `working_days`-th
Monday–Friday day after the day it was raised (default 5: "5个工作日内办结"); public holidays and
adjusted working weekends (调休) are not modelled. An open objection past its due time is overdue.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from lakehub.catalog import AmbiguousDatasetError
from lakehub.catalog.deadlines import working_day_deadline
from lakehub.quality_rules.errors import RuleError
from lakehub.quality_rules.masking import Sensitivity, mask_value

if TYPE_CHECKING:
    from lakehub.catalog import CatalogStore, DatasetRecord, ObjectionRecord

log = logging.getLogger(__name__)

DEFAULT_DUE_WORKING_DAYS = 5


def due_at(raised_at: datetime, working_days: int = DEFAULT_DUE_WORKING_DAYS) -> datetime:
    """End of the `working_days`-th Monday–Friday day after `raised_at`'s day on the China calendar, in UTC."""
    if working_days < 1:
        raise RuleError(
            f"The objection deadline must be at least 1 working day, got {working_days}. Fix: pass --due-days 5."
        )
    return working_day_deadline(raised_at, working_days)


def mask_key(dataset: DatasetRecord, key: str) -> str:
    """Mask a record key given by a user, by the sensitivity of the dataset's business-key columns.

    One key column: the value is masked as that column. Several: `col=value` parts joined by ';' are
    masked per column; a composite key in another shape is masked as its first sensitive column.
    """
    kinds = {c.name: c.sensitivity.value for c in dataset.columns if c.sensitivity is not None}
    key_kinds = [kinds.get(k) for k in dataset.business_key]
    if not any(key_kinds):
        return key
    if len(key_kinds) == 1:
        return mask_value(key, cast(Sensitivity, key_kinds[0])) or ""
    parts = [p.strip().partition("=") for p in key.split(";")]
    if all(sep for _, sep, _ in parts):
        return "; ".join(
            f"{c.strip()}={mask_value(v.strip(), cast(Sensitivity | None, kinds.get(c.strip())))}"
            for c, _, v in parts
        )
    first = next(k for k in key_kinds if k)
    return mask_value(key, cast(Sensitivity, first)) or ""


def raise_objection(
    store: CatalogStore,
    dataset: str,
    *,
    key: str,
    field: str,
    reason: str,
    raised_by: str,
    working_days: int = DEFAULT_DUE_WORKING_DAYS,
    now: datetime | None = None,
) -> ObjectionRecord:
    """Open an objection on `dataset` (masked key), routed to its department, due in `working_days`.

    A bare name matching several tiers (population: raw, base, quarantine) means the base table.
    """
    if not key.strip():
        raise RuleError("An objection needs the record's key. Fix: pass --key with the business key value.")
    try:
        target = store.get_dataset(dataset)
    except AmbiguousDatasetError as err:
        if f"base.{dataset}" not in err.candidates:
            raise
        target = store.get_dataset(f"base.{dataset}")
    raised = now or datetime.now(UTC)
    record = store.raise_objection(
        target.name,
        record_key=mask_key(target, key.strip()),
        field=field,
        reason=reason,
        raised_by=raised_by,
        raised_at=raised,
        due_at=due_at(raised, working_days),
    )
    log.info("objection %d raised on %s, due %s", record.id, record.dataset, record.due_at.isoformat())
    return record
