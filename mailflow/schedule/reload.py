"""A rules file reloaded: open deadlines recomputed on the new calendars, and which moved.

An administrator adds a closure day (or a bank holiday is proclaimed) and reloads, with
``mailflow rules reload`` or SIGHUP to the daemon. Every running or paused deadline of the
council that still stands at the date first computed is worked out again from the instant its
clock started, on the new rules; a date an officer or a pause moved since (``#extend``, a resumed
clock) was promised to the customer and is kept. Each moved deadline is saved with its new
explanation, recorded in the case's audit trail and reported; every running deadline's notices
are then planned again, so reminders follow the new dates and the new reminder plans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import DeadlinePlan, plan, plan_correspondence
from mailflow.schedule import plans
from mailflow.store.cases import load_case, save_case
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Deadline, Notification
from mailflow.store.repo import add_audit
from mailflow.store.vocab import DeadlineStatus, NoticeKind, NoticeStatus
from mailflow.workflow.stages import explain_due
from mailflow.workflow.state import CaseState, DeadlineState

ACTOR = "rules reload"


@dataclass(frozen=True, kw_only=True)
class Moved:
    """One deadline the new rules date differently, and why (its new explanation)."""

    reference: str
    stage: int | None
    purpose: str
    was: date
    now: date
    explain: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        """The report line of ``mailflow rules reload``."""
        return {
            "reference": self.reference,
            "stage": self.stage,
            "purpose": self.purpose,
            "from": self.was.isoformat(),
            "to": self.now.isoformat(),
            "how": list(self.explain),
        }


def recomputed(policy: CouncilPolicy, state: CaseState) -> tuple[CaseState, list[Moved]]:
    """The case with every unmoved running or paused deadline dated by ``policy``. Pure."""
    moved: list[Moved] = []
    out: list[DeadlineState] = []
    for d in state.deadlines:
        fresh = _fresh(policy, state, d)
        if fresh is None or fresh.due_date == d.due_date:
            out.append(d)
            continue
        out.append(fresh)
        moved.append(
            Moved(
                reference=state.reference,
                stage=d.stage,
                purpose=d.purpose,
                was=d.due_date,
                now=fresh.due_date,
                explain=fresh.explain,
            )
        )
    return replace(state, deadlines=tuple(out)), moved


def _fresh(policy: CouncilPolicy, state: CaseState, d: DeadlineState) -> DeadlineState | None:
    """The deadline as ``policy`` would date it now, or None when it is not to be recomputed."""
    if d.status not in ("open", "paused") or d.due_date != d.original_due_date:
        return None
    stage = next((s for s in state.stages if s.number == d.stage), None)
    started = stage.opened_at if stage is not None else state.received_at
    acknowledged = stage.acknowledged_at if stage is not None else None
    p: DeadlinePlan
    if d.stage is None:
        p = plan_correspondence(policy, kind=state.kind, channel=state.channel, received=started)
    else:
        p = plan(
            policy,
            kind=state.kind,
            channel=state.channel,
            received=started,
            stage=d.stage,
            acknowledged=acknowledged if d.basis == "acknowledgement" else None,
        )
    due = p.acknowledge if d.purpose == "acknowledge" else p.respond
    if due is None:
        return None
    return replace(
        d,
        due_date=due.due_date,
        due_at=due.due_at,
        original_due_date=due.due_date,
        calendar=due.calendar,
        explain=explain_due(policy, due),
    )


def recompute_open_deadlines(
    engine: Engine, policy: CouncilPolicy, *, now: datetime
) -> list[Moved]:
    """Recompute the council's open deadlines under ``policy``, save those that moved, and mark
    every running deadline (and pending digest) to be planned again; returns what moved."""
    moved: list[Moved] = []
    with session_scope(engine) as session:
        live = col(Deadline.status).in_([DeadlineStatus.OPEN, DeadlineStatus.PAUSED])
        ids = session.exec(
            select(Contact.id)
            .join(Deadline, col(Deadline.contact_id) == col(Contact.id))
            .where(col(Contact.council) == policy.key, live)
            .distinct()
        ).all()
        for contact_id in sorted(i for i in ids if i is not None):
            contact = session.get(Contact, contact_id)
            assert contact is not None
            state, changes = recomputed(policy, load_case(session, contact))
            if not changes:
                continue
            save_case(session, state, contact)
            for m in changes:
                detail = {k: v for k, v in m.as_json().items() if k != "reference"}
                add_audit(
                    session,
                    contact_id=contact_id,
                    actor=ACTOR,
                    event="deadline_recomputed",
                    detail=detail,
                    at=now,
                )
            moved.extend(changes)
        plans.forget_plans(session, policy.key)
        digests = session.exec(
            select(Notification).where(
                col(Notification.council) == policy.key,
                col(Notification.kind) == NoticeKind.DIGEST,
                col(Notification.status) == NoticeStatus.PENDING,
            )
        ).all()
        for row in digests:
            row.status, row.reason = NoticeStatus.CANCELLED, "rules reloaded"
            session.add(row)
    return moved
