"""What a notice mail says: each deadline as an item the staff templates print.

The scheduler passes these in the outbox row's ``context`` (templates read it as ``extra``):

    notices   per-case mails (reminder, escalation, breach_warning): one item per deadline
    cases     notice_summary: the cases of several notices to one person at one time, each
              with its ``notices``
    overdue   overdue_digest: every overdue deadline of the council, most overdue first

An item holds only plain data (no customer text beyond the subject line): kind and labels,
stage, the due date, working days left or overdue counted on the deadline's own calendar, the
explanation of how the date was worked out, and what an extension may be.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mailflow.letters import long_date
from mailflow.mail.headers import clean_header_text
from mailflow.outbound.context import KIND_LABELS
from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.state import CaseState, DeadlineState

NOTICE_LABELS = {
    "reminder": "Reminder",
    "escalation": "Escalation",
    "breach_warning": "Deadline missed",
}
PURPOSE_LABELS = {"acknowledge": "acknowledgement", "respond": "full response"}


def case_item(policy: CouncilPolicy, state: CaseState) -> dict[str, Any]:
    """What every item says about its case (for summaries and digests)."""
    service = policy.rules.directory.services.get(state.service or "")
    return {
        "reference": state.reference,
        "subject": clean_header_text(state.subject),
        "case_kind_label": KIND_LABELS.get(state.kind, state.kind.replace("_", " ")),
        "service": service.name if service else None,
        "officer": state.assigned_to,
    }


def deadline_item(
    policy: CouncilPolicy, state: CaseState, d: DeadlineState, *, today: date
) -> dict[str, Any]:
    """One deadline: stage, due date, working days left or overdue, and how it was worked out."""
    cal = policy.calendar(d.calendar)
    proc = policy.procedure_for(state.kind)
    stage = proc.stage(d.stage) if proc is not None and d.stage is not None else None
    left = cal.working_days_between(today - timedelta(days=1), d.due_date)
    overdue = cal.working_days_between(d.due_date, today)
    extension = None
    if stage is not None and d.purpose == "respond":
        ext = stage.extension
        extension = {
            "allowed": ext.max_days != 0,
            "max_days": ext.max_days,
            "ombudsman_details": ext.ombudsman_details,
        }
    return {
        **case_item(policy, state),
        "purpose": d.purpose,
        "purpose_label": PURPOSE_LABELS[d.purpose],
        "stage": d.stage,
        "stage_name": stage.name if stage else None,
        "due": long_date(d.due_date),
        "due_weekday": f"{d.due_date:%A}",
        "left": max(0, left) if today <= d.due_date else 0,
        "overdue": max(0, overdue) if today > d.due_date else 0,
        "calendar": "Freedom of Information Act" if d.calendar == "foi_act" else d.calendar,
        "extended": d.due_date != d.original_due_date,
        "explain": list(d.explain),
        "extension": extension,
    }


def notice_item(
    policy: CouncilPolicy,
    state: CaseState,
    d: DeadlineState,
    *,
    kind: str,
    when: str,
    today: date,
) -> dict[str, Any]:
    """A deadline item for one notice: which notice, and which plan step sent it."""
    return {
        **deadline_item(policy, state, d, today=today),
        "kind": kind,
        "kind_label": NOTICE_LABELS.get(kind, kind),
        "when": when,
    }
