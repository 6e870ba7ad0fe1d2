"""A daemon stopped for three working days sends each missed notice once when it starts again,
one mail per person, and never again afterwards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from mailflow.policy.council import CouncilPolicy
from tests.schedule.sim import SimClock, World, local

SBC = "stafford.example"


async def test_three_working_days_down_each_missed_notice_goes_once_on_start(
    world: Callable[[CouncilPolicy, datetime], World], stafford: CouncilPolicy
) -> None:
    """Stopped Mon 14 Dec 2026 at 18:00, started Fri 18 Dec at 10:30: the reminders of 15, 16
    and 17 December, the escalations of 17 and 18 and the breach of 18 go out at 10:30, one mail
    per person (the officer with two cases gets one summary); later notices keep their times."""
    w = world(stafford, local(2026, 12, 3, 10))
    w.receive("p")  # due Thu 17 Dec: reminder Tue 15
    w.clock.now = local(2026, 12, 4, 10)
    w.receive("q", service="council_tax")  # due Fri 18 Dec: reminder Wed 16
    w.clock.now = local(2026, 12, 7, 10)
    w.receive("r")  # due Mon 21 Dec: reminder Thu 17
    await w.run_until(local(2026, 12, 14, 18))
    assert w.notices() == []
    # The daemon is down; a new process starts on the same database.
    restarted = World(w.engine, stafford, SimClock(local(2026, 12, 18, 10, 30)), holder="again")
    restarted.references = w.references
    await restarted.run_until(local(2026, 12, 18, 10, 31))
    ops, csm, waste = f"head.operations@{SBC}", f"customer.services.manager@{SBC}", f"waste@{SBC}"
    on_start = sorted(restarted.notices())
    assert on_start == sorted(
        [
            ("2026-12-18 10:30", "summary", waste),  # p and r: one mail
            ("2026-12-18 10:30", "reminder", f"council.tax@{SBC}"),
            ("2026-12-18 10:30", "breach_warning", ops),  # p: escalation and breach in one
            ("2026-12-18 10:30", "breach_warning", csm),
            ("2026-12-18 10:30", "escalation", f"head.finance@{SBC}"),
        ]
    )
    summary = next(s for s in restarted.notice_mails() if s.kind == "summary").words()
    assert w.references["p"] in summary and w.references["r"] in summary
    rows = restarted.rows()
    missed = [r for r in rows if r.status == "sent"]
    assert len(missed) == 7 and {r.sent_at for r in missed} == {local(2026, 12, 18, 10, 30)}
    assert Counter(r.dedupe_key for r in rows).most_common(1)[0][1] == 1
    await restarted.run_until(local(2026, 12, 23, 12))
    assert sorted(restarted.notices()[5:]) == sorted(
        [
            ("2026-12-21 09:00", "breach_warning", f"head.finance@{SBC}"),  # q lapsed Fri 18
            ("2026-12-21 09:00", "breach_warning", csm),
            ("2026-12-21 09:00", "escalation", ops),  # r, on its last day
            ("2026-12-21 09:00", "digest", csm),
            ("2026-12-22 09:00", "breach_warning", ops),  # r lapsed
            ("2026-12-22 09:00", "breach_warning", csm),
        ]
    )
    sent = Counter(r.id for r in restarted.rows() if r.status == "sent")
    assert set(sent.values()) == {1}
