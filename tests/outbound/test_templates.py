"""Every mail the workflow can ask for has a template that renders for both councils, safely."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mailflow.errors import ConfigError
from mailflow.outbound import CaseTexts, compose
from mailflow.outbound.rows import action_payload, new_message_id, normalise_payload
from mailflow.outbound.templates import render_mail
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.store.models import Outbox
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import (
    Classified,
    ContactReceived,
    CustomerReplied,
    OfficerReplied,
    SenderHistory,
)
from mailflow.workflow.state import CaseState
from tests.outbound.conftest import LETTER_TEMPLATES, MAIL_TEMPLATES, MONDAY, text_of

NOT_FROM_THE_WORKFLOW = (
    "quarantine_notice",  # the pipeline
    "bounce_notice",  # the outbox worker
    *("reminder", "escalation", "breach_warning", "notice_summary", "overdue_digest"),  # schedule
    "monitoring_report",  # the report deliveries (mailflow.schedule.reports)
)
CONTACTS: list[dict[str, object]] = [
    {"kind": "complaint"},
    {"kind": "complaint", "needs": ("large_print", "braille"), "triage": True},
    {"kind": "complaint", "topics": ("financial_impropriety",)},
    {"kind": "comment"},
    {"kind": "compliment"},
    {"kind": "service_request"},
    {"kind": "information_request"},
    {"kind": "foi_request", "service": None},
    {"kind": "out_of_procedure", "signpost": "planning_appeal"},
    {"kind": "out_of_procedure", "signpost": None},
    {"kind": "third_party", "signpost": "other_agency"},
    {"kind": "abusive", "service": None},
]


def new_contact(
    policy: CouncilPolicy, spec: dict[str, object], persistent: bool
) -> ContactReceived:
    fields = {"service": "waste", **spec}
    history = SenderHistory(recent_contacts=policy.rules.unacceptable_actions.contacts - 1)
    return ContactReceived(
        reference=f"{policy.rules.council.reference_prefix}-2026-00007",
        message_id="<m1@customer.example>",
        sender="jane.smith@customer.example",
        sender_name="" if persistent else "Jane Smith",
        subject="Bins",
        channel="email",
        received_at=MONDAY,
        classified=Classified(**fields),  # type: ignore[arg-type]
        history=history if persistent else SenderHistory(),
    )


OFFICER_REPLIES = (
    ("#extend 2026-12-31 We are waiting for the contractor's report.",),
    ("#note Phoned the customer.", "#action Crews now photograph each bin left."),
    ("#assign customer_services_manager",),
    ("#outcome partly_upheld",),
    ("#escalate",),
    ("#await Could you send us a photo of the bin?",),  # refused where stages do not pause
    ("#outcome not_upheld",),
    ("#bogus",),
)


def officer_life(policy: CouncilPolicy) -> Iterator[tuple[CaseState, SendMail]]:
    """Every mail officers' replies produce: relays, holding letters, responses, refusals."""
    state = decide(policy, None, new_contact(policy, CONTACTS[0], False), MONDAY).state
    for commands in OFFICER_REPLIES:
        sender = state.assigned_to or ""
        reply = OfficerReplied(
            sender=sender,
            message_id="<o@council.example>",
            received_at=MONDAY,
            commands=commands,
            text="Dear Ms Smith,\n\nThe crew have been told.",
        )
        d = decide(policy, state, reply, MONDAY)
        yield from ((d.state, a) for a in d.actions if isinstance(a, SendMail))
        state = d.state
        if state.status == "awaiting_customer":  # after #await: the customer answers
            later = MONDAY + timedelta(days=3)
            answer = CustomerReplied(message_id="<a@c>", received_at=later)
            d = decide(policy, state, answer, later)
            yield from ((d.state, a) for a in d.actions if isinstance(a, SendMail))
            state = d.state


def life(policy: CouncilPolicy) -> Iterator[tuple[CaseState, SendMail]]:
    """Every mail a case can produce: each kind of contact, replies, escalation to the end."""
    yield from officer_life(policy)
    for spec in CONTACTS:
        for persistent in (False, True):
            d = decide(policy, None, new_contact(policy, spec, persistent), MONDAY)
            yield from ((d.state, a) for a in d.actions if isinstance(a, SendMail))
    state = decide(policy, None, new_contact(policy, CONTACTS[0], False), MONDAY).state
    for escalate in (False, True, True, True):
        reply = CustomerReplied(message_id="<r@c>", received_at=MONDAY, escalation_request=escalate)
        d = decide(policy, state, reply, MONDAY)
        yield from ((d.state, a) for a in d.actions if isinstance(a, SendMail))
        state = d.state


