"""Staff are not flooded: past the rules' daily cap, deadline notices roll into one summary the
next working morning, and none is lost (``caps.staff_notices_per_recipient_per_day``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import col, select

from mailflow.outbound.rows import STAFF_MAIL, queue_mail
from mailflow.policy.council import CouncilPolicy
from mailflow.store.db import session_scope
from mailflow.store.models import Audit
from mailflow.store.vocab import OutboxStatus
from tests.schedule.sim import World, local

MakeWorld = Callable[[CouncilPolicy, datetime], World]
OFFICER = "waste@stafford.example"


def busy_morning(w: World, address: str, count: int, at: datetime) -> None:
    """``count`` staff mails already went to ``address`` at ``at`` (other cases' notices)."""
    with session_scope(w.engine) as session:
        for _ in range(count):
            row = queue_mail(
                session,
                contact=None,
                kind=STAFF_MAIL,
                recipients=[address],
                payload={"purpose": "flag", "template": "flag_notice", "mailbox": "complaints"},
                not_before=at,
                domain="stafford.example",
            )
            row.status, row.done_at = OutboxStatus.DONE, at
            session.add(row)


async def test_over_the_cap_the_reminder_waits_for_the_morning_and_joins_the_summary(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """Stafford's cap is 30 a day. Case a's reminder falls on Thu 17 Dec 2026 09:00, when the
    waste officer has already had 30 staff mails: it is deferred, not sent and not lost. On
    Friday 09:00 it goes out in ONE summary with case b's reminder due then."""
    assert stafford.rules.caps.staff_notices_per_recipient_per_day == 30
    w = world(stafford, local(2026, 12, 7, 10))
    a = w.receive("a")  # stage 1 due Mon 21 Dec: reminder Thu 17 Dec
    await w.run_until(local(2026, 12, 8, 10))
    b = w.receive("b")  # stage 1 due Tue 22 Dec: reminder Fri 18 Dec
    await w.run_until(local(2026, 12, 17, 8))
    busy_morning(w, OFFICER, 30, local(2026, 12, 17, 8))
    await w.run_until(local(2026, 12, 18, 12))
    to_officer = [n for n in w.notices() if n[2] == OFFICER]
    assert to_officer == [("2026-12-18 09:00", "summary", OFFICER)]
    summary = next(s for s in w.notice_mails() if s.to == (OFFICER,))
    assert a in summary.text() and b in summary.text()
    with session_scope(w.engine) as session:
        deferred = session.exec(
            select(Audit).where(col(Audit.event) == "notice_deferred").order_by(col(Audit.id))
        ).all()
    [only] = deferred
    assert only.detail["to"] == OFFICER and only.detail["until"].startswith("2026-12-18T09:00")


async def test_under_the_cap_notices_go_on_time(world: MakeWorld, stafford: CouncilPolicy) -> None:
    """29 mails that morning: the reminder still goes at 09:00 on Thursday."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    await w.run_until(local(2026, 12, 17, 8))
    busy_morning(w, OFFICER, 29, local(2026, 12, 17, 8))
    await w.run_until(local(2026, 12, 17, 12))
    assert ("2026-12-17 09:00", "reminder", OFFICER) in w.notices()
