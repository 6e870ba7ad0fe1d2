"""Where a council's rules fall short of the Ombudsman's Complaint Handling Code, as warnings.

``mailflow check-rules`` compares the council's complaints procedure with the bundled preset
``rules/lgsco-code.yaml`` (the Code as rules), so the Code's numbers are data, not code. Stages
are compared in order; a council stage past the Code's last is compared with it and warned as
extra. A response clock counted from receipt with no more days than the Code's (counted from
the acknowledgement) is never later, so it is fine; more days are warned either way. Warnings
never stop a council's rules from loading: the Code is the Ombudsman's expectation, the rules
file is the council's decision.

Also warned, as they leave a deadline without its reminders: response deadlines no reminder plan
covers, and stage owners with no line manager when a plan names ``stage_owner_manager``.
"""

from __future__ import annotations

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.reminder_rules import DeadlineReminders
from mailflow.policy.schema import Clock, Procedure, Stage

CODE = "the Ombudsman's Complaint Handling Code"


def code_warnings(policy: CouncilPolicy, code: CouncilPolicy) -> list[str]:
    """Each way the council's complaints procedure falls short of the Code, as one line."""
    mine, theirs = _complaints(policy), _complaints(code)
    if mine is None or theirs is None:
        return []
    name, proc = mine
    ours = [s for s in proc.stages if not s.external]
    code_stages = [s for s in theirs[1].stages if not s.external]
    out: list[str] = []
    if len(ours) > len(code_stages):
        out.append(
            f"procedures.{name}: {len(ours)} council stages; {CODE} has {len(code_stages)}"
            " before the Ombudsman"
        )
    for i, stage in enumerate(ours):
        ref = code_stages[min(i, len(code_stages) - 1)]
        path = f"procedures.{name}.stages[{i}]"
        out += [f"{path}: stage {stage.number} ({stage.name}): {w}" for w in _stage(stage, ref)]
    last = ours[-1]
    if not last.ombudsman_signposting:
        out.append(
            f"procedures.{name}: the final council stage ({last.name}) does not signpost the"
            " Ombudsman, as the Code's final response does"
        )
    return out


def _complaints(policy: CouncilPolicy) -> tuple[str, Procedure] | None:
    spec = policy.rules.kinds.get("complaint")
    if spec is None or spec.procedure is None:
        return None
    return spec.procedure, policy.procedure(spec.procedure)


def _stage(stage: Stage, ref: Stage) -> list[str]:
    """How one council stage falls short of the Code stage it is compared with."""
    out: list[str] = []
    out += _clock("acknowledgement", stage.acknowledge, ref.acknowledge, ref.number)
    out += _clock("full response", stage.respond, ref.respond, ref.number)
    ext, code_ext = stage.extension, ref.extension
    if code_ext.max_days is not None and (ext.max_days is None or ext.max_days > code_ext.max_days):
        have = "no cap" if ext.max_days is None else f"up to {ext.max_days} working days"
        out.append(
            f"extensions: {have}; the Code allows at most {code_ext.max_days} working days"
            f" at its stage {ref.number} without good reason"
        )
    if code_ext.ombudsman_details and not ext.ombudsman_details and ext.max_days != 0:
        out.append(
            "extensions: the customer is not given the Ombudsman's details, as the Code asks"
        )
    return out


def _clock(what: str, clock: Clock | None, ref: Clock | None, number: int) -> list[str]:
    if ref is None:
        return []
    if clock is None:
        return [f"no {what} clock; the Code sets {ref.days} working days at its stage {number}"]
    if clock.unit != "working_days" or clock.days > ref.days:
        start = "of the acknowledgement" if ref.start == "acknowledgement" else "of receipt"
        unit = "working days" if clock.unit == "working_days" else "calendar months"
        return [
            f"{what} within {clock.days} {unit}; the Code sets {ref.days} working days"
            f" {start} at its stage {number}"
        ]
    if clock.start == "acknowledgement" and ref.start == "receipt":
        return [f"{what} counted from the acknowledgement; the Code counts it from receipt"]
    return []


def reminder_warnings(policy: CouncilPolicy) -> list[str]:
    """Response deadlines without a reminder plan, and stage owners without a line manager."""
    r = policy.rules.reminders
    out: list[str] = []
    for name, proc in policy.rules.procedures.items():
        for i, stage in enumerate(proc.stages):
            if stage.external:
                continue
            entry = _entry(r.deadlines, name, stage.number)
            if entry is None:
                out.append(
                    f"procedures.{name}.stages[{i}]: no reminder plan covers its response deadline"
                )
            elif _names_manager(entry) and stage.owner not in r.line_managers:
                out.append(
                    f"reminders.line_managers: no line manager for '{stage.owner}', so the"
                    f" stage_owner_manager of {name} stage {stage.number} is told nothing"
                )
    return out


def _entry(
    entries: list[DeadlineReminders], procedure: str, number: int
) -> DeadlineReminders | None:
    for entry in entries:
        purpose = entry.purpose in (None, "respond") and entry.procedure in (None, procedure)
        if purpose and not entry.standards and (not entry.stages or number in entry.stages):
            return entry
    return None


def _names_manager(entry: DeadlineReminders) -> bool:
    return any("stage_owner_manager" in step.to for step in entry.steps)
