"""Telling the workflow what the outbox did: a sent acknowledgement meets its deadline.

The outbox worker calls ``after_send`` inside the transaction that marks a row done, so the
deadline is met exactly when, and only if, the mail was really accepted by the mail server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from mailflow.outbound.rows import domain_of
from mailflow.pipeline.record import Origin, record
from mailflow.policy.council import CouncilPolicy
from mailflow.store.cases import load_case
from mailflow.store.models import Contact, Outbox
from mailflow.workflow.decide import decide
from mailflow.workflow.events import MailSent


def after_send(policy: CouncilPolicy) -> Callable[[Session, Outbox, datetime], None]:
    """The worker's hook: feed each sent customer mail back as a ``MailSent`` event."""

    def hook(session: Session, row: Outbox, sent_at: datetime) -> None:
        if row.kind != "customer_mail" or row.contact_id is None:
            return
        contact = session.get(Contact, row.contact_id)
        if contact is None:
            return
        event = MailSent(
            purpose=str(row.payload.get("purpose", "")),
            stage=row.payload.get("stage"),
            sent_at=sent_at,
        )
        decision = decide(policy, load_case(session, contact), event, sent_at)
        origin = Origin(
            mailbox=str(row.payload.get("mailbox", "")),
            domain=domain_of(row.message_id),
            thread={},
            actor="mailflow",
            now=sent_at,
        )
        record(session, decision, contact=contact, origin=origin)

    return hook
