"""The outbox row format: what queue_mail writes, what it refuses, and the retry schedule."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from mailflow.errors import MailError
from mailflow.outbound import RetryPolicy, action_payload, queue_mail
from mailflow.store.db import session_scope
from mailflow.store.vocab import OutboxStatus
from mailflow.workflow.actions import SendMail
from tests.outbound.conftest import MONDAY

PAYLOAD = {"purpose": "acknowledgement", "template": "acknowledgement", "mailbox": "complaints"}
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the format, not the engine


@SQLITE
def test_queued_mail_gets_an_unguessable_message_id_and_every_payload_key(engine: Engine) -> None:
    """Message-IDs are 128 random bits on the council's domain; missing keys get defaults."""
    with session_scope(engine) as session:
        rows = [
            queue_mail(
                session,
                contact=None,
                kind="customer_mail",
                recipients=["a@example.org"],
                payload={**PAYLOAD, "reference": "SBC-2026-00042"},
                not_before=MONDAY,
                domain="stafford.example",
            )
            for _ in range(2)
        ]
    first = rows[0]
    assert re.fullmatch(r"<[0-9a-f]{32}@stafford\.example>", first.message_id)
    assert first.message_id != rows[1].message_id
    assert (first.status, first.attempts, first.created_at) == (OutboxStatus.PENDING, 0, MONDAY)
    assert first.payload == {
        **PAYLOAD,
        "reference": "SBC-2026-00042",
        "stage": None,
        "letters": [],
        "cc": [],
        "context": {},
        "in_reply_to": None,
        "references": [],
        "automatic": True,
    }


@SQLITE
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kind": "letter"}, "outbox kind"),
        ({"recipients": []}, "no recipients"),
        ({"recipients": ["Jane <a@example.org>"]}, "not a plain mail address"),
        ({"recipients": ["a@example.org\r\nBcc: b@example.org"]}, "not a plain mail address"),
        ({"payload": {**PAYLOAD, "template": "../etc/passwd"}}, "template"),
        ({"payload": {**PAYLOAD, "in_reply_to": "not-an-id"}}, "Message-IDs"),
        ({"payload": {**PAYLOAD, "context": {"at": MONDAY}}}, "plain JSON"),
        ({"domain": "evil.example>\r\nBcc: x"}, "not a domain name"),
    ],
)
def test_queue_mail_refuses_what_the_worker_could_not_send(
    engine: Engine, change: dict[str, object], problem: str
) -> None:
    """A bad row fails in the transaction that writes it, with a one-line MailError."""
    values: dict[str, object] = {
        "contact": None,
        "kind": "staff_mail",
        "recipients": ["a@example.org"],
        "payload": PAYLOAD,
        "not_before": MONDAY,
        "domain": "stafford.example",
        **change,
    }
    with session_scope(engine) as session, pytest.raises(MailError, match=problem):
        queue_mail(session, **values)  # type: ignore[arg-type]


def test_only_customer_mail_threads_into_the_customers_conversation() -> None:
    """Staff notices never carry the customer's Message-IDs; customer mail does."""
    for to_customer in (True, False):
        action = SendMail(purpose="p", template="p", to=("a@example.org",), to_customer=to_customer)
        payload = action_payload(
            action,
            reference="R",
            mailbox="complaints",
            in_reply_to="<m@c.example>",
            references=["<m@c.example>"],
        )
        threaded = (payload["in_reply_to"], payload["references"])
        assert threaded == (("<m@c.example>", ["<m@c.example>"]) if to_customer else (None, []))


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    """Each wait lies between half and all of base * 2**(n-1), never above the cap."""
    retry = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(hours=1), max_attempts=5)
    rng = random.Random(7)
    for attempts in range(1, 12):
        step = min(timedelta(hours=1), timedelta(minutes=1) * 2 ** (attempts - 1))
        assert step / 2 <= retry.delay(attempts, rng) <= step
    assert len({retry.delay(3, rng) for _ in range(20)}) > 1  # jittered
    assert not retry.gives_up(4) and retry.gives_up(5)
