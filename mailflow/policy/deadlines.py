"""When a contact must be acknowledged and answered, from the council's policy.

Pure: takes the policy, the contact's kind, channel and stage and the instant of receipt (and,
for clocks that run from the acknowledgement as the Ombudsman's Code prescribes, the instant of
acknowledgement) and returns dated deadlines with the clause each comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from mailflow.errors import PolicyError
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.schema import KINDS, Clock, Stage

Purpose = Literal["acknowledge", "respond"]


@dataclass(frozen=True, kw_only=True)
class Due:
    """One computed deadline: the last day, the instant it lapses and how it was reached."""

    purpose: Purpose
    due_date: date
    due_at: datetime
    days: int
    unit: str
    calendar: str
    start: Literal["receipt", "acknowledgement"]
    counted_from: datetime
    source: str | None


@dataclass(frozen=True, kw_only=True)
class DeadlinePlan:
    """The deadlines of one contact at one stage (either may be absent: no reply is owed)."""

    kind: str
    channel: str
    procedure: str | None
    stage: int | None
    owner: str | None
    acknowledge: Due | None
    respond: Due | None
    notes: tuple[str, ...]


def due(
    policy: CouncilPolicy, purpose: Purpose, clock: Clock, default_calendar: str, start: datetime
) -> Due:
    """Place one clock on its calendar, counting from ``start`` (receipt or acknowledgement)."""
    cal_name = clock.calendar or default_calendar
    cal = policy.calendar(cal_name)
    if clock.unit == "calendar_months":
        day = cal.add_calendar_months(start, clock.days)
    else:
        day = cal.due_date(start, clock.days)
    return Due(
        purpose=purpose,
        due_date=day,
        due_at=cal.end_of_day(day),
        days=clock.days,
        unit=clock.unit,
        calendar=cal_name,
        start=clock.start,
        counted_from=start,
        source=clock.source,
    )


def plan(
    policy: CouncilPolicy,
    *,
    kind: str,
    channel: str,
    received: datetime,
    stage: int | None = None,
    acknowledged: datetime | None = None,
) -> DeadlinePlan:
    """Deadlines for a contact of ``kind`` received on ``channel`` at ``received``.

    A procedure's stage clocks apply whatever the channel (a complaint "however made", Stafford
    7(c)); a channel's correspondence standard also sets the acknowledgement of a complaint where
    the council applies it to complaints (Chorley: "in all cases the customer care standards ...
    should be applied"), and the earlier of the two wins. A clock that starts at the
    acknowledgement counts from ``acknowledged``, or from receipt while none has been sent
    (mailflow acknowledges on receipt), and says so in the notes.
    """
    if kind not in KINDS:
        raise PolicyError(f"unknown kind '{kind}' (one of {', '.join(KINDS)})")
    spec = policy.rules.kinds[kind]
    standard = policy.standard_for(channel)
    if spec.handling == "none":
        return _empty(kind, channel, f"{kind}: no reply is owed ({spec.source or 'rules'})")
    if spec.procedure is None:
        return _from_standard(policy, kind, channel, received, stage)
    proc = policy.procedure(spec.procedure)
    number = stage or proc.entry_stage
    st = _stage(proc.stages, number, spec.procedure)
    notes: list[str] = []
    ack = (
        due(policy, "acknowledge", st.acknowledge, proc.calendar, received)
        if st.acknowledge
        else None
    )
    if (
        standard
        and standard.acknowledge
        and (kind != "complaint" or standard.applies_to_complaints)
    ):
        chan_ack = due(policy, "acknowledge", standard.acknowledge, "council", received)
        if ack is None or chan_ack.due_date < ack.due_date:
            ack = chan_ack
            notes.append(f"acknowledgement set by the {channel} standard ({standard.source})")
    assert st.respond is not None  # validated: council stages have a respond clock
    start = received
    if st.respond.start == "acknowledgement":
        start = acknowledged or received
        if acknowledged is None:
            notes.append("response counted from receipt until the acknowledgement is sent")
    resp = due(policy, "respond", st.respond, proc.calendar, start)
    return DeadlinePlan(
        kind=kind,
        channel=channel,
        procedure=spec.procedure,
        stage=number,
        owner=st.owner,
        acknowledge=ack,
        respond=resp,
        notes=tuple(notes),
    )


def _stage(stages: list[Stage], number: int, procedure: str) -> Stage:
    if not 1 <= number <= len(stages):
        raise PolicyError(f"procedure '{procedure}' has no stage {number} (1 to {len(stages)})")
    st = stages[number - 1]
    if st.external:
        raise PolicyError(f"stage {number} of '{procedure}' ({st.name}) is outside the council")
    return st


def _from_standard(
    policy: CouncilPolicy, kind: str, channel: str, received: datetime, stage: int | None
) -> DeadlinePlan:
    if stage is not None:
        raise PolicyError(f"kind '{kind}' runs no staged procedure, so --stage does not apply")
    return plan_correspondence(policy, kind=kind, channel=channel, received=received)


def plan_correspondence(
    policy: CouncilPolicy, *, kind: str, channel: str, received: datetime
) -> DeadlinePlan:
    """Deadlines from the channel's correspondence standard alone (also for contacts a special
    route takes outside the complaints procedure, which are still owed a reply)."""
    standard = policy.standard_for(channel)
    if standard is None:
        return _empty(kind, channel, f"no written standard covers the {channel} channel")
    ack = (
        due(policy, "acknowledge", standard.acknowledge, "council", received)
        if standard.acknowledge
        else None
    )
    resp = (
        due(policy, "respond", standard.respond, "council", received) if standard.respond else None
    )
    return DeadlinePlan(
        kind=kind,
        channel=channel,
        procedure=None,
        stage=None,
        owner=policy.rules.kinds[kind].route,
        acknowledge=ack,
        respond=resp,
        notes=(),
    )


def with_response(
    policy: CouncilPolicy, p: DeadlinePlan, respond: Clock, received: datetime
) -> DeadlinePlan:
    """``p`` answered by ``respond`` instead: a request route's own clock, such as the one
    calendar month of a subject access request (UK GDPR Art. 12(3))."""
    resp = due(policy, "respond", respond, "council", received)
    note = f"response due by {respond.days} {respond.unit.replace('_', ' ')} ({respond.source})"
    return replace(p, respond=resp, notes=(*p.notes, note))


def _empty(kind: str, channel: str, note: str) -> DeadlinePlan:
    return DeadlinePlan(
        kind=kind,
        channel=channel,
        procedure=None,
        stage=None,
        owner=None,
        acknowledge=None,
        respond=None,
        notes=(note,),
    )
