"""The retention schedule as data: validated in the rules file, and pure expiry decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailflow.errors import RulesError
from mailflow.policy.council import load_policy
from mailflow.policy.loader import load_rules, resolve_rules_path
from mailflow.policy.retention_rules import CONTACT_KINDS, Period
from mailflow.privacy.expiry import (
    ContactRow,
    MailRow,
    add_period,
    expired_contacts,
    expired_mail,
)

LONDON = ZoneInfo("Europe/London")
CLOSED = datetime(2026, 3, 10, 15, 0, tzinfo=LONDON)


def row(kind: str, *, status: str = "closed", hold: bool = False) -> ContactRow:
    return ContactRow(
        id=1,
        reference="SBC-2026-00001",
        kind=kind,
        status=status,
        received_at=CLOSED - timedelta(days=20),
        closed_at=CLOSED if status == "closed" else None,
        legal_hold=hold,
        anonymised=False,
    )


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=LONDON)


@pytest.mark.parametrize("council", ["stafford", "chorley", "lgsco-code"])
def test_bundled_rules_keep_complaints_six_years_feedback_two_foi_three_junk_thirty_days(
    council: str,
) -> None:
    """Each bundled council states the schedule the issue asks for, with a source."""
    r = load_policy(council).rules.retention
    assert r.for_kind("complaint") == Period(years=6, source=r.for_kind("complaint").source)
    assert r.for_kind("compliment").years == r.for_kind("comment").years == 2
    assert r.for_kind("foi_request").years == 3
    junk = r.for_kind("junk")
    assert (junk.days, junk.counted_from) == (30, "receipt")
    assert r.automatic.days == 30 and r.quarantined == "until_reviewed"
    assert all(r.for_kind(k).source for k in CONTACT_KINDS)


def test_a_rules_file_without_retention_keeps_the_default_schedule(tmp_path: Path) -> None:
    """Omitting the section is allowed: the defaults (complaints 6 years ...) apply."""
    data = yaml.safe_load(resolve_rules_path("stafford").read_text())
    del data["retention"]
    path = tmp_path / "council.yaml"
    path.write_text(yaml.safe_dump(data))
    r = load_rules(path).retention
    assert r.for_kind("complaint").years == 6 and r.for_kind("junk").days == 30


@pytest.mark.parametrize(
    ("section", "where", "problem"),
    [
        ({"contacts": {"complaints": {"years": 6}}}, "retention.contacts", "not a kind"),
        ({"contacts": {"complaint": {}}}, "retention.contacts.complaint", "needs years"),
        ({"contacts": {"complaint": {"years": -1}}}, "retention.contacts.complaint.years", ""),
        ({"automatic": {"weeks": 2}}, "retention.automatic.weeks", "unknown key"),
        ({"quarantined": "forever"}, "retention.quarantined", ""),
    ],
)
def test_a_mistake_in_the_retention_section_is_one_line_naming_the_key(
    tmp_path: Path, section: dict[str, object], where: str, problem: str
) -> None:
    """A bad period or kind fails on load with the file, the key path and the problem."""
    data = yaml.safe_load(resolve_rules_path("stafford").read_text())
    data["retention"] = section
    path = tmp_path / "council.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message and where in message and problem in message
    assert "\n" not in message


def test_years_are_calendar_years_and_29_february_becomes_28_february() -> None:
    """Periods add calendar years and months, clamped to the month's end, then days."""
    assert add_period(date(2026, 3, 10), Period(years=6)) == date(2032, 3, 10)
    assert add_period(date(2028, 2, 29), Period(years=1)) == date(2029, 2, 28)
    assert add_period(date(2026, 1, 31), Period(months=1)) == date(2026, 2, 28)
    assert add_period(date(2026, 12, 1), Period(days=30)) == date(2026, 12, 31)


@pytest.mark.parametrize("kind", [k for k in CONTACT_KINDS if k not in ("junk", "auto_reply")])
def test_each_kind_expires_the_day_after_its_period_after_closing_not_a_day_early(
    kind: str,
) -> None:
    """A contact is kept to the end of the anniversary day and expires the day after."""
    r = load_policy("stafford").rules.retention
    last = add_period(CLOSED.date(), r.for_kind(kind))
    assert expired_contacts(r, [row(kind)], at(last), LONDON) == []
    (gone,) = expired_contacts(r, [row(kind)], at(last + timedelta(days=1)), LONDON)
    assert (gone.kind, gone.kept_until) == (kind, last)


@pytest.mark.parametrize("kind", ["junk", "auto_reply"])
def test_junk_expires_thirty_days_after_receipt_even_though_it_never_closes(kind: str) -> None:
    """Mail nothing is done with is counted from receipt: it has no closing day."""
    r = load_policy("stafford").rules.retention
    contact = row(kind, status="open")
    received = contact.received_at.date()
    assert expired_contacts(r, [contact], at(received + timedelta(days=30)), LONDON) == []
    assert expired_contacts(r, [contact], at(received + timedelta(days=31)), LONDON)


def test_open_and_held_contacts_never_expire() -> None:
    """An open case, or one under legal hold, is kept however old it is."""
    r = load_policy("stafford").rules.retention
    far = datetime(2099, 1, 1, tzinfo=UTC)
    rows = [row("complaint", status="open"), row("complaint", hold=True)]
    assert expired_contacts(r, rows, far, LONDON) == []


def test_quarantined_mail_waits_until_reviewed_then_expires_as_automatic_mail() -> None:
    """Quarantine is kept until a person has looked at it; automatic mail after 30 days."""
    r = load_policy("stafford").rules.retention
    received = datetime(2026, 1, 5, 10, 0, tzinfo=LONDON)
    quarantined = MailRow(id=1, status="quarantined", received_at=received)
    automatic = MailRow(id=2, status="automatic", received_at=received)
    reviewed = MailRow(id=3, status="ignored", received_at=received)
    day_31 = at(date(2026, 2, 5))
    assert [e.id for e in expired_mail(r, [quarantined, automatic, reviewed], day_31, LONDON)] == [
        2,
        3,
    ]
    assert expired_mail(r, [automatic], at(date(2026, 2, 4)), LONDON) == []
