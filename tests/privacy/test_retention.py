"""The retention schedule applied to records made through the real workflow (SQLite, PostgreSQL).

Expired contacts lose their personal data on the day after their period ends, not before;
reports over the expired period are unchanged; the audit trail records each expiry without
the content; a dry run changes nothing; a legal hold keeps a case past its date.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, MetaData, select

from mailflow.privacy.expiry import add_period
from mailflow.privacy.retention import run_retention
from mailflow.reports.build import build_report
from mailflow.reports.periods import parse_period
from mailflow.store.db import session_scope
from mailflow.store.models import Letter, Message
from tests.privacy.town import COMMENT, COMPLAINT, COMPLIMENT, FOI, JUNK, Town
from tests.reports.scenarios import stafford_quarter

LONDON = ZoneInfo("Europe/London")
ALICE = "alice.resident@customer.example"


def morning(day: date) -> datetime:
    """03:00 local on ``day``, when the daemon's daily run would have happened."""
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=LONDON)


def everything_stored(engine: Engine) -> str:
    """Every row of every table as text, to search for what must be gone."""
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            for row in connection.execute(select(table)):
                out.append(json.dumps([str(v) for v in row]))
    return "\n".join(out)


def seed_kinds(town: Town) -> dict[str, str]:
    """A complaint with a photo and letters, a compliment, a comment, an FOI request, junk."""
    refs: dict[str, str] = {}
    refs["complaint"] = town.mail_with_photo("2026-07-06 10:00", ALICE, *COMPLAINT)
    town.deliver_with_letters("2026-07-06 10:05")
    refs["compliment"] = town.mail(
        "2026-07-07 10:00", "bob@customer.example", *COMPLIMENT, expect={"kind": "compliment"}
    )
    refs["comment"] = town.mail(
        "2026-07-07 11:00", "carol@customer.example", *COMMENT, expect={"kind": "comment"}
    )
    refs["foi_request"] = town.mail(
        "2026-07-08 10:00", "dan@customer.example", *FOI, expect={"kind": "foi_request"}
    )
    refs["junk"] = town.mail("2026-07-08 11:00", "seo@spam.example", *JUNK, expect={"kind": "junk"})
    town.deliver_with_letters("2026-07-08 11:05")
    town.officer(
        "2026-07-16 15:00",
        refs["complaint"],
        "#outcome upheld",
        "#note alice.resident@customer.example rang about her health",
    )
    town.deliver_with_letters("2026-07-16 15:05")
    town.officer("2026-07-20 10:00", refs["complaint"], "#close")
    town.officer("2026-08-03 10:00", refs["foi_request"], "#close")
    return refs


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Town:
    return Town(engine, tmp_path / "blobs")


def anonymised(town: Town, refs: dict[str, str]) -> set[str]:
    return {kind for kind, ref in refs.items() if town.contact(ref).anonymised_at is not None}


def test_each_kind_expires_on_the_day_after_its_period_and_not_a_day_early(town: Town) -> None:
    """Junk goes 30 days after receipt, feedback 2 years, FOI 3, complaints 6 after closing."""
    refs = seed_kinds(town)
    retention = town.policy.rules.retention
    last_days = {}
    for kind, ref in refs.items():
        contact = town.contact(ref)
        period = retention.for_kind(kind)
        start = contact.received_at if period.counted_from == "receipt" else contact.closed_at
        assert start is not None, f"{kind} was never closed"
        last_days[kind] = add_period(start.astimezone(LONDON).date(), period)
    assert last_days["complaint"] == date(2032, 7, 20)
    done: set[str] = set()
    for last in sorted(set(last_days.values())):
        run_retention(town.engine, town.policy, town.blobs, now=morning(last))
        assert anonymised(town, refs) == done, f"expired early on {last}"
        run = run_retention(
            town.engine, town.policy, town.blobs, now=morning(last + timedelta(days=1))
        )
        due = {k for k, d in last_days.items() if d == last}
        done |= due
        assert anonymised(town, refs) == done, f"{due} not expired the day after {last}"
        assert {e.kind for e in run.contacts} == due


