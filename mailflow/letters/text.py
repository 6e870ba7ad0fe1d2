"""Customer text made printable in a letter: control characters removed, paragraphs kept apart.

docxtpl turns ``\\n``, ``\\t``, ``\\a`` and ``\\f`` inside any value into line, tab, paragraph and
page breaks, and characters that XML 1.0 forbids make the document unreadable, so a value is
cleaned before it reaches a template. A letter gets separate paragraphs only where its template
loops over a list of them (``reasons``, ``remedy``); ``paragraphs`` splits an officer's mail
into that list.
"""

from __future__ import annotations

import re

# Whitespace controls and Unicode line/paragraph separators become one space, so words on either
# side of a line break stay apart.
_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
# Every other C0 and C1 control, DEL, lone surrogates and the two non-characters XML 1.0 forbids
# (XML 1.0 section 2.2, "Char").
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A line that starts a list item begins a paragraph of its own even without a blank line before it.
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")


def clean_text(value: str) -> str:
    """``value`` on one line with no control characters or outer spaces, ready to print as data."""
    return _UNPRINTABLE.sub("", _BREAKS.sub(" ", value)).strip()


def paragraphs(text: str) -> tuple[str, ...]:
    """The paragraphs of plain mail text: blank lines separate them, wrapped lines are rejoined.

    Mail clients wrap lines at about 72 characters, so single line breaks inside a paragraph are
    not the writer's; a line starting with ``-``, ``*``, ``•`` or ``1.`` is, and starts a new one.
    """
    found: list[str] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip() or _LIST_ITEM.match(line):
            if current:
                found.append(" ".join(current))
            current = [line.strip()] if line.strip() else []
        else:
            current.append(line.strip())
    if current:
        found.append(" ".join(current))
    return tuple(cleaned for cleaned in map(clean_text, found) if cleaned)
