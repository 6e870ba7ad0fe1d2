"""Building a monitoring report: gather the facts, then the summary and the detail tables.

The summary is read from the detail tables, so the one-page summary and the detail can never
disagree. Which tables exist does not depend on the council: every measure either policy asks
for is useful to any council, and each is judged against that council's own targets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy
from mailflow.reports import complaints, feedback, timeliness, workload
from mailflow.reports.facts import Facts, gather
from mailflow.reports.periods import Period
from mailflow.reports.scope import Scope
from mailflow.reports.tables import Cell, Report, Section, Table, share, table
from mailflow.reports.targets import clock_text, e_contact_standard, foi_respond, stage_targets

NO_TARGET = "no target set"


def build_report(engine: Engine, policy: CouncilPolicy, period: Period, *, now: datetime) -> Report:
    """The monitoring report of ``policy``'s council for ``period``, as it stands at ``now``."""
    facts = gather(engine, Scope.of(policy, period, now))
    sections = (
        Section(
            title="Complaints: number and nature",
            tables=(complaints.by_service(facts), complaints.by_directorate(facts)),
            charts=("complaints_by_service",),
        ),
        Section(
            title="Complaints: stages, timeliness and outcomes",
            tables=(
                complaints.stages(facts),
                timeliness.stage_timeliness(facts),
                complaints.outcomes(facts),
                complaints.escalation(facts),
                timeliness.extensions(facts),
            ),
            charts=("timeliness", "outcomes"),
        ),
        Section(title="Learning from complaints", tables=(complaints.actions(facts),)),
        Section(
            title="Avoidable contact, feedback and the Ombudsman",
            tables=(feedback.avoidable(facts), feedback.trend(facts), feedback.ombudsman(facts)),
            charts=("trend",),
        ),
        Section(
            title="Service standards and workload",
            tables=(
                workload.by_kind_and_channel(facts),
                timeliness.e_contact(facts),
                timeliness.foi(facts),
                workload.open_by_age(facts),
                timeliness.code_self_assessment(facts),
            ),
        ),
    )
    details = {t.key: t for s in sections for t in s.tables}
    return Report(
        council=policy.key,
        council_name=policy.rules.council.name,
        period=period,
        generated=now,
        summary=summary(facts, details),
        sections=sections,
    )


def _int(value: Cell) -> int:
    return int(value) if isinstance(value, int | float) else 0


def summary(facts: Facts, details: dict[str, Table]) -> Table:
    """The one-page summary: the figures a Leadership Team reads first, each with its target."""
    policy = facts.scope.policy
    rows: list[list[Cell]] = []
    contacts = feedback.contacts_per_period(facts)[facts.scope.current]
    rows.append(["Customer contacts", contacts, NO_TARGET])
    service = details["complaints_by_service"].row("All services")
    rows.append(["Complaints received", f"{service[2]} ({service[3]} in the procedure)", NO_TARGET])
    timely = details["stage_timeliness"]
    acks = [r for r in timely.rows if r[1] == "Acknowledgement"]
    targets = [t for t in stage_targets(policy) if not t.external]
    if targets:
        ok, total = sum(_int(r[4]) for r in acks), sum(_int(r[3]) for r in acks)
        rows.append(["Complaints acknowledged in time", share(ok, total), targets[0].acknowledge])
    for t, r in zip(targets, [r for r in timely.rows if r[1] == "Full response"], strict=True):
        rows.append(
            [
                f"Stage {t.number} ({t.name}): responses in time",
                share(_int(r[4]), _int(r[3])),
                t.respond,
            ]
        )
    outcomes = details["outcomes"]
    upheld = sum(_int(v) for v in outcomes.column("Upheld") + outcomes.column("Partly upheld"))
    responses = sum(_int(v) for v in outcomes.column("Responses"))
    rows.append(["Stage responses upheld or partly upheld", share(upheld, responses), NO_TARGET])
    every = details["avoidable"].row("All avoidable contact")
    rows.append(["Avoidable contact", share(_int(every[1]), contacts), NO_TARGET])
    standard = e_contact_standard(policy)
    for r in details["e_contact"].rows:
        clock = (
            None
            if standard is None
            else getattr(standard, "acknowledge" if r[0] == "Acknowledgement" else "respond")
        )
        measure = "acknowledged" if r[0] == "Acknowledgement" else "answered"
        rows.append(
            [
                f"Electronic contact {measure} within {r[1]}",
                share(_int(r[3]), _int(r[2])),
                clock_text(clock),
            ]
        )
    foi_days, foi_text = foi_respond(policy)
    foi = details["foi"].row("Full response")
    rows.append(
        [
            f"FOI requests answered within {foi_days} working days",
            share(_int(foi[3]), _int(foi[2])),
            foi_text,
        ]
    )
    ombudsman = details["ombudsman"].row("All services")
    rows.append(
        ["Ombudsman decisions upheld", share(_int(ombudsman[3]), _int(ombudsman[2])), NO_TARGET]
    )
    service_total = details["complaints_by_service"].row("All services")
    rows.append(["Compliments received", service_total[6], NO_TARGET])
    rows.append(["Comments received", service_total[5], NO_TARGET])
    overdue = sum(facts.overdue.values())
    rows.append(["Deadlines overdue at the end of the period", overdue, "none overdue"])
    rows.append(["Long-term actions recorded", len(facts.actions), NO_TARGET])
    return table(
        "summary",
        "Summary",
        ("Measure", "This period", "Target"),
        rows,
        "Each figure is explained in the detail that follows.",
    )
