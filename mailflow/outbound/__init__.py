"""Outbound mail: the outbox's rows, composing them, the delivery backends and the worker.

queue_mail(session, contact=, kind=, recipients=, payload=, not_before=, domain=)
                          write a mail to the outbox in the caller's transaction (rows.py)
compose(policy, state, row, from_address=, templates_dir=, letters_dir=, now=)
                          the EmailMessage for a row (compose.py)
OutboxWorker(engine, policy, backend, holder=, clock=, ...)
                          claims due rows, sends them, records what happened (worker.py)
SmtpBackend / CaptureBackend / MemoryBackend
                          behind the MailBackend base class (backends.py)
officer_reply_address(mailbox, reference, officer, key) / token_matches(...)
                          officers' authenticated reply addresses (tokens.py)
"""

from __future__ import annotations

from mailflow.outbound.backends import MailBackend, OutgoingMail
from mailflow.outbound.capture import CaptureBackend
from mailflow.outbound.compose import Composed, RenderedLetter, compose, compose_with_letters
from mailflow.outbound.context import CaseTexts, letter_context, mail_context
from mailflow.outbound.memory import MemoryBackend
from mailflow.outbound.retry import RetryPolicy
from mailflow.outbound.rows import (
    CUSTOMER_MAIL,
    SENT_COPY,
    STAFF_MAIL,
    action_payload,
    new_message_id,
    queue_action,
    queue_mail,
)
from mailflow.outbound.smtp import SmtpBackend
from mailflow.outbound.tokens import officer_reply_address, token_matches
from mailflow.outbound.worker import OutboxWorker

__all__ = [
    "CUSTOMER_MAIL",
    "SENT_COPY",
    "STAFF_MAIL",
    "CaptureBackend",
    "CaseTexts",
    "Composed",
    "MailBackend",
    "MemoryBackend",
    "OutboxWorker",
    "OutgoingMail",
    "RenderedLetter",
    "RetryPolicy",
    "SmtpBackend",
    "action_payload",
    "compose",
    "compose_with_letters",
    "letter_context",
    "mail_context",
    "new_message_id",
    "officer_reply_address",
    "queue_action",
    "queue_mail",
    "token_matches",
]
