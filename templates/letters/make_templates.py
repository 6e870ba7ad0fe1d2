"""Write the letter templates: ``.venv/bin/python templates/letters/make_templates.py [DIR]``.

The .docx files beside this script are committed because a council edits them in Word; this
script is the readable record of what they first said and the way to start again. The tags are
docxtpl's Jinja: ``{{ field }}`` prints a field (the fields are listed in
``mailflow/letters/context.py``), and a paragraph holding only ``{%p if field %}``,
``{%p for x in list %}``, ``{%p else %}``, ``{%p endif %}`` or ``{%p endfor %}`` keeps, drops or
repeats the paragraphs between it and its partner. ``tests/letters`` checks that the committed
files still match this script.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Arial"  # a clear sans-serif face, as RNIB's clear print guidance recommends


class Bold(str):
    """Text that ``para`` prints in bold."""


# --- building blocks ----------------------------------------------------------------------------


def para(doc: DocumentObject, *texts: str, style: str = "Normal") -> None:
    """One paragraph of ``texts``, each its own run (``Bold`` ones in bold)."""
    paragraph = doc.add_paragraph(style=style)
    for text in texts:
        paragraph.add_run(text).bold = isinstance(text, Bold) or None


def when(doc: DocumentObject, condition: str, *texts: str, style: str = "Normal") -> None:
    """A paragraph printed only when ``condition`` holds."""
    para(doc, f"{{%p if {condition} %}}")
    para(doc, *texts, style=style)
    para(doc, "{%p endif %}")


def each(doc: DocumentObject, loop: str, text: str, style: str = "Normal") -> None:
    """One paragraph of ``text`` per item of ``loop`` ("line in council.address_lines")."""
    para(doc, f"{{%p for {loop} %}}")
    para(doc, text, style=style)
    para(doc, "{%p endfor %}")


def letterhead(doc: DocumentObject) -> None:
    """The council's heading, the date, our reference, who deals with it, and the salutation."""
    para(doc, "{{ council.name }}", style="Council Name")
    each(doc, "line in council.address_lines", "{{ line }}", style="Letterhead")
    when(doc, "council.telephone", "Telephone: {{ council.telephone }}", style="Letterhead")
    when(doc, "council.website", "{{ council.website }}", style="Letterhead")
    para(doc, "{{ letter_date }}", style="Reference Block")
    para(doc, "Our reference: ", Bold("{{ reference }}"), style="Reference Block")
    para(
        doc,
        "Dealing with this: {% if officer.name %}{{ officer.name }}, {% endif %}"
        "{{ officer.title }}",
        style="Reference Block",
    )
    para(doc, "Dear {{ customer_name }}", style="Salutation")
    para(doc, "{{ subject }}", style="Letter Subject")


def closing(doc: DocumentObject) -> None:
    """The other-formats line and the signature of the officer dealing."""
    para(doc, "{{ other_formats }}", style="Last Paragraph")
    para(doc, "{{ sign_off }}", style="Sign Off")
    when(doc, "officer.name", "{{ officer.name }}", style="Signature")
    para(doc, "{{ officer.title }}", style="Signature")
    para(doc, "{{ council.name }}", style="Signature")


def heading(doc: DocumentObject, text: str) -> None:
    para(doc, text, style="Letter Heading")


# --- the letters --------------------------------------------------------------------------------


def acknowledgement(doc: DocumentObject) -> None:
    para(doc, "{%p if stage %}")
    para(
        doc,
        "Thank you for your complaint, which we received on {{ received_on }}. We are dealing "
        "with it at stage {{ stage.number }} of our complaints procedure: {{ stage.name }}.",
    )
    para(doc, "{%p else %}")
    para(doc, "Thank you for your message, which we received on {{ received_on }}.")
    para(doc, "{%p endif %}")
    para(
        doc,
        "{% if officer.name %}{{ officer.name }}, our {{ officer.title }}, is"
        "{% else %}Our {{ officer.title }} is{% endif %} dealing with it and will send you a "
        "full response by ",
        Bold("{{ respond_by }}"),
        ". If you contact us about it, please quote our reference, {{ reference }}.",
    )
    para(doc, "{%p if procedure_explanation %}")
    heading(doc, "How we deal with complaints")
    para(doc, "{{ procedure_explanation }}")
    para(doc, "{%p endif %}")


def stage_reply(doc: DocumentObject) -> None:
    para(
        doc,
        "Thank you for your patience while we looked into your complaint. This is our response "
        "at stage {{ stage.number }} of our complaints procedure: {{ stage.name }}.",
    )
    heading(doc, "Our decision")
    para(doc, "We have decided that your complaint is ", Bold("{{ outcome }}"), ".")
    para(doc, "{%p if reasons %}")
    heading(doc, "What we found")
    each(doc, "paragraph in reasons", "{{ paragraph }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if remedy %}")
    heading(doc, "What we will do to put things right")
    each(doc, "paragraph in remedy", "{{ paragraph }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if stage.next_step %}")
    heading(doc, "If you are not satisfied")
    para(doc, "{{ stage.next_step }}")
    para(doc, "{%p endif %}")


def ombudsman_signposting(doc: DocumentObject) -> None:
    para(doc, "Our complaints procedure has now finished for your complaint.")
    para(doc, "{{ ombudsman.text }}")
    heading(doc, "How to contact the Ombudsman")
    para(doc, "{{ ombudsman.name }}", style="Address")
    each(doc, "line in ombudsman.address_lines", "{{ line }}", style="Address")
    para(doc, "Telephone: {{ ombudsman.telephone }}", style="Address")
    para(doc, "Website: {{ ombudsman.website }}", style="Address End")
    para(
        doc,
        "It will help the Ombudsman if you quote our reference, {{ reference }}, and send a "
        "copy of our final response.",
    )


