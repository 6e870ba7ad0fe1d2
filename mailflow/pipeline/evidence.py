"""Store look-ups the pipeline needs before the core decides: thread evidence, sender history.

The core is pure, so everything it must know about the past is gathered here first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from mailflow.errors import NotFound
from mailflow.mail.parse import ParsedMessage
from mailflow.pipeline.threads import (
    Candidate,
    ThreadMatch,
    address_reference,
    choose,
    subject_reference,
)
from mailflow.store.models import Audit, Contact, Message, Outbox
from mailflow.store.repo import contact_by_reference
from mailflow.workflow.events import SenderHistory

OUTBOUND_KINDS = ("customer_mail",)


def _candidate(contact: Contact | None) -> Candidate | None:
    if contact is None:
        return None
    return Candidate(
        reference=contact.reference,
        participants=frozenset({contact.customer_address}),
        closed=contact.status.value == "closed",
    )


def _by_reference(session: Session, reference: str | None) -> Contact | None:
    if reference is None:
        return None
    try:
        return contact_by_reference(session, reference)
    except NotFound:
        return None


def contact_for_message_ids(session: Session, ids: list[str]) -> Contact | None:
    """The case whose mail (sent by mailflow or received) carries one of these Message-IDs."""
    if not ids:
        return None
    sent = select(Outbox.contact_id).where(col(Outbox.message_id).in_(ids))
    got = select(Message.contact_id).where(col(Message.message_id).in_(ids))
    for query in (sent, got):
        for contact_id in session.exec(query):
            if contact_id is not None:
                return session.get(Contact, contact_id)
    return None


def thread_of(session: Session, parsed: ParsedMessage) -> ThreadMatch:
    """Which case the message belongs to, weighed by ``threads.choose``."""
    ids = [i for i in (parsed.in_reply_to, *parsed.references) if i]
    recipients = (*parsed.to, *parsed.cc)
    return choose(
        parsed.from_address,
        by_message_id=_candidate(contact_for_message_ids(session, ids)),
        by_address=_candidate(_by_reference(session, address_reference(recipients))),
        by_subject=_candidate(_by_reference(session, subject_reference(parsed.subject))),
    )


def sender_history(session: Session, sender: str, now: datetime, window_days: int) -> SenderHistory:
    """Recent contacts, customer mail sent in the last day, and whether mail to them bounces."""
    sender = sender.lower()
    recent = session.exec(
        select(func.count())
        .select_from(Contact)
        .where(func.lower(Contact.customer_address) == sender)
        .where(col(Contact.received_at) >= now - timedelta(days=window_days))
    ).one()
    mailed = session.exec(
        select(func.count())
        .select_from(Outbox)
        .join(Contact, col(Contact.id) == col(Outbox.contact_id))
        .where(func.lower(Contact.customer_address) == sender)
        .where(col(Outbox.kind).in_(OUTBOUND_KINDS))
        .where(col(Outbox.created_at) >= now - timedelta(days=1))
    ).one()
    bounced = session.exec(
        select(func.count())
        .select_from(Audit)
        .join(Contact, col(Contact.id) == col(Audit.contact_id))
        .where(func.lower(Contact.customer_address) == sender)
        .where(Audit.event == "address_undeliverable")
    ).one()
    return SenderHistory(
        recent_contacts=int(recent), acknowledgements_today=int(mailed), undeliverable=bounced > 0
    )
