"""Write the report template: ``.venv/bin/python templates/reports/make_template.py [DIR]``.

``monitoring_report.docx`` beside this script is committed so a council can restyle it in Word;
this script is the readable record of what it first said. Its fields are docxtpl's Jinja:
``council``, ``period``, ``generated``, ``summary`` and ``sections`` (each with ``title``,
``tables`` and ``charts``); a table has ``title``, ``note``, ``columns`` and ``rows`` (rows of
text), a chart ``image`` and ``caption``. ``{%p ...%}`` paragraphs keep, drop or repeat what lies
between them; in a table, ``{%tr ...%}`` repeats rows and ``{%tc ...%}`` repeats columns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Arial"
NAME = "monitoring_report.docx"


def styles(doc: DocumentObject) -> None:
    """A clear sans-serif face throughout; small type in tables; notes in grey."""
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10)
    for name, size in (("Title", 22), ("Subtitle", 14), ("Heading 1", 15), ("Heading 2", 12)):
        style = doc.styles[name]
        style.font.name, style.font.size = FONT, Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    cell = doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    cell.font.size = Pt(8.5)
    cell.paragraph_format.space_after = Pt(0)
    head = doc.styles.add_style("Table Heading", WD_STYLE_TYPE.PARAGRAPH)
    head.base_style = cell
    head.font.bold = True
    note = doc.styles.add_style("Table Note", WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    note.font.size, note.font.italic = Pt(8.5), True
    note.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    note.paragraph_format.space_after = Pt(10)


def landscape(doc: DocumentObject) -> None:
    """A4 landscape with 1.5 cm margins: room for the wider tables."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))


def para(doc: DocumentObject, text: str, style: str = "Normal", *, keep: bool = False) -> None:
    """One paragraph; ``keep`` holds it on the page of the next (a chart and its caption)."""
    doc.add_paragraph(text, style=style).paragraph_format.keep_with_next = keep or None


def repeat_header(row: object) -> None:
    """Mark a table row to repeat at the top of each page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def data_table(doc: DocumentObject, table: str) -> None:
    """A table of ``table`` (a template expression) with as many columns as it has."""
    grid = doc.add_table(rows=4, cols=3)
    grid.style = "Table Grid"
    cells = [
        ("{%tc for column in " + table + ".columns %}", "{{ column }}", "{%tc endfor %}"),
        ("{%tr for row in " + table + ".rows %}", "", ""),
        ("{%tc for cell in row %}", "{{ cell }}", "{%tc endfor %}"),
        ("{%tr endfor %}", "", ""),
    ]
    for r, texts in enumerate(cells):
        for c, text in enumerate(texts):
            paragraph = grid.cell(r, c).paragraphs[0]
            paragraph.text = text
            paragraph.style = doc.styles["Table Heading" if r == 0 else "Table Text"]
    repeat_header(grid.rows[0])


def build() -> DocumentObject:
    """The report template."""
    doc = Document()
    styles(doc)
    landscape(doc)
    doc.core_properties.author = "mailflow"
    doc.core_properties.title = "Customer feedback and complaints monitoring report"
    para(doc, "{{ council }}", "Title")
    para(doc, "Customer feedback and complaints: monitoring report", "Subtitle")
    para(doc, "{{ period }}", "Subtitle")
    para(doc, "Produced on {{ generated }} from the case records. {{ privacy }}")
    para(doc, "{{ summary.title }}", "Heading 1")
    data_table(doc, "summary")
    para(doc, "{{ summary.note }}", "Table Note")
    doc.add_page_break()
    para(doc, "{%p for section in sections %}")
    para(doc, "{{ section.title }}", "Heading 1")
    para(doc, "{%p for t in section.tables %}")
    para(doc, "{{ t.title }}", "Heading 2")
    data_table(doc, "t")
    para(doc, "{%p if not t.rows %}")
    para(doc, "None in the period.", "Table Text")
    para(doc, "{%p endif %}")
    para(doc, "{{ t.note }}", "Table Note")
    para(doc, "{%p endfor %}")
    para(doc, "{%p for chart in section.charts %}")
    para(doc, "{{ chart.image }}", keep=True)
    para(doc, "{{ chart.caption }}", "Table Note")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    return doc


def main(argv: list[str]) -> None:
    """Write the template into DIR (default: beside this script)."""
    folder = Path(argv[1]) if len(argv) > 1 else HERE
    build().save(str(folder / NAME))


if __name__ == "__main__":
    main(sys.argv)
