"""Quarantined mail is kept until a person reviews it, then goes as automatic mail does.

The retention schedule says ``quarantined: until_reviewed``; ``mailflow quarantine reviewed``
is how a person says they have looked at it, and the audit trail keeps who, when and why.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from mailflow.cli import main
from mailflow.errors import StoreError
from mailflow.ingest.source import Fetched
from mailflow.privacy.retention import run_retention
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Message
from mailflow.store.quarantine import mark_reviewed, quarantined
from mailflow.store.vocab import MessageStatus
from tests.privacy.test_retention import morning
from tests.privacy.town import Town
from tests.reports.simulation import local

NO_FROM = Path(__file__).parents[1] / "data" / "sender" / "no-from.eml"


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Town:
    return Town(engine, tmp_path / "blobs")


def quarantine_one(town: Town) -> int:
    """A mail with no usable sender arrives on Mon 6 Jul 2026 and is quarantined whole."""
    town.now = local("2026-07-06 10:00")
    town.inbound.process(
        Fetched(mailbox="complaints", uidvalidity=1, uid=900, raw=NO_FROM.read_bytes())
    )
    with session_scope(town.engine) as session:
        (row,) = quarantined(session)
    assert row["reason"] and row["mailbox"] == "complaints"
    return int(row["id"])


def stored(town: Town, message: int) -> Message | None:
    with session_scope(town.engine) as session:
        row = session.get(Message, message)
        if row is not None:
            session.expunge(row)
        return row


def test_unreviewed_quarantine_outlives_every_period_and_reviewed_goes_after_30_days(
    town: Town,
) -> None:
    """A year on it is still there; reviewed on 1 Jul 2027, it goes at the next daily run
    (received more than 30 days before), its raw copy with it, and the review is audited."""
    message = quarantine_one(town)
    raw = stored(town, message)
    assert raw is not None and raw.raw_blob is not None
    run_retention(town.engine, town.policy, town.blobs, now=morning(date(2027, 7, 1)))
    assert stored(town, message) is not None and town.blobs.exists(raw.raw_blob)

    with session_scope(town.engine) as session:
        mark_reviewed(
            session, [message], by="csm", note="spam, deleted", now=morning(date(2027, 7, 1))
        )
    run = run_retention(town.engine, town.policy, town.blobs, now=morning(date(2027, 7, 2)))
    assert [m["message"] for m in run.as_json()["mail"]] == [message]
    assert stored(town, message) is None and not town.blobs.exists(raw.raw_blob)
    with session_scope(town.engine) as session:
        (audit,) = session.exec(select(Audit).where(Audit.event == "quarantine_reviewed")).all()
        assert audit.actor == "csm" and audit.detail["note"] == "spam, deleted"


def test_reviewing_refuses_unknown_and_not_quarantined_mail_and_changes_nothing(
    town: Town,
) -> None:
    """All or nothing: one wrong id among good ones leaves every message as it was."""
    message = quarantine_one(town)
    with session_scope(town.engine) as session, pytest.raises(StoreError) as caught:
        mark_reviewed(session, [message, 999_999], by="csm", note="x", now=town.now)
    assert str(caught.value) == "quarantine: no message 999999"
    row = stored(town, message)
    assert row is not None and row.status == MessageStatus.QUARANTINED


def test_mailflow_quarantine_list_and_reviewed(
    town: Town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands as customer services run them: JSON lists, one line when refused."""
    message = quarantine_one(town)
    url = town.engine.url.render_as_string(hide_password=False)
    assert main(["quarantine", "list", "--db", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in listed] == [message]
    assert main(["quarantine", "reviewed", str(message), "--note", " ", "--db", url]) == 1
    assert capsys.readouterr().err == "mailflow: quarantine: say what was done with it (--note)\n"
    assert main(["quarantine", "reviewed", str(message), "--note", "ok", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out) == {"reviewed": [message]}
    assert main(["quarantine", "list", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out) == []
