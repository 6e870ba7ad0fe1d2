"""Turn raw inbound bytes into a :class:`ParsedMessage`, whatever state the mail is in.

The order: hash the raw bytes; :func:`~mailflow.mail.limits.measure` them against the limits
(``MessageTooLarge`` if over); set large leaf bodies aside behind a placeholder line so the
parser never walks megabytes of base64 line by line; parse with ``email`` and
``policy.default``; then read every field defensively, recording what was wrong as short
defect strings instead of raising. Only the limits (``MessageTooLarge``) and a parser failure
nothing else could foresee (``MailError``) escape, and callers quarantine on both.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import Policy
from email.utils import parsedate_to_datetime
from typing import TypeVar

from mailflow.errors import MailError, MessageTooLarge
from mailflow.mail.body import extract_new_text
from mailflow.mail.headers import (
    decode_header_text,
    message_ids,
    parse_address_list,
    parse_address_strict,
    raw_headers,
)
from mailflow.mail.limits import Layout, Limits, measure
from mailflow.mail.parts import Attachment, Body, SetAside, collect

_T = TypeVar("_T")

AUTOMATIC_HEADERS = (
    "auto-submitted",  # RFC 3834
    "precedence",
    "list-id",  # RFC 2919
    "list-unsubscribe",  # RFC 2369
    "list-post",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",  # Exchange
    "x-ms-exchange-inbox-rules-loop",
    "x-ms-exchange-message-is-ndr",
    "x-failed-recipients",  # Exim
    "return-path",
    "sender",
    "from",
)
"""Headers kept in :attr:`ParsedMessage.headers` for automatic-mail detection."""

_AUTOMATIC = frozenset(AUTOMATIC_HEADERS)
_EMPTY = Body(text="", has_html=False, attachments=())
_ADDRESSING = ("message-id", "in-reply-to", "references", "from", "reply-to", "to", "cc")
_WANTED = frozenset((*_ADDRESSING, "subject", "date", *AUTOMATIC_HEADERS))


@dataclass(frozen=True, kw_only=True)
class ParsedMessage:
    """Everything mailflow reads from one inbound message, each field already made safe."""

    message_id: str
    """The Message-ID, or ``<sha256-HASH@mailflow.invalid>`` from the content when missing."""
    in_reply_to: str | None
    references: tuple[str, ...]
    from_address: str | None
    """``None`` unless the From header holds exactly one unambiguous address."""
    from_name: str | None
    reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    """Decoded, on one line, without control characters."""
    date: datetime | None
    """Always timezone-aware; ``None`` when missing or unreadable."""
    headers: Mapping[str, str]
    """The :data:`AUTOMATIC_HEADERS` present, by lower-case name, decoded and cleaned."""
    content_type: str
    report_type: str | None
    """The ``report-type`` of a ``multipart/report`` (RFC 6522), lower case."""
    text: str
    """The text/plain body, else the HTML body reduced to text."""
    new_text: str
    """What the sender newly wrote, without quoted history or signature."""
    has_html: bool
    attachments: tuple[Attachment, ...]
    content_hash: str
    """SHA-256 of the raw bytes, hex."""
    defects: tuple[str, ...]


def parse_message(raw: bytes, *, limits: Limits = Limits()) -> ParsedMessage:
    """Parse ``raw`` into a :class:`ParsedMessage`; malformed mail never raises.

    Raises ``MessageTooLarge`` when the message is over ``limits`` and ``MailError`` when the
    ``email`` package itself fails; the caller quarantines the raw bytes with the reason.
    """
    content_hash = hashlib.sha256(raw).hexdigest()
    layout = measure(raw, limits)
    source, aside = _set_aside(raw, layout)
    root = _parse(source, limits)
    defects: list[str] = []
    headers = raw_headers(root, _WANTED)

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    name, address = _sender(headers.get("from", []), defects)
    body = _guard(lambda: collect(root, aside, limits, defects), _EMPTY, defects, "body")
    return ParsedMessage(
        message_id=_message_id(first("message-id"), content_hash, defects),
        in_reply_to=next(iter(message_ids(first("in-reply-to"))), None),
        references=message_ids(first("references")),
        from_address=address,
        from_name=name,
        reply_to=parse_address_strict(first("reply-to"))[1],
        to=parse_address_list(", ".join(headers.get("to", []))),
        cc=parse_address_list(", ".join(headers.get("cc", []))),
        subject=decode_header_text(first("subject") or "", 500),
        date=_date(first("date"), defects),
        headers={n: decode_header_text(v[0], 500) for n, v in headers.items() if n in _AUTOMATIC},
        content_type=_guard(root.get_content_type, "text/plain", defects, "Content-Type"),
        report_type=_guard(lambda: _report_type(root), None, defects, "report-type"),
        text=body.text,
        new_text=_guard(lambda: extract_new_text(body.text), "", defects, "new text"),
        has_html=body.has_html,
        attachments=body.attachments,
        content_hash=content_hash,
        defects=tuple(dict.fromkeys(defects + _parser_defects(root))),
    )


def _set_aside(raw: bytes, layout: Layout) -> tuple[bytes, SetAside]:
    """Replace each large leaf body by a one-line placeholder the sender cannot predict."""
    if not layout.large_bodies:
        return raw, SetAside(raw, {})
    nonce = secrets.token_hex(12)
    pieces: list[bytes] = []
    bodies = {}
    at = 0
    for index, leaf in enumerate(layout.large_bodies):
        token = f"mailflow-set-aside-{nonce}-{index}"
        bodies[token] = leaf
        pieces += [raw[at : leaf.start], token.encode("ascii")]
        at = leaf.end
    pieces.append(raw[at:])
    return b"".join(pieces), SetAside(raw, bodies)


def _parse(source: bytes, limits: Limits) -> EmailMessage:
    """Parse with ``policy.default``, still counting parts in case the scan was outwitted."""
    made = 0

    def factory(policy: Policy[EmailMessage] = policy.default) -> EmailMessage:
        nonlocal made
        made += 1  # feedparser calls the factory once more, to probe its signature
        if made > limits.max_parts + 1:
            raise MessageTooLarge(f"message has over {limits.max_parts} MIME parts")
        return EmailMessage(policy=policy)

    try:
        return BytesParser(factory, policy=policy.default).parsebytes(source)
    except MessageTooLarge:
        raise
    except RecursionError:
        raise MessageTooLarge("message nests too deeply for the email package") from None
    except Exception as exc:
        raise MailError(f"email package failed on this message: {type(exc).__name__}") from exc


def _guard(read: Callable[[], _T], fallback: _T, defects: list[str], what: str) -> _T:
    """Read one field; a failure becomes a defect and the fallback, never an exception."""
    try:
        return read()
    except Exception as exc:
        defects.append(f"{what} unreadable ({type(exc).__name__})")
        return fallback


def _sender(values: list[str], defects: list[str]) -> tuple[str | None, str | None]:
    if not values:
        defects.append("missing From")
        return None, None
    if len(values) > 1:
        defects.append("several From headers")
        return None, None
    name, address = parse_address_strict(values[0])
    if address is None:
        defects.append("ambiguous or invalid From address")
    return name, address


def _message_id(value: str | None, content_hash: str, defects: list[str]) -> str:
    ids = message_ids(value)
    if ids:
        return ids[0]
    bare = decode_header_text(value or "", 250)
    if bare and " " not in bare and "@" in bare and "<" not in bare and ">" not in bare:
        defects.append("Message-ID without angle brackets")
        return f"<{bare}>"
    defects.append("missing Message-ID" if not value else "unreadable Message-ID")
    return f"<sha256-{content_hash}@mailflow.invalid>"


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(decode_header_text(value, 100))
    except (ValueError, TypeError, OverflowError, IndexError):
        defects.append("unreadable Date")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # RFC 5322 "-0000"


def _report_type(root: Message) -> str | None:
    if root.get_content_type() != "multipart/report":
        return None
    value = root.get_param("report-type")
    return decode_header_text(value, 60).lower() or None if isinstance(value, str) else None


def _parser_defects(root: Message) -> list[str]:
    """The ``email`` package's own defect classes, as short names."""
    names: list[str] = []
    stack: list[Message] = [root]
    while stack:
        part = stack.pop()
        names += [type(d).__name__ for d in part.defects]
        if part.is_multipart():  # a list payload; get_payload() on text may decode and raise
            stack += [p for p in part.get_payload() if isinstance(p, Message)]
    return names
