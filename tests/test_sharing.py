"""Sharing requests and the hash-chained audit log in the catalog, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from lakehub.catalog import (
    AuditAction,
    CatalogError,
    CatalogStore,
    ShareRefusedError,
    ShareRequestNotFoundError,
    ShareStatus,
)
from lakehub.catalog.audit import GENESIS_HASH, canonical_json, entry_hash, parse_anchor
from lakehub.catalog.models import CatalogBase
from tests.quality_helpers import T0, register_base
from tests.sharing_helpers import register_negative_list

_DROP_TRIGGERS = {
    "sqlite": ("DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",),
}


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        CatalogBase.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CatalogStore]:
    """A migrated catalog holding base.population (有条件共享) and base.market_entity (无条件共享)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / '_catalog.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
    with CatalogStore.open(url) as opened:
        register_base(opened, "population")
        register_base(opened, "market_entity")
        yield opened


def _tamper(store: CatalogStore, *statements: str) -> None:
    """Change the log as someone with database rights would: drop the append-only triggers first."""
    with store.engine.begin() as connection:
        for statement in _DROP_TRIGGERS[store.engine.dialect.name]:
            connection.execute(text(statement))
        for statement in statements:
            connection.execute(text(statement))


def _request(store: CatalogStore, **changes: object) -> int:
    fields: dict[str, object] = {
        "department": "区民政局",
        "purpose": "低保资格比对",
        "requested_by": "wang",
        "columns": ("id_number", "name", "town"),
        "now": T0,
    }
    fields.update(changes)
    dataset = str(fields.pop("dataset", "base.population"))
    return store.request_share(dataset, **fields).id  # type: ignore[arg-type]  # keys mirror request_share


def test_conditional_request_waits_for_the_owner_with_a_ten_working_day_deadline(store: CatalogStore) -> None:
    record = store.request_share(
        "population", department="区民政局", purpose="低保资格比对", requested_by="wang", now=T0
    )
    assert record.dataset == "base.population" and record.status is ShareStatus.PENDING
    assert record.sharing_class == "有条件共享" and record.owner_department == "区公安分局"
    assert record.due_at.isoformat() == "2026-11-16T15:59:59+00:00"  # T0 is Monday 2 Nov; +10 working days
    assert "id_number" in record.columns and not any(c.startswith("_") for c in record.columns)
    assert record.responded_at is None and record.resolved_at is None
    entries = store.audit_log()
    assert [(e.seq, e.action, e.request_id, e.actor) for e in entries] == [
        (1, "share_request", record.id, "wang")
    ]
    assert entries[0].details["purpose"] == "低保资格比对" and entries[0].prev_hash == GENESIS_HASH


def test_unconditional_request_is_approved_by_the_platform_at_once(store: CatalogStore) -> None:
    record = store.request_share(
        "base.market_entity", department="区民政局", purpose="核对经营主体", requested_by="wang", now=T0
    )
    assert record.status is ShareStatus.APPROVED and record.responded_at == T0
    assert record.decided_by == "lakehub" and record.decided_department == "区数据管理局"
    assert [e.action for e in store.audit_log()] == ["share_request", "share_approve"]


def test_negative_list_dataset_cannot_be_requested(store: CatalogStore) -> None:
    register_negative_list(store)
    with pytest.raises(ShareRefusedError, match=r"不予共享 \(negative list\).*Fix:"):
        _request(store, dataset="quarantine.population", columns=())
    assert store.list_share_requests() == [] and store.audit_log() == []


def test_request_with_unknown_columns_lists_the_valid_ones(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match=r"salary.*Valid columns: id_number, name"):
        _request(store, columns=("id_number", "salary"))


def test_only_the_owner_or_the_hub_operator_can_answer(store: CatalogStore) -> None:
    first, second = _request(store), _request(store)
    with pytest.raises(ShareRefusedError, match="only the owning department 区公安分局 or the hub operator"):
        store.decide_share(first, approve=True, decided_by="li", department="区民政局")
    by_owner = store.decide_share(first, approve=True, decided_by="zhao", now=T0 + timedelta(hours=3))
    assert by_owner.decided_department == "区公安分局" and by_owner.responded_at == T0 + timedelta(hours=3)
    assert by_owner.resolved_at is None, "an approval is resolved when the data is delivered"
    by_hub = store.decide_share(
        second, approve=False, note="用途不明确", decided_by="sun", department="区数据管理局", now=T0
    )
    assert by_hub.status is ShareStatus.REJECTED and by_hub.resolved_at == T0
    assert [e.action for e in store.audit_log()][-2:] == ["share_approve", "share_reject"]


