"""Header values mailflow writes, made safe from text a customer controls.

CPython 3.11 decodes RFC 2047 encoded words in any string assigned to a header and folds the
result back out, so a subject holding ``=?UTF-8?Q?=0A?=Bcc: x@evil.example`` becomes a real
``Bcc:`` line (CVE-2024-6923, fixed in 3.13). Every piece of customer text bound for a header
therefore goes through ``header_text``: decoded once (as a mail program would show it), cleaned
of CR, LF and other controls, and left with no ``=?`` that could be decoded a second time. The
email package then encodes the clean text itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.headerregistry import Address

from mailflow.errors import MailError
from mailflow.mail.headers import clean_header_text, decode_header_text, message_ids

MAX_SUBJECT = 200


def header_text(value: str, max_len: int = MAX_SUBJECT) -> str:
    """``value`` as one safe line for an outgoing header: decoded, cleaned and defused."""
    text = decode_header_text(value, max_len=max_len * 2)
    # What is left of "=?" after one decoding is text, not an encoded word: keep it that way.
    while "=?" in text:
        text = text.replace("=?", "= ?")
    return clean_header_text(text, max_len)


def mailbox(address: str, name: str = "") -> Address:
    """An address with an optional display name, both checked, for From, To and Cc."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c in address for c in '\r\n <>"(),;:'):
        raise MailError(f"cannot address mail to {address[:80]!r}")
    return Address(display_name=header_text(name, 120), username=local, domain=domain)


def id_list(values: Iterable[str | None]) -> str:
    """Message-IDs for In-Reply-To or References: only well-formed ``<id>`` tokens, in order."""
    found: list[str] = []
    for value in values:
        for mid in message_ids(value):
            if mid not in found:
                found.append(mid)
    return " ".join(found)
