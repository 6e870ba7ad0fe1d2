"""Limits on a message's size and shape, checked by a cheap scan before the full parse.

CPython's ``email`` package has no limits: 200,000 tiny parts took 27 s and 2,000 levels of
nesting raised RecursionError (shared/TESTING.md). :func:`measure` walks the raw bytes the way
``email.feedparser`` would -- boundary lines from RFC 2046 section 5.1.1, ``message/*`` bodies as
nested messages, ``message/delivery-status`` as blocks of fields (RFC 3464 section 2.1) -- but
only reads header blocks and jumps between candidate boundary lines with ``bytes.find``, so a
message over a limit is refused in milliseconds. It also finds the leaf bodies big enough to be
worth handing to the parser as a placeholder (see ``parse.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from functools import partial
from typing import TypeVar

from mailflow.errors import MessageTooLarge

MiB = 1024 * 1024
_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one inbound message may be; anything beyond is refused with ``MessageTooLarge``."""

    max_bytes: int = 50 * MiB
    """Total size of the raw message."""
    max_parts: int = 1000
    """MIME entities, counting the message itself, nested messages and delivery-status blocks."""
    max_depth: int = 30
    """Nesting levels; the message itself is level 1."""
    attachment_cap: int = 10 * MiB
    """Decoded attachments larger than this keep their metadata only (``truncated``)."""
    max_mime_header_bytes: int = 64 * 1024
    """Total Content-* header text: CPython parses it at about 10 microseconds a byte."""


@dataclass(frozen=True, kw_only=True)
class LeafBody:
    """The raw byte range of one leaf part's body and its Content-Transfer-Encoding."""

    start: int
    end: int
    encoding: str


@dataclass(frozen=True, kw_only=True)
class Layout:
    """What the scan found: entity count, deepest level and the large leaf bodies."""

    parts: int
    depth: int
    large_bodies: tuple[LeafBody, ...]


@dataclass(frozen=True)
class _Open:
    boundary: bytes | None  # None: a boundary no line can match (non-ASCII after RFC 2231)
    depth: int
    digest: bool


@dataclass(frozen=True)
class _Delimiter:
    start: int
    after: int
    index: int
    close: bool


