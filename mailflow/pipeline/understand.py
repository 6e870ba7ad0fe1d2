"""What a parsed message is: automatic mail, or a contact of a kind routed to a role.

One function serves both ``mailflow classify`` and the daemon's pipeline, so the command an
administrator runs on a sample ``.eml`` answers exactly as the daemon would.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from mailflow.classify import Classification, classify
from mailflow.mail.automatic import AutomaticVerdict, detect_automatic
from mailflow.mail.parse import ParsedMessage
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.routing import Routing, route
from mailflow.workflow.events import Classified


@dataclass(frozen=True, kw_only=True)
class Understanding:
    """The verdicts on one message, each with its reasons."""

    automatic: AutomaticVerdict | None
    classification: Classification
    routing: Routing
    triage: bool


def understand(
    policy: CouncilPolicy, parsed: ParsedMessage, own_addresses: Collection[str] = ()
) -> Understanding:
    """Detect automatic mail, classify the text, and route by the council's rules."""
    verdict = detect_automatic(parsed, own_addresses=own_addresses)
    result = classify(
        policy.classifier,
        subject=parsed.subject,
        body=parsed.text,
        sender=parsed.from_address,
        automatic=verdict.kind if verdict else None,
    )
    routing = route(
        policy,
        kind=result.kind,
        service=result.service,
        topics=result.topics,
        anonymous=result.anonymous,
    )
    triage = result.confidence < policy.classifier.thresholds.triage_below
    return Understanding(automatic=verdict, classification=result, routing=routing, triage=triage)


def classified(u: Understanding) -> Classified:
    """The workflow's view of the classification."""
    c = u.classification
    return Classified(
        kind=c.kind,
        service=c.service,
        signpost=c.signpost,
        topics=tuple(c.topics),
        needs=tuple(c.needs),
        anonymous=c.anonymous,
        escalation_request=c.escalation_request,
        avoidable=c.avoidable,
        confidence=c.confidence,
        triage=u.triage,
        reasons=tuple(c.reasons),
    )


def as_json(file: str, u: Understanding) -> dict[str, Any]:
    """The ``mailflow classify`` contract of DESIGN.md, one object per file."""
    c = u.classification
    reasons = list(c.reasons) + list(u.routing.reasons)
    if u.automatic is not None:
        reasons.insert(0, f"automatic mail ({u.automatic.kind}): {u.automatic.reason}")
    return {
        "file": file,
        "kind": c.kind,
        "service": c.service,
        "route": u.routing.route,
        "signpost": c.signpost,
        "needs": list(c.needs),
        "anonymous": c.anonymous,
        "escalation_request": c.escalation_request,
        "avoidable": c.avoidable,
        "confidence": round(c.confidence, 3),
        "reasons": reasons,
        "topics": list(c.topics),
        "stage": u.routing.stage,
        "is_case": u.routing.is_case,
        "triage": u.triage,
    }
