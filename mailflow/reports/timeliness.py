"""The timeliness tables: each stage against its timescale, extensions, electronic contact, FOI
and the Ombudsman Complaint Handling Code's self-assessment figures.

All read the histogram of deadlines met in the period (``deadlines.answered``): a row's
"answered" is how many such deadlines there were, "in time" how many were met by their due
instant, and the median and 90th percentile are nearest-rank values of the working days taken.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from mailflow.reports import labels
from mailflow.reports.deadlines import Answered, Overdue
from mailflow.reports.facts import Facts
from mailflow.reports.scope import ELECTRONIC
from mailflow.reports.tables import Cell, Table, percent, rank, table
from mailflow.reports.targets import (
    CHORLEY_E_CONTACT,
    CODE_ACKNOWLEDGE,
    CODE_STAGE_DAYS,
    clock_text,
    e_contact_standard,
    foi_acknowledge,
    foi_respond,
    stage_targets,
)

Pick = Callable[[Answered | Overdue], bool]
PURPOSES = ("acknowledge", "respond")


def _complaint_stage(number: int | None, purpose: str) -> Pick:
    def pick(k: Answered | Overdue) -> bool:
        at_stage = number is None or k.stage == number
        return k.kind == "complaint" and k.is_case and at_stage and k.purpose == purpose

    return pick


def _foi(purpose: str) -> Pick:
    return lambda k: k.kind == "foi_request" and k.purpose == purpose


def _e_contact(purpose: str) -> Pick:
    return lambda k: k.stage is None and k.channel in ELECTRONIC and k.purpose == purpose


def answered(facts: Facts, pick: Pick) -> Counter[Answered]:
    """The met deadlines ``pick`` chooses."""
    return Counter({k: n for k, n in facts.answered.items() if pick(k)})


def days_histogram(chosen: Counter[Answered]) -> Counter[int]:
    """Working days taken, as value -> how many."""
    out: Counter[int] = Counter()
    for k, n in chosen.items():
        if k.days is not None:
            out[k.days] += n
    return out


def count(chosen: Counter[Answered], test: Callable[[Answered], bool] = lambda k: True) -> int:
    """How many of ``chosen`` pass ``test``."""
    return sum(n for k, n in chosen.items() if test(k))


def _timeliness_row(facts: Facts, pick: Pick, within: int | None = None) -> list[Cell]:
    """Answered, in time, % in time, median, 90th percentile, overdue at the cut."""
    chosen = answered(facts, pick)
    total = count(chosen)
    if within is None:
        ok = count(chosen, lambda k: k.in_time)
    else:
        ok = count(chosen, lambda k: k.days is not None and k.days <= within)
    hist = days_histogram(chosen)
    late = sum(n for k, n in facts.overdue.items() if pick(k))
    return [total, ok, percent(ok, total), rank(hist, 0.5), rank(hist, 0.9), late]


TIMELINESS = (
    "Answered",
    "In time",
    "% in time",
    "Median working days",
    "90th percentile working days",
    "Overdue at period end",
)


def stage_timeliness(facts: Facts) -> Table:
    """Acknowledgements and full responses at each council stage against its timescale."""
    rows: list[list[Cell]] = []
    for t in stage_targets(facts.scope.policy):
        if t.external:
            continue
        for purpose, target in (("acknowledge", t.acknowledge), ("respond", t.respond)):
            pick = _complaint_stage(t.number, purpose)
            rows.append([t.number, labels.PURPOSES[purpose], target, *_timeliness_row(facts, pick)])
    return table(
        "stage_timeliness",
        "Performance against each stage's timescale",
        ("Stage", "Measure", "Target", *TIMELINESS),
        rows,
        "Deadlines met in the period; in time means by the due date (an agreed extension "
        "included). Working days are counted from the stage's start, not counting that day. "
        "Overdue: lapsed and still unanswered at the end of the period.",
    )


def extensions(facts: Facts) -> Table:
    """Extensions used: stage responses that had their date moved, and whether they kept it."""
    flows: Counter[tuple[int | None, str]] = Counter()
    for k, n in facts.flows.items():
        if k.responded:
            flows[k.number, "responses"] += n
            flows[k.number, "extended"] += n if k.extensions else 0
    for e, n in facts.events.items():
        if e.event == "deadline_extended" and e.bucket == facts.scope.current:
            flows[e.stage, "granted"] += n
    rows: list[list[Cell]] = []
    for t in stage_targets(facts.scope.policy):
        if t.external:
            continue
        kept = count(
            answered(facts, _complaint_stage(t.number, "respond")),
            lambda k: k.extended and k.in_time,
        )
        n = t.number
        rows.append(
            [f"Stage {n}", flows[n, "responses"], flows[n, "extended"], flows[n, "granted"], kept]
        )
    other = answered(facts, lambda k: k.stage is None and k.purpose == "respond")
    moved = count(other, lambda k: k.extended)
    kept = count(other, lambda k: k.extended and k.in_time)
    rows.append(["Other contacts", count(other), moved, flows[None, "granted"], kept])
    return table(
        "extensions",
        "Extensions used",
        ("Stage", "Responses", "Extended", "Extensions granted", "Extended and met"),
        rows,
        "Responses given in the period, how many had their date extended and met the new date, "
        "and the extensions officers granted in the period.",
    )


def e_contact(facts: Facts) -> Table:
    """Electronic contact acknowledged within 1 working day and answered within 2, and against
    the council's own standard."""
    standard = e_contact_standard(facts.scope.policy)
    rows: list[list[Cell]] = []
    for purpose, days in zip(PURPOSES, CHORLEY_E_CONTACT, strict=True):
        chosen = answered(facts, _e_contact(purpose))
        total = count(chosen)
        within = count(chosen, lambda k, d=days: k.days is not None and k.days <= d)  # type: ignore[misc]
        in_time = count(chosen, lambda k: k.in_time)
        clock = None if standard is None else getattr(standard, purpose)
        rows.append(
            [
                labels.PURPOSES[purpose],
                f"{days} working day{'s' if days > 1 else ''}",
                total,
                within,
                percent(within, total),
                clock_text(clock),
                in_time,
                percent(in_time, total),
            ]
        )
    return table(
        "e_contact",
        "Electronic contact (email, web forms, text messages)",
        (
            "Measure",
            "Benchmark",
            "Answered",
            "Within benchmark",
            "% within benchmark",
            "Council's own target",
            "In time",
            "% in time",
        ),
        rows,
        "Contacts outside the complaint and FOI procedures, received electronically, whose "
        "acknowledgement or full response went in the period. The benchmark is the e-contact "
        "standard of 1 working day to acknowledge and 2 to answer.",
    )