def test_a_request_is_answered_once_and_a_rejection_needs_its_reason(store: CatalogStore) -> None:
    request_id = _request(store)
    with pytest.raises(CatalogError, match="needs its reason"):
        store.decide_share(request_id, approve=False, note=" ", decided_by="zhao")
    store.decide_share(request_id, approve=True, decided_by="zhao")
    with pytest.raises(ShareRefusedError, match="already approved"):
        store.decide_share(request_id, approve=False, note="撤回", decided_by="zhao")
    with pytest.raises(ShareRequestNotFoundError, match="share list"):
        store.decide_share(999, approve=True, decided_by="zhao")


def test_only_sensitive_requested_columns_can_be_granted_in_clear(store: CatalogStore) -> None:
    request_id = _request(store)
    with pytest.raises(CatalogError, match=r"Cannot grant town, phone.*\(id_number, name\)"):
        store.decide_share(request_id, approve=True, decided_by="zhao", grant=("town", "phone"))
    record = store.decide_share(request_id, approve=True, decided_by="zhao", grant=("name",))
    assert record.granted_columns == ("name",)
    plan = store.plan_share_export(request_id, actor="wang")
    assert dict(plan.masked) == {"id_number": "resident_id"} and plan.unmasked_sensitive == ("name",)


def test_export_of_a_pending_or_rejected_request_is_refused_and_logged(store: CatalogStore) -> None:
    pending, rejected = _request(store), _request(store)
    store.decide_share(rejected, approve=False, note="不符合共享条件", decided_by="zhao")
    with pytest.raises(ShareRefusedError, match=f"still pending.*share approve {pending}"):
        store.plan_share_export(pending, actor="wang")
    with pytest.raises(ShareRefusedError, match="was rejected"):
        store.plan_share_export(rejected, actor="wang")
    refused = store.audit_log(action="export_refused")
    assert [e.request_id for e in refused] == [pending, rejected]
    assert store.verify_audit().passed


def test_reclassified_negative_list_data_is_not_approved_or_exported(store: CatalogStore) -> None:
    waiting, approved = _request(store), _request(store)
    store.decide_share(approved, approve=True, decided_by="zhao")
    register_base(store, "population", sharing_class="不予共享")
    with pytest.raises(ShareRefusedError, match="cannot be approved for sharing"):
        store.decide_share(waiting, approve=True, decided_by="zhao")
    with pytest.raises(ShareRefusedError, match="cannot be exported"):
        store.plan_share_export(approved, actor="wang")


def test_entry_hash_covers_the_previous_hash_and_the_canonical_json(store: CatalogStore) -> None:
    _request(store)
    _request(store)
    first, second = store.audit_log()
    payload = {
        "seq": 2,
        "recorded_at": second.recorded_at.isoformat(),
        "action": "share_request",
        "actor": "wang",
        "department": "区民政局",
        "dataset": "base.population",
        "request_id": second.request_id,
        "details": dict(second.details),
    }
    assert second.prev_hash == first.hash
    assert second.hash == entry_hash(first.hash, payload)
    assert "低保资格比对" in canonical_json(payload), "Chinese text is hashed as UTF-8, not escaped"


def test_the_log_refuses_updates_and_deletes(store: CatalogStore) -> None:
    _request(store)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))
    assert store.verify_audit().passed


