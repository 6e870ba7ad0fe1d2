"""The report as a Word document: ``templates/reports/monitoring_report.docx`` filled by docxtpl.

Rendered exactly as letters are (``letters.render``): the sandboxed, always-escaping
``letter_environment`` with undefined names raising, and every value cleaned by ``prepare``
first, so a service name or an action text holding ``<``, ``&`` or ``{{`` prints as written and
the document stays valid. Charts go in as docxtpl ``InlineImage`` objects, which must belong to
the template being rendered, so the template is opened here rather than in ``render_template``.
A table's columns are repeated by ``{%tc%}``, which leaves the table grid as the template drew
it; ``fit_tables`` then sizes each table's columns to what they hold.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu
from docxtpl import DocxTemplate, InlineImage
from jinja2.exceptions import SecurityError, TemplateError

from mailflow.errors import ConfigError
from mailflow.letters.context import TemplateValue
from mailflow.letters.render import letter_environment, prepare
from mailflow.reports.charts import Chart
from mailflow.reports.tables import Report, Table, shown

TEMPLATE = "monitoring_report.docx"
CHART_WIDTH = Cm(21)
NUMBER = re.compile(r"-|[0-9][0-9,]*(\.[0-9]+)?%?")
PRIVACY = "It counts cases: it names no customer and quotes nothing a customer wrote."


def _table(t: Table) -> dict[str, TemplateValue]:
    return {
        "title": t.title,
        "note": t.note,
        "columns": list(t.columns),
        "rows": [[shown(v) for v in row] for row in t.rows],
    }


def context(report: Report) -> dict[str, TemplateValue]:
    """The template's values: text only (the charts are added when rendering)."""
    return {
        "council": report.council_name,
        "period": report.period.label,
        "generated": f"{report.generated:%-d %B %Y}",
        "privacy": PRIVACY,
        "summary": _table(report.summary),
        "sections": [
            {"title": s.title, "tables": [_table(t) for t in s.tables]} for s in report.sections
        ],
    }


def render_docx(report: Report, charts: dict[str, Chart], template_dir: Path) -> bytes:
    """The .docx bytes of ``report`` with its ``charts``; ``ConfigError`` names a bad template."""
    path = template_dir / TEMPLATE
    try:
        template = DocxTemplate(path)
        values: dict[str, Any] = prepare(context(report))
        for section, spec in zip(values["sections"], report.sections, strict=True):
            section["charts"] = [
                {
                    "image": InlineImage(template, io.BytesIO(charts[n].png), width=CHART_WIDTH),
                    "caption": charts[n].caption,
                }
                for n in spec.charts
            ]
        template.render(values, jinja_env=letter_environment(), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, OSError) as exc:
        raise ConfigError(str(path), "", f"not a Word (.docx) document: {exc}") from exc
    except SecurityError as exc:
        raise ConfigError(str(path), "", f"the template tried an unsafe operation: {exc}") from exc
    except TemplateError as exc:
        raise ConfigError(str(path), "", f"template error: {exc.message}") from exc
    return fit_tables(out.getvalue())


def _weight(column: list[str]) -> int:
    """How wide a column wants to be: its longest cell, or its header's longest word (a header
    wraps between words), within bounds so one long text cannot squeeze the others out."""
    header, body = column[0], column[1:]
    bold = [len(w) * 13 // 10 + 2 for w in header.split()]  # bold header letters are wider
    wanted = max([*bold, *(len(c) + 1 for c in body), 5])
    return min(wanted, 40)


def _numeric(text: str) -> bool:
    """Whether a cell holds a figure ("1,234", "58.4", "-", "3 of 4 (75.0%)" is not one)."""
    return bool(NUMBER.fullmatch(text.strip()))


def fit_tables(data: bytes) -> bytes:
    """Each table's grid and cell widths shared across the text width by what the columns hold."""
    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    width = int(section.page_width or 0) - int(section.left_margin or 0)
    width -= int(section.right_margin or 0)
    for table in doc.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        columns = max((len(r) for r in rows), default=0)
        if not columns:
            continue
        weights = [_weight([r[i] for r in rows if i < len(r)]) for i in range(columns)]
        widths = [Emu(width * w // sum(weights)) for w in weights]
        grid = table._tbl.tblGrid
        for old in list(grid):
            grid.remove(old)
        for w in widths:
            col = OxmlElement("w:gridCol")
            col.set(qn("w:w"), str(int(w.twips)))
            grid.append(col)
        figures = [all(_numeric(r[i]) for r in rows[1:] if i < len(r)) for i in range(columns)]
        for number, row in enumerate(table.rows):
            for i, (cell, w) in enumerate(zip(row.cells, widths, strict=False)):
                cell.width = w
                if number and figures[i] and len(rows) > 1:  # figures line up by the last digit
                    for paragraph in cell.paragraphs:
                        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
