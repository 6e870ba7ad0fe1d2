"""Counting audit events in SQL: avoidable contact, Ombudsman referrals and decisions, actions.

The audit trail is append-only, so these are facts with the instant they were recorded:

    avoidable_contact      {"reason": chasing | clarification | service_not_done}, written when
                           a customer's further message on a contact is avoidable
    ombudsman_signposted   the council's procedure was exhausted and the Ombudsman signposted
    ombudsman_decision     {"upheld": bool}, recorded by ``mailflow ombudsman REF``
    action                 {"text": ...}, a long-term action (lesson learnt, changed procedure)
                           recorded by an officer's ``#action`` command
    deadline_extended      {"stage": N or null, ...}, an officer's ``#extend``

Action texts are written by officers, not customers, but may still name someone: the report
shows them with mail addresses, telephone numbers and the customer's own name blanked out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from mailflow.reports.packing import driven
from mailflow.reports.scope import Scope
from mailflow.store.models import Audit, Contact, table_of

AUDIT = table_of(Audit)
CONTACT = table_of(Contact)
COUNTED = (
    "avoidable_contact",
    "ombudsman_signposted",
    "ombudsman_decision",
    "action",
    "deadline_extended",
)
ACTION_TEXT_KEYS = ("text", "action", "argument")
MAX_ACTION_CHARS = 500
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")


class Event(NamedTuple):
    """A group of audit events of one kind in one trend period."""

    event: str
    bucket: int
    reason: str | None
    upheld: bool | None
    stage: int | None
    service: str | None


@dataclass(frozen=True, kw_only=True)
class Action:
    """A long-term action recorded in the period, without anything naming the customer."""

    at: datetime
    service: str | None
    stage: int | None
    text: str


def events(connection: Connection, scope: Scope) -> Counter[Event]:
    """The counted audit events of each trend period, by reason, decision and service."""
    a, c = AUDIT.c, CONTACT.c
    bucket = scope.bucket(a.at).label("bucket")
    reason = a.detail["reason"].as_string().label("reason")
    upheld = a.detail["upheld"].as_boolean().label("upheld")
    stage = a.detail["stage"].as_integer().label("stage")
    groups = (a.event, bucket, reason, upheld, stage, c.service)
    query = (
        select(*groups, func.count())
        .select_from(AUDIT.join(CONTACT, c.id == driven(a.contact_id, connection.dialect.name)))
        .where(c.council == scope.council, a.event.in_(COUNTED), scope.in_trend(a.at))
        .group_by(*groups)
    )
    out: Counter[Event] = Counter()
    for event, b, why, decision, number, service, n in connection.execute(query):
        is_upheld = None if decision is None else bool(decision)
        out[Event(str(event), int(b), why, is_upheld, number, service)] += int(n)
    return out


def actions(connection: Connection, scope: Scope) -> list[Action]:
    """The long-term actions recorded in the period, oldest first, made anonymous."""
    a, c = AUDIT.c, CONTACT.c
    query = (
        select(a.at, c.service, c.stage, a.detail, c.customer_name, c.customer_address)
        .select_from(AUDIT.join(CONTACT, c.id == driven(a.contact_id, connection.dialect.name)))
        .where(c.council == scope.council, a.event == "action", scope.within(a.at))
        .order_by(a.at, a.id)
    )
    out = []
    for at, service, stage, detail, name, address in connection.execute(query):
        facts = detail if isinstance(detail, dict) else {}
        out.append(
            Action(
                at=at,
                service=facts.get("service", service),  # as they were when it was recorded
                stage=facts.get("stage", stage),
                text=anonymous(_text(facts), name, address),
            )
        )
    return out


def _text(detail: dict[str, Any]) -> str:
    for key in ACTION_TEXT_KEYS:
        if isinstance(detail.get(key), str):
            return str(detail[key])
    return ""


def anonymous(text: str, name: str, address: str) -> str:
    """``text`` on one line with addresses, telephone numbers and the customer's name blanked."""
    out = _ADDRESS.sub("[address]", " ".join(text.split()))
    out = _PHONE.sub("[telephone]", out)
    words = {w for w in re.split(r"[\s,.]+", f"{name} {address.partition('@')[0]}") if len(w) > 1}
    for word in sorted(words, key=len, reverse=True):
        out = re.sub(rf"(?i)\b{re.escape(word)}\b", "[name]", out)
    if len(out) > MAX_ACTION_CHARS:
        out = out[: MAX_ACTION_CHARS - 1].rstrip() + "…"
    return out
