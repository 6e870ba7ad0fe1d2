"""The feedback tables: avoidable contact and its trend by reason, the trend of complaints,
comments and compliments, and Ombudsman decisions (Chorley "Monitoring and Review", "Avoidable
Contact": NI 14, the percentage of contacts that are avoidable; complaints upheld by the Local
Government Ombudsman)."""

from __future__ import annotations

from collections import Counter

from mailflow.reports import labels
from mailflow.reports.facts import Facts
from mailflow.reports.scope import NOT_CUSTOMERS
from mailflow.reports.tables import Cell, Table, percent, table


def contacts_per_period(facts: Facts) -> Counter[int]:
    """Customer contacts per trend period: new contacts plus further messages on them."""
    out = Counter(facts.follow_ups)
    for k, n in facts.received.items():
        if k.kind not in NOT_CUSTOMERS:
            out[k.bucket] += n
    return out


def avoidable_per_period(facts: Facts) -> Counter[tuple[int, str]]:
    """Avoidable contacts per (trend period, reason): new contacts and further messages."""
    out: Counter[tuple[int, str]] = Counter()
    for k, n in facts.received.items():
        if k.avoidable and k.kind not in NOT_CUSTOMERS:
            out[k.bucket, k.avoidable] += n
    for e, n in facts.events.items():
        if e.event == "avoidable_contact" and e.reason:
            out[e.bucket, e.reason] += n
    return out


def avoidable(facts: Facts) -> Table:
    """This period's avoidable contact by reason, as a share of all customer contacts."""
    now = facts.scope.current
    total = contacts_per_period(facts)[now]
    counted = avoidable_per_period(facts)
    rows: list[list[Cell]] = []
    for reason, label in labels.AVOIDABLE.items():
        n = counted[now, reason]
        rows.append([label, n, percent(n, total)])
    every = sum(counted[now, r] for r in labels.AVOIDABLE)
    rows.append(["All avoidable contact", every, percent(every, total)])
    return table(
        "avoidable",
        "Avoidable contact",
        ("Reason", "Contacts", "% of all contacts"),
        rows,
        f"{total} customer contacts in the period: new contacts (junk and automatic mail "
        "excepted) and customers' further messages on them. A contact is avoidable when the "
        "customer is chasing progress, seeking clarification or reporting a service not done.",
    )


def trend(facts: Facts) -> Table:
    """Contacts, complaints, comments, compliments and avoidable contact, period by period."""
    contacts = contacts_per_period(facts)
    counted = avoidable_per_period(facts)
    kinds: Counter[tuple[int, str]] = Counter()
    for k, n in facts.received.items():
        kinds[k.bucket, k.kind] += n
    rows: list[list[Cell]] = []
    for i, period in enumerate(facts.scope.trend):
        reasons = [counted[i, r] for r in labels.AVOIDABLE]
        rows.append(
            [
                period.short,
                contacts[i],
                kinds[i, "complaint"],
                kinds[i, "comment"],
                kinds[i, "compliment"],
                sum(reasons),
                percent(sum(reasons), contacts[i]),
                *reasons,
            ]
        )
    return table(
        "trend",
        "Trend over the last periods",
        (
            "Period",
            "Contacts",
            "Complaints",
            "Comments",
            "Compliments",
            "Avoidable",
            "% avoidable",
            *labels.AVOIDABLE.values(),
        ),
        rows,
        "The report's period is the last row.",
    )


def ombudsman(facts: Facts) -> Table:
    """Complaints referred to the Ombudsman and the Ombudsman's decisions, by service."""
    counts: Counter[tuple[str | None, str]] = Counter()
    for e, n in facts.events.items():
        if e.bucket != facts.scope.current:
            continue
        if e.event == "ombudsman_signposted":
            counts[e.service, "signposted"] += n
        elif e.event == "ombudsman_decision":
            counts[e.service, "decided"] += n
            counts[e.service, "upheld" if e.upheld else "not_upheld"] += n
    services = facts.scope.policy.rules.directory.services
    keys = sorted({s for s, _ in counts}, key=lambda s: (s is None, s or ""))
    parts = ("signposted", "decided", "upheld", "not_upheld")
    rows: list[list[Cell]] = []
    for key in keys:
        name = services[key].name if key in services else (key or labels.NO_SERVICE)
        rows.append([name, *(counts[key, p] for p in parts)])
    rows.append(["All services", *(sum(counts[k, p] for k in keys) for p in parts)])
    return table(
        "ombudsman",
        "Complaints and the Local Government and Social Care Ombudsman",
        ("Service", "Signposted to the Ombudsman", "Ombudsman decisions", "Upheld", "Not upheld"),
        rows,
        "Recorded in the period. An officer enters each decision when it arrives (mailflow "
        "ombudsman REF --upheld, or --not-upheld).",
    )