def row_for(state: CaseState, action: SendMail) -> Outbox:
    payload = action_payload(action, reference=state.reference, mailbox="complaints")
    return Outbox(
        kind="customer_mail" if action.to_customer else "staff_mail",
        message_id=new_message_id("council.example"),
        recipients=list(action.to) or ["someone@council.example"],
        payload=normalise_payload(payload, None),
        not_before=MONDAY,
        created_at=MONDAY,
    )


def render(policy: CouncilPolicy, state: CaseState | None, row: Outbox, **kw: Path) -> str:
    message = compose(
        policy,
        state,
        row,
        from_address=policy.rules.council.mailboxes["complaints"],
        templates_dir=kw.get("templates_dir", MAIL_TEMPLATES),
        letters_dir=LETTER_TEMPLATES,
        now=MONDAY + timedelta(hours=1),
        texts=CaseTexts(first="First words.", latest="Latest words."),
    )
    return text_of(message)


@pytest.mark.parametrize("council", ["stafford", "chorley"])
def test_every_mail_the_workflow_asks_for_renders_in_plain_words(council: str) -> None:
    """Each (case, mail) pair renders text and HTML; no 'None' and no rules keys leak out."""
    policy = load_policy(council)
    seen = set()
    for state, action in life(policy):
        text = render(policy, state, row_for(state, action))
        seen.add(action.template)
        assert "None" not in text and "{{" not in text
        if action.to_customer:
            assert "service_officer" not in text and "_" not in text.split("Your reference")[0]
    assert {"acknowledgement", "officer_notification", "ombudsman_signposting"} <= seen
    shipped = {p.name.split(".")[0] for p in MAIL_TEMPLATES.glob("[a-z]*.txt.j2")}
    if not policy.procedure("complaints").copy_response_to:
        shipped.discard("response_copy")  # only councils that copy responses (Chorley) send it
    if not any(s.pause_awaiting_customer for s in policy.procedure("complaints").stages):
        shipped.discard("information_request")  # #await: only where a stage's clock pauses
        shipped.discard("information_received")  # and the customer's answer restarts it
    assert seen | set(NOT_FROM_THE_WORKFLOW) == shipped


def test_every_template_has_a_text_and_an_html_part() -> None:
    """Each mail template ships as a pair: .txt.j2 and .html.j2."""
    text = {p.name.removesuffix(".txt.j2") for p in MAIL_TEMPLATES.glob("[a-z]*.txt.j2")}
    html = {p.name.removesuffix(".html.j2") for p in MAIL_TEMPLATES.glob("[a-z]*.html.j2")}
    assert text == html and len(text) >= 20


def test_quarantine_notice_renders_without_a_case(stafford: CouncilPolicy) -> None:
    """A notice about a message that joined no case renders from the row's context alone."""
    row = Outbox(
        kind="staff_mail",
        message_id=new_message_id("stafford.example"),
        recipients=["customer.services@stafford.example"],
        payload=normalise_payload(
            {
                "purpose": "quarantine_notice",
                "template": "quarantine_notice",
                "mailbox": "complaints",
                "reference": None,
                "context": {"reason": "too many MIME parts (1200)", "sender": "x@example.org"},
            },
            None,
        ),
        not_before=MONDAY,
        created_at=MONDAY,
    )
    text = render(stafford, None, row)
    assert "too many MIME parts (1200)" in text and "Quarantine folder" in text


@pytest.fixture
def own_templates(tmp_path: Path) -> Path:
    """A copy of the shipped mail templates a test may break."""
    target = tmp_path / "mail"
    shutil.copytree(MAIL_TEMPLATES, target)
    return target


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{{ council.__class__.__mro__ }}", "is unsafe"),
        ("{{ council.nmae }}", "no attribute 'nmae'"),
        ("{{ reference|safe }}", "No filter named 'safe'"),
        ("{% autoescape false %}{{ reference }}{% endautoescape %}", "{% autoescape %} is not"),
        ("{{ officer.name }}", "'officer.name' has no value"),
        ("{{ stage.number }}", "'stage' has no value"),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_naming_its_file(
    own_templates: Path, source: str, problem: str
) -> None:
    """Sandboxed, strict rendering: a bad template raises ConfigError with file and reason."""
    (own_templates / "comment_thanks.html.j2").write_text(source)
    policy = load_policy("stafford")
    state, action = next((s, a) for s, a in life(policy) if a.template == "comment_thanks")
    with pytest.raises(ConfigError) as caught:
        render(policy, state, row_for(state, action), templates_dir=own_templates)
    assert "comment_thanks.html.j2: " in str(caught.value) and problem in str(caught.value)


def test_text_template_without_a_subject_is_refused(own_templates: Path) -> None:
    """The text template must set the subject; forgetting it is a named error."""
    (own_templates / "signpost.txt.j2").write_text("Hello\n")
    with pytest.raises(ConfigError, match=r"signpost\.txt\.j2: subject"):
        render_mail(own_templates, "signpost", {})
