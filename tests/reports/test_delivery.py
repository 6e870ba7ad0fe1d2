"""Mailing a finished period's report to managers: queued once through the outbox, with the
.docx kept as a blob; and the Ombudsman's decisions recorded once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import select

from mailflow.errors import PolicyError
from mailflow.outbound.context import mail_context
from mailflow.outbound.templates import bundled_templates_dir, render_mail
from mailflow.reports.delivery import due_reports, send_report
from mailflow.reports.ombudsman import record_ombudsman_decision
from mailflow.reports.periods import parse_period
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Outbox
from tests.reports.conftest import Seeded

MANAGERS = ("leadership.team@chorley.example", "strategy.group@chorley.example")
AFTER_NOVEMBER = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_report_is_queued_once_per_period_with_the_document_kept(
    chorley_db: Seeded, tmp_path: Path
) -> None:
    """The first call queues a staff mail to the managers and records ``report_sent``; the
    second finds it and sends nothing; the stored blob is the Word report."""
    engine, policy = chorley_db.engine, chorley_db.policy
    assert due_reports(engine, policy, frequency="month", now=AFTER_NOVEMBER) == [
        parse_period("2026-11")
    ]
    blobs = BlobStore(tmp_path / "blobs")
    period = parse_period("2026-11")
    first = send_report(
        engine, policy, period, recipients=MANAGERS, blobs=blobs, now=AFTER_NOVEMBER
    )
    again = send_report(
        engine, policy, period, recipients=MANAGERS, blobs=blobs, now=AFTER_NOVEMBER
    )
    assert first.queued and not again.queued
    assert due_reports(engine, policy, frequency="month", now=AFTER_NOVEMBER) == []
    with session_scope(engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.message_id == first.message_id)).all()
        sent = session.exec(select(Audit).where(Audit.event == "report_sent")).all()
    assert len(rows) == 1 and rows[0].kind == "staff_mail" and rows[0].recipients == list(MANAGERS)
    assert [a.detail["period"] for a in sent] == ["2026-11"]
    context = rows[0].payload["context"]
    assert context["filename"] == "chorley-monitoring-2026-11.docx"
    assert first.blob is not None and context["report_blob"] == first.blob
    document = Document(str(blobs.path(first.blob)))
    assert document.paragraphs[0].text == "Chorley Council"


def test_the_report_mail_template_renders_for_the_outbox(chorley_db: Seeded) -> None:
    """The report's mail in templates/mail renders with the worker's own context."""
    payload = {
        "purpose": "monitoring_report",
        "template": "monitoring_report",
        "context": {
            "council_name": "Chorley Council",
            "period": "November 2026",
            "filename": "chorley-monitoring-2026-11.docx",
            "summary": [["Avoidable contact", "3 of 10 (30.0%)", "no target set"]],
        },
    }
    ctx = mail_context(chorley_db.policy, None, payload, now=AFTER_NOVEMBER, for_staff=True)
    words = render_mail(bundled_templates_dir() / "mail", "monitoring_report", ctx)
    assert words.subject.endswith("monitoring report: November 2026")
    assert "- Avoidable contact: 3 of 10 (30.0%)" in words.text
    assert "chorley-monitoring-2026-11.docx" in words.html


def test_ombudsman_decision_is_recorded_once_and_never_contradicted(chorley_db: Seeded) -> None:
    """The same decision again changes nothing; a different one is refused (append-only)."""
    reference = chorley_db.refs["C1"]  # upheld on 30 November by the scenario
    again = record_ombudsman_decision(
        chorley_db.engine, reference, upheld=True, at=AFTER_NOVEMBER, actor="test"
    )
    assert not again.recorded and again.upheld
    with pytest.raises(PolicyError, match="cannot be changed"):
        record_ombudsman_decision(
            chorley_db.engine, reference, upheld=False, at=AFTER_NOVEMBER, actor="test"
        )
