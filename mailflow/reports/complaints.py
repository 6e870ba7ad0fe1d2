"""The complaints tables: number and nature per service and directorate, stages, outcomes,
escalation and long-term actions (Stafford Customer Care Framework 9(d); Chorley "Monitoring
and Review": complaints by directorate)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

from mailflow.reports import labels
from mailflow.reports.facts import Facts
from mailflow.reports.packing import OTHER
from mailflow.reports.tables import Cell, Table, percent, table
from mailflow.reports.targets import stage_targets

FEEDBACK_KINDS = ("complaint", "comment", "compliment")


def _service_counts(facts: Facts) -> Counter[tuple[str | None, str]]:
    """(service, column) counts of this period's complaints, comments and compliments."""
    out: Counter[tuple[str | None, str]] = Counter()
    for key, n in facts.received.items():
        if key.bucket != facts.scope.current or key.kind not in FEEDBACK_KINDS:
            continue
        out[key.service, key.kind] += n
        if key.kind == "complaint":
            out[key.service, "in_procedure" if key.is_case else "outside"] += n
    return out


def _services(facts: Facts, seen: Iterable[str | None]) -> list[str | None]:
    """The directory's services in its order, then any other key found, then "not known"."""
    listed: list[str | None] = list(facts.scope.policy.rules.directory.services)
    extra = sorted({s for s in seen if s is not None and s not in listed})
    unknown: list[str | None] = [None] if None in set(seen) else []
    return [*listed, *extra, *unknown]


def _service_name(facts: Facts, key: str | None) -> tuple[str, str]:
    service = facts.scope.policy.rules.directory.services.get(key or "")
    if key == OTHER:
        return "(services no longer in the directory)", ""
    if service is None:
        return (key or labels.NO_SERVICE), ""
    return service.name, service.directorate or ""


def by_service(facts: Facts) -> Table:
    """Complaints (in and outside the procedure), comments and compliments per service."""
    counts = _service_counts(facts)
    parts = ("complaint", "in_procedure", "outside", "comment", "compliment")
    rows: list[list[Cell]] = []
    for key in _services(facts, [s for s, _ in counts]):
        name, directorate = _service_name(facts, key)
        rows.append([name, directorate, *(counts[key, p] for p in parts)])
    totals = [sum(int(r[i] or 0) for r in rows) for i in range(2, 7)]
    rows.append(["All services", "", *totals])
    return table(
        "complaints_by_service",
        "Complaints, comments and compliments by service",
        (
            "Service",
            "Directorate",
            "Complaints",
            "In the procedure",
            "Outside the procedure",
            "Comments",
            "Compliments",
        ),
        rows,
        "Received in the period. Outside the procedure: anonymous complaints and those a special "
        "route sends elsewhere (e.g. about an elected member).",
    )


def by_directorate(facts: Facts) -> Table:
    """Complaints, comments and compliments per directorate (the rules map services to one)."""
    counts = _service_counts(facts)
    out: dict[str, list[int]] = {}
    for key in _services(facts, [s for s, _ in counts]):
        _, directorate = _service_name(facts, key)
        row = out.setdefault(directorate or labels.NO_SERVICE, [0, 0, 0])
        for i, kind in enumerate(FEEDBACK_KINDS):
            row[i] += counts[key, kind]
    return table(
        "complaints_by_directorate",
        "Complaints by directorate",
        ("Directorate", "Complaints", "Comments", "Compliments"),
        [[name, *values] for name, values in out.items()],
        "Received in the period; each service belongs to the directorate its rules name.",
    )


def _flows_by_stage(facts: Facts) -> dict[int, Counter[str]]:
    out: dict[int, Counter[str]] = {}
    for key, n in facts.flows.items():
        row = out.setdefault(key.number, Counter())
        if key.opened:
            row["opened"] += n
            row["escalated"] += n if key.escalated else 0
        if key.responded:
            row["responded"] += n
            row[key.outcome or "none"] += n
            row["extended"] += n if key.extensions else 0
            row["extensions"] += n * key.extensions
    return out


def _ombudsman(facts: Facts) -> Counter[str]:
    out: Counter[str] = Counter()
    for e, n in facts.events.items():
        if e.bucket == facts.scope.current and e.event.startswith("ombudsman_"):
            out[e.event] += n
    return out


def stages(facts: Facts) -> Table:
    """Cases dealt with at each stage, the Ombudsman's included."""
    flows, ombudsman = _flows_by_stage(facts), _ombudsman(facts)
    rows: list[list[Cell]] = []
    for t in stage_targets(facts.scope.policy):
        if t.external:
            decided = ombudsman["ombudsman_decision"]
            rows.append([t.number, t.name, ombudsman["ombudsman_signposted"], None, decided, None])
            continue
        f = flows.get(t.number, Counter())
        open_now = facts.open_stages[t.number]
        rows.append([t.number, t.name, f["opened"], f["escalated"], f["responded"], open_now])
    return table(
        "stages",
        "Complaints dealt with at each stage",
        ("Stage", "Name", "Opened", "Escalated into", "Responded", "Open at period end"),
        rows,
        "Opened and responded to in the period. At the Ombudsman's stage: opened counts "
        "customers signposted to the Ombudsman, responded counts Ombudsman decisions recorded.",
    )


def outcomes(facts: Facts) -> Table:
    """The outcome of each stage response given in the period."""
    flows = _flows_by_stage(facts)
    rows: list[list[Cell]] = []
    for t in stage_targets(facts.scope.policy):
        if t.external:
            continue
        f = flows.get(t.number, Counter())
        rows.append([t.number, *(f[o] for o in labels.OUTCOMES), f["none"], f["responded"]])
    return table(
        "outcomes",
        "Outcome of complaints at each stage",
        ("Stage", *labels.OUTCOMES.values(), "Not recorded", "Responses"),
        rows,
        "Stage responses given in the period, by the outcome the officer recorded.",
    )


def escalation(facts: Facts) -> Table:
    """How many stage responses were followed by escalation to the next stage, in the period."""
    flows, ombudsman = _flows_by_stage(facts), _ombudsman(facts)
    targets = stage_targets(facts.scope.policy)
    rows: list[list[Cell]] = []
    for here, following in pairwise(targets):
        if here.external:
            continue
        responded = flows.get(here.number, Counter())["responded"]
        if following.external:
            moved = ombudsman["ombudsman_signposted"]
        else:
            moved = flows.get(following.number, Counter())["escalated"]
        rows.append(
            [
                f"Stage {here.number} to {following.number}",
                following.name,
                responded,
                moved,
                percent(moved, responded),
            ]
        )
    return table(
        "escalation",
        "Escalation between stages",
        ("Between", "To", "Responses at the stage", "Escalated", "% escalated"),
        rows,
        "Escalations in the period (the next stage opened, or the Ombudsman signposted) as a "
        "share of the responses the earlier stage gave in the period.",
    )


def actions(facts: Facts) -> Table:
    """Long-term actions taken as a result of complaints (lessons learnt, changed procedures)."""
    rows: list[list[Cell]] = []
    for a in facts.actions:
        name, _ = _service_name(facts, a.service)
        day = a.at.astimezone(facts.scope.zone).date().isoformat()
        rows.append([day, name, a.stage, a.text])
    return table(
        "actions",
        "Long-term actions taken as a result of complaints",
        ("Date", "Service", "Stage", "Action"),
        rows,
        "Recorded by officers with #action in the period; names, addresses and telephone "
        "numbers are blanked.",
    )