def extension(doc: DocumentObject) -> None:
    para(doc, "{%p if extension.apology %}")
    para(doc, "{{ extension.apology }}")
    para(doc, "{%p else %}")
    para(doc, "We are sorry that we cannot give you a full response by the date we gave you.")
    para(doc, "{%p endif %}")
    heading(doc, "Why we need more time")
    para(doc, "{{ extension.reason }}")
    heading(doc, "When you will hear from us")
    para(
        doc,
        "We will send you a full response by ",
        Bold("{{ extension.new_date }}"),
        ". If we find that we need longer, we will write to you again before then to explain why.",
    )


def foi_acknowledgement(doc: DocumentObject) -> None:
    para(
        doc,
        "Thank you for your request for information, which we received on {{ received_on }}. "
        "We are dealing with it under the Freedom of Information Act 2000.",
    )
    para(
        doc,
        "We will send you the information, or tell you why we cannot, as soon as we can and by ",
        Bold("{{ respond_by }}"),
        " at the latest: the twentieth working day after we received your request, the time "
        "the Act allows.",
    )
    para(
        doc,
        "If we need you to clarify your request, or to pay a fee, we will tell you; the time "
        "limit does not run while we wait for your reply.",
    )
    para(
        doc,
        "Your request is being dealt with by our {{ officer.title }}"
        "{% if officer.name %}, {{ officer.name }}{% endif %}. Please quote our reference, "
        "{{ reference }}, if you contact us about it.",
    )


def compliment_thanks(doc: DocumentObject) -> None:
    para(doc, "We received your message on {{ received_on }}.")
    para(doc, "{%p if thanks %}")
    para(doc, "{{ thanks }}")
    para(doc, "{%p else %}")
    para(
        doc,
        "Thank you for taking the time to tell us. We have passed your thanks on to the staff "
        "concerned.",
    )
    para(doc, "{%p endif %}")


LETTERS: dict[str, tuple[str, Callable[[DocumentObject], None]]] = {
    "acknowledgement": ("Acknowledgement", acknowledgement),
    "stage_reply": ("Response to your complaint", stage_reply),
    "ombudsman_signposting": ("The Ombudsman", ombudsman_signposting),
    "extension": ("Holding letter", extension),
    "foi_acknowledgement": ("Freedom of Information request", foi_acknowledgement),
    "compliment_thanks": ("Thank you", compliment_thanks),
}


# --- page and styles ----------------------------------------------------------------------------


def new_letter(title: str) -> DocumentObject:
    """An empty A4 letter with mailflow's styles and a footer carrying the reference."""
    doc = Document()
    doc.core_properties.title = title  # docxtpl renders these too: keep them free of tags
    doc.core_properties.author = "mailflow"
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin = section.right_margin = Cm(2.5)
    footer = section.footer.paragraphs[0]
    footer.style = add_style(doc, "Letter Footer", size=9, align=WD_ALIGN_PARAGRAPH.CENTER)
    footer.add_run("{{ council.name }} | Our reference: {{ reference }}")
    define_styles(doc)
    return doc


def define_styles(doc: DocumentObject) -> None:
    """Named styles, so that a council restyles a letter in Word's Styles pane, not run by run."""
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    normal.paragraph_format.space_after = Pt(8)
    normal.paragraph_format.line_spacing = 1.15
    british_english(doc)
    add_style(doc, "Council Name", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    add_style(doc, "Letterhead", size=10, align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    add_style(doc, "Reference Block", after=0).paragraph_format.space_before = Pt(0)
    doc.styles["Reference Block"].paragraph_format.keep_with_next = True
    add_style(doc, "Salutation", after=8).paragraph_format.space_before = Pt(18)
    add_style(doc, "Letter Subject", bold=True)
    add_style(doc, "Letter Heading", bold=True).paragraph_format.keep_with_next = True
    add_style(doc, "Last Paragraph").paragraph_format.keep_with_next = True
    add_style(doc, "Address", after=0).paragraph_format.left_indent = Cm(1)
    add_style(doc, "Address End").paragraph_format.left_indent = Cm(1)
    # The sign-off and the signature lines stay on one page with the paragraph before them.
    add_style(doc, "Sign Off", after=36).paragraph_format.keep_with_next = True  # room to sign
    add_style(doc, "Signature", after=0).paragraph_format.keep_with_next = True


def add_style(
    doc: DocumentObject,
    name: str,
    *,
    size: float | None = None,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    after: float | None = None,
) -> Any:
    """A paragraph style based on Normal (returns the existing one if already defined)."""
    if name in [s.name for s in doc.styles]:
        return doc.styles[name]
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    if size is not None:
        style.font.size = Pt(size)
    if bold:
        style.font.bold = True
    if align is not None:
        style.paragraph_format.alignment = align
    if after is not None:
        style.paragraph_format.space_after = Pt(after)
    return style


def british_english(doc: DocumentObject) -> None:
    """Make en-GB the proofing language, so Word checks a council's edits in British English."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "en-GB")


def write_templates(out_dir: Path = HERE) -> list[Path]:
    """Write every letter template into ``out_dir``; returns the files written."""
    written = []
    for name, (title, body) in LETTERS.items():
        doc = new_letter(title)
        letterhead(doc)
        body(doc)
        closing(doc)
        path = out_dir / f"{name}.docx"
        doc.save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written_path in write_templates(target):
        print(written_path)
