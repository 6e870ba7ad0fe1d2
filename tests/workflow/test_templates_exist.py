"""Every mail and letter the workflow can ask for has a template on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.policy.schema import KINDS
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import CustomerReplied, SenderHistory
from tests.workflow.conftest import MONDAY, contact

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TOPICS = (
    "",
    "about_head_of_service",
    "about_chief_executive",
    "about_elected_member",
    "financial_impropriety",
    "discrimination_or_harassment",
    "serious",
)


def emitted(policy: CouncilPolicy) -> set[tuple[str, tuple[str, ...]]]:
    """(template, letters) of every mail the workflow makes for each kind, topic, escalation."""
    out: set[tuple[str, tuple[str, ...]]] = set()
    variants: list[dict[str, object]] = [
        {},
        {"anonymous": True},
        {"triage": True, "needs": ("braille",)},
    ]
    for kind in KINDS:
        for topic in TOPICS:
            for extra in variants:
                topics = (topic,) if topic else ()
                ev = contact(kind, topics=topics, history=SenderHistory(recent_contacts=9), **extra)
                d = decide(policy, None, ev, MONDAY)
                state, actions = d.state, list(d.actions)
                for _ in range(4):
                    escalation = CustomerReplied(
                        message_id="<r@c>", received_at=MONDAY, escalation_request=True
                    )
                    r = decide(policy, state, escalation, MONDAY)
                    state, actions = r.state, actions + list(r.actions)
                out |= {(a.template, a.letters) for a in actions if isinstance(a, SendMail)}
    return out


@pytest.mark.parametrize("council", ["stafford", "chorley"])
def test_every_mail_and_letter_the_workflow_asks_for_has_a_template(council: str) -> None:
    """A purpose without a template would fail only when a real customer writes."""
    mails = emitted(load_policy(council))
    assert len({template for template, _ in mails}) >= 10
    for template, letters in mails:
        for part in ("txt", "html"):
            assert (TEMPLATES / "mail" / f"{template}.{part}.j2").exists(), template
        for letter in letters:
            assert (TEMPLATES / "letters" / f"{letter}.docx").exists(), letter
