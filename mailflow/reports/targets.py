"""The council's own targets, read from its rules file, to print beside each figure.

Policy is data: a report never states a number of days itself. Each target carries the clause
the rules cite for it, so the reader sees "20 working days (8 Stage 2: a maximum of twenty
working days)" next to the figure it judges.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.schema import Clock, Procedure, Standard
from mailflow.reports.scope import ELECTRONIC

CHORLEY_E_CONTACT = (1, 2)
"""The benchmark reported for every council: e-contact acknowledged within 1 working day and
answered within 2 (Chorley Customer Care Policy, "Electronic contact")."""
CODE_ACKNOWLEDGE, CODE_STAGE_DAYS = 5, {1: 10, 2: 20}
"""The Ombudsman's Complaint Handling Code: acknowledge within 5 working days; respond within 10
(stage 1) and 20 (stage 2) working days of the acknowledgement."""


@dataclass(frozen=True, kw_only=True)
class StageTarget:
    """One stage of the complaints procedure with its timescales as the rules give them."""

    number: int
    name: str
    external: bool
    acknowledge_days: int | None
    respond_days: int | None
    acknowledge: str
    respond: str


def clock_text(clock: Clock | None) -> str:
    """ "20 working days (source)", or "no timescale set"."""
    if clock is None:
        return "no timescale set"
    unit = "working day" if clock.unit == "working_days" else "calendar month"
    text = f"{clock.days} {unit}{'' if clock.days == 1 else 's'}"
    if clock.start == "acknowledgement":
        text += " from the acknowledgement"
    return f"{text} ({clock.source})" if clock.source else text


def complaints_procedure(policy: CouncilPolicy) -> Procedure | None:
    """The procedure complaints run, if the council has one."""
    return policy.procedure_for("complaint") if "complaint" in policy.rules.kinds else None


def stage_targets(policy: CouncilPolicy) -> list[StageTarget]:
    """Every stage of the complaints procedure, council stages and the Ombudsman alike."""
    proc = complaints_procedure(policy)
    if proc is None:
        return []
    faster = _faster_complaint_acknowledgement(policy)
    out = []
    for st in proc.stages:
        ack = clock_text(st.acknowledge)
        if faster and not st.external:
            ack += f"; {faster}"
        out.append(
            StageTarget(
                number=st.number,
                name=st.name,
                external=st.external,
                acknowledge_days=st.acknowledge.days if st.acknowledge else None,
                respond_days=st.respond.days if st.respond else None,
                acknowledge="" if st.external else ack,
                respond="" if st.external else clock_text(st.respond),
            )
        )
    return out


def _faster_complaint_acknowledgement(policy: CouncilPolicy) -> str:
    """The channel standard that also sets complaints' acknowledgement, if the rules say so."""
    for standard in policy.rules.standards.values():
        if standard.applies_to_complaints and standard.acknowledge:
            channels = ", ".join(standard.channels)
            return f"{standard.acknowledge.days} for {channels} ({standard.source})"
    return ""


def e_contact_standard(policy: CouncilPolicy) -> Standard | None:
    """The council's own standard for electronic contact (the first e-channel that has one)."""
    for channel in ELECTRONIC:
        standard = policy.standard_for(channel)
        if standard is not None:
            return standard
    return None


def foi_respond(policy: CouncilPolicy) -> tuple[int | None, str]:
    """The FOI response timescale in days and as text, from the FOI procedure's first stage."""
    spec = policy.rules.kinds.get("foi_request")
    if spec is None or spec.procedure is None:
        return None, "no FOI procedure in the rules"
    clock = policy.procedure(spec.procedure).stages[0].respond
    return (clock.days if clock else None), clock_text(clock)


def foi_acknowledge(policy: CouncilPolicy) -> str:
    """The FOI acknowledgement timescale as text."""
    spec = policy.rules.kinds.get("foi_request")
    if spec is None or spec.procedure is None:
        return "no FOI procedure in the rules"
    return clock_text(policy.procedure(spec.procedure).stages[0].acknowledge)