def test_verify_names_the_first_changed_entry(store: CatalogStore) -> None:
    for _ in range(4):
        _request(store)
    clean = store.verify_audit()
    assert clean.passed and clean.entries == 4 and clean.head_seq == 4
    _tamper(store, "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
    found = store.verify_audit()
    assert not found.passed and not found.chain_intact
    assert found.first_broken is not None and found.first_broken.seq == 2
    assert "changed after it was written" in found.first_broken.problem
    assert [p.seq for p in found.broken] == [2], "one changed entry is one problem, not a cascade"


def test_verify_finds_a_removed_entry_and_a_truncated_tail(store: CatalogStore) -> None:
    ids = [_request(store) for _ in range(3)]
    store.decide_share(ids[0], approve=True, decided_by="zhao")
    _tamper(store, "DELETE FROM audit_log WHERE seq = 2")
    middle = store.verify_audit()
    assert middle.first_broken is not None and middle.first_broken.seq == 3
    assert "missing before entry 3" in middle.first_broken.problem
    _tamper(store, "DELETE FROM audit_log WHERE seq = 4")  # the last entry: the chain alone cannot tell
    tail = store.verify_audit()
    assert any(f"sharing request {ids[0]}: 1 share_approve entry expected, 0" in m for m in tail.missing)
    assert not tail.passed


def _rewrite_from(store: CatalogStore, seq: int, actor: str) -> None:
    """Change entry `seq` and recompute every hash after it, as an insider with database rights could."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from lakehub.catalog.audit import _row_payload
    from lakehub.catalog.models_hub import AuditEntryRow

    _tamper(store)  # drops the append-only triggers
    with Session(store.engine) as session, session.begin():
        rows = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
        previous = GENESIS_HASH
        for row in rows:
            if row.seq == seq:
                row.actor = actor
            if row.seq >= seq:
                row.prev_hash = previous
                row.hash = entry_hash(previous, _row_payload(row))
            previous = row.hash


def test_an_anchor_kept_outside_catches_a_rewritten_or_cut_back_log(store: CatalogStore) -> None:
    for _ in range(4):
        _request(store)
    before = store.verify_audit()
    assert before.head_seq == 4 and before.head_hash is not None
    anchor = parse_anchor(f"4:{before.head_hash[:16]}")
    assert store.verify_audit([anchor]).passed
    _rewrite_from(store, 2, "nobody")
    rewritten = store.verify_audit()
    assert rewritten.chain_intact, "a recomputed chain is consistent: only an anchor can tell"
    caught = store.verify_audit([anchor])
    assert not caught.passed and caught.first_broken is not None and caught.first_broken.seq == 4
    assert "rewritten" in caught.first_broken.problem
    _tamper(store, "DELETE FROM audit_log WHERE seq = 4")
    cut = store.verify_audit([anchor])
    assert cut.first_broken is not None and "not in the log any more" in cut.first_broken.problem


@pytest.mark.parametrize(
    "text", ["4", "x:9f3a61c2d4e5b6a7", "4:9f3a", "0:9f3a61c2d4e5b6a7", "4:9f3a61c2d4e5b6zz"]
)
def test_a_malformed_anchor_says_what_to_copy(text: str) -> None:
    with pytest.raises(CatalogError, match="Fix: copy it from an earlier `lakehub audit verify`"):
        parse_anchor(text)


def test_verify_reports_an_export_of_negative_list_data(store: CatalogStore) -> None:
    register_negative_list(store)
    store.append_audit(
        AuditAction.EXPORT,
        actor="intruder",
        dataset="quarantine.population",
        details={"sharing_class": "不予共享", "row_count": 5, "sha256": "0" * 64},
    )
    found = store.verify_audit()
    assert found.chain_intact and not found.passed
    [leak] = found.negative_list_exports
    assert leak.violation and leak.dataset == "quarantine.population" and leak.seq == 1


def test_verify_flags_data_exported_before_it_was_put_on_the_negative_list(store: CatalogStore) -> None:
    store.append_audit(
        AuditAction.EXPORT, actor="wang", dataset="base.population", details={"sharing_class": "有条件共享"}
    )
    register_base(store, "population", sharing_class="不予共享")
    found = store.verify_audit()
    [notice] = found.negative_list_exports
    assert not notice.violation and notice.sharing_class_now == "不予共享"
    assert found.passed, "a later reclassification is reported, not counted as a breach"


def test_audit_log_filters_by_time_action_and_dataset(store: CatalogStore) -> None:
    _request(store, now=T0)
    _request(store, dataset="base.market_entity", columns=(), now=T0 + timedelta(days=2))
    assert len(store.audit_log(since=T0 + timedelta(days=1))) == 2
    assert [e.dataset for e in store.audit_log(action="share_approve")] == ["base.market_entity"]
    assert [(e.dataset, e.action) for e in store.audit_log(dataset="population")] == [
        ("base.population", "share_request")
    ]
    with pytest.raises(CatalogError, match="Valid values are: share_request"):
        store.audit_log(action="download")
