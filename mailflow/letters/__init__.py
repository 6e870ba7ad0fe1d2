"""Letters: Word templates filled from a typed context, with large-print and PDF variants.

``render_letter(template_dir, name, ctx)`` fills ``templates/letters/NAME.docx`` from a
``LetterContext``; ``check_templates`` holds the templates to that context's fields; ``to_pdf``
converts with LibreOffice when it is installed.
"""

from __future__ import annotations

from mailflow.letters.check import check_templates
from mailflow.letters.context import (
    Council,
    Extension,
    LetterContext,
    Officer,
    Ombudsman,
    Stage,
    long_date,
)
from mailflow.letters.pdf import to_pdf
from mailflow.letters.render import render_letter
from mailflow.letters.text import clean_text, paragraphs

__all__ = [
    "Council",
    "Extension",
    "LetterContext",
    "Officer",
    "Ombudsman",
    "Stage",
    "check_templates",
    "clean_text",
    "long_date",
    "paragraphs",
    "render_letter",
    "to_pdf",
]
