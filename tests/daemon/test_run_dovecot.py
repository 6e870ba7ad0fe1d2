"""`mailflow run` against a real Dovecot: every message recorded once, even across SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from mailflow.store.db import make_engine, session_scope
from mailflow.store.models import Contact, Message, Outbox
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

DATA = Path(__file__).resolve().parents[1] / "data"
MAILFLOW = str(Path(sys.executable).with_name("mailflow"))


def samples() -> list[bytes]:
    """50 realistic messages: 44 customer emails and 6 automatic ones."""
    customers = sorted((DATA / "corpus").glob("*.eml"))[:44]
    robots = [
        "outlook-out-of-office-with-auto-submitted.eml",
        "outlook-out-of-office-without-auto-submitted.eml",
        "gmail-vacation-responder.eml",
        "newsletter-mailing-list.eml",
        "exim-bounce.eml",
        "read-receipt-mdn.eml",
    ]
    chosen = [p.read_bytes() for p in customers]
    chosen += [(DATA / "automatic" / name).read_bytes() for name in robots]
    assert len(chosen) == 50
    return chosen


def write_config(tmp_path: Path, mailbox: Mailbox, sink: SmtpSink) -> Path:
    """A mailflow.toml pointing at the test's Dovecot user and a SQLite database."""
    config = tmp_path / "mailflow.toml"
    config.write_text(
        f"""
rules = "stafford"
data_dir = "{tmp_path / "data"}"
secret = "test-secret"
lease_seconds = 3

[log]
format = "json"

[[mailbox]]
name = "complaints"
address = "{mailbox.address}"
host = "{mailbox.host}"
port = {mailbox.imap_port}
security = "none"
user = "{mailbox.address}"
password_env = "MAILFLOW_TEST_PASSWORD"
idle_seconds = 30

[smtp]
host = "{sink.host}"
port = {sink.port}
security = "none"
""",
        encoding="utf-8",
    )
    return config


def start(config: Path, mailbox: Mailbox, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAILFLOW_TEST_PASSWORD": mailbox.password}
    out = log.open("ab")
    return subprocess.Popen(
        [MAILFLOW, "run", "--config", str(config)], env=env, stdout=out, stderr=out
    )


def recorded(db: str) -> tuple[int, int]:
    """(messages, distinct Message-IDs) in the store."""
    with session_scope(make_engine(db)) as s:
        count = s.exec(select(func.count()).select_from(Message)).one()
        distinct = s.exec(select(func.count(func.distinct(Message.message_id)))).one()
        return int(count), int(distinct)


MAIL_KINDS = ("customer_mail", "staff_mail")


def all_sent(db: str) -> bool:
    """Every mail row is done (none pending, claimed or failed)."""
    with session_scope(make_engine(db)) as s:
        rows = s.exec(select(Outbox).where(col(Outbox.kind).in_(MAIL_KINDS))).all()
        return bool(rows) and all(r.status.value == "done" for r in rows)


def message_id(raw: bytes) -> str:
    """The Message-ID header of a raw mail."""
    import email

    return str(email.message_from_bytes(raw)["Message-ID"]).strip()


def wait_until(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout} s")


@pytest.mark.dovecot
def test_fifty_messages_recorded_once_across_a_sigkill(
    tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink
) -> None:
    """Killed with SIGKILL mid-batch and restarted, the daemon loses and doubles nothing,
    and every queued mail reaches the SMTP server and the Sent folder."""
    config = write_config(tmp_path, mailbox, smtp_sink)
    db = f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}"
    log = tmp_path / "daemon.log"
    mails = samples()
    for raw in mails[:30]:
        mailbox.append(raw)
    proc = start(config, mailbox, log)
    try:
        wait_until(
            lambda: (tmp_path / "data" / "mailflow.db").exists() and recorded(db)[0] >= 8, 60
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = recorded(db)[0]
        assert killed_at < 50
        proc = start(config, mailbox, log)
        for raw in mails[30:]:
            mailbox.append(raw)
        wait_until(lambda: recorded(db)[0] >= 50, 90)
        time.sleep(1.5)  # anything doubled would show up now
        assert recorded(db) == (50, 50)
        wait_until(lambda: not mailbox.fetch_all("INBOX"), 30)
        processed, automatic = mailbox.fetch_all("Processed"), mailbox.fetch_all("Automatic")
        assert len(processed) + len(automatic) == 50 and len(automatic) == 6
        with session_scope(make_engine(db)) as s:
            contacts = s.exec(select(func.count()).select_from(Contact)).one()
            linked = s.exec(
                select(func.count()).select_from(Message).where(Message.contact_id.is_not(None))
            ).one()  # type: ignore[union-attr]
        assert contacts == 44 and linked >= 44
        wait_until(lambda: all_sent(db), 60)
        sent_ids = [message_id(m.data) for m in smtp_sink.messages]
        with session_scope(make_engine(db)) as s:
            queued = s.exec(select(Outbox).where(col(Outbox.kind).in_(MAIL_KINDS))).all()
            acks = [o for o in queued if o.kind == "customer_mail"]
        assert len(acks) >= 30  # most customer contacts are owed an acknowledgement
        assert {o.message_id for o in queued} == set(sent_ids)
        doubled = len(sent_ids) - len(set(sent_ids))
        assert doubled <= 1  # only a kill between SMTP acceptance and commit can double one
        wait_until(lambda: len(mailbox.fetch_all("Sent")) >= len(set(sent_ids)), 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(15) == 0, log.read_text()[-2000:]
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert mailbox.password not in text
    assert "Traceback" not in text
