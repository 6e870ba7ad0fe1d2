"""The workflow's case state survives a round trip through the store on both engines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from mailflow.policy.council import load_policy
from mailflow.store.cases import load_case, save_case
from mailflow.store.db import session_scope
from mailflow.store.repo import contact_by_reference
from mailflow.workflow.decide import decide
from mailflow.workflow.events import CustomerReplied, MailSent
from tests.workflow.conftest import MONDAY, contact


def test_escalated_case_round_trips_stages_and_deadlines(engine: Engine) -> None:
    """Stages, deadlines (with how they were computed) and flags load back exactly as saved."""
    policy = load_policy("stafford")
    state = decide(policy, None, contact(needs=("large_print",)), MONDAY).state
    with session_scope(engine) as session:
        save_case(session, state)
    sent = MailSent(purpose="acknowledgement", stage=1, sent_at=MONDAY + timedelta(seconds=2))
    later = MONDAY + timedelta(days=10)
    reply = CustomerReplied(message_id="<x@c>", received_at=later, escalation_request=True)
    with session_scope(engine) as session:
        row = contact_by_reference(session, state.reference)
        loaded = load_case(session, row)
        assert loaded == state
        state = decide(policy, loaded, sent, MONDAY).state
        state = decide(policy, state, reply, later).state
        save_case(session, state, row)
    with session_scope(engine) as session:
        again = load_case(session, contact_by_reference(session, state.reference))
    assert again == state
    assert [(d.stage, d.purpose, d.status) for d in again.deadlines] == [
        (1, "acknowledge", "met"),
        (1, "respond", "cancelled"),
        (2, "acknowledge", "open"),
        (2, "respond", "open"),
    ]
    assert again.stages[1].owner_address == "head.operations@stafford.example"
