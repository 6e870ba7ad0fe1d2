"""Which notices a deadline is owed: reminders, escalations and breach warnings, and when.

Pure: from the policy's ``reminders`` plans, a case's state and one of its deadlines, the dated
notices that deadline should produce. The scheduler stores them and sends them when due; it
calls this again whenever the deadline moves (extended, paused and resumed, recomputed after a
rules reload) or stops (met, cancelled), so the notices always follow the case's deadlines.

Instants are counted in working days on the deadline's own calendar (the Freedom of Information
Act's for FOI requests, the council's for complaints) and fall at the start of the council's
working hours on a day the council is open, so nothing is mailed at night or at a weekend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.reminder_rules import NOTICE_KINDS, DeadlineReminders, NoticeKind, Step
from mailflow.workflow.state import CaseState, DeadlineState


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """Who a notice goes to: the rules' role word, the address now, and the title to print."""

    role: str
    address: str
    title: str | None


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One notice a deadline is owed: what, to whom, when, and which plan step says so."""

    kind: NoticeKind
    recipient: Recipient
    due_at: datetime
    plan: str
    when: str


def plan_for(
    policy: CouncilPolicy, state: CaseState, deadline: DeadlineState
) -> DeadlineReminders | None:
    """The first reminder plan of the rules that matches this deadline, if any."""
    procedure = policy.rules.kinds[state.kind].procedure if deadline.stage is not None else None
    standard = None if deadline.stage is not None else standard_key(policy, state.channel)
    for entry in policy.rules.reminders.deadlines:
        if entry.purpose not in (None, deadline.purpose):
            continue
        if entry.procedure is not None and (
            entry.procedure != procedure or (entry.stages and deadline.stage not in entry.stages)
        ):
            continue
        if entry.standards and standard not in entry.standards:
            continue
        return entry
    return None


def standard_key(policy: CouncilPolicy, channel: str) -> str | None:
    """The key of the correspondence standard covering ``channel``."""
    for key, standard in policy.rules.standards.items():
        if channel in standard.channels:
            return key
    return None


def owner_role(state: CaseState, deadline: DeadlineState) -> str | None:
    """The role owning the deadline's stage (the route, for contacts without stages)."""
    for st in state.stages:
        if st.number == deadline.stage:
            return st.owner_role
    return state.route


def recipient(
    policy: CouncilPolicy, state: CaseState, deadline: DeadlineState, role: str
) -> Recipient | None:
    """Resolve a plan's role word to an address, or None when nobody holds it."""
    if role == "handling_officer":
        if not state.assigned_to:
            return None
        return Recipient(role=role, address=state.assigned_to, title=title_of(policy, state))
    wanted: str | None = role
    if role in ("stage_owner", "stage_owner_manager"):
        wanted = owner_role(state, deadline)
        if role == "stage_owner_manager" and wanted is not None:
            wanted = policy.rules.reminders.line_managers.get(wanted)
    person = policy.person(wanted, state.service) if wanted else None
    if person is None:
        return None
    return Recipient(role=role, address=person.address, title=person.title)


def title_of(policy: CouncilPolicy, state: CaseState) -> str | None:
    """The job title of the person the case is assigned to, if the directory knows them."""
    wanted = (state.assigned_to or "").casefold()
    directory = policy.rules.directory
    people = [*directory.roles.values()]
    for service in directory.services.values():
        people += [service.service_officer, service.head_of_service]
    return next((p.title for p in people if p.address.casefold() == wanted), None)


def step_instant(policy: CouncilPolicy, deadline: DeadlineState, step: Step) -> datetime:
    """When a step's notice goes out: the opening of working hours on its working day."""
    cal = policy.calendar(deadline.calendar)
    due = deadline.due_date
    if step.before is not None:
        last = due if cal.is_working_day(due) else cal.add_working_days(due, -1)
        day = cal.add_working_days(last, -(step.before - 1))
    else:
        day = cal.add_working_days(due, (step.after or 0) + 1)
    return opening(policy, day)


