"""The inbound pipeline: one fetched message in, one folder to file it into out.

The stages, in order (each a function below, each recorded in the audit or on the message):

    dedupe → parse (or quarantine) → loop guard → officer reply?
           → thread → classify → decide → record

An officer's reply to a notification (a token reply address, or a directory member writing
about a case) goes to ``officers.OfficerReplies`` instead of customer threading.

Everything for one message happens in one transaction, so a crash leaves either nothing (the
watcher hands the message over again) or everything (the dedupe finds it and only files it).
A message that fails for any reason is quarantined with its raw bytes and the reason, and the
customer services role is told: nothing is lost and the loop goes on. A lost database
connection is not the message's fault: the transaction is tried again (``STORE_RETRIES``), and
if the database stays away the message stays in the mailbox for the watcher to hand over again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select

from mailflow.config import MailboxConfig
from mailflow.errors import MailError, StoreError
from mailflow.ingest.source import Fetched
from mailflow.mail.bounces import bounce_info
from mailflow.mail.limits import Limits
from mailflow.mail.parse import ParsedMessage, parse_message
from mailflow.mail.sender import answerable
from mailflow.outbound.rows import CUSTOMER_MAIL
from mailflow.pipeline.evidence import contact_for_message_ids, sender_history, thread_of
from mailflow.pipeline.officers import OfficerReplies
from mailflow.pipeline.record import Origin, customer_thread, record, write_actions
from mailflow.pipeline.understand import Understanding, classified, understand
from mailflow.policy.council import CouncilPolicy
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message, Outbox
from mailflow.store.repo import (
    contact_by_reference,
    insert_message_once,
    message_at,
    next_reference,
    save_blob,
)
from mailflow.store.vocab import Direction, MessageStatus
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.decide import Decision, decide
from mailflow.workflow.events import ContactReceived, CustomerReplied

log = logging.getLogger("mailflow.inbound")
ACTOR = "mailflow"
STORE_RETRIES = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Seconds between attempts when the database connection is lost (about 15 s in all)."""


def store_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost or refused database connection, not a fault of the message."""
    return isinstance(exc, StoreError) and isinstance(
        exc.__cause__, (OperationalError, InterfaceError)
    )


def _customer_mail_bounced(session: Session, ids: list[str]) -> bool:
    """Whether the bounced mail was mail to the customer. A bounce of staff mail neither marks
    the customer's address nor tells anyone: the notice would bounce in turn, for ever."""
    kinds = session.exec(select(Outbox.kind).where(col(Outbox.message_id).in_(ids))).all()
    return CUSTOMER_MAIL in kinds


