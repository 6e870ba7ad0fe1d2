"""Recording the Local Government and Social Care Ombudsman's decision on a case.

Chorley reports "the number of complaints upheld by the Local Government Ombudsman" monthly.
The decision reaches the council by letter, long after mailflow signposted the customer, so an
officer enters it (``mailflow ombudsman REF --upheld|--not-upheld``) and it is kept as an
append-only audit event ``ombudsman_decision`` with ``{"upheld": bool}``. A case has one
decision: entering the same one again changes nothing, a different one is refused (the audit
trail cannot be edited, so a mistake is for a person to resolve, not to overwrite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.errors import PolicyError
from mailflow.store.db import session_scope
from mailflow.store.models import Audit
from mailflow.store.repo import add_audit, contact_by_reference

EVENT = "ombudsman_decision"


@dataclass(frozen=True, kw_only=True)
class Decision:
    """An Ombudsman decision as recorded, and whether this call recorded it."""

    reference: str
    upheld: bool
    at: datetime
    recorded: bool


def record_ombudsman_decision(
    engine: Engine, reference: str, *, upheld: bool, at: datetime, actor: str
) -> Decision:
    """Record the Ombudsman's decision on case ``reference`` once; ``NotFound`` if no such case."""
    with session_scope(engine) as session:
        contact = contact_by_reference(session, reference)
        earlier = session.exec(
            select(Audit)
            .where(Audit.contact_id == contact.id, Audit.event == EVENT)
            .order_by(col(Audit.id))
        ).first()
        if earlier is not None:
            before = bool(earlier.detail.get("upheld"))
            if before != upheld:
                said = "upheld" if before else "not upheld"
                raise PolicyError(
                    f"{contact.reference}: the Ombudsman's decision ({said}) was recorded on "
                    f"{earlier.at:%Y-%m-%d}; the audit trail cannot be changed"
                )
            return Decision(
                reference=contact.reference, upheld=before, at=earlier.at, recorded=False
            )
        add_audit(
            session,
            contact_id=contact.id,
            actor=actor,
            event=EVENT,
            detail={"upheld": upheld},
            at=at,
        )
        return Decision(reference=contact.reference, upheld=upheld, at=at, recorded=True)
