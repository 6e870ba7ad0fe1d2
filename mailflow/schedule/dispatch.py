"""Sending what fell due: claim due notices, write one mail per recipient into the outbox.

One transaction claims the council's due notices (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
a second daemon takes other rows or none; SQLite's single writer), checks each is still owed
(its deadline still running at the instant it was planned from, the case not closed), writes
the mails as outbox rows and marks the notices sent. A notice therefore becomes exactly one
outbox row, and the outbox delivers it, retries it and files it in the Sent folder like any
other mail.

No storm after downtime: everything due for one person at one time becomes ONE mail: about one
case, the case's own reminder, escalation or breach warning (the most serious kind names it,
every deadline listed); about several, a ``notice_summary`` listing each case.

No flood on a busy day either: once a person has been sent as many staff mails in the council's
day as the rules allow (``caps.staff_notices_per_recipient_per_day``; officer notifications,
flag notices and notices all count), their due notices are not mailed but moved to the opening
of the next working morning (``notice_deferred`` in the audit), where they join whatever else
falls due for them then in one mail. Nothing is lost, and a breach warning is never later than
the next working morning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mailflow.outbound.rows import STAFF_MAIL, domain_of, queue_mail
from mailflow.policy.council import CouncilPolicy
from mailflow.schedule.mails import notice_item
from mailflow.schedule.plans import for_update, load_many
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Deadline, Message, Notification, Outbox
from mailflow.store.repo import add_audit
from mailflow.store.vocab import ContactStatus, DeadlineStatus, Direction, NoticeKind, NoticeStatus
from mailflow.workflow.reminders import Recipient, opening, recipient, severity
from mailflow.workflow.state import CaseState

ACTOR = "scheduler"
BATCH = 500


@dataclass(frozen=True, kw_only=True)
class Due:
    """A claimed notice still owed, with its case and who gets it now."""

    row: Notification
    contact: Contact
    state: CaseState
    who: Recipient
    item: dict[str, Any]


def send_due_notices(
    engine: Engine,
    policy: CouncilPolicy,
    *,
    holder: str,
    now: datetime,
    mailboxes: Mapping[str, str],
    batch: int = BATCH,
) -> int:
    """Claim the due notices and queue their mails; returns how many mails were queued."""
    with session_scope(engine) as session:
        query = (
            select(Notification)
            .where(
                col(Notification.council) == policy.key,
                col(Notification.status) == NoticeStatus.PENDING,
                col(Notification.kind) != NoticeKind.DIGEST,
                col(Notification.due_at) <= now,
            )
            .order_by(col(Notification.due_at), col(Notification.id))
            .limit(batch)
        )
        rows = list(session.exec(for_update(session, query, of=Notification)))
        owed = _still_owed(session, policy, rows, now)
        groups: dict[str, list[Due]] = {}
        for due in owed:
            groups.setdefault(due.who.address.casefold(), []).append(due)
        sent = staff_mail_today(session, policy, now) if groups else Counter()
        cap = policy.rules.caps.staff_notices_per_recipient_per_day
        queued = 0
        for address, group in groups.items():
            if sent[address] >= cap:
                _defer(session, policy, group, cap=cap, now=now)
                continue
            _queue(session, policy, group, holder=holder, now=now, mailboxes=mailboxes)
            queued += 1
        return queued


def staff_mail_today(session: Session, policy: CouncilPolicy, now: datetime) -> Counter[str]:
    """Staff mails written for each address (case-folded) since the council's midnight."""
    zone = ZoneInfo(policy.rules.council.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    query = select(Outbox.recipients).where(
        col(Outbox.kind) == STAFF_MAIL,
        col(Outbox.not_before) >= midnight,
        col(Outbox.not_before) <= now,
    )
    return Counter(a.casefold() for recipients in session.exec(query) for a in recipients)


def _defer(
    session: Session, policy: CouncilPolicy, group: list[Due], *, cap: int, now: datetime
) -> None:
    """Over the day's cap: the notices wait for the next working morning, unclaimed."""
    zone = ZoneInfo(policy.rules.council.timezone)
    morning = opening(policy, now.astimezone(zone).date() + timedelta(days=1))
    reason = f"{cap} staff mails already sent today: rolled into the next working morning"
    for d in group:
        d.row.due_at, d.row.reason = morning, reason
        session.add(d.row)
        add_audit(
            session,
            contact_id=d.contact.id,
            actor=ACTOR,
            event="notice_deferred",
            detail={
                "to": d.who.address,
                "kind": d.row.kind.value,
                "until": morning.isoformat(),
                "reason": reason,
            },
            at=now,
        )


def _still_owed(
    session: Session, policy: CouncilPolicy, rows: list[Notification], now: datetime
) -> list[Due]:
    """The claimed rows still owed; the others are cancelled or skipped, saying why."""
    today = now.astimezone(ZoneInfo(policy.rules.council.timezone)).date()
    # The batch's deadlines and contacts in two queries and its cases in three more, not four
    # queries a notice.
    contact_ids = {r.contact_id for r in rows if r.contact_id}
    deadline_ids = [r.deadline_id for r in rows if r.deadline_id]
    deadlines = {
        d.id: d for d in session.exec(select(Deadline).where(col(Deadline.id).in_(deadline_ids)))
    }
    contacts = {
        c.id: c for c in session.exec(select(Contact).where(col(Contact.id).in_(contact_ids)))
    }
    cases = load_many(session, contact_ids)
    owed: list[Due] = []
    for row in rows:
        deadline = deadlines.get(row.deadline_id)
        contact = contacts.get(row.contact_id)
        why = _not_owed(row, deadline, contact)
        if why is not None or deadline is None or contact is None:
            row.status, row.reason = NoticeStatus.CANCELLED, why or "no deadline"
            session.add(row)
            continue
        state, by_id = cases[contact.id or 0]
        d = by_id[deadline.id or 0]
        who = recipient(policy, state, d, row.recipient_role)
        if who is None:
            row.status, row.reason = NoticeStatus.SKIPPED, f"nobody holds {row.recipient_role}"
            session.add(row)
            continue
        item = notice_item(policy, state, d, kind=row.kind.value, when=row.step, today=today)
        owed.append(Due(row=row, contact=contact, state=state, who=who, item=item))
    return owed


def _not_owed(row: Notification, deadline: Deadline | None, contact: Contact | None) -> str | None:
    """Why a due notice must not go out (its deadline stopped or moved, the case closed)."""
    if deadline is None or contact is None:
        return "the deadline is gone"
    if deadline.status != DeadlineStatus.OPEN:
        return f"deadline {deadline.status}"
    if deadline.due_at != row.deadline_due_at:
        return "deadline moved"
    if contact.status == ContactStatus.CLOSED:
        return "case closed"
    return None


def _queue(
    session: Session,
    policy: CouncilPolicy,
    group: list[Due],
    *,
    holder: str,
    now: datetime,
    mailboxes: Mapping[str, str],
) -> None:
    """One mail for everything due to one person now; the notices marked sent."""
    first = group[0]
    said = _most_serious_per_deadline(group)
    by_case: dict[int | None, list[Due]] = {}
    for d in said:
        by_case.setdefault(d.contact.id, []).append(d)
    title = first.who.title
    if len(by_case) == 1:
        kind = max((d.row.kind.value for d in said), key=severity)
        context: dict[str, Any] = {"notices": [d.item for d in said], "recipient_title": title}
        template, contact, stage = kind, first.contact, first.item["stage"]
    else:
        cases = [{**ds[0].item, "notices": [d.item for d in ds]} for ds in by_case.values()]
        context = {"cases": cases, "recipient_title": title}
        template, contact, stage = "notice_summary", None, None
    box = mailbox_for(session, policy, first.contact, mailboxes)
    mail = queue_mail(
        session,
        contact=contact,
        kind=STAFF_MAIL,
        recipients=[first.who.address],
        payload={
            "purpose": template,
            "template": template,
            "stage": stage,
            "context": context,
            "mailbox": box,
        },
        not_before=now,
        domain=domain_of(mailboxes.get(box) or first.who.address),
    )
    for d in group:
        d.row.status, d.row.sent_at, d.row.claimed_by = NoticeStatus.SENT, now, holder
        d.row.recipient_address, d.row.outbox_message_id = d.who.address, mail.message_id
        session.add(d.row)
        add_audit(
            session,
            contact_id=d.contact.id,
            actor=ACTOR,
            event=f"{d.row.kind.value}_sent",
            detail={
                "to": d.who.address,
                "role": d.who.role,
                "stage": d.item["stage"],
                "deadline": d.item["purpose"],
                "due": d.item["due"],
                "when": d.row.step,
                "message_id": mail.message_id,
            },
            at=now,
        )


def _most_serious_per_deadline(group: list[Due]) -> list[Due]:
    """One item per deadline: an escalation and a breach warning of one deadline due to one
    person together (after downtime) are said once, as the breach warning."""
    best: dict[int | None, Due] = {}
    for d in group:
        held = best.get(d.row.deadline_id)
        if held is None or severity(d.row.kind.value) > severity(held.row.kind.value):
            best[d.row.deadline_id] = d
    return list(best.values())


def mailbox_for(
    session: Session, policy: CouncilPolicy, contact: Contact | None, mailboxes: Mapping[str, str]
) -> str:
    """The mailbox to send from: the one the case came in through, else the rules' first."""
    if contact is not None:
        came_in = session.exec(
            select(Message.mailbox)
            .where(col(Message.contact_id) == contact.id, col(Message.direction) == Direction.IN)
            .order_by(col(Message.id))
            .limit(1)
        ).first()
        if came_in and came_in in mailboxes:
            return came_in
        procedure = policy.rules.kinds[contact.kind.value].procedure
        if procedure in policy.rules.council.mailboxes:
            return procedure
    return next(iter(policy.rules.council.mailboxes))
