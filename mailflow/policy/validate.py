"""Cross-reference checks of a rules file that single-field validation cannot see.

Every role a route, stage or notification names must exist in the directory, every calendar a
clock names must be declared, and every kind of contact must say how it is handled: a rules
file that passes here cannot send a case to nobody.
"""

from __future__ import annotations

from collections.abc import Iterator

from mailflow.policy.reminder_rules import CASE_ROLES
from mailflow.policy.schema import KINDS, PER_SERVICE_ROLES, Clock, RulesFile

Problem = tuple[str, str]


def problems(rules: RulesFile) -> list[Problem]:
    """All cross-reference problems as (key path, problem), in file order."""
    checks = (_calendars, _kinds, _procedures, _routes, _standards, _reminders, _reports)
    return [p for check in checks for p in check(rules)]


def known_roles(rules: RulesFile) -> set[str]:
    """Role keys a route may name: the directory's roles plus the per-service ones."""
    return set(rules.directory.roles) | set(PER_SERVICE_ROLES)


def _role(rules: RulesFile, path: str, role: str | None) -> Iterator[Problem]:
    if role is not None and role not in known_roles(rules):
        yield path, f"role '{role}' is not in directory.roles (nor a per-service role)"


def _clock(rules: RulesFile, path: str, clock: Clock | None) -> Iterator[Problem]:
    if clock is not None and clock.calendar is not None and clock.calendar not in rules.calendars:
        yield f"{path}.calendar", f"calendar '{clock.calendar}' is not declared under calendars"


def _calendars(rules: RulesFile) -> Iterator[Problem]:
    if "council" not in rules.calendars:
        yield "calendars", "a calendar named 'council' is required"


def _kinds(rules: RulesFile) -> Iterator[Problem]:
    for kind in KINDS:
        if kind not in rules.kinds:
            yield "kinds", f"kind '{kind}' has no rules (every kind must say how it is handled)"
    for kind, spec in rules.kinds.items():
        path = f"kinds.{kind}"
        if kind not in KINDS:
            yield path, f"unknown kind '{kind}' (one of {', '.join(KINDS)})"
        if spec.procedure is not None and spec.procedure not in rules.procedures:
            yield f"{path}.procedure", f"procedure '{spec.procedure}' is not declared"
        if spec.service is not None and spec.service not in rules.directory.services:
            yield f"{path}.service", f"service '{spec.service}' is not in directory.services"
        yield from _role(rules, f"{path}.route", spec.route)
        for i, role in enumerate(spec.notify):
            yield from _role(rules, f"{path}.notify[{i}]", role)


def _procedures(rules: RulesFile) -> Iterator[Problem]:
    for name, proc in rules.procedures.items():
        path = f"procedures.{name}"
        if proc.calendar not in rules.calendars:
            yield f"{path}.calendar", f"calendar '{proc.calendar}' is not declared under calendars"
        for i, role in enumerate(proc.copy_response_to):
            yield from _role(rules, f"{path}.copy_response_to[{i}]", role)
        for i, stage in enumerate(proc.stages):
            spath = f"{path}.stages[{i}]"
            yield from _role(rules, f"{spath}.owner", stage.owner)
            yield from _clock(rules, f"{spath}.acknowledge", stage.acknowledge)
            yield from _clock(rules, f"{spath}.respond", stage.respond)


