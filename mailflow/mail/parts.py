"""The parts of a parsed message: which are body text, which are attachments, and their bytes."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email import policy
from email.message import Message

from mailflow.mail.body import decode_text, decode_transfer, html_to_text
from mailflow.mail.headers import decode_header_text, raw_headers
from mailflow.mail.limits import LeafBody, Limits

MAX_FILENAME = 120
"""Characters kept of an attachment's file name, extension included."""

MAX_HTML = 2_000_000
"""Characters of HTML converted to text; a longer HTML body is cut first."""

_SERIALISE = policy.default.clone(refold_source="none", max_line_length=0)
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)]
)
_UNSAFE_IN_NAMES = re.compile(r'[<>:"|?*]')
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """One attached file or message, with a file name that is safe to write anywhere.

    When the decoded size is over ``Limits.attachment_cap`` the bytes are not kept
    (``truncated``); an attached message then keeps its header section, which bounce
    handling needs. The caller keeps the raw message, so nothing is lost.
    """

    filename: str
    content_type: str
    size: int
    data: bytes
    truncated: bool


@dataclass(frozen=True, kw_only=True)
class Body:
    """The text a person reads, whether an HTML version exists, and the attachments."""

    text: str
    has_html: bool
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True)
class SetAside:
    """Large leaf bodies replaced by a placeholder line before parsing, keyed by placeholder."""

    raw: bytes
    bodies: Mapping[str, LeafBody]

    def restore(self, data: bytes) -> bytes:
        """Put the original bodies back in place of any placeholders in ``data``."""
        for token, leaf in self.bodies.items():
            data = data.replace(token.encode("ascii"), self.raw[leaf.start : leaf.end])
        return data


def safe_filename(name: str | None, content_type: str) -> str:
    """A file name without path, traversal, control or reserved characters, length-capped."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch for ch in name
    )
    name = " ".join(_UNSAFE_IN_NAMES.sub("_", kept).split()).strip(" .")
    if not name:
        guessed = ".eml" if content_type == "message/rfc822" else None
        guessed = guessed or mimetypes.guess_extension(content_type, strict=False) or ".bin"
        name = "attachment" + guessed
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        stem, dot, ext = name, "", ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = stem[: MAX_FILENAME - len(dot + ext)].rstrip(" .") or "attachment"
    return stem + dot + ext


def collect(root: Message, aside: SetAside, limits: Limits, defects: list[str]) -> Body:
    """Sort the leaf parts of ``root`` into body text and attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in _leaves(root):
        try:
            ctype = _content_type(part)
            if _is_body(part, ctype):
                data, note = _payload(part, aside)
                text, charset_note = decode_text(data, _charset(part))
                defects.extend(n for n in (note, charset_note) if n)
                (html if ctype == "text/html" else plain).append(text)
            else:
                attachments.append(_attachment(part, ctype, aside, limits, defects))
        except Exception as exc:  # one broken part must not cost the rest of the message
            defects.append(f"unreadable part skipped ({type(exc).__name__})")
    if plain:
        text = "\n\n".join(t.strip("\r\n") for t in plain)
    else:
        if sum(len(h) for h in html) > MAX_HTML:
            defects.append("HTML body cut before conversion")
        text = "\n\n".join(html_to_text(h[:MAX_HTML]) for h in html)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return Body(text=text, has_html=bool(html), attachments=tuple(attachments))


def _leaves(root: Message) -> Iterator[Message]:
    """Leaf parts in document order; attached messages (``message/*``) count as leaves."""
    stack = [root]
    while stack:
        part = stack.pop()
        children = part.get_payload() if part.is_multipart() else None
        if part.get_content_maintype() == "multipart" and isinstance(children, list):
            stack.extend(p for p in reversed(children) if isinstance(p, Message))
        else:
            yield part


def _content_type(part: Message) -> str:
    ctype = part.get_content_type()
    if ctype.startswith("multipart/"):  # no boundary: the parser left the body as text
        return "text/plain"
    return ctype


def _is_body(part: Message, ctype: str) -> bool:
    if ctype not in ("text/plain", "text/html") or part.get_filename() is not None:
        return False
    return part.get_content_disposition() != "attachment"


def _charset(part: Message) -> str | None:
    charset = part.get_param("charset")
    return decode_header_text(str(charset), 60) or None if isinstance(charset, str) else None


def _payload(part: Message, aside: SetAside) -> tuple[bytes, str | None]:
    """A leaf's decoded bytes, taken from the raw message when it was set aside."""
    leaf = aside.bodies.get(_raw_payload(part).strip()) if aside.bodies else None
    if leaf is not None:
        return decode_transfer(aside.raw[leaf.start : leaf.end], leaf.encoding)
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data, None
    return b"", "undecodable body"


def _raw_payload(part: Message) -> str:
    """The undecoded payload text; ``get_payload()`` itself may try a hostile charset."""
    try:
        payload = part.get_payload()
    except (ValueError, LookupError):
        return ""
    return payload if isinstance(payload, str) else ""


def _attachment(
    part: Message, ctype: str, aside: SetAside, limits: Limits, defects: list[str]
) -> Attachment:
    name = part.get_filename()
    if ctype.startswith("message/"):
        data = _attached_message(part, aside, defects)
        if name is None and ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload(0) if part.is_multipart() else None
            subject = ""
            if isinstance(inner, Message):
                subject = decode_header_text(raw_headers(inner).get("subject", [""])[0], 80)
            name = (subject or "message") + ".eml"
    else:
        data, note = _payload(part, aside)
        if note:
            defects.append(note)
    size = len(data)
    truncated = size > limits.attachment_cap
    if truncated:
        data = _header_section(data) if ctype.startswith("message/") else b""
    filename = safe_filename(decode_header_text(name, 400) if name else None, ctype)
    return Attachment(
        filename=filename, content_type=ctype, size=size, data=data, truncated=truncated
    )


def _attached_message(part: Message, aside: SetAside, defects: list[str]) -> bytes:
    """The bytes of an attached message or report, without the enclosing part's own headers."""
    try:
        whole = part.as_bytes(policy=_SERIALISE)
    except Exception as exc:  # the generator cannot write some malformed trees back
        defects.append(f"attached message not serialisable ({type(exc).__name__})")
        return b""
    return aside.restore(_after_headers(whole))


def _after_headers(data: bytes) -> bytes:
    for blank in (b"\r\n", b"\n"):
        if data.startswith(blank):
            return data[len(blank) :]
    end = _HEADER_END.search(data)
    return data[end.end() :] if end else b""


def _header_section(data: bytes) -> bytes:
    """The header section of a message, if it ends within the first 64 KiB."""
    end = _HEADER_END.search(data, 0, 64 * 1024)
    return data[: end.end()] if end else b""
