"""Writing a decision: the case's new state, its outbox rows and audit entries, in one go.

Called inside the transaction that recorded the message, so the message, the case and the
work to do after commit are stored together or not at all (the transactional outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mailflow.outbound.rows import queue_mail
from mailflow.store.cases import save_case
from mailflow.store.models import Contact
from mailflow.store.repo import add_audit
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.decide import Decision


def customer_thread(message_id: str | None, references: Sequence[str]) -> dict[str, Any]:
    """Threading headers for mail to the customer: In-Reply-To their message (RFC 5322 3.6.4)."""
    if message_id is None:
        return {"in_reply_to": None, "references": list(references)}
    return {"in_reply_to": message_id, "references": [*references, message_id]}


@dataclass(frozen=True, kw_only=True)
class Origin:
    """Where and when the recorded work came from: the mailbox mail goes out from, the
    customer's thread, who acted and when."""

    mailbox: str
    domain: str
    thread: dict[str, Any]
    actor: str
    now: datetime
    quiet: bool = False  # mails are audited as ``mail_suppressed``, never queued


def record(
    session: Session, decision: Decision, *, contact: Contact | None, origin: Origin
) -> Contact:
    """Save the state, then queue every mail and append every audit entry, in order."""
    saved = save_case(session, decision.state, contact)
    write_actions(session, decision.actions, contact=saved, origin=origin)
    return saved


def write_actions(
    session: Session, actions: Sequence[Action], *, contact: Contact | None, origin: Origin
) -> None:
    """Turn actions into outbox rows and audit rows (``contact`` None: not about a case)."""
    no_thread: dict[str, Any] = {"in_reply_to": None, "references": []}
    for action in actions:
        if isinstance(action, Audit):
            add_audit(
                session,
                contact_id=contact.id if contact else None,
                actor=origin.actor,
                event=action.event,
                detail=action.detail,
                at=origin.now,
            )
        elif isinstance(action, SendMail) and origin.quiet:
            add_audit(
                session,
                contact_id=contact.id if contact else None,
                actor=origin.actor,
                event="mail_suppressed",
                detail={"purpose": action.purpose, "to": list(action.to), "why": "quiet"},
                at=origin.now,
            )
        elif isinstance(action, SendMail):
            payload: dict[str, Any] = {
                "purpose": action.purpose,
                "template": action.template,
                "stage": action.stage,
                "letters": list(action.letters),
                "cc": list(action.cc),
                "context": dict(action.context),
                "reference": contact.reference if contact else None,
                "mailbox": origin.mailbox,
                **(origin.thread if action.to_customer else no_thread),
            }
            queue_mail(
                session,
                contact=contact,
                kind="customer_mail" if action.to_customer else "staff_mail",
                recipients=list(action.to),
                payload=payload,
                not_before=origin.now,
                domain=origin.domain,
            )
