"""Reading a rendered letter back as a person sees it: its text, its parts, its type sizes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from lxml import etree

WORD_DEFAULT_PT = 10.0  # ECMA-376: no size anywhere means 10 pt


def open_docx(data: bytes) -> Any:
    """The letter as a python-docx Document (fails if the file no longer opens)."""
    return Document(io.BytesIO(data))


def paragraph_texts(data: bytes) -> list[str]:
    """The text of every body paragraph, in order."""
    return [p.text for p in open_docx(data).paragraphs]


def letter_text(data: bytes) -> str:
    """All the text a reader sees: body paragraphs and footers, one per line."""
    document = open_docx(data)
    lines = [p.text for p in document.paragraphs]
    for section in document.sections:
        lines.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(lines)


def document_xml(data: bytes) -> etree._Element:
    """word/document.xml parsed by a strict XML parser (no recovery), so broken XML raises."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read("word/document.xml"), etree.XMLParser(recover=False))


def runs_with_paragraphs(document: Any) -> Iterator[tuple[Any, Any]]:
    """Every (paragraph, run) of the body and the footers and headers."""
    containers = [document]
    for section in document.sections:
        containers.extend([section.footer, section.header])
    for container in containers:
        for paragraph in container.paragraphs:
            for run in paragraph.runs:
                yield paragraph, run


def effective_size_pt(document: Any, paragraph: Any, run: Any) -> float:
    """The size Word shows for ``run``: its own, its character style's, its paragraph style's
    (following based-on), else the document default."""
    if run.font.size is not None:
        return float(run.font.size.pt)
    for style in (run.style, paragraph.style):
        while style is not None:
            if style.font.size is not None:
                return float(style.font.size.pt)
            style = style.base_style
    defaults = document.styles.element.find(qn("w:docDefaults"))
    size = (
        None
        if defaults is None
        else defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:sz')}")
    )
    return int(size.get(qn("w:val"))) / 2 if size is not None else WORD_DEFAULT_PT
