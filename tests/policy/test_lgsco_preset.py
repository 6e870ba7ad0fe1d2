"""The Complaint Handling Code preset: two stages, response clocks from the acknowledgement."""

from __future__ import annotations

from datetime import date, timedelta

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import plan
from mailflow.workflow.decide import decide
from mailflow.workflow.events import Classified, ContactReceived, CustomerReplied, MailSent
from tests.schedule.sim import local


def test_the_preset_states_the_code_timescales(code: CouncilPolicy) -> None:
    """Stage 1: 5 to acknowledge, 10 from the acknowledgement, extension at most 10 with the
    Ombudsman's details; stage 2: 5 and 20, extension at most 20; then the Ombudsman."""
    stages = code.procedure("complaints").stages
    assert [(s.number, s.external) for s in stages] == [(1, False), (2, False), (3, True)]
    for stage, (ack, respond, cap) in zip(stages, ((5, 10, 10), (5, 20, 20)), strict=False):
        assert stage.acknowledge is not None and stage.respond is not None
        assert (stage.acknowledge.days, stage.acknowledge.start) == (ack, "receipt")
        assert (stage.respond.days, stage.respond.start) == (respond, "acknowledgement")
        assert (stage.extension.max_days, stage.extension.ombudsman_details) == (cap, True)
    assert stages[1].ombudsman_signposting


def test_stage_1_response_counts_from_the_acknowledgement_sent(code: CouncilPolicy) -> None:
    """Received Mon 1 Jun 2026, acknowledged Wed 3 Jun: respond by Wed 17 Jun (10 working days
    after the acknowledgement), re-dated when the acknowledgement actually goes out."""
    received = local(2026, 6, 1, 10)
    p = plan(
        code,
        kind="complaint",
        channel="letter",
        received=received,
        acknowledged=local(2026, 6, 3, 12),
    )
    assert p.acknowledge is not None and p.respond is not None
    assert (p.acknowledge.due_date, p.respond.due_date) == (date(2026, 6, 8), date(2026, 6, 17))
    event = ContactReceived(
        reference="EXC-2026-00001",
        message_id="<a@c>",
        sender="a@customer.example",
        sender_name="A",
        subject="Bins",
        channel="letter",
        received_at=received,
        classified=Classified(kind="complaint", service="waste"),
    )
    state = decide(code, None, event, received).state
    sent = MailSent(purpose="acknowledgement", stage=1, sent_at=local(2026, 6, 3, 12))
    state = decide(code, state, sent, sent.sent_at).state
    respond = next(d for d in state.deadlines if d.purpose == "respond")
    assert respond.due_date == date(2026, 6, 17) and respond.basis == "acknowledgement"
    reply = CustomerReplied(
        message_id="<e@c>", received_at=local(2026, 6, 22, 10), escalation_request=True
    )
    state = decide(code, state, reply, reply.received_at).state
    sent = MailSent(
        purpose="acknowledgement", stage=2, sent_at=reply.received_at + timedelta(seconds=5)
    )
    state = decide(code, state, sent, sent.sent_at).state
    stage2 = next(d for d in state.deadlines if d.stage == 2 and d.purpose == "respond")
    assert stage2.due_date == date(2026, 7, 20)  # 20 working days after Mon 22 Jun
