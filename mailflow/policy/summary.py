"""A one-screen summary of a council's rules, for ``mailflow check-rules``.

An administrator who has just edited a rules file wants to see at a glance that the numbers
are the ones the council's policy states; this renders them as plain lines.
"""

from __future__ import annotations

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.retention_rules import CONTACT_KINDS
from mailflow.policy.schema import Clock


def _clock(clock: Clock | None) -> str:
    if clock is None:
        return "-"
    if clock.unit == "working_days":
        unit = "wd"
    else:
        unit = "calendar month" if clock.days == 1 else "calendar months"
    start = " from ack" if clock.start == "acknowledgement" else ""
    cal = f" [{clock.calendar}]" if clock.calendar else ""
    return f"{clock.days} {unit}{start}{cal}"


def summary_lines(policy: CouncilPolicy) -> list[str]:
    """The lines ``check-rules`` prints: council, calendars, standards, procedures, routes."""
    r = policy.rules
    c = r.council
    lines = [
        f"{c.name} ({c.key}), references {c.reference_prefix}-YYYY-NNNNN, time zone {c.timezone}",
        f"rules file: {policy.source}",
        "calendars: "
        + "; ".join(
            f"{name} = {spec.statutory or '+'.join(spec.regions)}"
            + (f", {len(spec.closure_days)} closure days" if spec.closure_days else "")
            + (f", cut-off {spec.cutoff:%H:%M}" if spec.cutoff else "")
            for name, spec in r.calendars.items()
        ),
        f"working hours: {r.working_hours.opens:%H:%M}-{r.working_hours.closes:%H:%M}",
    ]
    for name, std in r.standards.items():
        lines.append(
            f"standard {name} ({', '.join(std.channels)}): acknowledge {_clock(std.acknowledge)},"
            f" respond {_clock(std.respond)}"
            + (", also acknowledges complaints" if std.applies_to_complaints else "")
        )
    for name, proc in r.procedures.items():
        lines.append(f"procedure {name} (calendar {proc.calendar}):")
        for st in proc.stages:
            if st.external:
                lines.append(f"  stage {st.number} {st.name}: outside the council (signposted)")
                continue
            extra = " +Ombudsman" if st.ombudsman_signposting else ""
            lines.append(
                f"  stage {st.number} {st.name}: owner {st.owner}, acknowledge"
                f" {_clock(st.acknowledge)}, respond {_clock(st.respond)}{extra}"
            )
    for sr in r.special_routes:
        where = "outside procedure" if sr.outside_procedure else f"stage {sr.stage or 'entry'}"
        lines.append(f"special route {sr.topic} -> {sr.route} ({where})")
    for rr in r.request_routes:
        kinds = "/".join(rr.kinds)
        lines.append(f"request {kinds}+{rr.topic} -> {rr.route}, respond {_clock(rr.respond)}")
    lines.append(f"anonymous complaints -> {r.anonymous.route}")
    lines.append(f"signposts: {', '.join(r.signposts)}")
    lines += reminder_lines(policy)
    lines += report_lines(policy)
    lines += retention_lines(policy)
    d = r.directory
    lines.append(f"directory: {len(d.services)} services, roles: {', '.join(d.roles)}")
    return lines


def reminder_lines(policy: CouncilPolicy) -> list[str]:
    """The reminder plans and digests, one line each, as ``check-rules`` prints them."""
    r = policy.rules.reminders
    lines: list[str] = []
    for entry in r.deadlines:
        where = entry.procedure or "+".join(entry.standards) or "any"
        if entry.stages:
            where += " stage " + "+".join(map(str, entry.stages))
        steps = "; ".join(
            f"{step.notice} {'+'.join(step.to)} "
            + (f"-{step.before}wd" if step.before is not None else f"+{step.after}wd")
            for step in entry.steps
        )
        lines.append(f"reminders {entry.name} ({where} {entry.purpose or 'any'}): {steps}")
    for digest in r.digests:
        every = "each working day" if digest.every == "working_day" else f"every {digest.day}"
        lines.append(
            f"digest {digest.name} of overdue deadlines to {'+'.join(digest.to)}:"
            f" {every} at {digest.at:%H:%M}"
        )
    return lines


def report_lines(policy: CouncilPolicy) -> list[str]:
    """The monitoring reports mailed automatically, one line each, as ``check-rules`` prints."""
    lines: list[str] = []
    for d in policy.rules.reports.deliveries:
        after = "the first working morning after" if d.delay == 0 else f"{d.delay} wd after"
        lines.append(
            f"report {d.name}: {d.frequency} to {'+'.join(d.to)} ({', '.join(d.formats)}),"
            f" {after} the period ends"
        )
    return lines


def retention_lines(policy: CouncilPolicy) -> list[str]:
    """The retention schedule on two lines, as ``check-rules`` prints it."""
    r = policy.rules.retention
    kinds = "; ".join(f"{kind} {r.for_kind(kind).text}" for kind in CONTACT_KINDS)
    quarantined = "until reviewed" if isinstance(r.quarantined, str) else r.quarantined.text
    return [
        f"retention: {kinds}",
        f"retention of mail on no contact: automatic {r.automatic.text}; quarantined {quarantined}",
    ]
