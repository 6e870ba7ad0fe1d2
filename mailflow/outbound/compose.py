"""Composing one outbox row into the mail mailflow sends: headers, text, HTML and letters.

The message is ``multipart/mixed``: a ``multipart/alternative`` of plain text and HTML (both
from the row's template), then the row's letters as Word documents, in large print when the
customer asked for it, then the files stored before it was queued (``stored_files``: a
monitoring report). Headers:

    From         the council's name and the shared mailbox the row names
    To, Cc       the row's recipients (the customer with their cleaned name)
    Reply-To     to the customer: the per-case address ``complaints+sbc-2026-00042@...``
                 (RFC 5233 subaddress); on a notification that invites commands
                 (``TOKEN_PURPOSES``) to one officer of the directory: that address with their
                 token, ``complaints+sbc-2026-00042.<token>@...`` (``tokens``), so their reply
                 is authenticated; on other staff mail: the shared mailbox itself, so a
                 "thanks, noted" never reaches a customer
    Subject      ``[SBC-2026-00042] <the template's subject>``, cleaned (see ``addressing``)
    Message-ID   the row's, fixed when it was written, so a resend is recognisably the same
    In-Reply-To, References   the customer's thread (RFC 5322 section 3.6.4)
    Auto-Submitted            ``auto-replied`` on automatic customer mail, with
                              ``X-Auto-Response-Suppress: All``; ``auto-generated`` on staff
                              notices (RFC 3834 section 5); none on mail that carries an
                              officer's words or decision (payload ``automatic: false``)

``compose`` returns the ``EmailMessage``; ``compose_with_letters`` also returns the rendered
letters, which the worker records as ``Letter`` rows once the mail has gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mailflow.letters import render_letter
from mailflow.outbound.addressing import header_text, id_list, mailbox
from mailflow.outbound.backends import OutgoingMail
from mailflow.outbound.context import (
    CaseTexts,
    find_person,
    letter_context,
    mail_context,
)
from mailflow.outbound.rows import STAFF_MAIL
from mailflow.outbound.templates import render_mail
from mailflow.outbound.tokens import officer_reply_address
from mailflow.pipeline.threads import reply_address
from mailflow.policy.council import CouncilPolicy
from mailflow.store.blobs import BlobStore
from mailflow.store.models import Outbox
from mailflow.store.vocab import LetterVariant
from mailflow.workflow.state import CaseState

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


class SendPolicy(EmailPolicy):
    """``policy.SMTP`` (CRLF, as SMTP DATA carries it), folding plain subjects at their spaces.

    CPython 3.11 moves a long ASCII subject holding a hyphen (``[SBC-2026-00042] ...``) whole
    onto a continuation line instead of folding it; this folds it as RFC 5322 section 2.2.3
    describes. Anything else is folded by the email package.
    """

    def fold_binary(self, name: str, value: str) -> bytes:
        """The header as wire bytes."""
        text = str(value)
        if name.lower() == "subject" and text.isascii() and "=?" not in text:
            return fold_words(name, text, self.max_line_length or 78, self.linesep).encode()
        return super().fold_binary(name, value)


def fold_words(name: str, text: str, width: int, linesep: str) -> str:
    """``name: text`` folded before the word that would pass ``width`` (long words kept whole)."""
    lines, line = [], f"{name}:"
    for word in text.split():
        if len(line) + 1 + len(word) > width and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {word}"
    return linesep.join([*lines, line]) + linesep


SEND_POLICY = SendPolicy(linesep="\r\n")
# Staff mails that invite a reply with commands (the reply guide; the deadline notices ask
# for "#extend"): a reply to them is read for commands and its text relayed to the customer.
TOKEN_PURPOSES = (
    "officer_notification",
    "customer_replied",
    "reminder",
    "escalation",
    "breach_warning",
)


@dataclass(frozen=True, kw_only=True)
class RenderedLetter:
    """One letter attached to a mail, as rendered from its template."""

    template: str
    variant: LetterVariant
    filename: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class Composed:
    """A composed mail with its envelope and the letters it carries."""

    message: EmailMessage
    mail_from: str
    recipients: tuple[str, ...]
    letters: tuple[RenderedLetter, ...]

    def outgoing(self) -> OutgoingMail:
        """The mail as a backend sends it: the envelope and the exact bytes."""
        return OutgoingMail(
            message_id=str(self.message["Message-ID"]),
            mail_from=self.mail_from,
            recipients=self.recipients,
            data=self.message.as_bytes(policy=SEND_POLICY),
        )


def render_letters(
    policy: CouncilPolicy, state: CaseState, row: Outbox, *, letters_dir: Path, now: datetime
) -> tuple[RenderedLetter, ...]:
    """The row's letters, large print when the customer asked for it (both policies)."""
    names: list[str] = list(row.payload.get("letters") or [])
    if not names:
        return ()
    large = "large_print" in state.needs
    variant = LetterVariant.LARGE_PRINT if large else LetterVariant.STANDARD
    ctx = letter_context(policy, state, row.payload, now=now)
    suffix = "-large-print" if large else ""
    return tuple(
        RenderedLetter(
            template=name,
            variant=variant,
            filename=f"{ctx.reference}-{name.replace('_', '-')}{suffix}.docx",
            data=render_letter(letters_dir, name, ctx, large_print=large),
        )
        for name in names
    )