_EOL = re.compile(rb"\r\n|\r|\n")
_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")  # feedparser's headerRE
_MIME_HEADER = re.compile(rb"content-", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\n(?=\n)")
# Field blocks of a delivery-status body are parsed as entities too; one that declares a type
# could nest without bound, so such a report is refused rather than measured.
_NESTED_TYPE = re.compile(rb"(?:\A|[\r\n])content-type:", re.IGNORECASE)


def measure(raw: bytes, limits: Limits, *, large_body: int = MiB) -> Layout:
    """Check ``raw`` against ``limits`` without parsing it; raise ``MessageTooLarge`` if over.

    Leaf bodies longer than ``large_body`` bytes are reported in the layout.
    """
    if len(raw) > limits.max_bytes:
        raise MessageTooLarge(f"message is {len(raw)} bytes, over the {limits.max_bytes} limit")
    return _Scan(raw, limits, large_body).run()


class _Scan:
    """One pass over a message; the state of the multipart boundaries open at the cursor."""

    def __init__(self, raw: bytes, limits: Limits, large_body: int) -> None:
        self.raw = raw
        self.limits = limits
        self.large_body = large_body
        self.stack: list[_Open] = []
        self.parts = 0
        self.deepest = 0
        self.mime_bytes = 0
        self.large: list[LeafBody] = []
        self._next_at: dict[bytes, tuple[int, int]] = {}  # pattern -> (searched from, found)

    def run(self) -> Layout:
        pos, depth, default = 0, 1, "text/plain"
        while True:
            self._count(depth)
            headers, pos = self._headers(pos)
            headers.set_default_type(default)
            ctype = _checked(headers.get_content_type, "text/plain")
            if ctype.startswith("message/") and ctype != "message/delivery-status":
                depth, default = depth + 1, "text/plain"  # the body is a whole message
                continue
            opened = ctype.startswith("multipart/") and self._open(headers, depth, ctype)
            found = self._delimiter(pos)
            if ctype == "message/delivery-status":  # blocks of fields, one entity each
                end = found.start if found else len(self.raw)
                if _NESTED_TYPE.search(self.raw, max(pos - 1, 0), end):
                    raise MessageTooLarge("a delivery-status report nests MIME entities")
                for _ in range(_field_blocks(self.raw[pos:end])):
                    self._count(depth + 1)
            elif not opened:
                self._leaf(pos, found, _checked(partial(_encoding, headers), ""))
            while found is not None and found.close:
                del self.stack[found.index :]
                found = self._delimiter(found.after) if self.stack else None
            if found is None:
                return Layout(parts=self.parts, depth=self.deepest, large_bodies=tuple(self.large))
            del self.stack[found.index + 1 :]
            pos = self._skip_repeats(found)
            owner = self.stack[found.index]
            depth = owner.depth + 1
            default = "message/rfc822" if owner.digest else "text/plain"

    def _open(self, headers: EmailMessage, depth: int, ctype: str) -> bool:
        """Push a multipart's boundary; without one, feedparser reads the body as text."""
        boundary = _checked(headers.get_boundary, None)
        if boundary is None:
            return False
        try:
            raw: bytes | None = boundary.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            raw = None  # non-ASCII after RFC 2231 decoding: no line can match it
        self.stack.append(_Open(raw, depth, ctype == "multipart/digest"))
        return True

    def _count(self, depth: int) -> None:
        self.parts += 1
        self.deepest = max(self.deepest, depth)
        if self.parts > self.limits.max_parts:
            raise MessageTooLarge(f"message has over {self.limits.max_parts} MIME parts")
        if depth > self.limits.max_depth:
            raise MessageTooLarge(f"message nests over {self.limits.max_depth} levels deep")

    def _line(self, pos: int) -> tuple[int, int]:
        """End of the line's content and start of the next line."""
        m = _EOL.search(self.raw, pos)
        return (m.start(), m.end()) if m else (len(self.raw), len(self.raw))

    def _headers(self, pos: int) -> tuple[EmailMessage, int]:
        """Read one header block as feedparser does; return its Content-* headers parsed."""
        mime: list[bytes] = []
        in_mime = False
        while pos < len(self.raw):
            end, nxt = self._line(pos)
            line = self.raw[pos:end]
            if not line:
                pos = nxt
                break
            if self._match(line) is not None or not _HEADER_LINE.match(line):
                break
            if line[0] not in b" \t":
                in_mime = bool(_MIME_HEADER.match(line))
            if in_mime:
                mime.append(self.raw[pos:nxt])
                self.mime_bytes += nxt - pos
            pos = nxt
        if self.mime_bytes > self.limits.max_mime_header_bytes:
            raise MessageTooLarge(
                f"Content-* headers exceed {self.limits.max_mime_header_bytes} bytes"
            )
        try:
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(b"".join(mime))
        except RecursionError:
            raise MessageTooLarge("a Content-* header nests comments too deeply") from None
        except Exception:  # the full parse meets the same header and reports it
            parsed = EmailMessage()
        return parsed, pos

    def _leaf(self, start: int, found: _Delimiter | None, encoding: str) -> None:
        end = len(self.raw) if found is None else found.start
        if found is not None:  # RFC 2046 5.1.1: the line break before a boundary belongs to it
            end -= 2 if self.raw[max(end - 2, 0) : end] == b"\r\n" else 1
        if end - start > self.large_body:
            self.large.append(LeafBody(start=start, end=end, encoding=encoding))

    def _match(self, line: bytes) -> tuple[int, bool] | None:
        """Which open boundary ``line`` delimits and whether it closes.

        The outermost match wins: feedparser tests the enclosing multiparts' boundaries before a
        multipart looks at its own, so a nested part that reuses its parent's boundary ends there.
        """
        if not line.startswith(b"--") or not self.stack:
            return None
        text = line.rstrip(b" \t")
        for index, opened in enumerate(self.stack):
            boundary = opened.boundary
            if boundary is None:
                continue
            if text == b"--" + boundary:
                return index, False
            if text == b"--" + boundary + b"--":
                return index, True
        return None

    def _delimiter(self, pos: int) -> _Delimiter | None:
        """The first boundary line at or after ``pos`` (a line start) of any open multipart."""
        while self.stack and pos < len(self.raw):
            start = self._candidate(pos)
            if start < 0:
                return None
            end, nxt = self._line(start)
            hit = self._match(self.raw[start:end])
            if hit is not None:
                return _Delimiter(start=start, after=nxt, index=hit[0], close=hit[1])
            pos = nxt
        return None

    def _candidate(self, pos: int) -> int:
        """Start of the next line at or after ``pos`` that begins with ``--``, or -1."""
        if self.raw.startswith(b"--", pos):
            return pos
        best = -1
        start_at = max(pos - 1, 0)
        for pattern in (b"\n--", b"\r--"):
            cached = self._next_at.get(pattern)
            if cached is None or start_at < cached[0] or -1 < cached[1] < start_at:
                cached = (start_at, self.raw.find(pattern, start_at))
                self._next_at[pattern] = cached
            found = cached[1]
            if found != -1 and (best < 0 or found + 1 < best):
                best = found + 1
        return best

    def _skip_repeats(self, found: _Delimiter) -> int:
        """Feedparser swallows boundary lines that directly follow one another."""
        pos = found.after
        while pos < len(self.raw):
            end, nxt = self._line(pos)
            hit = self._match(self.raw[pos:end])
            if hit is None or hit[0] != found.index:
                break
            pos = nxt
        return pos


def _checked(get: Callable[[], _T], fallback: _T) -> _T:
    """A Content-* lookup that a hostile header cannot crash."""
    try:
        return get()
    except RecursionError:
        raise MessageTooLarge("a Content-* header nests comments too deeply") from None
    except Exception:  # whatever fails here fails again in the real parse and is reported
        return fallback


def _encoding(headers: EmailMessage) -> str:
    return str(headers.get("content-transfer-encoding", ""))


def _field_blocks(body: bytes) -> int:
    """How many field blocks feedparser makes of a delivery-status body.

    Each block takes a run of lines and one blank line; another starts while lines remain.
    """
    lines = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    blank = len(_BLANK_LINE.findall(lines)) + lines.startswith(b"\n")
    ends_blank = lines.endswith(b"\n\n") or lines == b"\n"
    return blank + (0 if ends_blank else 1)
