"""Customer text is data: template syntax, XML and control characters print literally."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from docx.oxml.ns import qn

from mailflow.letters import LetterContext, render_letter
from tests.letters.conftest import LETTERS
from tests.letters.readback import document_xml, open_docx, paragraph_texts

HOSTILE = [
    "{{ 7*7 }}",
    "{% for x in y %}",
    "{%p if true %}",
    "<w:p>",
    "</w:t></w:r></w:p><w:p><w:r><w:t>injected",
    "Smith & Sons",
    "<Ltd>",
    "{{ council.__class__ }} & <w:t> {# comment #}",
    "docxtpl's own escapes: {_{ x }_} {_% y %_}",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_template_syntax_and_xml_in_the_subject_print_literally(
    template_dir: Path, stafford_ctx: LetterContext, hostile: str
) -> None:
    """A subject holding Jinja tags or Word XML appears word for word and adds no paragraph."""
    ctx = replace(stafford_ctx, subject=f"Complaint: {hostile}")
    clean = paragraph_texts(render_letter(template_dir, "stage_reply", stafford_ctx))
    rendered = render_letter(template_dir, "stage_reply", ctx)
    texts = paragraph_texts(rendered)
    assert f"Complaint: {hostile}" in texts
    assert len(texts) == len(clean)
    assert "49" not in "\n".join(texts)
    document_xml(rendered)  # strict XML parse


@pytest.mark.parametrize("hostile", HOSTILE)
def test_template_syntax_and_xml_in_the_officers_reasons_print_literally(
    template_dir: Path, stafford_ctx: LetterContext, hostile: str
) -> None:
    """Reasons quoting tags or XML stay one literal paragraph each, and the document stays valid."""
    ctx = replace(stafford_ctx, reasons=(hostile, f"Second paragraph {hostile}"))
    rendered = render_letter(template_dir, "stage_reply", ctx)
    texts = paragraph_texts(rendered)
    found = texts.index("What we found")
    assert texts[found + 1 : found + 3] == [hostile, f"Second paragraph {hostile}"]
    assert texts[found + 3] == "What we will do to put things right"
    assert "49" not in "\n".join(texts)
    document_xml(rendered)


@pytest.mark.parametrize("name", LETTERS)
def test_every_letter_stays_valid_with_hostile_text_in_every_customer_field(
    template_dir: Path, stafford_ctx: LetterContext, name: str
) -> None:
    """Each letter stays valid XML with hostile text in the name, subject, reasons and delay."""
    hostile = " ".join(HOSTILE)
    assert stafford_ctx.extension is not None
    ctx = replace(
        stafford_ctx,
        customer_name=hostile,
        subject=hostile,
        reasons=(hostile,),
        remedy=(hostile,),
        extension=replace(stafford_ctx.extension, reason=hostile),
    )
    rendered = render_letter(template_dir, name, ctx)
    texts = paragraph_texts(rendered)
    assert f"Dear {hostile}" in texts
    assert hostile in texts
    assert "49" not in "\n".join(texts)
    document_xml(rendered)
    open_docx(rendered)


def test_control_characters_in_customer_text_make_no_breaks(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """Newlines, tabs, bells, form feeds and NULs in a subject make no line or page breaks."""
    ctx = replace(stafford_ctx, subject="Bins\nnot\tcollected\a again\fplease\x00\x1b[31m\r\nnow")
    baseline = document_xml(render_letter(template_dir, "acknowledgement", stafford_ctx))
    rendered = render_letter(template_dir, "acknowledgement", ctx)
    tree = document_xml(rendered)
    assert "Bins not collected again please[31m now" in paragraph_texts(rendered)
    for tag in ("w:br", "w:tab", "w:p"):
        assert len(tree.findall(f".//{qn(tag)}")) == len(baseline.findall(f".//{qn(tag)}"))


def test_a_customer_name_that_looks_like_a_field_is_printed_not_filled(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A customer who calls themselves "{{ council.name }}" is greeted by exactly that."""
    ctx = replace(stafford_ctx, customer_name="{{ council.name }}")
    texts = paragraph_texts(render_letter(template_dir, "acknowledgement", ctx))
    assert "Dear {{ council.name }}" in texts
