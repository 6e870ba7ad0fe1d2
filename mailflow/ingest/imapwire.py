"""IMAP wire details the source needs and aioimaplib leaves to its caller: names and answers.

aioimaplib sends arguments as given (it quotes only the password), and hands back answers as
the raw lines of the response, so mailbox names are encoded and answers parsed here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_SEARCH_HIT = re.compile(rb"^(?:SEARCH)?[\d ]*$", re.IGNORECASE)


def quote(text: str) -> str:
    """``text`` as an IMAP quoted string (RFC 3501 section 4.3)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_mailbox(name: str) -> str:
    """A mailbox name in modified UTF-7 (RFC 3501 section 5.1.3), quoted for a command line."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            packed = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + packed.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return quote("".join(out))


def response_text(lines: Sequence[Any]) -> str:
    """The text of a tagged answer (its last line), decoded for an error message."""
    if not lines:
        return ""
    last = lines[-1]
    return bytes(last).decode("utf-8", "replace") if isinstance(last, bytes | bytearray) else ""


def parse_uidvalidity(lines: Sequence[Any]) -> int | None:
    """The UIDVALIDITY a SELECT answer reports (RFC 3501 section 6.3.1), or None."""
    for line in lines:
        if isinstance(line, bytes | bytearray):
            match = _UIDVALIDITY.search(bytes(line))
            if match:
                return int(match.group(1))
    return None


def parse_search(lines: Sequence[Any]) -> list[int]:
    """The numbers of a (UID) SEARCH answer; aioimaplib strips the ``* SEARCH`` prefix."""
    found: list[int] = []
    for line in lines[:-1]:  # the last line is the tagged OK text
        if isinstance(line, bytes) and _SEARCH_HIT.match(line):
            found.extend(int(word) for word in line.split() if word.isdigit())
    return found


def parse_body(lines: Sequence[Any]) -> bytes | None:
    """The message body of a one-message UID FETCH answer: its only literal (bytearray).

    None when the server returned no body (the message was expunged meanwhile).
    """
    for line in lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


def has_untagged(lines: Sequence[Any], word: bytes) -> bool:
    """Whether any pushed line is the untagged response ``word`` (``5 EXISTS``, ``BYE ...``)."""
    for line in lines:
        if isinstance(line, bytes | bytearray):
            words = bytes(line).upper().split()
            if word in words[:2]:
                return True
    return False


def describe(exc: BaseException) -> str:
    """A short account of a library or socket exception (aioimaplib's often have no text)."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
