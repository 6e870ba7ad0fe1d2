"""Loading and saving the workflow's ``CaseState`` as contact, stage and deadline rows.

The workflow only ever appends stages and deadlines, so rows pair with the state's tuples by
position (ordered by id): a save updates the rows that exist and inserts the new ones.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from mailflow.store.models import Contact, Deadline, StageRecord
from mailflow.store.vocab import (
    Avoidable,
    Channel,
    ContactKind,
    ContactStatus,
    DeadlineBasis,
    DeadlinePurpose,
    DeadlineStatus,
    Outcome,
)
from mailflow.workflow.state import CaseState, DeadlineState, StageState


def _stage_rows(session: Session, contact_id: int) -> list[StageRecord]:
    query = select(StageRecord).where(StageRecord.contact_id == contact_id)
    return list(session.exec(query.order_by(col(StageRecord.id))))


def _deadline_rows(session: Session, contact_id: int) -> list[Deadline]:
    query = select(Deadline).where(Deadline.contact_id == contact_id)
    return list(session.exec(query.order_by(col(Deadline.id))))


def load_case(session: Session, contact: Contact) -> CaseState:
    """The workflow's view of a stored contact."""
    assert contact.id is not None
    return case_state(
        contact, _stage_rows(session, contact.id), _deadline_rows(session, contact.id)
    )


def case_state(
    contact: Contact, stage_rows: list[StageRecord], deadline_rows: list[Deadline]
) -> CaseState:
    """The workflow's view of a contact from its rows already read (each list ordered by id),
    so a caller handling many cases reads them in three queries, not three per case."""
    stages = tuple(
        StageState(
            number=s.number,
            owner_role=s.owner_role,
            owner_address=s.owner_address,
            opened_at=s.opened_at,
            acknowledged_at=s.acknowledged_at,
            responded_at=s.responded_at,
            outcome=s.outcome,
            extensions=s.extensions,
        )
        for s in stage_rows
    )
    deadlines = tuple(
        DeadlineState(
            stage=d.stage,
            purpose=d.purpose.value,
            due_date=d.due_date,
            due_at=d.due_at,
            calendar=d.calendar,
            basis=d.basis.value,
            original_due_date=d.original_due_date,
            status=d.status.value,
            met_at=d.met_at,
            explain=tuple(d.explain.get("lines", [])),
        )
        for d in deadline_rows
    )
    return CaseState(
        reference=contact.reference,
        council=contact.council,
        kind=contact.kind.value,
        channel=contact.channel.value,
        service=contact.service,
        route=contact.route,
        assigned_to=contact.assigned_to,
        is_case=contact.is_case,
        stage=contact.stage,
        status=contact.status.value,
        customer_address=contact.customer_address,
        customer_name=contact.customer_name,
        subject=contact.subject,
        received_at=contact.received_at,
        signpost=contact.signpost,
        needs=tuple(contact.needs),
        anonymous=contact.anonymous,
        avoidable=contact.avoidable.value if contact.avoidable else None,
        flags=tuple(contact.flags),
        confidence=contact.confidence,
        reasons=tuple(contact.reasons),
        outcome=contact.outcome.value if contact.outcome else None,
        closed_at=contact.closed_at,
        awaiting_since=contact.awaiting_since,
        legal_hold=contact.legal_hold,
        legal_hold_reason=contact.legal_hold_reason,
        stages=stages,
        deadlines=deadlines,
    )


def _apply(contact: Contact, s: CaseState) -> None:
    contact.kind = ContactKind(s.kind)
    contact.channel = Channel(s.channel)
    contact.service = s.service
    contact.route = s.route
    contact.assigned_to = s.assigned_to
    contact.is_case = s.is_case
    contact.stage = s.stage
    contact.status = ContactStatus(s.status)
    contact.outcome = Outcome(s.outcome) if s.outcome else None
    contact.signpost = s.signpost
    contact.needs = list(s.needs)
    contact.anonymous = s.anonymous
    contact.avoidable = Avoidable(s.avoidable) if s.avoidable else None
    contact.flags = list(s.flags)
    contact.confidence = s.confidence
    contact.reasons = list(s.reasons)
    contact.closed_at = s.closed_at
    contact.awaiting_since = s.awaiting_since
    contact.legal_hold = s.legal_hold
    contact.legal_hold_reason = s.legal_hold_reason


def save_case(session: Session, state: CaseState, contact: Contact | None = None) -> Contact:
    """Write the state (new contact when ``contact`` is None); flushes so ids exist."""
    if contact is None:
        contact = Contact(
            reference=state.reference,
            council=state.council,
            kind=ContactKind(state.kind),
            channel=Channel(state.channel),
            customer_address=state.customer_address,
            customer_name=state.customer_name,
            subject=state.subject,
            received_at=state.received_at,
            created_at=state.received_at,
        )
    _apply(contact, state)
    session.add(contact)
    session.flush()
    assert contact.id is not None
    _save_stages(session, contact.id, state.stages)
    _save_deadlines(session, contact.id, state.deadlines)
    session.flush()
    return contact


def _save_stages(session: Session, contact_id: int, stages: tuple[StageState, ...]) -> None:
    rows = _stage_rows(session, contact_id)
    for i, s in enumerate(stages):
        row = (
            rows[i]
            if i < len(rows)
            else StageRecord(
                contact_id=contact_id,
                number=s.number,
                owner_role=s.owner_role,
                opened_at=s.opened_at,
            )
        )
        row.owner_role, row.owner_address = s.owner_role, s.owner_address
        row.acknowledged_at, row.responded_at = s.acknowledged_at, s.responded_at
        row.outcome = Outcome(s.outcome) if s.outcome else None
        row.extensions = s.extensions
        session.add(row)


def _save_deadlines(
    session: Session, contact_id: int, deadlines: tuple[DeadlineState, ...]
) -> None:
    rows = _deadline_rows(session, contact_id)
    for i, d in enumerate(deadlines):
        row = (
            rows[i]
            if i < len(rows)
            else Deadline(
                contact_id=contact_id,
                stage=d.stage,
                purpose=DeadlinePurpose(d.purpose),
                calendar=d.calendar,
                basis=DeadlineBasis(d.basis),
                due_date=d.due_date,
                due_at=d.due_at,
                original_due_date=d.original_due_date,
            )
        )
        row.due_date, row.due_at, row.basis = d.due_date, d.due_at, DeadlineBasis(d.basis)
        row.status, row.met_at = DeadlineStatus(d.status), d.met_at
        row.explain = {"lines": list(d.explain)}
        session.add(row)
