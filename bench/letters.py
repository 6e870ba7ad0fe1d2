"""Acknowledgement letters per second: mailflow's render against python-docx alone, in one run.

The baseline opens the same template with python-docx and saves it, the least any .docx letter
costs; the difference is what docxtpl, the sandbox, cleaning and (for large print) the second
pass cost. "speed" is letters per second as a multiple of the baseline's. mailflow reads and
preprocesses each template once (``letters.render``), so a letter costs its Jinja render and
writing the zip. Run: ``.venv/bin/python bench/letters.py [--count 200]``.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from docx import Document

from mailflow.letters import Council, LetterContext, Officer, Stage, paragraphs, render_letter

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"
NAME = "acknowledgement"

CONTEXT = LetterContext(
    council=Council(
        name="Stafford Borough Council",
        address_lines=("Civic Centre", "Riverside", "Stafford", "ST16 3AQ"),
        telephone="01785 619000",
        website="https://www.stafford.example",
    ),
    reference="SBC-2026-00042",
    letter_date=date(2026, 11, 23),
    subject="Missed bin collection, Mill Lane & <Ltd> {{ 7*7 }}",
    officer=Officer(title="Head of Operations", name="Priya Shah"),
    other_formats="If you would like this letter in large print, please reply to tell us.",
    customer_name="Mrs Okafor",
    received_on=date(2026, 11, 20),
    stage=Stage(number=2, name="Relevant Head of Service"),
    respond_by=date(2026, 12, 18),
    procedure_explanation=" ".join(paragraphs("Our complaints procedure has four stages. " * 6)),
)


def baseline() -> bytes:
    """Open the template and save it with python-docx alone: no filling at all."""
    out = io.BytesIO()
    Document(str(TEMPLATE_DIR / f"{NAME}.docx")).save(out)
    return out.getvalue()


def mailflow_standard() -> bytes:
    return render_letter(TEMPLATE_DIR, NAME, CONTEXT)


def mailflow_large_print() -> bytes:
    return render_letter(TEMPLATE_DIR, NAME, CONTEXT, large_print=True)


def measure(run: Callable[[], bytes], count: int) -> float:
    """Seconds for ``count`` calls, after one warm-up call."""
    run()
    started = time.perf_counter()
    for _ in range(count):
        run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="letters per row (default 200)")
    count = parser.parse_args().count
    rows = [
        ("python-docx open + save (baseline)", baseline),
        ("mailflow render_letter", mailflow_standard),
        ("mailflow render_letter, large print", mailflow_large_print),
    ]
    results = [(label, measure(run, count)) for label, run in rows]
    base = results[0][1]
    print(f"{NAME}.docx, {count} letters per row")
    print(f"{'':38} {'seconds':>8} {'letters/s':>10} {'ms/letter':>10} {'speed':>8}")
    for label, seconds in results:
        print(
            f"{label:38} {seconds:8.2f} {count / seconds:10.1f} "
            f"{1000 * seconds / count:10.2f} {base / seconds:7.1f}x"
        )


if __name__ == "__main__":
    main()
