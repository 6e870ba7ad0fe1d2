"""The real mail path: a customer's mail goes through Postfix and LMTP into Dovecot, the real
`mailflow run` reads it by IMAP, and its acknowledgement goes back out through Postfix."""

from __future__ import annotations

import email
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from tests.servers.fixtures import COUNCIL_PASSWORD, CUSTOMER_USERS, MailPath

DATA = Path(__file__).resolve().parents[1] / "data"
MAILFLOW = str(Path(sys.executable).with_name("mailflow"))
COUNCIL = "complaints@council.test"
CUSTOMER = CUSTOMER_USERS[0]
REFERENCE_TAG = re.compile(r"^\[[A-Z]{2,6}-\d{4}-\d{5}\] ")


def customer_complaint() -> EmailMessage:
    """A real complaint from the corpus, sent by the test customer to the council's mailbox."""
    raw = (DATA / "corpus" / "001-missed-bins-third-time.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    message.replace_header("From", f"Pat Resident <{CUSTOMER}>")
    message.replace_header("To", f"Complaints <{COUNCIL}>")
    message.replace_header("Message-ID", make_msgid(domain="customer.test"))
    return message


def write_config(tmp_path: Path, path: MailPath) -> Path:
    """mailflow.toml: IMAP from the Dovecot, SMTP into the Postfix, SQLite in tmp_path."""
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
address = "{COUNCIL}"
host = "{path.dovecot.host}"
port = {path.dovecot.imap_port}
security = "none"
user = "{COUNCIL}"
password_env = "MAILFLOW_TEST_PASSWORD"
idle_seconds = 30

[smtp]
host = "{path.postfix.host}"
port = {path.postfix.port}
security = "none"
""",
        encoding="utf-8",
    )
    return config


def wait_for(found: Callable[[], list[bytes]], timeout: float) -> list[bytes]:
    """Poll until ``found`` returns something; return it or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.2)
    raise AssertionError(f"nothing arrived within {timeout} s")


def parsed(raw: bytes) -> EmailMessage:
    """Raw bytes as an EmailMessage."""
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.dovecot
def test_a_complaint_through_postfix_is_acknowledged_back_through_postfix(
    tmp_path: Path, mail_path: MailPath
) -> None:
    """Submitted to Postfix, delivered by LMTP, read by the daemon over IMAP: the customer's
    INBOX (on the same Dovecot, reached through Postfix again) gets the acknowledgement, tagged
    with the case reference and In-Reply-To the complaint."""
    complaint = customer_complaint()
    dovecot, postfix = mail_path
    with smtplib.SMTP(postfix.host, postfix.port, timeout=10) as smtp:
        smtp.sendmail(CUSTOMER, [COUNCIL], complaint.as_bytes())
    log = tmp_path / "daemon.log"
    env = {**os.environ, "MAILFLOW_TEST_PASSWORD": COUNCIL_PASSWORD}
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            [MAILFLOW, "run", "--config", str(write_config(tmp_path, mail_path))],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        [ack] = wait_for(lambda: dovecot.fetch_all(CUSTOMER, COUNCIL_PASSWORD), 60)
        [filed] = wait_for(lambda: dovecot.fetch_all(COUNCIL, COUNCIL_PASSWORD, "Processed"), 30)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            assert daemon.wait(15) == 0, log.read_text()[-2000:]
        finally:
            if daemon.poll() is None:
                daemon.kill()
    reply, received = parsed(ack), parsed(filed)
    assert REFERENCE_TAG.match(str(reply["Subject"])), reply["Subject"]
    assert reply["In-Reply-To"] == complaint["Message-ID"]
    assert str(reply["To"]).endswith(f"<{CUSTOMER}>") or reply["To"] == CUSTOMER
    # Both mails passed through Postfix (its Received line) before Dovecot stored them.
    for message in (reply, received):
        assert any("(Postfix)" in str(line) for line in message.get_all("Received", []))
    assert received["Message-ID"] == complaint["Message-ID"]
    assert "Traceback" not in log.read_text()
