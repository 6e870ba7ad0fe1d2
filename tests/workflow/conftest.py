"""Shared builders for workflow tests: events with realistic defaults and a fixed clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.workflow.events import Classified, ContactReceived, SenderHistory

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)


@pytest.fixture(scope="session")
def stafford() -> CouncilPolicy:
    """Stafford's bundled rules."""
    return load_policy("stafford")


@pytest.fixture(scope="session")
def chorley() -> CouncilPolicy:
    """Chorley's bundled rules."""
    return load_policy("chorley")


def contact(
    kind: str = "complaint",
    *,
    service: str | None = "waste",
    topics: tuple[str, ...] = (),
    received: datetime = MONDAY,
    history: SenderHistory | None = None,
    **classified: object,
) -> ContactReceived:
    """A new contact from a customer by email."""
    return ContactReceived(
        reference="SBC-2026-00042",
        message_id="<a1@customer.example>",
        sender="jane.smith@customer.example",
        sender_name="Jane Smith",
        subject="Missed bin collection again",
        channel="email",
        received_at=received,
        classified=Classified(kind=kind, service=service, topics=topics, **classified),  # type: ignore[arg-type]
        history=history or SenderHistory(),
    )
