"""Officers' ``#hold REASON`` and ``#release``: a legal hold on a case, decided by the pure core."""

from __future__ import annotations

from mailflow.policy.council import load_policy
from mailflow.workflow.actions import Audit, SendMail
from tests.officers.conftest import new_case, reply

STAFFORD = load_policy("stafford")


def test_hold_puts_the_case_under_legal_hold_with_its_reason_and_an_audit_entry() -> None:
    """``#hold`` sets the hold and records who set it and why; the customer is sent nothing."""
    case = new_case(STAFFORD)
    decision = reply(STAFFORD, case, "#hold pre-action letter from the customer's solicitor")
    assert decision.state.legal_hold
    assert decision.state.legal_hold_reason == "pre-action letter from the customer's solicitor"
    held = [a for a in decision.actions if isinstance(a, Audit) and a.event == "legal_hold_set"]
    assert held[0].detail == {
        "reason": "pre-action letter from the customer's solicitor",
        "by": case.assigned_to,
    }
    assert not any(isinstance(a, SendMail) and a.to_customer for a in decision.actions)


def test_release_lifts_the_hold_and_records_the_reason_it_had() -> None:
    """``#release`` clears the hold; the audit keeps the reason the hold was set for."""
    held = reply(STAFFORD, new_case(STAFFORD), "#hold ombudsman inquiry").state
    decision = reply(STAFFORD, held, "#release")
    assert not decision.state.legal_hold and decision.state.legal_hold_reason is None
    (entry,) = [
        a for a in decision.actions if isinstance(a, Audit) and a.event != "officer_command"
    ]
    assert entry.event == "legal_hold_released" and entry.detail["reason"] == "ombudsman inquiry"


def test_hold_without_a_reason_or_twice_and_release_without_a_hold_are_refused() -> None:
    """A hold needs its reason; holding twice or releasing nothing is refused, nothing changes."""
    case = new_case(STAFFORD)
    held = reply(STAFFORD, case, "#hold police inquiry").state
    for state, line, why in (
        (case, "#hold", "#hold takes the reason"),
        (held, "#hold another", "already under legal hold (police inquiry)"),
        (case, "#release", "not under legal hold"),
        (case, "#release now", "#release takes nothing"),
    ):
        decision = reply(STAFFORD, state, line)
        assert decision.state == state
        refused = next(a for a in decision.actions if isinstance(a, Audit))
        assert refused.event == "officer_reply_refused" and why in refused.detail["reason"]


def test_someone_not_dealing_with_the_case_cannot_hold_it() -> None:
    """Only the officers who may act on a case may hold it: the customer is refused."""
    case = new_case(STAFFORD)
    decision = reply(STAFFORD, case, "#hold claim", sender="jane.smith@customer.example")
    assert not decision.state.legal_hold
