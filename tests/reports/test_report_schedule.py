"""The daemon mails each finished period's monitoring report once, when the rules say it is due.

Stafford's rules: quarterly to Leadership Team and Cabinet, 5 working days after the quarter
ends, as .docx with the tables as zipped CSV. A quarter is seeded through the real workflow,
then the real ``Daemon`` (outbox worker, notice scheduler and report deliveries) runs with a
simulated clock and sends through SMTP to a real sink: nothing before the due instant, one mail
after it, none again on restart, and one in all when two daemons share a PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlmodel import select

from mailflow.app import Daemon
from mailflow.config import Config
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.reports.periods import parse_period
from mailflow.schedule.reports import ReportDeliveries, due_at
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Outbox
from tests.reports.simulation import Simulation, local
from tests.servers.smtp import SmtpSink

SUBJECT = "Customer feedback and complaints monitoring report: July to September 2026 (Q3)"
MANAGERS = {"leadership.team@stafford.example", "cabinet@stafford.example"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def seed_third_quarter(engine: Engine, policy: CouncilPolicy, blobs: Path) -> None:
    """Two complaints and a compliment in July 2026, acknowledged; one complaint not upheld."""
    sim = Simulation(engine, policy, blobs)
    first = sim.mail(
        "2026-07-06 10:00",
        "jane.smith@customer.example",
        "Complaint: bins not collected",
        "I wish to complain: my bins have not been collected for three weeks.",
        expect={"kind": "complaint"},
    )
    sim.mail(
        "2026-07-07 11:00",
        "sam.jones@customer.example",
        "Complaint about council tax",
        "I want to make a formal complaint about how my council tax bill was handled.",
        expect={"kind": "complaint"},
    )
    sim.mail(
        "2026-07-08 12:00",
        "ann.lee@customer.example",
        "Thank you",
        "A compliment: the housing officer was very helpful, thank you.",
        expect={"kind": "compliment"},
    )
    sim.deliver("2026-07-08 12:05")
    sim.officer("2026-07-14 15:00", first, "#outcome not_upheld")
    sim.deliver("2026-07-14 15:05")


def daemon(
    engine: Engine, sink: SmtpSink, data: Path, now: datetime, holder: str = "one"
) -> Daemon:
    """The real daemon on ``engine``, sending through the sink, its clock stopped at ``now``."""
    url = engine.url.render_as_string(hide_password=False)
    config = Config(
        rules="stafford",
        database=url,
        data_dir=data,
        secret="s3",
        smtp={"host": sink.host, "port": sink.port, "security": "none"},
    )
    return Daemon(
        config=config,
        policy=load_policy("stafford"),
        engine=engine,
        clock=lambda: now,
        holder=holder,
    )


def reports(sink: SmtpSink) -> list[EmailMessage]:
    """The monitoring report mails the sink accepted (the daemon also sends case notices)."""
    mails = [message_from_bytes(m.data, policy=email_policy.default) for m in sink.messages]
    return [m for m in mails if str(m["Subject"]) == SUBJECT]


def queued_reports(engine: Engine) -> int:
    """Report mails ever queued to the outbox, checked against the ``report_sent`` events."""
    with session_scope(engine) as session:
        rows = session.exec(select(Outbox)).all()
        sent = session.exec(select(Audit).where(Audit.event == "report_sent")).all()
    mails = [r for r in rows if r.payload.get("template") == "monitoring_report"]
    assert [a.detail["message_id"] for a in sent] == [r.message_id for r in mails]
    return len(mails)


async def run_until(daemons: list[Daemon], done: object, timeout: float = 60) -> None:
    """Run the daemons until ``done()`` holds and every report round has run, then stop them."""
    stop = asyncio.Event()
    runs = [asyncio.create_task(d.run(stop)) for d in daemons]
    try:
        async with asyncio.timeout(timeout):
            while not (
                all(d.reports is not None and d.reports.last is not None for d in daemons)
                and done()  # type: ignore[operator]
            ):
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*runs)


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Engine:
    seed_third_quarter(engine, load_policy("stafford"), tmp_path / "seed-blobs")
    return engine


def test_quarterly_report_is_due_five_working_days_after_the_quarter() -> None:
    """Q3 2026 ends on Wednesday 30 September: the report is due at 09:00 on Thursday 8
    October, the morning 5 working days later (as a reminder's ``after: 5``)."""
    policy = load_policy("stafford")
    [delivery] = policy.rules.reports.deliveries
    assert due_at(policy, delivery, parse_period("2026-Q3")) == local("2026-10-08 09:00")
    chorley = load_policy("chorley")
    [monthly] = chorley.rules.reports.deliveries
    # November 2026 ends on a Monday; 2 working days later is Thursday 3 December.
    assert due_at(chorley, monthly, parse_period("2026-11")) == local("2026-12-03 09:00")


async def test_report_is_mailed_once_to_leadership_team_and_cabinet_after_the_delay(
    seeded: Engine, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """On 7 October nothing goes; on 8 October at 09:30 one mail to exactly Leadership Team
    and Cabinet carries the Word report and the zipped tables; a restart sends nothing more."""
    early = daemon(seeded, smtp_sink, tmp_path / "data", local("2026-10-07 16:00"))
    await run_until([early], lambda: True)
    assert reports(smtp_sink) == []
    assert early.reports is not None and early.reports.last is not None
    assert early.reports.last.next_due == local("2026-10-08 09:00")

    due = daemon(seeded, smtp_sink, tmp_path / "data", local("2026-10-08 09:30"))
    await run_until([due], lambda: len(reports(smtp_sink)) == 1)
    [mail] = reports(smtp_sink)
    [envelope] = [m for m in smtp_sink.messages if mail["Message-ID"].encode() in m.data]
    assert set(envelope.rcpt_tos) == MANAGERS and len(envelope.rcpt_tos) == 2
    assert {a.addr_spec for a in mail["To"].addresses} == MANAGERS
    assert mail["From"].addresses[0].addr_spec == "complaints@stafford.example"
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Stafford Borough Council for July to September 2026 (Q3)" in " ".join(text.split())
    assert "jane.smith" not in text and "Smith" not in text
    files = {p.get_filename(): p for p in mail.iter_attachments()}
    assert set(files) == {
        "stafford-monitoring-2026-Q3.docx",
        "stafford-monitoring-2026-Q3-tables.zip",
    }
    word = files["stafford-monitoring-2026-Q3.docx"]
    assert word.get_content_type() == DOCX
    document = Document(io.BytesIO(word.get_content()))
    assert document.paragraphs[0].text == "Stafford Borough Council"
    assert any("Summary" in p.text for p in document.paragraphs)
    tables = zipfile.ZipFile(
        io.BytesIO(files["stafford-monitoring-2026-Q3-tables.zip"].get_content())
    )
    names = tables.namelist()
    assert "stafford-monitoring-2026-Q3-summary.csv" in names
    by_service = tables.read("stafford-monitoring-2026-Q3-complaints_by_service.csv")
    assert by_service.decode("utf-8-sig").splitlines()[0].startswith("Service")

    again = daemon(seeded, smtp_sink, tmp_path / "data", local("2026-10-09 10:00"))
    await run_until([again], lambda: True)
    assert again.reports is not None and again.reports.last is not None
    assert again.reports.last.queued == ()
    assert queued_reports(seeded) == 1 and len(reports(smtp_sink)) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_two_daemons_on_postgresql_mail_the_report_once(
    seeded: Engine, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """Two daemons started together after the due instant: one mail between them."""
    now = local("2026-10-12 10:00")
    both = [daemon(seeded, smtp_sink, tmp_path / name, now, holder=name) for name in ("one", "two")]
    await run_until(both, lambda: len(reports(smtp_sink)) >= 1)
    assert sum(len(d.reports.last.queued) for d in both if d.reports and d.reports.last) == 1
    assert queued_reports(seeded) == 1 and len(reports(smtp_sink)) == 1


def test_no_report_for_a_period_before_the_first_contact(engine: Engine, tmp_path: Path) -> None:
    """A new installation does not mail reports of quarters it never saw."""
    deliveries = ReportDeliveries(
        engine=engine,
        policy=load_policy("stafford"),
        blobs=BlobStore(tmp_path / "blobs"),
        clock=lambda: local("2026-10-12 10:00"),
    )
    done = deliveries.round(local("2026-10-12 10:00"))
    assert done.queued == () and done.next_due == local("2027-01-11 09:00")
