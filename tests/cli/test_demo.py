"""`mailflow demo` tells a complaint's whole story on embedded defaults and leaves it on disk.

The demo runs once per council (module fixture); each test reads one part of what it printed
or wrote: the timeline, the mail per kind of recipient, the letters and the monthly report.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from docx import Document

from mailflow.cli import main

COMPLAINANT = "m.holloway@homemail.example"
CUSTOMERS = {
    COMPLAINANT,
    "dave.okafor@mailbox.example",
    "p.natarajan@newsdesk.example",
    "tbrierley@webmail.example",
}


@dataclass(frozen=True)
class Council:
    key: str
    prefix: str
    final: int  # the last stage the council runs itself
    officer: str  # stage 1 handling officer
    escalated_to: str  # who the stage 1 escalation reaches
    warned: str  # who gets the stage 1 breach warning besides customer services


STAFFORD = Council(
    "stafford",
    "SBC",
    3,
    "waste@stafford.example",
    "head.operations@stafford.example",
    "head.operations@stafford.example",
)
CHORLEY = Council(
    "chorley",
    "CHC",
    2,
    "head.streetscene@chorley.example",
    "head.streetscene@chorley.example",
    "chief.executive@chorley.example",
)


@dataclass(frozen=True)
class Run:
    council: Council
    out: Path
    printed: str

    @property
    def reference(self) -> str:
        return f"{self.council.prefix}-2026-00001"

    def sent(self) -> list[EmailMessage]:
        mails = []
        for path in sorted((self.out / "sent").glob("*.eml")):
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(mail, EmailMessage)
            mails.append(mail)
        return mails

    def lines_about(self, text: str) -> list[str]:
        return [line for line in self.printed.splitlines() if text in line]


@pytest.fixture(scope="module", params=[STAFFORD, CHORLEY], ids=lambda c: c.key)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    council: Council = request.param
    out = tmp_path_factory.mktemp(council.key) / "demo"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--council", council.key, "--out", str(out)]) == 0
    return Run(council, out, printed.getvalue())


def test_timeline_counts_its_steps_and_is_kept_on_disk(run: Run) -> None:
    steps = 3 + 2 * (run.council.final - 1) + 1
    headings = [line for line in run.printed.splitlines() if line.startswith("[")]
    assert [h.split("]")[0] for h in headings] == [f"[{i}/{steps}" for i in range(1, steps + 1)]
    timeline = (run.out / "timeline.txt").read_text(encoding="utf-8")
    assert headings[0] in timeline and headings[-1] in timeline


def test_timeline_shows_each_monday_mail_and_ignores_the_out_of_office(run: Run) -> None:
    first = run.lines_about("Mon 30 Nov 2026 09:30  IN ")
    assert len(first) == 5
    assert f"{COMPLAINANT}: complaint {run.reference} (stage 1" in first[0]
    assert "s.pike@partner-agency.example: automatic mail, filed in Automatic" in first[4]


def test_clock_runs_through_reminder_escalation_and_breach_warning_in_order(run: Run) -> None:
    ref = f"[{run.reference}]"
    reminder = run.lines_about(f"<{run.council.officer}>: reminder {ref}")
    escalation = run.lines_about(f"<{run.council.escalated_to}>: escalation {ref}")
    breach = run.lines_about(f"<{run.council.warned}>: breach warning {ref}")
    assert [r[:27] for r in reminder] == ["  Thu 10 Dec 2026 09:00  OU"]
    assert [e[:27] for e in escalation] == ["  Mon 14 Dec 2026 09:00  OU"]
    assert [b[:27] for b in breach] == ["  Tue 15 Dec 2026 09:00  OU"]
    manager = run.lines_about(f"breach warning {ref}")
    assert any("Customer Services Manager" in line for line in manager)


def test_each_stage_owner_replies_with_a_command_and_the_customer_gets_a_stage_reply(
    run: Run,
) -> None:
    replies = run.lines_about(f"replies on {run.reference}: #outcome not_upheld")
    assert len(replies) == run.council.final
    assert run.council.officer in replies[0]
    stage_replies = run.lines_about(f"customer <{COMPLAINANT}>: stage reply [{run.reference}]")
    assert len(stage_replies) == run.council.final
    assert "ombudsman-signposting.docx" in stage_replies[-1]
    assert not any("ombudsman" in line for line in stage_replies[:-1])
    assert len(run.lines_about(f"{COMPLAINANT}: complaint {run.reference} (stage ")) == (
        run.council.final
    )


def test_mail_on_disk_per_kind_of_recipient(run: Run) -> None:
    sent = run.sent()
    recipients = [m["To"].addresses[0].addr_spec for m in sent]
    to_customers = [r for r in recipients if r in CUSTOMERS]
    to_staff = [r for r in recipients if r not in CUSTOMERS]
    assert set(to_customers) == CUSTOMERS
    assert to_customers.count(COMPLAINANT) == 2 * run.council.final  # ack + reply per stage
    assert all(r.endswith(f"@{run.council.key}.example") for r in to_staff)
    assert run.council.officer in to_staff and run.council.escalated_to in to_staff
    assert "partner-agency" not in " ".join(recipients)
    received = sorted((run.out / "received").glob("*.eml"))
    # five on Monday, then per stage after the first an escalation, per stage a reply
    assert len(received) == 5 + (run.council.final - 1) + run.council.final


def test_letters_open_in_word_and_the_final_one_signposts_the_ombudsman(run: Run) -> None:
    letters = run.out / "letters"

    def text(pattern: str) -> list[str]:
        found = sorted(letters.glob(pattern))
        return ["\n".join(p.text for p in Document(str(f)).paragraphs) for f in found]

    acknowledgements = text(f"*{run.reference}-acknowledgement.docx")
    assert acknowledgements and all(run.reference in t for t in acknowledgements)
    replies = text(f"*{run.reference}-stage-reply.docx")
    assert replies and all("blocked the lane" in t for t in replies)
    signposting = text(f"*{run.reference}-ombudsman-signposting.docx")
    assert signposting and all("Ombudsman" in t for t in signposting)


def test_monthly_report_and_case_records_are_written(run: Run) -> None:
    docx = sorted((run.out / "report").glob("*-monitoring-2026-12.docx"))
    assert len(docx) == 1
    paragraphs = [p.text for p in Document(str(docx[0])).paragraphs]
    assert "December 2026" in paragraphs
    assert sorted((run.out / "report").glob("*-summary.csv"))
    complaint = json.loads((run.out / "cases" / f"{run.reference}.json").read_text())
    assert (complaint["kind"], complaint["stage"], complaint["status"]) == (
        "complaint",
        run.council.final,
        "closed",
    )


def test_demo_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo never writes over an earlier run's results."""
    (tmp_path / "old.txt").write_text("keep me")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
