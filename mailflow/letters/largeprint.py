"""Large print: any rendered letter with every font size raised to at least 16 pt.

Both councils' policies offer letters in large print on request; RNIB's clear print guidance
puts large print at 16 pt or more. Post-processing the rendered document means a council keeps
one set of templates. Sizes are shifted by the amount that brings body text to the minimum, so
the letterhead stays larger than the body, and nothing ends up below the minimum.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

LARGE_PRINT_PT = 16
WORD_DEFAULT_HALF_POINTS = 20  # ECMA-376 17.3.2.38: no w:sz anywhere means 10 pt


def enlarge(docx: bytes, minimum_pt: int = LARGE_PRINT_PT) -> bytes:
    """``docx`` with body text at ``minimum_pt`` and no run, style or default below it."""
    document = Document(io.BytesIO(docx))
    minimum = minimum_pt * 2  # w:sz counts half-points
    defaults = _default_run_properties(document)
    if defaults.find(qn("w:sz")) is None:
        defaults.get_or_add_sz().set(qn("w:val"), str(WORD_DEFAULT_HALF_POINTS))
    shift = max(0, minimum - _body_half_points(document))
    for size in _size_elements(document):
        current = int(size.get(qn("w:val"), WORD_DEFAULT_HALF_POINTS))
        size.set(qn("w:val"), str(max(current + shift, minimum)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _size_elements(document: Any) -> Iterator[Any]:
    """Every ``w:sz`` and ``w:szCs`` in every XML part: body, styles, headers, numbering..."""
    for part in document.part.package.iter_parts():
        element = getattr(part, "element", None)
        if element is not None:
            yield from list(element.iter(qn("w:sz"), qn("w:szCs")))


def _default_run_properties(document: Any) -> Any:
    """The styles part's ``w:docDefaults/w:rPrDefault/w:rPr``, created if the file lacks it."""
    styles = document.styles.element
    doc_defaults = styles.find(qn("w:docDefaults"))
    if doc_defaults is None:
        doc_defaults = OxmlElement("w:docDefaults")
        styles.insert(0, doc_defaults)  # the first child of w:styles (17.7.4.18)
    rpr_default = doc_defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        doc_defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    return rpr


def _body_half_points(document: Any) -> int:
    """The size of body text: the Normal style's, else the document default's."""
    normal = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    if normal is not None and normal.font.size is not None:
        return int(normal.font.size.pt * 2)
    size = _default_run_properties(document).find(qn("w:sz"))
    return int(size.get(qn("w:val"))) if size is not None else WORD_DEFAULT_HALF_POINTS
