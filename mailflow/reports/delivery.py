"""Mailing a finished period's report to managers, once per period, through the outbox.

``due_reports`` names the finished periods not yet sent; ``send_report`` renders one, keeps the
.docx (and, as the rules' ``formats`` ask, the tables as zipped CSV and the HTML page) as blobs
and queues a ``staff_mail`` row to the recipients, all in one transaction with an audit event
``report_sent`` ``{"council", "period", ...}`` that is the idempotency key: a second call for
the same council and period finds it and sends nothing. PostgreSQL serialises the check with a
transaction-scoped advisory lock; SQLite's ``BEGIN IMMEDIATE`` already does.

The row names its files by digest in ``payload.context`` (``report_blob``, ``filename``,
``content_type`` for the .docx; ``files`` for the others): ``outbound.compose`` attaches them
from the blob store, so a retried mail carries exactly what was rendered when it was queued.
The rules file's ``reports`` section says who gets which report and when (``recipients``);
``schedule.reports`` runs this in the daemon.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from mailflow.outbound.rows import check_address, queue_mail
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.report_rules import ReportDelivery
from mailflow.reports.build import build_report
from mailflow.reports.charts import draw_all
from mailflow.reports.files import base_name, csv_cell, render_html, reports_templates_dir
from mailflow.reports.periods import Period, PeriodKind, last_finished
from mailflow.reports.tables import Report, shown
from mailflow.reports.word import render_docx
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Audit
from mailflow.store.repo import add_audit, save_blob

EVENT = "report_sent"
TEMPLATE = "monitoring_report"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FREQUENCY_WORDS = {"monthly": "every month", "quarterly": "every quarter", "yearly": "every year"}
ACTOR = "mailflow"


@dataclass(frozen=True, kw_only=True)
class Sent:
    """What ``send_report`` did: the period, and the outbox Message-ID (None if sent before)."""

    period: Period
    message_id: str | None
    blob: str | None

    @property
    def queued(self) -> bool:
        """Whether this call queued the mail (False: the period had already been sent)."""
        return self.message_id is not None


def _already_sent(session: Session, council: str, period: Period) -> bool:
    """Whether a ``report_sent`` event exists for the council and period."""
    query = select(Audit.detail).where(Audit.event == EVENT, col(Audit.contact_id).is_(None))
    return any(
        d.get("council") == council and d.get("period") == period.key for d in session.exec(query)
    )


def due_reports(
    engine: Engine,
    policy: CouncilPolicy,
    *,
    frequency: PeriodKind,
    now: datetime,
    catch_up: int = 1,
) -> list[Period]:
    """The last ``catch_up`` finished periods of ``frequency`` whose report was not sent."""
    latest = last_finished(frequency, now, policy.rules.council.timezone)
    candidates = [*latest.earlier(catch_up - 1), latest]
    with session_scope(engine) as session:
        return [p for p in candidates if not _already_sent(session, policy.key, p)]


def recipients(policy: CouncilPolicy, delivery: ReportDelivery) -> list[str]:
    """The delivery's addresses: its directory roles looked up, its plain addresses as they are."""
    roles = policy.rules.directory.roles
    return list(dict.fromkeys(roles[t].address if "@" not in t else t for t in delivery.to))


def _csv_zip(report: Report, stem: str) -> bytes:
    """Every table of ``report`` as a CSV file, in one zip (a mail of twenty attachments is
    hard to read)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for t in report.tables():
            handle = io.StringIO(newline="")
            writer = csv.writer(handle)
            writer.writerow(t.columns)
            writer.writerows([csv_cell(v) for v in row] for row in t.rows)
            archive.writestr(f"{stem}-{t.key}.csv", handle.getvalue().encode("utf-8-sig"))
    return buffer.getvalue()


def _lock(session: Session, key: str) -> None:
    """Serialise ``send_report`` for one council and period across PostgreSQL sessions."""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.exec(text("SELECT pg_advisory_xact_lock(:n)").bindparams(n=number))  # type: ignore[call-overload]


def send_report(
    engine: Engine,
    policy: CouncilPolicy,
    period: Period,
    *,
    recipients: Sequence[str],
    blobs: BlobStore,
    now: datetime,
    mailbox: str | None = None,
    formats: Sequence[str] = ("docx",),
    frequency: str | None = None,
) -> Sent:
    """Render ``period``'s report and queue it to ``recipients``, unless it was sent before.

    The .docx is always attached; ``formats`` may add ``csv`` (every table, zipped) and
    ``html``; ``frequency`` (the rules' word) tells the reader how often the report comes.
    """
    addresses = [check_address(a) for a in recipients]
    with session_scope(engine) as session:
        if _already_sent(session, policy.key, period):
            return Sent(period=period, message_id=None, blob=None)
    report = build_report(engine, policy, period, now=now)
    charts = draw_all(report)
    document = render_docx(report, charts, reports_templates_dir())
    stem = base_name(report)
    others: list[tuple[str, str, bytes]] = []
    if "csv" in formats:
        others.append((f"{stem}-tables.zip", "application/zip", _csv_zip(report, stem)))
    if "html" in formats:
        page = render_html(report, charts, reports_templates_dir()).encode()
        others.append((f"{stem}.html", "text/html", page))
    box = mailbox or next(iter(policy.rules.council.mailboxes))
    domain = policy.rules.council.mailboxes[box].partition("@")[2]
    with session_scope(engine) as session:
        _lock(session, f"{EVENT}:{policy.key}:{period.key}")
        if _already_sent(session, policy.key, period):
            return Sent(period=period, message_id=None, blob=None)
        sha = save_blob(session, blobs, document, at=now)
        files = [
            {"blob": save_blob(session, blobs, data, at=now), "filename": name, "content_type": ct}
            for name, ct, data in others
        ]
        context = {
            "council_name": policy.rules.council.name,
            "period": period.label,
            "period_key": period.key,
            "frequency": FREQUENCY_WORDS.get(frequency or ""),
            "report_blob": sha,
            "filename": f"{stem}.docx",
            "content_type": DOCX,
            "size": len(document),
            "files": files,
            "summary": [[shown(v) for v in row] for row in report.summary.rows],
        }
        row = queue_mail(
            session,
            contact=None,
            kind="staff_mail",
            recipients=addresses,
            payload={"purpose": TEMPLATE, "template": TEMPLATE, "mailbox": box, "context": context},
            not_before=now,
            domain=domain,
        )
        detail = {
            "council": policy.key,
            "period": period.key,
            "recipients": addresses,
            "blob": sha,
            "message_id": row.message_id,
        }
        add_audit(session, contact_id=None, actor=ACTOR, event=EVENT, detail=detail, at=now)
        return Sent(period=period, message_id=row.message_id, blob=sha)
