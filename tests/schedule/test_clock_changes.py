"""Notices follow the case's deadlines: met, moved, escalated, paused and resumed, recomputed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.cli import main
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.schedule import dispatch
from mailflow.schedule.reload import recompute_open_deadlines
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Notification
from mailflow.workflow.events import AwaitingCustomer, CustomerReplied, OfficerReplied
from tests.schedule.sim import LONDON, SimClock, World, local
from tests.schedule.test_walks import met

SBC = "stafford.example"
MakeWorld = Callable[[CouncilPolicy, datetime], World]


def pending(w: World) -> list[tuple[str, str, str]]:
    """The pending notices as (local instant, kind, role)."""
    return [
        (f"{r.due_at.astimezone(LONDON):%Y-%m-%d %H:%M}", r.kind, r.recipient_role)
        for r in w.rows()
        if r.status == "pending" and r.kind != "digest"
    ]


async def test_a_response_sent_cancels_the_stage_notices(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """#outcome meets the response deadline: every pending notice of it is cancelled, none sent."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    await w.run_until(local(2026, 12, 17, 12))
    assert w.notices() == [("2026-12-17 09:00", "reminder", f"waste@{SBC}")]
    w.change("a", met(1, w.clock.now))
    await w.run_until(local(2027, 1, 31))
    assert w.notices() == [("2026-12-17 09:00", "reminder", f"waste@{SBC}")]
    assert pending(w) == []
    reasons = {r.reason for r in w.rows() if r.status == "cancelled"}
    assert "deadline met" in reasons


