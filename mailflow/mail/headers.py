"""Header text made safe: RFC 2047 decoding, control-character removal, strict address parsing.

Two CPython weaknesses shape this module (see shared/TESTING.md, "Security facts"):

- CVE-2024-6923: an encoded newline (``=?UTF-8?Q?=0A?=Bcc: ...``) survives decoding and
  re-serialises as a real header line, so decoded text is always passed through
  :func:`clean_header_text` before anyone may copy it into an outgoing header.
- CVE-2023-27043: ``parseaddr('alice@example.org)<bob@example.org>')`` answers alice, so a
  sender is accepted only when two independent parsers agree on exactly one address and that
  address survives a format/parse round trip (:func:`parse_address_strict`).
"""

from __future__ import annotations

import re
import unicodedata
from email import policy
from email.errors import HeaderParseError, InvalidHeaderDefect
from email.header import decode_header
from email.headerregistry import Address, AddressHeader
from email.message import Message
from email.utils import formataddr, getaddresses

MAX_RAW_HEADER = 16 * 1024
"""Raw header text beyond this is ignored: RFC 2047 decoding is quadratic in CPython 3.11."""

MAX_ADDRESSES = 100
"""At most this many addresses are kept from one To or Cc header."""

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SPACES = re.compile(r"\s+")
_MSG_ID = re.compile(r"<([^<>\s]{1,250})>")
# RFC 5322 dot-atom local part (plus non-ASCII for RFC 6531); a domain of dotted labels.
_ADDR_SPEC = re.compile(
    r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7f\s])+"
    r"(?:\.(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7f\s])+)*"
    r"@(?:[^\W_]|[^\x00-\x7f\s])(?:[\w-]|[^\x00-\x7f\s])*"
    r"(?:\.(?:[^\W_]|[^\x00-\x7f\s])(?:[\w-]|[^\x00-\x7f\s])*)+"
)
# Bidirectional overrides and isolates (Unicode category Cf) can make text read backwards.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def clean_header_text(s: str, max_len: int = 200) -> str:
    """Return ``s`` as one safe line: no CR, LF, NUL or other controls, at most ``max_len`` chars.

    Every control character (Unicode Cc), line or paragraph separator, lone surrogate and
    bidirectional override becomes a space; runs of whitespace collapse to one space.
    """
    kept = [
        " " if (unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI) else ch
        for ch in s
    ]
    line = _SPACES.sub(" ", "".join(kept)).strip()
    return line[:max_len].rstrip()


def raw_headers(msg: Message, names: frozenset[str] | None = None) -> dict[str, list[str]]:
    """Header values as received, by lower-case name, without CPython's structured parsing.

    The structured parsers are slow on hostile input (quadratic on many encoded words), so
    values are read raw and decoded here, each capped at ``MAX_RAW_HEADER`` characters.
    """
    found: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        key = name.strip().lower()
        if names is None or key in names:
            found.setdefault(key, []).append(str(value)[:MAX_RAW_HEADER])
    return found


def eight_bit_to_text(value: str) -> str:
    """Turn raw 8-bit header bytes (held as surrogate escapes) into text: UTF-8, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    for charset in ("utf-8", "cp1252"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def decode_header_text(value: str, max_len: int = 200) -> str:
    """Decode a raw header value (8-bit bytes, RFC 2047 encoded words) into one clean line."""
    text = eight_bit_to_text(_FOLD.sub("", value[:MAX_RAW_HEADER]))
    try:
        pieces = decode_header(text)
    except (HeaderParseError, ValueError, LookupError):
        return clean_header_text(text, max_len)
    decoded: list[str] = []
    for chunk, charset in pieces:
        if isinstance(chunk, str):
            decoded.append(chunk)
        elif charset is None:
            decoded.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            decoded.append(_decode_bytes(chunk, charset))
    return clean_header_text("".join(decoded), max_len)


def _decode_bytes(data: bytes, charset: str) -> str:
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeError, ValueError):
            continue
    return data.decode("latin-1")


def parse_address_strict(s: str | None) -> tuple[str | None, str | None]:
    """Return ``(display_name, address)`` when ``s`` holds exactly one unambiguous address.

    Answers ``(None, None)`` unless all of these hold: the value has no bare CR, LF or NUL;
    the modern parser (``email.headerregistry``) finds one address with no invalid-syntax
    defect; the legacy parser (``email.utils.getaddresses``) finds the same single address;
    the address is a plain ``local@dotted.domain``; and formatting then re-parsing it gives the
    same name and address back. This rejects the CVE-2023-27043 confusion
    ``alice@example.org)<bob@example.org>``.
    """
    if not s:
        return None, None
    value = eight_bit_to_text(_FOLD.sub("", s[:MAX_RAW_HEADER]))
    if any(ch in value for ch in "\r\n\x00"):
        return None, None
    parsed = _modern_parse(value)
    if parsed is None or len(parsed) != 1:
        return None, None
    name, address = eight_bit_to_text(parsed[0][0]), parsed[0][1]
    legacy = getaddresses([value])
    if len(legacy) != 1 or legacy[0][1].casefold() != address.casefold():
        return None, None
    if not _ADDR_SPEC.fullmatch(address):
        return None, None
    if _modern_parse(_format(name, address)) != [(name, address)]:
        return None, None
    return (clean_header_text(name) or None), address


def _format(name: str, address: str) -> str:
    """Write the pair back as a header value (RFC 6532 UTF-8 when the address needs it)."""
    try:
        if address.isascii():
            return formataddr((name, address))
        return str(Address(display_name=name, addr_spec=address))
    except (ValueError, TypeError, IndexError, HeaderParseError):  # UnicodeError is a ValueError
        return ""


def parse_address_list(s: str | None) -> tuple[str, ...]:
    """Return the plain addresses of a To or Cc value, dropping any that fail the address check."""
    if not s:
        return ()
    value = eight_bit_to_text(_FOLD.sub("", s[:MAX_RAW_HEADER]))
    parsed = _modern_parse(value, strict=False) or []
    return tuple(addr for _, addr in parsed if _ADDR_SPEC.fullmatch(addr))[:MAX_ADDRESSES]


def _modern_parse(value: str, *, strict: bool = True) -> list[tuple[str, str]] | None:
    """Parse with ``email.headerregistry``; ``None`` if it fails or (strictly) finds bad syntax."""
    try:
        header = policy.default.header_factory("to", value)
    except Exception:  # CPython's parser has raised AttributeError, IndexError, RecursionError
        return None
    if not isinstance(header, AddressHeader):
        return None
    defects = getattr(header, "defects", ())
    if strict and any(isinstance(d, InvalidHeaderDefect) for d in defects):
        return None
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def message_ids(value: str | None, limit: int = 100) -> tuple[str, ...]:
    """Return the ``<id>`` tokens of a Message-ID, In-Reply-To or References value, in order.

    When there are more than ``limit`` the first (the thread root) and the latest are kept.
    """
    if not value:
        return ()
    found = ["<" + m + ">" for m in _MSG_ID.findall(_FOLD.sub("", value[:MAX_RAW_HEADER]))]
    found = [clean_header_text(i, 252) for i in found if clean_header_text(i, 252) == i]
    if len(found) > limit:
        found = found[:1] + found[-(limit - 1) :]
    return tuple(found)