def foi(facts: Facts) -> Table:
    """Freedom of Information requests acknowledged, and answered within 20 working days."""
    days, respond_text = foi_respond(facts.scope.policy)
    rows = [
        [
            "Acknowledgement",
            foi_acknowledge(facts.scope.policy),
            *_timeliness_row(facts, _foi("acknowledge")),
        ],
        ["Full response", respond_text, *_timeliness_row(facts, _foi("respond"), within=days)],
    ]
    return table(
        "foi",
        "Freedom of Information requests",
        ("Measure", "Target", *TIMELINESS),
        rows,
        "Requests acknowledged or answered in the period. A response is in time when it went "
        "within the statutory working days (FOI Act 2000 s.10: bank holidays anywhere in the UK "
        "do not count).",
    )


def code_self_assessment(facts: Facts) -> Table:
    """The Ombudsman Complaint Handling Code's annual self-assessment figures for the period."""
    rows: list[list[Cell]] = []
    acks = answered(facts, _complaint_stage(None, "acknowledge"))
    ok = count(acks, lambda k: k.days is not None and k.days <= CODE_ACKNOWLEDGE)
    rows.append(
        [
            "Complaints acknowledged within 5 working days",
            f"{CODE_ACKNOWLEDGE} working days",
            count(acks),
            ok,
            percent(ok, count(acks)),
        ]
    )
    for stage, limit in CODE_STAGE_DAYS.items():
        chosen = answered(facts, _complaint_stage(stage, "respond"))

        def kept(k: Answered, limit: int = limit) -> bool:
            taken = k.since_acknowledgement if k.since_acknowledgement is not None else k.days
            return taken is not None and taken <= limit

        ok = count(chosen, kept)
        rows.append(
            [
                f"Stage {stage} responses within {limit} working days of acknowledgement",
                f"{limit} working days",
                count(chosen),
                ok,
                percent(ok, count(chosen)),
            ]
        )
    return table(
        "code_self_assessment",
        "Complaint Handling Code self-assessment",
        ("Measure", "Code timescale", "Number", "Within", "% within"),
        rows,
        "The Ombudsman's Code counts stage responses from the acknowledgement (from receipt "
        "where none was sent). Stage numbers are the council's own.",
    )
