"""Officers' replies: recognised, authenticated, then decided and relayed to the customer.

An officer answers a notification from their own mailbox; the reply arrives in the shared
mailbox addressed to ``complaints+sbc-2026-00042.<token>@...`` (``outbound.tokens``). The inbound
pipeline hands such a message here after its automatic-mail check (so an officer's
out-of-office never gets this far) and before customer threading. In order:

    recognise   a token address among To, Cc, Delivered-To or X-Original-To; or a member of the
                directory writing about an existing case without one (a missing token)
    check       the From header parses strictly to one address; the token is there; the sender
                is in the council's directory; the token is the one issued to that sender on
                that case (``hmac.compare_digest``)
    decide      ``OfficerReplied`` with the ``#`` lines from the top of the new text (never from
                quoted history) and the rest, the officer's signature stripped
    write       the case, the audit, one ``officer_command`` row per command, and the mails;
                mail carrying the officer's words goes out without Auto-Submitted

Any failure refuses the whole reply: nothing reaches the customer, the sender is told why
(``command_refused``) and the attempt is in the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mailflow.errors import NotFound
from mailflow.mail.headers import parse_address_strict, raw_headers
from mailflow.mail.parse import ParsedMessage
from mailflow.outbound.rows import CUSTOMER_MAIL, action_payload, queue_mail
from mailflow.outbound.tokens import TAG, find_token_address, token_matches
from mailflow.pipeline.evidence import contact_for_message_ids
from mailflow.pipeline.record import Origin, customer_thread, write_actions
from mailflow.pipeline.threads import address_reference, reply_address, subject_reference
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.schema import Person
from mailflow.store.cases import load_case, save_case
from mailflow.store.models import Contact, Message, OfficerCommand
from mailflow.store.repo import contact_by_reference
from mailflow.store.vocab import Direction, MessageStatus
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.commands import HUMAN_PURPOSES, directory_person, refusal, split_reply
from mailflow.workflow.decide import decide
from mailflow.workflow.events import OfficerReplied

ENVELOPE_HEADERS = frozenset({"delivered-to", "x-original-to"})
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"^[\s()+\d-]{7,}$")
WEB = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
SEPARATORS = re.compile(r"\s*[,|\u2013\u2014]\s*|\s+-\s+")


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A message that is an officer's reply: the case it names and the token, if any."""

    reference: str | None
    token: str | None


def envelope_recipients(raw: bytes) -> tuple[str, ...]:
    """The Delivered-To and X-Original-To addresses the delivering server added."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = raw_headers(BytesHeaderParser(policy=compat32).parsebytes(head), ENVELOPE_HEADERS)
    found = (parse_address_strict(v)[1] for values in headers.values() for v in values)
    return tuple(a for a in found if a)


def strip_signature(text: str, officer: Person | None, council: str) -> str:
    """``text`` without its trailing signature block: lines that are only the officer's name,
    title or the council's name, or that hold their address, a telephone number or a website."""
    names = {council.casefold()}
    held = set()
    if officer is not None:
        names |= {m.casefold() for m in (officer.name, officer.title) if m}
        held = {m.casefold() for m in (officer.address, officer.telephone) if m}
    lines = text.rstrip().split("\n")
    while lines:
        last = lines[-1].strip()
        parts = {p.strip(" .").casefold() for p in SEPARATORS.split(last)} - {""}
        contact = ADDRESS.fullmatch(last) or PHONE.match(last) or WEB.match(last)
        signature = (parts and parts <= names) or any(m in last.casefold() for m in held)
        if last and not (signature or contact):
            break
        lines.pop()
    return "\n".join(lines).strip()


def redact(text: str, officer: str, case_address: str) -> str:
    """Token addresses and the officer's own address become the customer's case address."""

    def swap(found: re.Match[str]) -> str:
        address = found.group(0)
        local = address.rpartition("@")[0]
        tokened = TAG.match(local.partition("+")[2]) is not None
        return case_address if tokened or address.casefold() == officer.casefold() else address

    return ADDRESS.sub(swap, text)


