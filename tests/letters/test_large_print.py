"""Large print on request (both policies): the same template, every run at 16 pt or more."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from mailflow.letters import LetterContext, render_letter
from mailflow.letters.largeprint import enlarge
from tests.letters.conftest import LETTERS
from tests.letters.readback import effective_size_pt, open_docx, runs_with_paragraphs


def sizes_by_text(data: bytes) -> dict[str, float]:
    """The effective size of every run with text, keyed by that text (its first occurrence)."""
    document = open_docx(data)
    sizes: dict[str, float] = {}
    for paragraph, run in runs_with_paragraphs(document):
        if run.text.strip():
            sizes.setdefault(run.text, effective_size_pt(document, paragraph, run))
    return sizes


@pytest.mark.parametrize("name", LETTERS)
def test_large_print_letter_has_every_run_at_16_point_or_more(
    template_dir: Path, stafford_ctx: LetterContext, name: str
) -> None:
    """Every run with text, body and footer, is at least 16 pt in the large-print letter."""
    sizes = sizes_by_text(render_letter(template_dir, name, stafford_ctx, large_print=True))
    assert sizes
    too_small = {text: size for text, size in sizes.items() if size < 16}
    assert too_small == {}


@pytest.mark.parametrize("name", LETTERS)
def test_standard_letter_is_smaller_than_large_print(
    template_dir: Path, stafford_ctx: LetterContext, name: str
) -> None:
    """The standard letter's body text is below 16 pt, so large print is a real variant."""
    sizes = sizes_by_text(render_letter(template_dir, name, stafford_ctx))
    assert sizes["Dear Mrs Okafor"] == 12
    assert min(sizes.values()) < 16


def test_large_print_keeps_the_same_words_and_the_letterhead_larger_than_the_body(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """Large print changes sizes only: same text, body at 16 pt, council name still larger."""
    standard = render_letter(template_dir, "stage_reply", stafford_ctx)
    large = render_letter(template_dir, "stage_reply", stafford_ctx, large_print=True)
    assert [p.text for p in open_docx(large).paragraphs] == [
        p.text for p in open_docx(standard).paragraphs
    ]
    sizes = sizes_by_text(large)
    assert sizes["Dear Mrs Okafor"] == 16
    assert sizes["Stafford Borough Council"] > sizes["Dear Mrs Okafor"]


def test_large_print_raises_runs_styles_and_a_missing_document_default() -> None:
    """A document with a small explicit run, a small style and no default size ends up at 16 pt."""
    document = Document()
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for size in defaults.iter(qn("w:sz"), qn("w:szCs")):
        size.getparent().remove(size)
    small = document.styles.add_style("Small Print", 1)
    small.font.size = Pt(8)
    document.add_paragraph("default size")
    document.add_paragraph("small style", style="Small Print")
    document.add_paragraph().add_run("small run").font.size = Pt(7)
    out = io.BytesIO()
    document.save(out)
    sizes = sizes_by_text(enlarge(out.getvalue()))
    assert sizes == {"default size": 16, "small style": 16, "small run": 16}
