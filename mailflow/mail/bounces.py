"""What a bounce says: who failed, the status, whether for good, and which message it returns.

Read from the delivery-status part of an RFC 3464 report (``Final-Recipient``, ``Action``,
``Status``, ``Diagnostic-Code``), the returned message or its headers (``message/rfc822`` or
``text/rfc822-headers``) for the Message-ID mailflow sent, and -- for servers that send plain
text, like Exim's classic bounce -- ``X-Failed-Recipients`` and the quoted headers in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from mailflow.mail.headers import clean_header_text, message_ids, raw_headers
from mailflow.mail.parse import ParsedMessage

_REPORTS = ("message/delivery-status", "message/global-delivery-status")
_RETURNED = ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers")
_FAILING = ("failed", "delayed")  # RFC 3464 2.3.3; "delivered", "relayed", "expanded" are not
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")  # RFC 3463 enhanced status code
_QUOTED_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BLOCKS = re.compile(rb"(?:\r?\n){2,}")


@dataclass(frozen=True, kw_only=True)
class Bounce:
    """The failure a bounce reports, enough to find the case and mark the address."""

    recipients: tuple[str, ...]
    """Addresses that failed or are delayed."""
    status: str | None
    """Enhanced status code (RFC 3463) of the first of them, e.g. ``5.1.1``."""
    permanent: bool
    """True for a 5.x.x status (or a failure without any status); false for 4.x.x.

    A 4.x.x with ``action == "failed"`` means the server gave up retrying: the message was not
    delivered, but the address is not known to be bad.
    """
    action: str | None
    """RFC 3464 Action of the first of them: ``failed`` or ``delayed``."""
    diagnostic: str | None
    """The remote server's words, e.g. ``smtp; 550 5.1.1 User unknown``."""
    original_message_id: str | None
    """Message-ID of the message that bounced: the one mailflow sent."""


@dataclass(frozen=True)
class _Recipient:
    address: str
    action: str | None
    status: str | None
    diagnostic: str | None


def bounce_info(msg: ParsedMessage) -> Bounce | None:
    """Extract the failure from a bounce; ``None`` if ``msg`` reports none."""
    per_message, recipients = _report(msg)
    failing = [r for r in recipients if r.action in _FAILING or (r.action is None and r.status)]
    if not failing:
        failing = _plain_text_failures(msg)
    original = _returned_message_id(msg) or _field_id(per_message) or _quoted_id(msg.text)
    if not failing and original is None:
        return None
    first = failing[0] if failing else _Recipient("", None, None, None)
    status = first.status or _status(msg.text)
    if status:
        permanent = status.startswith("5")
    else:
        permanent = first.action == "failed" or "x-failed-recipients" in msg.headers
    return Bounce(
        recipients=tuple(dict.fromkeys(r.address for r in failing if r.address)),
        status=status,
        permanent=permanent,
        action=first.action,
        diagnostic=first.diagnostic,
        original_message_id=original,
    )


def _report(msg: ParsedMessage) -> tuple[dict[str, list[str]], list[_Recipient]]:
    """The per-message fields and per-recipient field blocks of the delivery-status part."""
    part = next((a for a in msg.attachments if a.content_type in _REPORTS), None)
    if part is None or not part.data:
        return {}, []
    blocks = [_fields(b) for b in _BLOCKS.split(part.data.strip()) if b.strip()]
    if not blocks:
        return {}, []
    recipients = [_recipient(b) for b in blocks[1:]]
    return blocks[0], [r for r in recipients if r is not None]


def _fields(block: bytes) -> dict[str, list[str]]:
    return raw_headers(BytesHeaderParser(policy=policy.compat32).parsebytes(block))


def _recipient(fields: dict[str, list[str]]) -> _Recipient | None:
    typed = fields.get("final-recipient", []) + fields.get("original-recipient", [])
    addresses = [clean_header_text(t.split(";", 1)[-1], 254).strip("<> ") for t in typed]
    address = next((a for a in addresses if "@" in a), None)  # not an X.400 name
    if address is None:
        return None
    action = clean_header_text((fields.get("action") or [""])[0], 40).lower() or None
    status = _status((fields.get("status") or [""])[0])
    diagnostic = clean_header_text((fields.get("diagnostic-code") or [""])[0], 300) or None
    return _Recipient(address, action, status, diagnostic)


def _plain_text_failures(msg: ParsedMessage) -> list[_Recipient]:
    """Exim and similar name the failed addresses in ``X-Failed-Recipients``."""
    listed = msg.headers.get("x-failed-recipients", "")
    addresses = [a.strip("<> ") for a in listed.split(",") if "@" in a]
    diagnostic = _diagnostic_line(msg.text)
    return [_Recipient(a, "failed", _status(msg.text), diagnostic) for a in addresses]


def _returned_message_id(msg: ParsedMessage) -> str | None:
    for part in msg.attachments:
        if part.content_type in _RETURNED and part.data:
            headers = raw_headers(BytesHeaderParser(policy=policy.compat32).parsebytes(part.data))
            ids = message_ids((headers.get("message-id") or [""])[0])
            if ids:
                return ids[0]
    return None


def _field_id(fields: dict[str, list[str]]) -> str | None:
    for name in ("original-message-id", "x-original-message-id"):
        ids = message_ids((fields.get(name) or [""])[0])
        if ids:
            return ids[0]
    return None


def _quoted_id(text: str) -> str | None:
    found = _QUOTED_ID.search(text)
    return message_ids(found.group(1))[0] if found and message_ids(found.group(1)) else None


def _status(text: str) -> str | None:
    found = _STATUS.search(text)
    return ".".join(found.groups()) if found else None


def _diagnostic_line(text: str) -> str | None:
    for line in text.splitlines():
        if _STATUS.search(line):
            return clean_header_text(line, 300)
    return None
