"""What the demo leaves on disk besides the mail: case records, letters, report, timeline."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from mailflow.demo.world import LONDON, World, read_mail
from mailflow.reports.build import build_report
from mailflow.reports.periods import parse_period
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Contact


def write_cases(world: World) -> None:
    """One JSON file per case: its stages, deadlines (and how each was computed)."""
    folder = world.out / "cases"
    folder.mkdir(exist_ok=True)
    with session_scope(world.engine) as session:
        for contact in session.exec(select(Contact).order_by(col(Contact.id))).all():
            state = load_case(session, contact)
            record = {
                "reference": state.reference,
                "kind": state.kind,
                "stage": state.stage,
                "status": state.status,
                "assigned_to": state.assigned_to,
                "why": list(state.reasons),
                "deadlines": [
                    {
                        "stage": d.stage,
                        "purpose": d.purpose,
                        "due": d.due_date.isoformat(),
                        "status": d.status,
                        "how": list(d.explain),
                    }
                    for d in state.deadlines
                ],
            }
            path = folder / f"{state.reference}.json"
            path.write_text(json.dumps(record, indent=2), encoding="utf-8")
            world.print(
                f"  {state.reference}  {state.kind:<16} stage {state.stage or '-'}  {state.status}"
            )


def extract_letters(world: World) -> int:
    """Copy every letter attached to a sent mail into ``letters/`` for opening in Word."""
    folder = world.out / "letters"
    folder.mkdir(exist_ok=True)
    count = 0
    for path in world.backend.files():
        for part in read_mail(path).iter_attachments():
            name = Path(part.get_filename() or "letter.docx").name
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                (folder / f"{path.stem[:4]}-{name}").write_bytes(payload)
                count += 1
    return count


def write_report(world: World, month: datetime) -> list[Path]:
    """The monthly monitoring report for ``month``, as ``mailflow report`` writes it."""
    from mailflow.reports.files import write_report as write_files  # matplotlib: only when used

    period = parse_period(f"{month.astimezone(LONDON):%Y-%m}")
    built = build_report(world.engine, world.policy, period, now=world.clock.now)
    return write_files(built, world.out / "report", ["docx", "csv"])


def write_timeline(world: World) -> Path:
    """Everything the demo printed, as ``timeline.txt``."""
    path = world.out / "timeline.txt"
    path.write_text("\n".join(world.lines) + "\n", encoding="utf-8")
    return path
