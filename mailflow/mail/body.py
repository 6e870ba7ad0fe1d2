"""Body text: charset fallbacks, HTML reduced to inert text, and the new text of a reply."""

from __future__ import annotations

import binascii
import re

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
from mailparser_reply.constants import (  # type: ignore[import-untyped]
    MAIL_LANGUAGES,
    NOLIST_SIGNATURE_REGEX,
    OUTLOOK_MAIL_SEPARATOR,
    QUOTED_MATCH_INCLUDE,
)
from mailparser_reply.parser import EmailMessage as ReplyMessage  # type: ignore[import-untyped]

MAX_REPLY_SCAN = 64 * 1024
"""Only this much of a body is searched for the new text: a reply's new text is at the top."""

# Elements whose content is never text a person wrote: scripts, styles and embedded objects.
_INERT = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "applet", "head",
    "svg", "math",
)  # fmt: skip
_BLOCK = (
    "p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "ul", "ol", "dd", "dt",
)  # fmt: skip
_BLANK_RUNS = re.compile(r"\n{3,}")
_INLINE_SPACE = re.compile(r"[ \t\xa0]+")
_ANY_SPACE = re.compile(r"[ \t\r\n\f]+")


def decode_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode body bytes: declared charset, else UTF-8, else cp1252, else Latin-1 with replacement.

    Returns the text and a short defect note when the declared charset was unknown or wrong.
    """
    note: str | None = None
    if declared:
        try:
            return data.decode(declared), None
        except LookupError:
            note = f"unknown charset {declared[:40]!r}"
        except (UnicodeError, ValueError):  # some codecs (idna, undefined) raise plain errors
            note = f"body is not valid {declared[:40]}"
    for charset in ("utf-8", "cp1252"):
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            continue
        if note is None and charset == "utf-8":
            return text, None
        return text, f"{note or 'undeclared 8-bit charset'}; decoded as {charset}"
    return data.decode("latin-1", errors="replace"), f"{note or 'bad bytes'}; decoded as latin-1"


def html_to_text(html: str) -> str:
    """Reduce HTML to plain text; scripts, styles and embedded objects are dropped, never kept.

    lxml (libxml2) parses in C, in linear time, and stops at 256 levels of nesting; a
    BeautifulSoup tree took minutes for 2 MB of paragraphs. Comments never reach the text.
    """
    if not html.strip():
        return ""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*_INERT)):
        element.drop_tree()
    preformatted = {node for pre in root.iter("pre") for node in pre.iter() if node is not pre}
    for element in root.iter():  # source line breaks are spaces, as a browser shows them
        if element.text and element not in preformatted and element.tag != "pre":
            element.text = _ANY_SPACE.sub(" ", element.text)
        if element.tail and element not in preformatted:
            element.tail = _ANY_SPACE.sub(" ", element.tail)
    for element in root.iter(*_BLOCK):
        element.tail = "\n" + (element.tail or "")
    text = str(root.text_content()).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _signature_regex() -> re.Pattern[str]:
    """The library's signature pattern, with sign-offs matched only as a line of their own.

    mail-parser-reply cuts at any line that *starts* with a sign-off word, so "Thanks, but the
    problem remains." would vanish; a customer's words must not. Hyphen lists are kept too.
    """
    english = MAIL_LANGUAGES["en"]
    signoffs = "|".join(str(s).rstrip(",") for s in english["signatures"])
    quoted = QUOTED_MATCH_INCLUDE
    return re.compile(
        rf"(({NOLIST_SIGNATURE_REGEX}|{OUTLOOK_MAIL_SEPARATOR}|"
        rf"\s*^{quoted}(?:{english['sent_from']}) ?(?:(?:[\w.<>:// ]+)|(?:\w+ ){{1,3}})$|"
        rf"(?<!\A)^{quoted}(?:{signoffs})[ \t,.!]*$)(.|\s)*)",
        flags=re.MULTILINE | re.IGNORECASE,
    )


_SIGNATURE = _signature_regex()


def extract_new_text(text: str) -> str:
    """Return what the sender newly wrote: quoted history, reply headers and signature removed.

    mail-parser-reply splits the body at reply headers ("On ... wrote:", Outlook's
    "From:/Sent:" block, "-----Original Message-----") and strips the signature; lines quoted
    with ``>`` that remain (inline or headerless quoting) are then dropped.
    """
    if not text.strip():
        return ""
    message = ReplyMessage(
        text=text[:MAX_REPLY_SCAN],
        languages=["en"],
        keep_hyphen_lists=True,
        _signature_regex=_SIGNATURE,
    ).read()
    latest = str(message.replies[0].body) if message.replies else ""
    lines = [line for line in latest.split("\n") if not line.lstrip().startswith(">")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def decode_transfer(body: bytes, encoding: str) -> tuple[bytes, str | None]:
    """Undo a Content-Transfer-Encoding on raw body bytes; unknown encodings pass through."""
    encoding = encoding.strip().lower()
    try:
        if encoding == "base64":
            return _base64(body), None
        if encoding == "quoted-printable":
            return binascii.a2b_qp(body), None
    except (binascii.Error, ValueError):
        return body, f"undecodable {encoding} body"
    return body, None


def _base64(body: bytes) -> bytes:
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:
        # A truncated last quantum: decode the complete four-character groups only.
        clean = re.sub(rb"[^A-Za-z0-9+/]", b"", body)
        return binascii.a2b_base64(clean[: len(clean) // 4 * 4])
