"""The audit trail is append-only and reads back in the order it was written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mailflow.errors import StoreError
from mailflow.store.db import session_scope
from mailflow.store.repo import add_audit, audit_trail
from tests.store.builders import NOW, contact, later


def _contact_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        row = contact("SBC-2026-00001")
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def test_audit_rows_come_back_in_the_order_they_were_written(engine: Engine) -> None:
    """Events written in several transactions read back in writing order with their details."""
    contact_id = _contact_id(engine)
    events = ["received", "classified", "acknowledged"]
    for minutes, event in enumerate(events):
        with session_scope(engine) as session:
            add_audit(
                session,
                contact_id=contact_id,
                actor="mailflow",
                event=event,
                detail={"step": minutes},
                at=later(minutes=minutes),
            )
    with session_scope(engine) as session:
        add_audit(session, contact_id=None, actor="mailflow", event="started", at=NOW)
        trail = audit_trail(session, contact_id)
    assert [row.event for row in trail] == events
    assert [row.detail for row in trail] == [{"step": 0}, {"step": 1}, {"step": 2}]
    assert trail[2].at == later(minutes=2)


def test_an_audit_row_cannot_be_changed(engine: Engine) -> None:
    """Editing a stored audit row is refused and the original stays."""
    contact_id = _contact_id(engine)
    with session_scope(engine) as session:
        add_audit(session, contact_id=contact_id, actor="mailflow", event="received", at=NOW)
    with pytest.raises(StoreError, match="append-only"), session_scope(engine) as session:
        audit_trail(session, contact_id)[0].event = "forged"
    with Session(engine) as reader:
        assert [row.event for row in audit_trail(reader, contact_id)] == ["received"]


def test_an_audit_row_cannot_be_deleted(engine: Engine) -> None:
    """Deleting a stored audit row is refused and the row stays."""
    contact_id = _contact_id(engine)
    with session_scope(engine) as session:
        add_audit(session, contact_id=contact_id, actor="mailflow", event="received", at=NOW)
    with pytest.raises(StoreError, match="append-only"), session_scope(engine) as session:
        session.delete(audit_trail(session, contact_id)[0])
    with Session(engine) as reader:
        assert len(audit_trail(reader, contact_id)) == 1
