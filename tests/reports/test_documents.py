"""The report as files: a Word document with the summary first, every table and the charts;
CSV files of every table; HTML; and no customer's name, address or words anywhere."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document

from mailflow.reports.files import csv_cell, reports_templates_dir, write_report
from mailflow.reports.periods import parse_period
from mailflow.reports.tables import Report, Section, table
from mailflow.reports.word import render_docx
from tests.reports.conftest import Seeded
from tests.reports.scenarios import COMPLIMENT, ESCALATE, HOUSING, WASTE

STEM = "stafford-monitoring-2026-Q3"


def test_word_report_has_the_summary_first_then_every_table_and_the_charts(
    stafford_report: Report, stafford_files: Path
) -> None:
    """Opened with python-docx: the summary table leads, each detail table follows with its
    header and rows, and the four charts are inline images."""
    doc = Document(str(stafford_files / f"{STEM}.docx"))
    headings = [
        p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"
    ]
    assert headings[0] == "Summary"
    tables = stafford_report.tables()
    assert len(doc.tables) == len(tables)
    for got, wanted in zip(doc.tables, tables, strict=True):
        cells = [[c.text for c in row.cells] for row in got.rows]
        assert cells[0] == list(wanted.columns)
        assert len(cells) == len(wanted.rows) + 1, wanted.key
    summary = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert ["Avoidable contact", "4 of 14 (28.6%)", "no target set"] in summary
    assert len(doc.inline_shapes) == 4
    with zipfile.ZipFile(stafford_files / f"{STEM}.docx") as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
    assert len(media) == 4 and all(n.endswith(".png") for n in media)


def test_a_csv_file_per_table_with_numbers(stafford_report: Report, stafford_files: Path) -> None:
    """Each table is a CSV file whose header and cells are the table's."""
    for t in stafford_report.tables():
        text = (stafford_files / f"{STEM}-{t.key}.csv").read_text(encoding="utf-8-sig")
        read = list(csv.reader(io.StringIO(text)))
        assert read[0] == list(t.columns)
        assert read[1:] == [["" if v is None else str(v) for v in row] for row in t.rows]


def test_no_customer_name_address_or_words_in_any_file(
    stafford_db: Seeded, stafford_files: Path
) -> None:
    """Personal data: none of the customers' names, addresses, subjects or text appear."""
    words = [
        "Jane",
        "Smith",
        "jane.smith",
        "customer.example",
        "Resident",
        WASTE[0],
        WASTE[1][:40],
        HOUSING[1][:40],
        COMPLIMENT[1][:40],
        ESCALATE[:40],
    ]
    for path in stafford_files.iterdir():
        if path.suffix == ".docx":
            with zipfile.ZipFile(path) as package:
                body = " ".join(
                    package.read(n).decode("utf-8", "replace")
                    for n in package.namelist()
                    if n.endswith(".xml")
                )
        else:
            body = path.read_text(encoding="utf-8-sig")
        for word in words:
            assert word.lower() not in body.lower(), (path.name, word)


def hostile_report() -> Report:
    """A report whose text holds XML, Jinja and formula characters (as an officer might type)."""
    evil = '</w:t><w:p>& {{ 7*7 }} {% if x %} <Ltd> =HYPERLINK("x")'
    t = table(
        "actions",
        "Actions",
        ("Date", "Action"),
        [("2026-08-21", evil), ("2026-08-22", "=SUM(A1:A9)")],
        "note & <b>",
    )
    return Report(
        council="stafford",
        council_name="Stafford & <Borough>",
        period=parse_period("2026-Q3"),
        generated=datetime(2026, 10, 5, tzinfo=UTC),
        summary=table("summary", "Summary", ("Measure", "This period", "Target"), [("a", 1, "b")]),
        sections=(Section(title="Learning {{ 1+1 }}", tables=(t,)),),
    )


def test_text_is_data_never_template_or_xml() -> None:
    """Autoescaped, sandboxed rendering: markup and Jinja in values print literally."""
    data = render_docx(hostile_report(), {}, reports_templates_dir())
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Stafford & <Borough>" in text and "Learning {{ 1+1 }}" in text
    action = doc.tables[1].rows[1].cells[1].text
    assert action == '</w:t><w:p>& {{ 7*7 }} {% if x %} <Ltd> =HYPERLINK("x")'


def test_csv_cells_that_look_like_formulas_are_defused(tmp_path: Path) -> None:
    """OWASP CSV injection: a text cell starting with = + - @ is prefixed with an apostrophe."""
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("-1") == "'-1" and csv_cell(-1) == -1 and csv_cell(None) == ""
    write_report(hostile_report(), tmp_path, ("csv", "html"))
    row = (tmp_path / "stafford-monitoring-2026-Q3-actions.csv").read_text("utf-8-sig")
    assert '2026-08-21,"</w:t><w:p>&' in row and "2026-08-22,'=SUM(A1:A9)" in row
    html = (tmp_path / "stafford-monitoring-2026-Q3.html").read_text()
    assert "Stafford &amp; &lt;Borough&gt;" in html and "<Ltd>" not in html


def test_committed_template_is_what_its_script_writes() -> None:
    """templates/reports/monitoring_report.docx still says what make_template.py writes."""
    import importlib.util

    script = reports_templates_dir() / "make_template.py"
    spec = importlib.util.spec_from_file_location("make_report_template", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built, committed = module.build(), Document(str(reports_templates_dir() / module.NAME))

    def words(doc: object) -> list[str]:
        paragraphs = [p.text for p in doc.paragraphs]  # type: ignore[attr-defined]
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]  # type: ignore[attr-defined]
        return paragraphs + cells

    assert words(built) == words(committed)