async def test_an_extension_replans_the_notices_from_the_new_date(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """#extend from Mon 21 Dec to Wed 6 Jan: the old escalation and breach are cancelled, new
    ones follow the new date, and the reminder says the date was moved."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    await w.run_until(local(2026, 12, 17, 12))
    w.move_deadline("a", 1, "respond", date(2027, 1, 6))
    await w.settle()
    assert pending(w) == [
        ("2027-01-04 09:00", "reminder", "handling_officer"),
        ("2027-01-06 09:00", "escalation", "stage_owner_manager"),
        ("2027-01-07 09:00", "breach_warning", "stage_owner_manager"),
        ("2027-01-07 09:00", "breach_warning", "customer_services_manager"),
    ]
    await w.run_until(local(2027, 1, 7, 12))
    assert [n[0] for n in w.notices()] == [
        "2026-12-17 09:00",
        "2027-01-04 09:00",
        "2027-01-06 09:00",
        "2027-01-07 09:00",
        "2027-01-07 09:00",
    ]
    assert "a date moved since it was first set" in w.notice_mails()[1].words()
    assert "extended to 2027-01-06" in w.notice_mails()[1].text()


def test_notices_command_lists_what_became_of_each_notice(
    sqlite_engine: Engine, stafford: CouncilPolicy, capsys: pytest.CaptureFixture[str]
) -> None:
    """``mailflow notices REF`` shows each notice: due, to whom, sent or cancelled and why."""
    w = World(sqlite_engine, stafford, SimClock(local(2026, 12, 7, 10)))
    reference = w.receive("a")
    w.notifier.tick(w.clock.now)
    w.move_deadline("a", 1, "respond", date(2027, 1, 6))
    w.notifier.tick(w.clock.now)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert main(["notices", reference, "--db", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    moved = [n for n in listed if n["reason"] == "deadline moved"]
    assert [(n["kind"], n["to"]) for n in moved][:2] == [
        ("reminder", "handling_officer"),
        ("escalation", "stage_owner_manager"),
    ]
    assert {n["status"] for n in listed} == {"pending", "cancelled"}


async def test_a_notice_whose_deadline_changed_unseen_is_cancelled_when_claimed(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """Even before the scheduler re-plans, a claimed notice of a met deadline is not sent."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    await w.settle()
    w.change("a", met(1, w.clock.now))
    queued = dispatch.send_due_notices(
        w.engine, stafford, holder="x", now=local(2026, 12, 17, 9), mailboxes={}
    )
    assert queued == 0
    reminder = next(r for r in w.rows() if r.kind == "reminder" and r.due_at == local(2026, 12, 17))
    assert (reminder.status, reminder.reason) == ("cancelled", "deadline met")


async def test_escalation_starts_the_next_stage_notices(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """A customer's escalation request: stage 1 notices cancelled, stage 2's planned."""
    w = world(stafford, local(2026, 11, 2, 10))
    w.receive("a")
    await w.run_until(local(2026, 11, 9, 10))
    w.apply(
        "a", CustomerReplied(message_id="<e@c>", received_at=w.clock.now, escalation_request=True)
    )
    await w.settle()
    assert pending(w) == [  # stage 2 due Mon 7 Dec
        ("2026-12-01 09:00", "reminder", "handling_officer"),
        ("2026-12-04 09:00", "escalation", "stage_owner"),
        ("2026-12-08 09:00", "breach_warning", "stage_owner_manager"),
        ("2026-12-08 09:00", "breach_warning", "customer_services_manager"),
    ]


async def test_a_paused_clock_sends_nothing_and_resumes_later(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """Stafford stage 2 waits for the customer from Tue 24 Nov to Thu 3 Dec (7 working days):
    no notice while paused; afterwards they follow the date moved to Wed 16 Dec."""
    w = world(stafford, local(2026, 11, 2, 10))
    w.receive("a")
    w.clock.now = local(2026, 11, 9, 10)
    w.apply(
        "a", CustomerReplied(message_id="<e@c>", received_at=w.clock.now, escalation_request=True)
    )
    await w.run_until(local(2026, 11, 24, 15))
    w.apply("a", AwaitingCustomer(requested_at=w.clock.now, what="a photo of the meter"))
    await w.run_until(local(2026, 12, 3, 11))
    assert w.notices() == []  # the reminder of 1 December was not sent
    w.apply("a", CustomerReplied(message_id="<i@c>", received_at=w.clock.now))
    await w.settle()
    state = w.state("a")
    respond = next(d for d in state.deadlines if d.stage == 2 and d.purpose == "respond")
    assert (state.status, respond.due_date) == ("open", date(2026, 12, 16))
    assert pending(w)[0] == ("2026-12-10 09:00", "reminder", "handling_officer")


async def test_a_closure_day_added_and_reloaded_moves_open_deadlines_and_their_notices(
    world: MakeWorld, stafford: CouncilPolicy, tmp_path: Path
) -> None:
    """A Christmas closure (29-31 Dec) added to the rules: the reload reports which deadlines
    moved, explains the new dates, audits them, and the notices follow; an extended date stays."""
    w = world(stafford, local(2026, 12, 16, 14))
    w.receive("b")  # due Mon 4 Jan
    w.receive("c")
    await w.settle()
    w.move_deadline("c", 1, "respond", date(2027, 1, 8))  # promised to the customer: kept
    await w.settle()
    text = (
        (stafford.source)
        .read_text(encoding="utf-8")
        .replace(
            "    closure_days: []",
            "    closure_days:\n"
            + "".join(
                f"      - {{date: 2026-12-{d}, reason: Christmas closure}}\n" for d in (29, 30, 31)
            ),
            1,
        )
    )
    rules = tmp_path / "stafford.yaml"
    rules.write_text(text, encoding="utf-8")
    closed = load_policy(rules)
    moved = recompute_open_deadlines(w.engine, closed, now=w.clock.now)
    assert [(m.reference, m.purpose, m.was, m.now) for m in moved] == [
        (w.references["b"], "respond", date(2027, 1, 4), date(2027, 1, 7)),
    ]
    assert "Tue 29 Dec 2026: Council closure: Christmas closure" in moved[0].explain
    w.policy = w.notifier.policy = closed
    await w.settle()
    b = [r for r in w.rows() if r.status == "pending" and r.kind == "reminder"]
    assert {f"{r.due_at:%Y-%m-%d}" for r in b} == {"2027-01-05", "2027-01-06"}
    with session_scope(w.engine) as session:
        audits = session.exec(select(Audit).where(col(Audit.event) == "deadline_recomputed")).all()
        assert [a.detail["to"] for a in audits] == ["2027-01-07"]
        assert session.exec(select(Notification).where(col(Notification.kind) == "digest")).all()


def test_rules_reload_command_prints_what_moved(
    tmp_path: Path,
    stafford: CouncilPolicy,
    sqlite_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``mailflow rules reload --rules FILE --db URL`` prints JSON naming each moved deadline."""
    w = World(sqlite_engine, stafford, SimClock(local(2026, 12, 16, 14)))
    w.receive("b")
    text = stafford.source.read_text(encoding="utf-8").replace(
        "    closure_days: []", "    closure_days: [{date: 2026-12-30, reason: Stocktake}]", 1
    )
    rules = tmp_path / "stafford.yaml"
    rules.write_text(text, encoding="utf-8")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert main(["rules", "reload", "--rules", str(rules), "--db", url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["council"] == "stafford"
    assert [(m["purpose"], m["from"], m["to"]) for m in report["moved"]] == [
        ("respond", "2027-01-04", "2027-01-05")
    ]
    assert main(["rules", "reload", "--rules", str(rules), "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["moved"] == []  # nothing moves twice


async def test_officer_extend_and_outcome_commands_drive_the_notices(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """The officer's real ``#extend`` moves the notices to the new date; ``#outcome`` then
    cancels them all: the scheduler follows whatever the case's deadlines say."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    await w.run_until(local(2026, 12, 17, 12))
    officer = w.state("a").assigned_to or ""
    extend = ("#extend 2027-01-08 waiting for the crew's report",)
    w.apply(
        "a",
        OfficerReplied(
            sender=officer, message_id="<o1@c>", received_at=w.clock.now, commands=extend
        ),
    )
    await w.settle()
    assert pending(w) == [
        ("2027-01-06 09:00", "reminder", "handling_officer"),
        ("2027-01-08 09:00", "escalation", "stage_owner_manager"),
        ("2027-01-11 09:00", "breach_warning", "stage_owner_manager"),
        ("2027-01-11 09:00", "breach_warning", "customer_services_manager"),
    ]
    outcome = ("#outcome upheld",)
    w.apply(
        "a",
        OfficerReplied(
            sender=officer,
            message_id="<o2@c>",
            received_at=w.clock.now,
            commands=outcome,
            text="We are sorry: the crew will return today.",
        ),
    )
    await w.run_until(local(2027, 1, 31))
    assert pending(w) == []
    assert [n[1] for n in w.notices()] == ["reminder"]  # only the one sent before the extension
