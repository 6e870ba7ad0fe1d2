"""Who handles a contact, and whether it runs the complaints procedure, from the policy.

Pure: the classifier says what a message is about (kind, service, special topics); this module
applies the council's routes — special cases first, in the order the rules file lists them,
then anonymous complaints, then the owner of the procedure's entry stage, then request routes
(a subject access request to the data protection officer), or else the kind's route.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.schema import Clock


@dataclass(frozen=True, kw_only=True)
class Routing:
    """Where a contact goes: the role, the stage it enters and why."""

    route: str | None
    service: str | None
    is_case: bool
    stage: int | None
    notify: tuple[str, ...]
    flag: str | None
    reasons: tuple[str, ...]
    respond: Clock | None = None  # a request route's own response clock


def route(
    policy: CouncilPolicy,
    *,
    kind: str,
    service: str | None,
    topics: Collection[str] = (),
    anonymous: bool = False,
) -> Routing:
    """Route one classified contact under the council's rules."""
    spec = policy.rules.kinds[kind]
    service = spec.service or service
    proc = policy.procedure_for(kind)
    if kind == "complaint" and proc is not None:
        if anonymous:
            anon = policy.rules.anonymous
            why = f"anonymous complaint → {anon.route} ({anon.source})"
            return Routing(
                route=anon.route,
                service=service,
                is_case=not anon.outside_procedure,
                stage=None,
                notify=(),
                flag=None,
                reasons=(why,),
            )
        for special in policy.rules.special_routes:
            if special.topic in topics:
                stage = None if special.outside_procedure else special.stage or proc.entry_stage
                why = f"special case {special.topic} → {special.route} ({special.source})"
                return Routing(
                    route=special.route,
                    service=service,
                    is_case=not special.outside_procedure,
                    stage=stage,
                    notify=tuple(special.notify),
                    flag=None,
                    reasons=(why,),
                )
    if proc is not None:
        entry = proc.stage(proc.entry_stage)
        why = f"{kind} → stage {entry.number} owner {entry.owner} ({entry.source})"
        return Routing(
            route=entry.owner,
            service=service,
            is_case=kind == "complaint",
            stage=entry.number,
            notify=(),
            flag=None,
            reasons=(why,),
        )
    for request in policy.rules.request_routes:
        if request.topic in topics and kind in request.kinds:
            why = f"{kind} with {request.topic} → {request.route} ({request.source})"
            return Routing(
                route=request.route,
                service=service,
                is_case=False,
                stage=None,
                notify=(),
                flag=request.flag,
                reasons=(why,),
                respond=request.respond,
            )
    why = f"{kind} → {spec.route or 'nobody (no reply owed)'} ({spec.source})"
    return Routing(
        route=spec.route,
        service=service,
        is_case=False,
        stage=None,
        notify=tuple(spec.notify),
        flag=spec.flag,
        reasons=(why,),
    )
