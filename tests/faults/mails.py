"""Realistic inbound mail in bulk: the labelled corpus, each copy made a new message.

Every variant keeps its sample's body and subject (so it classifies as the sample does) and gets
its own Message-ID, a Date and, unless a sender is given, its own sender address, so the
per-address caps never hold back an acknowledgement the benchmark or a test waits for.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def corpus_samples() -> list[bytes]:
    """The corpus messages, in file order."""
    return [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]


def _replace_header(head: bytes, name: bytes, value: bytes) -> bytes:
    """``head`` with every ``name:`` field (and its continuation lines) replaced by one."""
    lines = head.split(b"\n")
    kept: list[bytes] = []
    skipping = False
    for line in lines:
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = line.lower().startswith(name.lower() + b":")
        if not skipping:
            kept.append(line)
    return b"\n".join([f"{name.decode()}: ".encode() + value, *kept])


def variant(
    sample: bytes, index: int, *, run: str, sender: str | None = None, when: datetime | None = None
) -> bytes:
    """``sample`` as message ``index`` of run ``run``: new Message-ID, Date and sender."""
    match = _HEADER_END.search(sample)
    split = match.start() if match else len(sample)
    head, body = sample[:split], sample[split:]
    domain = f"{run}.residents.example"
    address = sender or f"resident{index:05d}@{domain}"
    original = email.message_from_bytes(head + b"\n\n")
    name = email.utils.parseaddr(str(original.get("From", "")))[0] or "A Resident"
    name = name.replace('"', "")
    head = _replace_header(head, b"From", f'"{name}" <{address}>'.encode())
    head = _replace_header(head, b"Message-ID", f"<{run}-{index:05d}@{domain}>".encode())
    date = format_datetime(when or datetime.now(UTC))
    head = _replace_header(head, b"Date", date.encode())
    return head + body


def variants(
    count: int, *, run: str, sender: str | None = None, samples: list[bytes] | None = None
) -> list[bytes]:
    """``count`` messages cycling through the corpus (or ``samples``)."""
    pool = samples or corpus_samples()
    return [variant(pool[i % len(pool)], i, run=run, sender=sender) for i in range(count)]


def message_id(raw: bytes) -> str:
    """The Message-ID header of a raw mail, as written."""
    return str(email.message_from_bytes(raw).get("Message-ID", "")).strip()


def in_reply_to(raw: bytes) -> str:
    """The In-Reply-To header of a raw mail, as written."""
    head = raw[: (m.start() if (m := _HEADER_END.search(raw)) else len(raw))]
    return str(email.message_from_bytes(head + b"\n\n").get("In-Reply-To", "")).strip()


def chunks(items: list[bytes], size: int) -> Iterator[list[bytes]]:
    """``items`` in lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def headers_of(raw: bytes) -> bytes:
    """The header section of a raw mail, CRLF line ends, without the blank line."""
    match = _HEADER_END.search(raw)
    head = raw[: match.start()] if match else raw
    return head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def bounce_for(original: bytes, recipient: str, *, to: str, index: int) -> bytes:
    """A Postfix-style permanent bounce (RFC 3464) of ``original`` for ``recipient``."""
    boundary = f"bounce-{index}.mx.example"
    text = (
        f"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{index}@mx.example>\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"<{recipient}>: host mx.example said: 550 5.1.1 User unknown\r\n"
        f"\r\n--{boundary}\r\n"
        f"Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: failed\r\n"
        f"Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        f"\r\n--{boundary}\r\n"
        f"Content-Type: text/rfc822-headers\r\n\r\n"
    ).encode()
    return text + headers_of(original) + f"\r\n\r\n--{boundary}--\r\n".encode()