def opening(policy: CouncilPolicy, day: date) -> datetime:
    """The start of working hours on ``day``, or on the council's next working day after it."""
    hours = policy.rules.working_hours
    zone = ZoneInfo(policy.rules.council.timezone)
    local = datetime.combine(day, hours.opens, tzinfo=zone)
    return policy.calendar().next_working_time(local, hours.opens, hours.closes)


Instants = dict[tuple[str, date, int | None, int | None], datetime]
"""A caller's memo of ``step_instant`` by (calendar, due date, before, after): planning many
deadlines, most share a handful of due dates."""


def plan_notices(
    policy: CouncilPolicy,
    state: CaseState,
    deadline: DeadlineState,
    *,
    since: datetime,
    instants: Instants | None = None,
) -> tuple[Notice, ...]:
    """The notices a running deadline is owed from ``since`` on (earlier ones are not owed).

    None for a deadline that is not running or a closed case. A reminder that would fall at or
    after the lapse is dropped. When one address would get several notices at one instant (the
    handling officer is also the stage owner), only the most serious is kept.
    """
    if deadline.status != "open" or state.status == "closed":
        return ()
    entry = plan_for(policy, state, deadline)
    if entry is None:
        return ()
    best: dict[tuple[str, datetime], Notice] = {}
    memo: Instants = {} if instants is None else instants
    for step in entry.steps:
        when = (deadline.calendar, deadline.due_date, step.before, step.after)
        at = memo.get(when) or memo.setdefault(when, step_instant(policy, deadline, step))
        if at < since or (step.before is not None and at >= deadline.due_at):
            continue
        for role in step.to:
            who = recipient(policy, state, deadline, role)
            if who is None:
                continue
            notice = Notice(
                kind=step.notice, recipient=who, due_at=at, plan=entry.name, when=step.when
            )
            key = (who.address.casefold(), at)
            if key not in best or severity(notice.kind) > severity(best[key].kind):
                best[key] = notice
    return tuple(sorted(best.values(), key=lambda n: (n.due_at, severity(n.kind))))


def severity(kind: str) -> int:
    """How serious a notice is: reminder < escalation < breach warning (digest last)."""
    return NOTICE_KINDS.index(kind) if kind in NOTICE_KINDS else len(NOTICE_KINDS)


def working_time(policy: CouncilPolicy, instant: datetime) -> bool:
    """Whether notices may be mailed at ``instant``: working hours on a council working day."""
    hours = policy.rules.working_hours
    return policy.calendar().is_working_time(instant, hours.opens, hours.closes)


def next_working_time(policy: CouncilPolicy, instant: datetime) -> datetime:
    """The first instant at or after ``instant`` when notices may be mailed."""
    hours = policy.rules.working_hours
    return policy.calendar().next_working_time(instant, hours.opens, hours.closes)


def at_local(policy: CouncilPolicy, day: date, clock: time) -> datetime:
    """``day`` at wall-clock ``clock`` in the council's time zone."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(policy.rules.council.timezone))


# The staff mail the scheduler writes: it goes out in working hours only, retries included.
NOTICE_MAILS = (*NOTICE_KINDS, "notice_summary", "overdue_digest")
# Of those, the ones that may say a deadline lapsed: a retry never waits past the next morning.
URGENT_MAILS = ("breach_warning", "notice_summary")


def retry_instant(
    policy: CouncilPolicy, purpose: str | None, now: datetime, wanted: datetime
) -> datetime:
    """When a notice that failed to send at ``now`` is tried again, for a retry policy that
    wanted ``wanted``: never outside working hours (issue 5: reminders "never at midnight or
    weekends"), and a breach warning no later than the next working morning ("never delayed
    past the next working morning") however long the backoff has grown. Other mail: as wanted.
    """
    if purpose not in NOTICE_MAILS:
        return wanted
    at = next_working_time(policy, wanted)
    if purpose in URGENT_MAILS:
        today = now.astimezone(ZoneInfo(policy.rules.council.timezone)).date()
        morning = opening(policy, today + timedelta(days=1))
        at = min(at, morning)
    return at
