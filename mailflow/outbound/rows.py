"""Writing outbox rows: the one place the format of a queued mail is defined.

The pipeline (and the worker itself, for bounce notices) writes a row in the same transaction as
the case's new state; the ``OutboxWorker`` composes and sends it after commit. Row kinds:

    customer_mail   mail to the customer, threaded into their conversation
    staff_mail      a notice to council staff (never answered with a bounce notice: no loops)
    sent_copy       worker-internal: a sent mail still to be appended to the Sent folder;
                    payload {"mailbox", "of": the mail's Message-ID, "reference", "raw": the
                    sent bytes in base64, dropped once appended}

A mail row's ``payload``, as ``queue_mail`` stores it (every key present):

    purpose      str          what the mail is for ("acknowledgement", "officer_notification")
    template     str          a name under templates/mail/ (``<name>.txt.j2`` and ``.html.j2``)
    stage        int | None   the stage it is about (MailSent meets that stage's deadline)
    letters      [str]        letter templates to attach (templates/letters/<name>.docx)
    cc           [str]        copy recipients
    context      {str: JSON}  extra keys the template reads as ``extra`` (role, flag, reason ...)
    reference    str | None   the case reference; None only for mail about no case
    in_reply_to  str | None   the customer's Message-ID this answers
    references   [str]        the thread's Message-IDs, oldest first
    mailbox      str          the rules' mailbox key to send from ("complaints")
    automatic    bool         an automatic reply (RFC 3834 headers); False for relayed words

Message-IDs are ``<32 random hex digits@council-domain>``: unguessable, so nobody can send a mail
with the same Message-ID first and have providers drop ours (TESTING.md, security facts), and
fixed when the row is written, so a resend after a crash carries the same one.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from mailflow.errors import MailError
from mailflow.mail.headers import message_ids, parse_address_strict
from mailflow.store.models import Contact, Outbox
from mailflow.store.vocab import OutboxStatus
from mailflow.workflow.actions import SendMail

CUSTOMER_MAIL = "customer_mail"
STAFF_MAIL = "staff_mail"
SENT_COPY = "sent_copy"
MAIL_KINDS = (CUSTOMER_MAIL, STAFF_MAIL)

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAILBOX_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")  # a rules mailbox key or a config mailbox name
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")
DEFAULTS: Mapping[str, Any] = {
    "stage": None,
    "letters": [],
    "cc": [],
    "context": {},
    "in_reply_to": None,
    "references": [],
    "automatic": True,
}


def new_message_id(domain: str, reference: str | None = None) -> str:
    """A fresh, unguessable Message-ID on ``domain`` (RFC 5322 section 3.6.4).

    The case reference leads it (DESIGN: the reference travels in mailflow's Message-IDs), but
    128 random bits follow: a predictable Message-ID would let anyone who sends first suppress
    ours at providers that keep one copy per Message-ID.
    """
    if not DOMAIN.match(domain):
        raise MailError(f"cannot make a Message-ID on {domain[:80]!r}: not a domain name")
    lead = f"{reference}." if reference else ""
    return f"<{lead}{secrets.token_hex(16)}@{domain}>"


def domain_of(address_or_id: str) -> str:
    """The domain of an address or Message-ID (``<x@council.example>`` -> ``council.example``)."""
    return address_or_id.strip("<>").rpartition("@")[2]


@functools.lru_cache(maxsize=4096)
def check_address(address: str) -> str:
    """``address`` if it is one plain, unambiguous address; else ``MailError``.

    Remembered (a pure function of the string): the same officers and customers are written
    to again and again, and the strict parse (``email.headerregistry``) cost about 5% of the
    inbound pipeline. A refused address raises each time (exceptions are not cached).
    """
    name, parsed = parse_address_strict(address)
    if parsed is None or name is not None or parsed != address:
        raise MailError(f"not a plain mail address: {address[:80]!r}")
    return address


def normalise_payload(payload: Mapping[str, Any], contact: Contact | None) -> dict[str, Any]:
    """``payload`` with every key present and checked; see the module docstring."""
    out = {**DEFAULTS, **payload}
    if contact is not None and not out.get("reference"):
        out["reference"] = contact.reference
    out.setdefault("reference", None)
    for key, pattern in (("purpose", NAME), ("template", NAME), ("mailbox", MAILBOX_NAME)):
        if not isinstance(out.get(key), str) or not pattern.match(out[key]):
            raise MailError(
                f"outbox payload {key}: expected a lower-case name, not {out.get(key)!r}"
            )
    if not all(isinstance(n, str) and NAME.match(n) for n in out["letters"]):
        raise MailError(f"outbox payload letters: expected letter names, not {out['letters']!r}")
    out["cc"] = [check_address(a) for a in out["cc"]]
    ids = [*([out["in_reply_to"]] if out["in_reply_to"] else []), *out["references"]]
    if len(message_ids(" ".join(ids))) != len(ids):
        raise MailError(f"outbox payload: not Message-IDs: {ids!r}")
    try:
        json.dumps(out)
    except (TypeError, ValueError) as exc:
        raise MailError(f"outbox payload is not plain JSON data: {exc}") from None
    return out


def queue_mail(
    session: Session,
    *,
    contact: Contact | None,
    kind: str,
    recipients: Sequence[str],
    payload: Mapping[str, Any],
    not_before: datetime,
    domain: str,
    created_at: datetime | None = None,
) -> Outbox:
    """Add one mail to the outbox in the caller's transaction (flushed, so it has its id).

    ``kind`` is ``customer_mail`` or ``staff_mail``; ``domain`` is the council's mail domain for
    the Message-ID; ``created_at`` defaults to ``not_before``. Raises ``MailError`` for a payload
    the worker could not send, so the mistake surfaces in the transaction that made it.
    """
    if kind not in MAIL_KINDS:
        raise MailError(f"outbox kind {kind!r}: expected one of {', '.join(MAIL_KINDS)}")
    if not recipients:
        raise MailError("outbox mail has no recipients")
    row = Outbox(
        contact_id=contact.id if contact is not None else None,
        kind=kind,
        message_id=new_message_id(domain, contact.reference if contact is not None else None),
        recipients=[check_address(a) for a in recipients],
        payload=normalise_payload(payload, contact),
        not_before=not_before,
        created_at=created_at or not_before,
    )
    session.add(row)
    session.flush()
    return row


def sent_copy_row(
    row: Outbox, data: bytes, *, holder: str, at: datetime, lease: timedelta
) -> Outbox:
    """A ``sent_copy`` row holding ``row``'s sent bytes, claimed by ``holder`` to append now.

    Its ``message_id`` is derived from the mail's, so a mail has at most one copy row.
    """
    return Outbox(
        contact_id=row.contact_id,
        kind=SENT_COPY,
        status=OutboxStatus.CLAIMED,
        message_id=f"{row.message_id}/sent-copy",
        recipients=[],
        payload={
            "mailbox": row.payload.get("mailbox"),
            "of": row.message_id,
            "reference": row.payload.get("reference"),
            "raw": base64.b64encode(data).decode("ascii"),
        },
        not_before=at,
        claimed_by=holder,
        claimed_until=at + lease,
        created_at=at,
    )


def bounce_payload(row: Outbox, *, stage: int | None, error: str) -> dict[str, Any]:
    """The payload of the ``bounce_notice`` telling an officer customer mail ``row`` failed."""
    return {
        "purpose": "bounce_notice",
        "template": "bounce_notice",
        "stage": stage,
        "context": {
            "failed_purpose": row.payload.get("purpose"),
            "recipients": list(row.recipients),
            "error": error,
            "message_id": row.message_id,
        },
        "reference": row.payload.get("reference"),
        "mailbox": row.payload.get("mailbox"),
    }


def action_payload(
    action: SendMail,
    *,
    reference: str | None,
    mailbox: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> dict[str, Any]:
    """The payload for a workflow ``SendMail``; only customer mail threads into their messages."""
    threaded = action.to_customer
    return {
        "purpose": action.purpose,
        "template": action.template,
        "stage": action.stage,
        "letters": list(action.letters),
        "cc": list(action.cc),
        "context": dict(action.context),
        "reference": reference,
        "in_reply_to": in_reply_to if threaded else None,
        "references": list(references) if threaded else [],
        "mailbox": mailbox,
        "automatic": True,
    }


def queue_action(
    session: Session,
    action: SendMail,
    *,
    contact: Contact,
    mailbox: str,
    domain: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Outbox | None:
    """Queue a workflow ``SendMail`` for ``contact``; None when it names no recipient."""
    if not action.to:
        return None
    payload = action_payload(
        action,
        reference=contact.reference,
        mailbox=mailbox,
        in_reply_to=in_reply_to,
        references=references,
    )
    kind = CUSTOMER_MAIL if action.to_customer else STAFF_MAIL
    return queue_mail(
        session,
        contact=contact,
        kind=kind,
        recipients=action.to,
        payload=payload,
        not_before=now,
        domain=domain,
    )