def test_expired_contacts_keep_their_facts_and_lose_messages_letters_and_blobs(
    town: Town,
) -> None:
    """After expiry only anonymous facts remain: no address, body, photo or letter."""
    refs = seed_kinds(town)
    assert town.blob_files() > 0
    before = town.contact(refs["complaint"])
    run_retention(town.engine, town.policy, town.blobs, now=morning(date(2033, 1, 1)))
    after = town.contact(refs["complaint"])
    assert (after.kind, after.service, after.stage, after.outcome, after.closed_at) == (
        before.kind,
        before.service,
        before.stage,
        before.outcome,
        before.closed_at,
    )
    assert (after.customer_address, after.customer_name, after.subject) == ("", "", "")
    stored = everything_stored(town.engine)
    assert ALICE not in stored and "Alice" not in stored
    assert "rang about her health" not in stored and "rubbish all over" not in stored
    assert town.blob_files() == 0 and town.blob_count() == 0
    with session_scope(town.engine) as session:
        assert session.exec(select(Letter)).first() is None
        messages = list(session.exec(select(Message)).scalars())
        assert messages and all(m.raw_blob is None and m.text == "" for m in messages)


def test_the_audit_trail_records_each_expiry_with_counts_and_without_content(
    town: Town,
) -> None:
    """``retention_expired``: reference, kind, last day kept and counts, never the content."""
    refs = seed_kinds(town)
    run_retention(town.engine, town.policy, town.blobs, now=morning(date(2033, 1, 1)))
    (entry,) = [e for e in town.audit_events(refs["complaint"]) if e.event == "retention_expired"]
    assert entry.actor == "retention"
    assert entry.detail["reference"] == refs["complaint"]
    assert entry.detail["kind"] == "complaint"
    assert entry.detail["kept_until"] == "2032-07-20"
    assert entry.detail["messages"] >= 1 and entry.detail["attachments"] == 1
    assert entry.detail["letters"] >= 1
    assert "subject" not in entry.detail and "text" not in entry.detail


def test_a_report_over_the_expired_period_is_unchanged(town: Town) -> None:
    """Stafford's 2026-Q3 report is the same, figure for figure, once everything has expired."""
    refs = stafford_quarter(town)
    for ref in ("S2", "S3", "S4", "S6", "S9", "S10", "S12"):
        town.officer("2026-10-01 10:00", refs[ref], "#close")
    seed_after = town.mail_with_photo("2026-09-28 10:00", ALICE, *COMPLAINT)
    town.deliver_with_letters("2026-09-28 10:05")
    town.officer("2026-09-30 10:00", seed_after, "#outcome upheld", "#action bins revisited")
    town.officer("2026-09-30 11:00", seed_after, "#close")
    period, now = parse_period("2026-Q3"), datetime(2026, 10, 5, 9, 0, tzinfo=LONDON)
    before = build_report(town.engine, town.policy, period, now=now)
    run = run_retention(town.engine, town.policy, town.blobs, now=morning(date(2033, 6, 1)))
    assert {refs[r] for r in ("S2", "S3", "S4", "S5", "S6", "S7", "S8")} <= {
        e.reference for e in run.contacts
    }
    after = build_report(town.engine, town.policy, period, now=now)
    assert after == before
    actions = [t for s in after.sections for t in s.tables if t.key == "actions"]
    assert "Jane Smith" not in json.dumps([list(map(str, r)) for t in actions for r in t.rows])


def test_a_dry_run_lists_what_has_expired_and_deletes_nothing(town: Town) -> None:
    """``--dry-run`` names the expired references and leaves every row and file in place."""
    refs = seed_kinds(town)
    files, rows, stored = town.blob_files(), town.blob_count(), everything_stored(town.engine)
    run = run_retention(
        town.engine, town.policy, town.blobs, now=morning(date(2033, 1, 1)), dry_run=True
    )
    assert {e.reference for e in run.contacts} == set(refs.values())
    assert (town.blob_files(), town.blob_count()) == (files, rows)
    assert everything_stored(town.engine) == stored


def test_a_case_under_legal_hold_is_kept_until_released(town: Town) -> None:
    """``#hold`` keeps an expired complaint; after ``#release`` the next run removes it."""
    refs = seed_kinds(town)
    town.officer("2031-01-05 10:00", refs["complaint"], "#hold county court claim CC-123")
    run_retention(town.engine, town.policy, town.blobs, now=morning(date(2033, 1, 1)))
    held = town.contact(refs["complaint"])
    assert held.anonymised_at is None and held.customer_address == ALICE
    assert held.legal_hold_reason == "county court claim CC-123"
    town.officer("2033-02-01 10:00", refs["complaint"], "#release")
    run_retention(town.engine, town.policy, town.blobs, now=morning(date(2033, 2, 2)))
    assert town.contact(refs["complaint"]).anonymised_at is not None
    events = [e.event for e in town.audit_events(refs["complaint"])]
    assert events.index("legal_hold_set") < events.index("legal_hold_released")
    assert events[-1] == "retention_expired"