@dataclass(frozen=True, kw_only=True)
class OfficerReplies:
    """Recognises and handles officers' replies for one shared mailbox."""

    policy: CouncilPolicy
    key: bytes
    mailbox_address: str

    def recognise(self, session: Session, parsed: ParsedMessage, raw: bytes) -> Claim | None:
        """The claim, when the message is an officer's reply (with or without a token)."""
        found = find_token_address((*parsed.to, *parsed.cc, *envelope_recipients(raw)))
        if found is not None:
            return Claim(reference=found.reference, token=found.token)
        sender = parsed.from_address
        if sender is None or directory_person(self.policy, sender) is None:
            return None
        contact = self._case_named(session, parsed)
        if contact is None or contact.customer_address.casefold() == sender.casefold():
            return None
        return Claim(reference=contact.reference, token=None)

    def _case_named(self, session: Session, parsed: ParsedMessage) -> Contact | None:
        """The case a message refers to: by mailflow's Message-IDs, reply address or tag."""
        ids = [i for i in (parsed.in_reply_to, *parsed.references) if i]
        by_id = contact_for_message_ids(session, ids)
        if by_id is not None:
            return by_id
        for reference in (address_reference(parsed.to), subject_reference(parsed.subject)):
            if reference is not None:
                return _contact(session, reference)
        return None

    def handle(
        self,
        session: Session,
        message: Message,
        parsed: ParsedMessage,
        claim: Claim,
        origin: Origin,
    ) -> None:
        """Refuse or decide the reply, in the caller's transaction."""
        message.status = MessageStatus.OFFICER_REPLY
        sender = parsed.from_address
        lines, rest = split_reply(parsed.new_text)
        contact = _contact(session, claim.reference) if claim.reference else None
        if contact is not None:
            message.contact_id = contact.id
        session.add(message)
        origin = replace(origin, actor=sender or "unknown sender")
        problem = self._check(sender, claim, contact)
        if problem is not None or contact is None or sender is None:
            reason = problem or f"there is no case {claim.reference}"
            stage = contact.stage if contact else None
            self._write(session, refusal(sender, reason, lines, stage), contact, message, origin)
            return
        state = load_case(session, contact)
        officer = directory_person(self.policy, sender)
        text = strip_signature(rest, officer, self.policy.rules.council.name)
        case_address = reply_address(self.mailbox_address, contact.reference)
        event = OfficerReplied(
            sender=sender,
            message_id=parsed.message_id,
            received_at=origin.now,
            commands=lines,
            text=redact(text, sender, case_address),
        )
        decision = decide(self.policy, state, event, origin.now)
        save_case(session, decision.state, contact)
        origin = replace(origin, thread=_customer_thread(session, contact))
        self._write(session, decision.actions, contact, message, origin)

    def _check(self, sender: str | None, claim: Claim, contact: Contact | None) -> str | None:
        """Why the reply cannot be trusted, or None (the order: From, token, directory, HMAC)."""
        if sender is None:
            return "the From address could not be read as one plain address"
        if claim.token is None:
            return "the reply was not sent to the address in mailflow's notification"
        if directory_person(self.policy, sender) is None:
            return f"{sender} is not in the council's directory"
        if contact is None:
            return None
        if not token_matches(self.key, contact.reference, sender, claim.token):
            return "the reply address does not belong to this sender and case"
        return None

    def _write(
        self,
        session: Session,
        actions: tuple[Action, ...] | list[Action],
        contact: Contact | None,
        message: Message,
        origin: Origin,
    ) -> None:
        """Audit, command rows and mails in order; the officer's words are not automatic
        (and, in a quiet import, not sent at all: ``write_actions`` audits them suppressed)."""
        loud = not origin.quiet
        for action in actions:
            if isinstance(action, Audit) and action.event == "officer_command" and contact:
                session.add(_command_row(action.detail, contact, message, origin))
            human = isinstance(action, SendMail) and action.purpose in HUMAN_PURPOSES
            if isinstance(action, SendMail) and human and contact and loud:
                _queue_human(session, action, contact, origin)
            else:
                write_actions(session, [action], contact=contact, origin=origin)


def _contact(session: Session, reference: str) -> Contact | None:
    try:
        return contact_by_reference(session, reference)
    except NotFound:
        return None


def _customer_thread(session: Session, contact: Contact) -> dict[str, Any]:
    """Threading headers into the customer's conversation: their latest message."""
    latest = session.exec(
        select(Message)
        .where(Message.contact_id == contact.id, Message.direction == Direction.IN)
        .where(func.lower(Message.from_address) == contact.customer_address.lower())
        .order_by(col(Message.received_at).desc(), col(Message.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return {"in_reply_to": None, "references": []}
    return customer_thread(latest.message_id, latest.references.split())


def _queue_human(session: Session, action: SendMail, contact: Contact, origin: Origin) -> None:
    """A customer mail carrying an officer's words or decision: threaded, not automatic."""
    payload = action_payload(
        action,
        reference=contact.reference,
        mailbox=origin.mailbox,
        in_reply_to=origin.thread.get("in_reply_to"),
        references=origin.thread.get("references") or (),
    )
    queue_mail(
        session,
        contact=contact,
        kind=CUSTOMER_MAIL,
        recipients=action.to,
        payload=payload | {"automatic": False},
        not_before=origin.now,
        domain=origin.domain,
    )


def _command_row(
    detail: dict[str, Any], contact: Contact, message: Message, origin: Origin
) -> OfficerCommand:
    assert contact.id is not None
    return OfficerCommand(
        contact_id=contact.id,
        message_id=message.id,
        sender=str(detail.get("sender") or ""),
        command=str(detail.get("command") or "?")[:32],
        argument=str(detail.get("argument") or ""),
        accepted=bool(detail.get("accepted")),
        reason=str(detail.get("reason") or ""),
        created_at=origin.now,
    )
