"""Writing a report out: the Word document, one CSV file per table, and an HTML page.

CSV files are UTF-8 with a byte-order mark (so Excel reads "£" right) and carry the
numbers themselves; a text cell starting with ``=``, ``+``, ``-`` or ``@`` is prefixed with an
apostrophe so a spreadsheet shows it instead of running it as a formula (OWASP CSV injection).
"""

from __future__ import annotations

import base64
import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mailflow.errors import ConfigError
from mailflow.outbound.templates import bundled_templates_dir, mail_environment
from mailflow.outbound.templates import prepare as prepare_html
from mailflow.reports.charts import Chart, draw_all
from mailflow.reports.tables import FORMATS, Cell, Report, Table
from mailflow.reports.word import context, render_docx

HTML_TEMPLATE = "monitoring_report.html.j2"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def reports_templates_dir() -> Path:
    """The report templates shipped with mailflow (``templates/reports``)."""
    return bundled_templates_dir() / "reports"


def base_name(report: Report) -> str:
    """The stem every file of the report shares, e.g. ``stafford-monitoring-2026-Q3``."""
    return f"{report.council}-monitoring-{report.period.key}"


def csv_cell(value: Cell) -> str | int | float:
    """A cell as CSV holds it: numbers as numbers, no value as empty, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def write_csv(table: Table, path: Path) -> None:
    """One table as a CSV file with a header row."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        writer.writerows([csv_cell(v) for v in row] for row in table.rows)


def render_html(report: Report, charts: dict[str, Chart], template_dir: Path) -> str:
    """The report as one HTML page, the charts inline."""
    values: dict[str, Any] = dict(context(report))
    for section, spec in zip(values["sections"], report.sections, strict=True):
        section["charts"] = [
            {"caption": charts[n].caption, "png": base64.b64encode(charts[n].png).decode()}
            for n in spec.charts
        ]
    env = mail_environment(template_dir.resolve())
    try:
        return env.get_template(HTML_TEMPLATE).render(prepare_html(values))
    except Exception as exc:  # a council's edited template: say which file, in one line
        raise ConfigError(str(template_dir / HTML_TEMPLATE), "", str(exc)) from exc


def write_report(
    report: Report,
    folder: Path,
    formats: Iterable[str] = FORMATS,
    *,
    template_dir: Path | None = None,
) -> list[Path]:
    """Write ``report`` into ``folder`` in each of ``formats``; returns the files written."""
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError("command line", "--format", f"unknown {unknown}; use {FORMATS}")
    templates = template_dir or reports_templates_dir()
    folder.mkdir(parents=True, exist_ok=True)
    charts = draw_all(report) if {"docx", "html"} & set(wanted) else {}
    stem, written = base_name(report), []
    if "docx" in wanted:
        path = folder / f"{stem}.docx"
        _write_bytes(path, render_docx(report, charts, templates))
        written.append(path)
    if "csv" in wanted:
        for t in report.tables():
            path = folder / f"{stem}-{t.key}.csv"
            write_csv(t, path)
            written.append(path)
    if "html" in wanted:
        path = folder / f"{stem}.html"
        _write_bytes(path, render_html(report, charts, templates).encode())
        written.append(path)
    return written


def _write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary name so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
