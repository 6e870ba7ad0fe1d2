"""Which part of a message is the customer's own new words, in a form the rules can match.

A reply carries the council's earlier letter underneath ("If you remain dissatisfied you may
ask for Stage 3 ... the Chief Executive ... the Ombudsman"). Read as the customer's words, that
history would make every thank-you an escalation request about the Chief Executive, so it is
dropped before any rule is applied. A forward is the exception: there the forwarded message is
the substance (a councillor passing on a constituent's complaint), so it is kept.
"""

from __future__ import annotations

import re

_TYPOGRAPHY = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\xa0": " ", "\r": None}
)

# Markers that the rest of the message is a forwarded one (Gmail, Apple Mail, Thunderbird).
_FORWARD_MARKER = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*Forwarded message[ \t]*-{2,}|Begin forwarded message:)",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw)\s*:", re.IGNORECASE)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|antw|sv|vs)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)

# Where quoted history starts in a reply.
_HISTORY = re.compile(
    r"^(?:On\b[^\n]{0,300}(?:\n[^\n]{0,200})?\bwrote:[ \t]*$"  # Gmail, Apple Mail, Thunderbird
    r"|[ \t]*-{2,}[ \t]*Original Message[ \t]*-{2,}"  # Outlook, plain text
    r"|_{10,}[ \t]*$"  # Outlook's rule above the header block
    r"|From:[^\n]*\n(?:Sent|Date):)",  # Outlook header block with no rule
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*(?:\n|$)", re.MULTILINE)
_HAS_WORDS = re.compile(r"\w{2,}")


def normalise(text: str) -> str:
    """Straighten typographic quotes and spaces, so a curly apostrophe matches a straight one."""
    return text.translate(_TYPOGRAPHY)


def own_subject(subject: str) -> str:
    """The subject if the customer wrote it; a reply's subject ("Re: Your complaint") is history.

    Replying keeps the subject of the mail replied to, usually the council's own, so its words
    are no more the customer's than the quoted letter underneath.
    """
    return "" if _REPLY_SUBJECT.match(subject) else normalise(subject)


def new_text(subject: str, body: str) -> str:
    """Return the customer's own words in `body`: quoted (``>``) lines and reply history removed.

    A forward keeps everything below its marker. If nothing with words stands above the
    history marker, the customer wrote underneath the quote, so what follows the marker is kept.
    """
    text = _QUOTED_LINE.sub("", normalise(body))
    if _FORWARD_SUBJECT.match(subject) or _FORWARD_MARKER.search(text):
        return text
    history = _HISTORY.search(text)
    if history is None:
        return text
    above = text[: history.start()]
    return above if _HAS_WORDS.search(above) else text[history.end() :]
