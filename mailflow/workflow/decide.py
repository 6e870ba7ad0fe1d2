"""The one entry point of the core: an event and a case's state in, new state and actions out.

The dispatch is a table so the order of what can happen to a case is readable in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import Action
from mailflow.workflow.commands import officer_replied
from mailflow.workflow.events import (
    AwaitingCustomer,
    ContactReceived,
    CustomerReplied,
    Event,
    MailSent,
    OfficerReplied,
)
from mailflow.workflow.intake import receive
from mailflow.workflow.pauses import awaiting_customer
from mailflow.workflow.progress import customer_replied, mail_sent
from mailflow.workflow.state import CaseState


@dataclass(frozen=True)
class Decision:
    """The new state of the case and what the shell must do, in order."""

    state: CaseState
    actions: tuple[Action, ...]


Handler = Callable[[CouncilPolicy, CaseState, Any], tuple[CaseState, list[Action]]]
ON_CASE: dict[type, Handler] = {
    CustomerReplied: customer_replied,
    MailSent: mail_sent,
    OfficerReplied: officer_replied,
    AwaitingCustomer: awaiting_customer,
}


def decide(policy: CouncilPolicy, state: CaseState | None, event: Event, now: datetime) -> Decision:
    """Apply one event. ``state`` is None only for a new contact."""
    if isinstance(event, ContactReceived):
        if state is not None:
            raise ValueError(f"contact {event.reference} already exists")
        new, actions = receive(policy, event, now)
        return Decision(new, tuple(actions))
    if state is None:
        raise ValueError(f"{type(event).__name__} needs an existing case")
    handler = ON_CASE[type(event)]
    new, actions = handler(policy, state, event)
    return Decision(new, tuple(actions))
