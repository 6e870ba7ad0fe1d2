"""`mailflow replay` and `mailflow import`: old mail through the pipeline again, exactly once.

Replay reads a real Dovecot mailbox (the watched INBOX and the folders mailflow files into);
import reads a real mbox file built from the test corpus. Both run twice: the second run
records nothing and queues nothing.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
import mailbox
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from mailflow.cli import main
from mailflow.store.db import make_engine, session_scope
from mailflow.store.models import Audit, Contact, Message, Outbox
from tests.servers.dovecot import Mailbox

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
COMPLAINT = CORPUS / "001-missed-bins-third-time.eml"  # Tue 13 Jan 2026
SECOND = CORPUS / "002-council-tax-double-debit.eml"
THIRD = CORPUS / "003-damp-council-flat-repairs.eml"


def write_config(tmp_path: Path, box: Mailbox | None = None, **limits: int) -> Path:
    """A mailflow.toml for the Stafford rules on SQLite, watching ``box`` on Dovecot."""
    lines = [
        'rules = "stafford"',
        f'data_dir = "{tmp_path / "data"}"',
        'secret = "replay-and-import-test-key"',
    ]
    if limits:
        lines.append("[limits]")
        lines += [f"{k} = {v}" for k, v in limits.items()]
    address = box.address if box else "complaints@stafford.example"
    lines += [
        "[[mailbox]]",
        'name = "complaints"',
        f'address = "{address}"',
        f'user = "{address}"',
        f'password = "{box.password if box else "unused"}"',
        f'host = "{box.host if box else "127.0.0.1"}"',
        f"port = {box.imap_port if box else 143}",
        'security = "none"',
    ]
    path = tmp_path / "mailflow.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def dated(path: Path, date: str) -> bytes:
    """A corpus message with its Date header replaced."""
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    mail.replace_header("Date", date)
    return mail.as_bytes()


def store(tmp_path: Path) -> Any:
    return make_engine(f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}")


def outbox_ids(tmp_path: Path) -> list[str]:
    engine = store(tmp_path)
    try:
        with session_scope(engine) as session:
            return list(session.exec(select(Outbox.message_id).order_by(col(Outbox.id))).all())
    finally:
        engine.dispose()


@pytest.mark.dovecot
def test_replay_records_missed_mail_since_the_date_once_and_queues_nothing_twice(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """INBOX and Processed are read; older mail is left alone; a second run records nothing."""
    mailbox.append(COMPLAINT.read_bytes())  # Tue 13 Jan 2026
    with mailbox.server.imap_client(mailbox.address, mailbox.password) as client:
        client.create_folder("Processed")  # filed there by the watcher before the loss
    mailbox.append(dated(SECOND, "Wed, 14 Jan 2026 10:00:00 +0000"), folder="Processed")
    mailbox.append(dated(THIRD, "Mon, 01 Dec 2025 10:00:00 +0000"))  # before --since
    config = write_config(tmp_path, mailbox)
    args = ("replay", "--mailbox", "complaints", "--since", "2026-01-01", "--config", str(config))

    first = run(*args)
    assert (first["seen"], first["recorded"], first["already_recorded"]) == (2, 2, 0)
    assert (first["quarantined"], first["before_since"]) == (0, 1)
    assert first["folders"]["INBOX"]["recorded"] == 1
    assert first["folders"]["Processed"]["recorded"] == 1
    queued = outbox_ids(tmp_path)
    assert queued  # acknowledgements and notifications, for the daemon to send

    second = run(*args)
    assert (second["seen"], second["recorded"], second["already_recorded"]) == (2, 0, 2)
    assert outbox_ids(tmp_path) == queued

    engine = store(tmp_path)
    with session_scope(engine) as session:
        received = sorted(m.received_at for m in session.exec(select(Message)).all())
    engine.dispose()
    assert [r.astimezone(UTC).date().isoformat() for r in received] == [
        "2026-01-13",
        "2026-01-14",
    ]


@pytest.mark.dovecot
def test_replay_counts_a_message_too_big_to_read_as_quarantined_once(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    big = dated(COMPLAINT, "Tue, 13 Jan 2026 08:47:00 +0000") + b"\n" + b"x" * 4096 + b"\n"
    mailbox.append(big)
    config = write_config(tmp_path, mailbox, max_message_bytes=2048)
    args = ("replay", "-m", "complaints", "--since", "2026-01-01", "-c", str(config))
    assert run(*args)["quarantined"] == 1
    again = run(*args)
    assert (again["quarantined"], again["already_recorded"]) == (0, 1)


def test_replay_refuses_a_mailbox_that_is_not_configured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    code = main(["replay", "-m", "info", "--since", "2026-01-01", "-c", str(config)])
    assert code == 2
    assert "--mailbox 'info' is not configured (configured: complaints)" in capsys.readouterr().err


def build_mbox(path: Path, raws: list[bytes]) -> Path:
    box = mailbox.mbox(path, create=True)
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()
    return path


def audit(tmp_path: Path) -> list[Audit]:
    engine = store(tmp_path)
    try:
        with session_scope(engine) as session:
            rows = list(session.exec(select(Audit).order_by(col(Audit.id))).all())
            for row in rows:
                session.expunge(row)
            return rows
    finally:
        engine.dispose()


def test_quiet_import_records_last_years_complaints_but_mails_nobody(tmp_path: Path) -> None:
    """Each contact is recorded from its own Date with an 'imported' audit entry; every mail
    the pipeline decided is audited as suppressed, none is queued; importing again is a no-op."""
    mbox = build_mbox(
        tmp_path / "history.mbox",
        [COMPLAINT.read_bytes(), SECOND.read_bytes(), THIRD.read_bytes()],
    )
    config = write_config(tmp_path)
    first = run("import", str(mbox), "--config", str(config))
    assert (first["seen"], first["recorded"], first["quiet"]) == (3, 3, True)
    assert outbox_ids(tmp_path) == []
    entries = audit(tmp_path)
    imported = [e for e in entries if e.event == "contact_imported"]
    assert len(imported) == 3 and {e.detail["file"] for e in imported} == {"history.mbox"}
    suppressed = [e for e in entries if e.event == "mail_suppressed"]
    assert {e.detail["purpose"] for e in suppressed} >= {"acknowledgement"}

    engine = store(tmp_path)
    with session_scope(engine) as session:
        contacts = session.exec(select(Contact).order_by(col(Contact.id))).all()
        first_contact = contacts[0]
        assert first_contact.received_at.astimezone(UTC).date().isoformat() == "2026-01-13"
        assert first_contact.reference == "SBC-2026-00001"
    engine.dispose()

    again = run("import", str(mbox), "--config", str(config))
    assert (again["recorded"], again["already_recorded"]) == (0, 3)
    assert len([e for e in audit(tmp_path) if e.event == "contact_imported"]) == 3


def test_import_with_notify_queues_the_mail_live_mail_would_get(tmp_path: Path) -> None:
    mbox = build_mbox(tmp_path / "one.mbox", [COMPLAINT.read_bytes()])
    config = write_config(tmp_path)
    result = run("import", str(mbox), "--notify", "--config", str(config))
    assert (result["recorded"], result["quiet"]) == (1, False)
    assert outbox_ids(tmp_path)
    assert not [e for e in audit(tmp_path) if e.event == "mail_suppressed"]


def test_import_refuses_a_file_that_is_not_an_mbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["import", str(COMPLAINT), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"mailflow: {COMPLAINT}: not an mbox file (it must start with a 'From ' line)"
    )