def _routes(rules: RulesFile) -> Iterator[Problem]:
    complaints = rules.kinds.get("complaint")
    proc = rules.procedures.get(complaints.procedure or "") if complaints else None
    seen: set[str] = set()
    for i, route in enumerate(rules.special_routes):
        path = f"special_routes[{i}]"
        if route.topic in seen:
            yield f"{path}.topic", f"topic '{route.topic}' is routed twice"
        seen.add(route.topic)
        yield from _role(rules, f"{path}.route", route.route)
        for j, role in enumerate(route.notify):
            yield from _role(rules, f"{path}.notify[{j}]", role)
        if route.stage is not None and (
            proc is None or route.stage > len(proc.stages) or proc.stage(route.stage).external
        ):
            yield (
                f"{path}.stage",
                f"stage {route.stage} is not a council stage of the complaints procedure",
            )
    for i, request in enumerate(rules.request_routes):
        path = f"request_routes[{i}]"
        yield from _role(rules, f"{path}.route", request.route)
        yield from _clock(rules, f"{path}.respond", request.respond)
        for j, kind in enumerate(request.kinds):
            if kind not in rules.kinds or rules.kinds[kind].handling != "standard":
                yield f"{path}.kinds[{j}]", f"'{kind}' is not a kind handled by a standard"
    yield from _role(rules, "anonymous.route", rules.anonymous.route)
    yield from _role(rules, "unacceptable_actions.flag_to", rules.unacceptable_actions.flag_to)
    for j, role in enumerate(rules.officer_replies.acting_roles):
        yield from _role(rules, f"officer_replies.acting_roles[{j}]", role)
    if rules.multiple_services is not None:
        yield from _role(rules, "multiple_services.decided_by", rules.multiple_services.decided_by)
        yield from _role(
            rules, "multiple_services.uncertain_to", rules.multiple_services.uncertain_to
        )


def _standards(rules: RulesFile) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for name, standard in rules.standards.items():
        path = f"standards.{name}"
        for channel in standard.channels:
            if channel in owner:
                yield (
                    f"{path}.channels",
                    f"channel '{channel}' is already covered by standards.{owner[channel]}",
                )
            owner[channel] = name
        yield from _clock(rules, f"{path}.acknowledge", standard.acknowledge)
        yield from _clock(rules, f"{path}.respond", standard.respond)


def _reminders(rules: RulesFile) -> Iterator[Problem]:
    r = rules.reminders
    for role, manager in r.line_managers.items():
        yield from _role(rules, f"reminders.line_managers.{role}", role)
        yield from _role(rules, f"reminders.line_managers.{role}", manager)
    for i, entry in enumerate(r.deadlines):
        path = f"reminders.deadlines[{i}]"
        proc = rules.procedures.get(entry.procedure or "")
        if entry.procedure is not None and proc is None:
            yield f"{path}.procedure", f"procedure '{entry.procedure}' is not declared"
        for k, standard in enumerate(entry.standards):
            if standard not in rules.standards:
                yield f"{path}.standards[{k}]", f"standard '{standard}' is not declared"
        council_stages = [s.number for s in proc.stages if not s.external] if proc else []
        for number in entry.stages if proc else []:
            if number not in council_stages:
                yield f"{path}.stages", f"stage {number} is not a council stage of that procedure"
        for j, step in enumerate(entry.steps):
            for k, role in enumerate(step.to):
                if role not in CASE_ROLES:
                    yield from _role(rules, f"{path}.steps[{j}].to[{k}]", role)
    for i, digest in enumerate(r.digests):
        path = f"reminders.digests[{i}]"
        for k, role in enumerate(digest.to):
            if role not in rules.directory.roles:
                yield f"{path}.to[{k}]", f"role '{role}' is not in directory.roles"
        hours = rules.working_hours
        if not hours.opens <= digest.at < hours.closes:
            yield f"{path}.at", f"{digest.at:%H:%M} is outside working_hours"


def _reports(rules: RulesFile) -> Iterator[Problem]:
    for i, delivery in enumerate(rules.reports.deliveries):
        path = f"reports.deliveries[{i}]"
        for k, role in enumerate(delivery.to):
            if "@" not in role and role not in rules.directory.roles:
                yield f"{path}.to[{k}]", f"role '{role}' is not in directory.roles"
        if delivery.mailbox is not None and delivery.mailbox not in rules.council.mailboxes:
            yield f"{path}.mailbox", f"mailbox '{delivery.mailbox}' is not in council.mailboxes"