@dataclass(frozen=True, kw_only=True)
class Inbound:
    """Everything the pipeline needs, passed in (no module-level state)."""

    policy: CouncilPolicy
    engine: Engine
    blobs: BlobStore
    mailbox: MailboxConfig
    own_addresses: frozenset[str]
    limits: Limits
    clock: Callable[[], datetime]
    wake: asyncio.Event | None = None
    officers: OfficerReplies | None = None
    quiet: bool = False
    """Record everything but mail nobody: the mails decided are audited as suppressed
    (``mailflow import`` of old mail: no acknowledgement for last year's complaint)."""

    async def handle(self, fetched: Fetched) -> str | None:
        """The watcher's handler: record the message (in a thread: the DB is blocking), then
        wake the outbox worker so the acknowledgement goes out at once."""
        folder = await self._process_retrying(fetched)
        if self.wake is not None:
            self.wake.set()
        return folder

    async def _process_retrying(self, fetched: Fetched) -> str | None:
        """``process``, tried again while the database connection is lost (``STORE_RETRIES``)."""
        for pause in STORE_RETRIES:
            try:
                return await asyncio.to_thread(self.process, fetched)
            except StoreError as exc:
                if not store_unavailable(exc):
                    raise
                log.warning(
                    "database unavailable, trying again in %.1f s: %s",
                    pause,
                    exc,
                    extra={"event": "inbound.store_retry", "uid": fetched.uid},
                )
                await asyncio.sleep(pause)
        return await asyncio.to_thread(self.process, fetched)

    def process(self, fetched: Fetched) -> str | None:
        """Record one message exactly once and say where to file it."""
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                return self._process(session, fetched, now)
        except StoreError as exc:
            if store_unavailable(exc):
                raise  # the message is fine: the caller tries again, or it stays in the mailbox
            return self._failed(fetched, exc, now)
        except Exception as exc:  # a bug must not lose the message
            return self._failed(fetched, exc, now)

    def _failed(self, fetched: Fetched, exc: Exception, now: datetime) -> str:
        """Quarantine a message its processing failed on, with the reason."""
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        log.error(
            "message failed",
            extra={
                "event": "inbound.failed",
                "uid": fetched.uid,
                "mailbox": fetched.mailbox,
                "error": reason,
            },
        )
        with session_scope(self.engine) as session:
            return self._quarantine(session, fetched, reason, now)

    def _folder(self, status: MessageStatus) -> str:
        folders = self.mailbox.folders
        if status is MessageStatus.QUARANTINED:
            return folders.quarantine
        if status in (MessageStatus.AUTOMATIC, MessageStatus.BOUNCE):
            return folders.automatic
        return folders.processed

    def _process(self, session: Session, fetched: Fetched, now: datetime) -> str:
        seen = message_at(session, fetched.mailbox, fetched.uidvalidity, fetched.uid)
        if seen is not None:
            return self._folder(seen.status)
        try:
            parsed = parse_message(fetched.raw, limits=self.limits)
        except MailError as exc:
            return self._quarantine(session, fetched, str(exc), now)
        u = understand(self.policy, parsed, self.own_addresses)
        claim = None
        if u.automatic is None and self.officers is not None:
            claim = self.officers.recognise(session, parsed, fetched.raw)
        if u.automatic is None and claim is None:  # a customer: someone must be answerable
            answer = answerable(parsed, self.own_addresses)
            if answer.reason is not None:
                return self._quarantine(session, fetched, answer.reason, now)
            parsed = answer.parsed
        sha = save_blob(session, self.blobs, fetched.raw, at=now)
        message, created = insert_message_once(
            session, self._message(session, fetched, parsed, sha, now)
        )
        if not created:
            return self._folder(message.status)
        if u.automatic is not None:
            return self._automatic(session, message, parsed, u, now)
        if self.officers is not None and claim is not None:
            self.officers.handle(session, message, parsed, claim, self._origin({}, now))
            return self.mailbox.folders.processed
        self._contact(session, message, parsed, u, now)
        return self.mailbox.folders.processed

    def _message(
        self, session: Session, fetched: Fetched, parsed: ParsedMessage, sha: str, now: datetime
    ) -> Message:
        attachments = [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "blob": None if a.truncated else save_blob(session, self.blobs, a.data, at=now),
            }
            for a in parsed.attachments
        ]
        return Message(
            direction=Direction.IN,
            mailbox=fetched.mailbox,
            uidvalidity=fetched.uidvalidity,
            uid=fetched.uid,
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=" ".join(parsed.references),
            from_address=parsed.from_address or "",
            from_name=parsed.from_name or "",
            to_addresses=list(parsed.to),
            subject=parsed.subject,
            date_header=parsed.date,
            received_at=now,
            content_hash=parsed.content_hash,
            raw_blob=sha,
            text=parsed.new_text or parsed.text,
            status=MessageStatus.RECORDED,
            attachments=attachments,
        )

    def _quarantine(
        self,
        session: Session,
        fetched: Fetched,
        reason: str,
        now: datetime,
    ) -> str:
        """Keep the raw bytes and the reason, file it in Quarantine, tell customer services."""
        sha = save_blob(session, self.blobs, fetched.raw, at=now)
        digest = hashlib.sha256(fetched.raw).hexdigest()
        message, created = insert_message_once(
            session,
            Message(
                direction=Direction.IN,
                mailbox=fetched.mailbox,
                uidvalidity=fetched.uidvalidity,
                uid=fetched.uid,
                message_id=f"<sha256-{digest}@mailflow.invalid>",
                from_address="",
                received_at=now,
                content_hash=digest,
                raw_blob=sha,
                status=MessageStatus.QUARANTINED,
                quarantine_reason=reason[:500],
            ),
        )
        person = self.policy.person("service_officer", "customer_services")
        if created and person is not None:
            notice = SendMail(
                purpose="quarantine_notice",
                template="quarantine_notice",
                to=(person.address,),
                to_customer=False,
                context={"reason": reason[:500], "message": message.id, "mailbox": fetched.mailbox},
            )
            write_actions(session, [notice], contact=None, origin=self._origin({}, now))
        return self.mailbox.folders.quarantine

    def _origin(self, thread: dict[str, object], now: datetime) -> Origin:
        domain = self.mailbox.address.partition("@")[2] or "mailflow.invalid"
        return Origin(
            mailbox=self.mailbox.name,
            domain=domain,
            thread=dict(thread),
            actor=ACTOR,
            now=now,
            quiet=self.quiet,
        )

    def _automatic(
        self,
        session: Session,
        message: Message,
        parsed: ParsedMessage,
        u: Understanding,
        now: datetime,
    ) -> str:
        """Never answer automatic mail; link a bounce to its case and tell the officer."""
        assert u.automatic is not None
        message.status = MessageStatus.AUTOMATIC
        info = bounce_info(parsed) if u.automatic.kind == "bounce" else None
        if info is not None:
            message.status = MessageStatus.BOUNCE
            ids = [i for i in (info.original_message_id,) if i]
            contact = contact_for_message_ids(session, ids)
            if contact is not None:
                message.contact_id = contact.id
                if info.permanent and _customer_mail_bounced(session, ids):
                    self._undeliverable(session, contact, info.recipients, now)
        session.add(message)
        return self._folder(message.status)

    def _undeliverable(
        self, session: Session, contact: Contact, recipients: tuple[str, ...], now: datetime
    ) -> None:
        """Mark the customer's address undeliverable and tell the handling officer."""
        state = load_case(session, contact).with_flag("undeliverable")
        actions: list[Action] = [
            Audit(
                event="address_undeliverable",
                detail={"address": contact.customer_address, "failed": list(recipients)},
            )
        ]
        if state.assigned_to:
            actions.append(
                SendMail(
                    purpose="bounce_notice",
                    template="bounce_notice",
                    to=(state.assigned_to,),
                    to_customer=False,
                    stage=state.stage,
                )
            )
        record(
            session, Decision(state, tuple(actions)), contact=contact, origin=self._origin({}, now)
        )

    def _contact(
        self,
        session: Session,
        message: Message,
        parsed: ParsedMessage,
        u: Understanding,
        now: datetime,
    ) -> None:
        """Join the message to its case, or open a new contact."""
        match = thread_of(session, parsed)
        origin = self._origin(customer_thread(parsed.message_id, parsed.references), now)
        if match.reference is not None:
            contact = contact_by_reference(session, match.reference)
            state = load_case(session, contact)
            escalating = state.is_case and u.classification.escalation_request
            after_close = self.policy.rules.replies.after_close
            if state.status != "closed" or escalating or after_close == "reopen":
                event = CustomerReplied(
                    message_id=parsed.message_id,
                    received_at=now,
                    escalation_request=u.classification.escalation_request,
                    avoidable=u.classification.avoidable,
                )
                decision = decide(self.policy, state, event, now)
                record(session, decision, contact=contact, origin=origin)
                message.contact_id = contact.id
                session.add(message)
                return
            linked: int | None = contact.id
        else:
            linked = None
            if match.linked_to is not None:
                linked = contact_by_reference(session, match.linked_to).id
        self._new_contact(session, message, parsed, u, linked, origin)

    def _new_contact(
        self,
        session: Session,
        message: Message,
        parsed: ParsedMessage,
        u: Understanding,
        linked: int | None,
        origin: Origin,
    ) -> None:
        now = origin.now
        tz = ZoneInfo(self.policy.rules.council.timezone)
        year = now.astimezone(tz).year
        reference = next_reference(session, self.policy.rules.council.reference_prefix, year)
        sender = parsed.from_address or ""
        window = self.policy.rules.unacceptable_actions.window_days
        event = ContactReceived(
            reference=reference,
            message_id=parsed.message_id,
            sender=sender,
            sender_name=parsed.from_name or "",
            subject=parsed.subject,
            channel="email",
            received_at=now,
            classified=classified(u),
            history=sender_history(session, sender, now, window),
        )
        decision = decide(self.policy, None, event, now)
        contact = record(session, decision, contact=None, origin=origin)
        contact.linked_contact_id = linked
        message.contact_id = contact.id
        session.add_all([contact, message])
        log.info(
            "contact recorded",
            extra={"event": "inbound.contact", "reference": reference, "kind": decision.state.kind},
        )
