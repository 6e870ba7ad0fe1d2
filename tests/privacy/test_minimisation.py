"""Data minimisation: a complaint's whole life leaves no message text or customer address in
the logs, only references and identifiers (UK GDPR Art. 5(1)(c))."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mailflow.logs import JsonFormatter
from tests.e2e.conftest import COMPLAINT, CUSTOMER, MONDAY
from tests.e2e.town import SimClock, Town, answer, new_mail
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

REASONS = "We checked the crew's tracker: the grey bin on Holly Bank was not presented."
SECRETS = [
    CUSTOMER,
    "Jane Smith",
    "Holly Bank",
    "grey bin",
    "report it online nothing happens",
    "crew's tracker",
    "still not satisfied",
]


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every mailflow log line at DEBUG, formatted as the daemon writes them (JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("mailflow")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.dovecot
async def test_a_complaint_end_to_end_logs_no_body_text_and_no_customer_address(
    tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink, logs: io.StringIO
) -> None:
    """Complaint, acknowledgement, officer's #outcome reply, stage reply, customer's answer:
    the log has the reference on its lines but none of what the customer or officer wrote."""
    clock = SimClock(MONDAY)
    town = Town.open(tmp_path, "stafford", mailbox, smtp_sink, clock)
    async with town:
        first = "<complaint-1@customer.example>"
        raw = new_mail(f"Jane Smith <{CUSTOMER}>", town.address, "Missed bins", COMPLAINT,
                       message_id=first)  # fmt: skip
        await town.send(raw, at=MONDAY)
        _ack, notice = await town.expect(2)
        body = f"#outcome not_upheld\n\n{REASONS}\n\nKind regards\nWaste Services Officer\n"
        reply = answer(notice, "waste@stafford.example", body, message_id="<officer-1@c.example>")
        await town.send(reply, at=MONDAY + timedelta(days=2))
        (stage_reply,) = await town.expect(1)
        text = "I am still not satisfied with your response about Holly Bank."
        await town.send(answer(stage_reply, CUSTOMER, text, message_id="<again@customer.example>"),
                        at=MONDAY + timedelta(days=4))  # fmt: skip
        await town.expect(2)
    written = logs.getvalue()
    assert "SBC-2026-00001" in written  # the log is useful: it names the case
    leaked = [s for s in SECRETS if s.lower() in written.lower()]
    assert leaked == [], [line for line in written.splitlines() if any(s in line for s in leaked)]