def compose(
    policy: CouncilPolicy,
    state: CaseState | None,
    row: Outbox,
    *,
    from_address: str,
    templates_dir: Path,
    letters_dir: Path,
    now: datetime,
    texts: CaseTexts = CaseTexts(),
    reply_key: bytes | None = None,
) -> EmailMessage:
    """The mail for outbox ``row`` about the case in ``state`` (None: a mail about no case).

    ``reply_key`` signs officers' reply addresses (``Config.hmac_key``); without it staff mail
    about a case carries the customer's case address, as before officers could reply.
    """
    return compose_with_letters(
        policy,
        state,
        row,
        from_address=from_address,
        templates_dir=templates_dir,
        letters_dir=letters_dir,
        now=now,
        texts=texts,
        reply_key=reply_key,
    ).message


def compose_with_letters(
    policy: CouncilPolicy,
    state: CaseState | None,
    row: Outbox,
    *,
    from_address: str,
    templates_dir: Path,
    letters_dir: Path,
    now: datetime,
    texts: CaseTexts = CaseTexts(),
    reply_key: bytes | None = None,
    blobs: BlobStore | None = None,
) -> Composed:
    """As ``compose``, with the envelope and the rendered letters (see ``Composed``).

    ``blobs`` holds files stored before the row was queued (a monitoring report's .docx,
    ``stored_files``); a row naming one without it cannot be composed.
    """
    payload = row.payload
    staff = row.kind == STAFF_MAIL
    ctx = mail_context(policy, state, payload, now=now, for_staff=staff, texts=texts)
    ctx["mailbox"] = from_address
    words = render_mail(templates_dir, payload["template"], ctx)
    letters = render_letters(policy, state, row, letters_dir=letters_dir, now=now) if state else ()
    reference = payload.get("reference")

    msg = EmailMessage()
    msg["From"] = mailbox(from_address, policy.rules.council.name)
    msg["To"] = [_recipient(policy, state, a) for a in row.recipients]
    cc = list(payload.get("cc") or [])
    if cc:
        msg["Cc"] = [_recipient(policy, state, a) for a in cc]
    msg["Reply-To"] = mailbox(_reply_to(policy, row, from_address, reply_key))
    subject = header_text(words.subject)
    msg["Subject"] = f"[{reference}] {subject}" if reference else subject
    tz = ZoneInfo(policy.rules.council.timezone)
    msg["Date"] = format_datetime(now.astimezone(tz))
    msg["Message-ID"] = row.message_id
    in_reply_to = id_list([payload.get("in_reply_to")])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    references = id_list([*(payload.get("references") or []), payload.get("in_reply_to")])
    if references:
        msg["References"] = references
    if staff:
        msg["Auto-Submitted"] = "auto-generated"
    elif payload.get("automatic", True):
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(words.text)
    msg.add_alternative(words.html, subtype="html")
    for letter in letters:
        msg.add_attachment(
            letter.data, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=letter.filename
        )
    for filename, content_type, data in stored_files(payload, blobs):
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return Composed(
        message=msg,
        mail_from=from_address,
        recipients=tuple(dict.fromkeys([*row.recipients, *cc])),
        letters=letters,
    )


def stored_files(payload: dict[str, Any], blobs: BlobStore | None) -> list[tuple[str, str, bytes]]:
    """The files a row carries by blob digest: (file name, content type, bytes), in order.

    ``context.report_blob`` (with ``filename`` and ``content_type``) is a monitoring report's
    Word document; ``context.files`` lists further ones (``blob``, ``filename``,
    ``content_type``), e.g. its tables as zipped CSV. Stored when the row was queued, so the
    mail carries exactly what was rendered then, however often it is retried.
    """
    context = payload.get("context") or {}
    wanted: list[dict[str, Any]] = []
    if context.get("report_blob"):
        wanted.append(
            {
                "blob": context["report_blob"],
                "filename": context.get("filename") or "report.docx",
                "content_type": context.get("content_type") or "/".join(DOCX_TYPE),
            }
        )
    wanted += list(context.get("files") or [])
    if not wanted:
        return []
    if blobs is None:
        raise ValueError("the mail carries stored files but no blob store was given")
    return [(str(f["filename"]), str(f["content_type"]), blobs.get(str(f["blob"]))) for f in wanted]


def _reply_to(policy: CouncilPolicy, row: Outbox, from_address: str, key: bytes | None) -> str:
    """Where a reply to ``row`` goes: see the module docstring (Reply-To)."""
    reference = row.payload.get("reference")
    if not reference:
        return from_address
    if row.kind != STAFF_MAIL or key is None:
        return reply_address(from_address, reference)
    [officer, *others] = row.recipients
    invited = row.payload.get("purpose") in TOKEN_PURPOSES
    if others or not invited or find_person(policy, officer) is None:
        return from_address
    return officer_reply_address(from_address, reference, officer, key)


def _recipient(policy: CouncilPolicy, state: CaseState | None, address: str) -> Address:
    """A recipient with a display name: the customer's own, or the directory's for staff."""
    if state is not None and address.casefold() == state.customer_address.casefold():
        return mailbox(address, state.customer_name)
    person = find_person(policy, address)
    return mailbox(address, person.display if person else "")
