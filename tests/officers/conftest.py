"""Builders for officers' replies: cases in memory through the real workflow, and replies."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.workflow.decide import Decision, decide
from mailflow.workflow.events import Classified, ContactReceived, OfficerReplied
from mailflow.workflow.state import CaseState

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)
THURSDAY = MONDAY + timedelta(days=3)
CUSTOMER = "jane.smith@customer.example"


@pytest.fixture(scope="session")
def stafford() -> CouncilPolicy:
    """Stafford's bundled rules."""
    return load_policy("stafford")


@pytest.fixture(scope="session")
def chorley() -> CouncilPolicy:
    """Chorley's bundled rules."""
    return load_policy("chorley")


def new_case(policy: CouncilPolicy, kind: str = "complaint", **classified: object) -> CaseState:
    """A new contact about the waste service, received on Monday 2 November 2026."""
    prefix = policy.rules.council.reference_prefix
    event = ContactReceived(
        reference=f"{prefix}-2026-00042",
        message_id="<first@customer.example>",
        sender=CUSTOMER,
        sender_name="Jane Smith",
        subject="Missed bin collection again",
        channel="email",
        received_at=MONDAY,
        classified=Classified(kind=kind, service="waste", **classified),  # type: ignore[arg-type]
    )
    return decide(policy, None, event, MONDAY).state


def reply(
    policy: CouncilPolicy,
    state: CaseState,
    *commands: str,
    text: str = "",
    sender: str | None = None,
    at: datetime = THURSDAY,
) -> Decision:
    """The workflow's decision on an officer's reply (from the assigned officer by default)."""
    event = OfficerReplied(
        sender=sender or state.assigned_to or "",
        message_id="<officer@council.example>",
        received_at=at,
        commands=commands,
        text=text,
    )
    return decide(policy, state, event, at)
