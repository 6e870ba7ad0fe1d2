"""What officers' commands decide, in memory: responses, new dates, hand-overs, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.validate import problems
from mailflow.workflow.actions import Audit, SendMail
from mailflow.workflow.decide import Decision
from mailflow.workflow.state import CaseState
from tests.officers.conftest import CUSTOMER, THURSDAY, new_case, reply


def mails(d: Decision) -> list[SendMail]:
    return [a for a in d.actions if isinstance(a, SendMail)]


def audits(d: Decision, event: str) -> list[dict[str, object]]:
    return [a.detail for a in d.actions if isinstance(a, Audit) and a.event == event]


def refused(d: Decision, before: CaseState) -> str:
    """Assert the reply changed nothing and reached no customer; return the reason given."""
    assert d.state == before
    [notice] = mails(d)
    assert (notice.template, notice.to_customer) == ("command_refused", False)
    assert all(not c["accepted"] for c in audits(d, "officer_command"))
    return str(notice.context["reason"])


def test_outcome_is_the_stage_response_with_its_letter_and_clocks_met(
    stafford: CouncilPolicy,
) -> None:
    """#outcome records the outcome, meets the response date and sends the stage reply letter
    with the officer's words as the reasons and the rules' next step (Stafford 8 Stage 1)."""
    state = new_case(stafford)
    d = reply(stafford, state, "#outcome not_upheld", text="We checked the crew's log.")
    [letter_mail] = mails(d)
    assert (letter_mail.purpose, letter_mail.to, letter_mail.letters) == (
        "stage_reply",
        (CUSTOMER,),
        ("stage_reply",),
    )
    assert letter_mail.context == {
        "outcome": "not_upheld",
        "officer_text": "We checked the crew's log.",
        "final": False,
    }
    stage = d.state.stages[0]
    assert (stage.outcome, stage.responded_at, d.state.outcome) == (
        "not_upheld",
        THURSDAY,
        "not_upheld",
    )
    respond = next(x for x in d.state.deadlines if x.purpose == "respond")
    assert (respond.status, respond.met_at) == ("met", THURSDAY)
    assert d.state.status == "open"  # the customer may still take it to stage 2
    assert audits(d, "officer_command")[0]["accepted"] is True


def test_final_stage_response_carries_the_ombudsman_letter_and_closes(
    stafford: CouncilPolicy,
) -> None:
    """At stage 3 the reply letter goes with the Ombudsman signposting letter (8 Stage 3)."""
    state = new_case(stafford)
    for _ in range(2):
        state = reply(stafford, state, "#escalate").state
    assert (state.stage, state.assigned_to) == (3, "chief.executive@stafford.example")
    d = reply(stafford, state, "#outcome partly_upheld", text="An apology is due.")
    [letter_mail] = mails(d)
    assert letter_mail.letters == ("stage_reply", "ombudsman_signposting")
    assert letter_mail.context["final"] is True
    assert (d.state.status, d.state.closed_at) == ("closed", THURSDAY)
    assert audits(d, "ombudsman_signposted")


def test_chorley_response_is_copied_to_the_customer_services_manager(
    chorley: CouncilPolicy,
) -> None:
    """Chorley: "a copy of the response ... to the Customer Services Manager"."""
    d = reply(chorley, new_case(chorley), "#outcome upheld", text="Sorry: a new bin is coming.")
    reply_mail, copy = mails(d)
    assert reply_mail.to == (CUSTOMER,) and reply_mail.to_customer
    assert (copy.template, copy.to, copy.to_customer) == (
        "response_copy",
        ("customer.services.manager@chorley.example",),
        False,
    )
    assert copy.letters == reply_mail.letters == ("stage_reply",)


def test_a_stage_is_answered_once(stafford: CouncilPolicy) -> None:
    """A second #outcome at the same stage is refused; the first stands."""
    state = reply(stafford, new_case(stafford), "#outcome upheld").state
    assert "already has its outcome (upheld)" in refused(
        reply(stafford, state, "#outcome resolved"), state
    )


def test_extend_moves_the_response_date_and_tells_the_customer_why_and_when(
    chorley: CouncilPolicy,
) -> None:
    """#extend: the customer is told why and when, with the holding letter (both policies)."""
    state = new_case(chorley)
    d = reply(chorley, state, "#extend 2026-11-27 The contractor's report is late.")
    respond = next(x for x in d.state.deadlines if x.purpose == "respond")
    assert (respond.due_date, respond.original_due_date) == (date(2026, 11, 27), date(2026, 11, 16))
    assert "The contractor's report is late." in respond.explain[-1]
    [holding] = mails(d)
    assert (holding.template, holding.letters, holding.to) == (
        "extension",
        ("extension",),
        (CUSTOMER,),
    )
    assert holding.context["new_date"] == "2026-11-27"
    assert d.state.stages[0].extensions == 1


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("#extend 2026-10-30 late", "is in the past"),
        ("#extend 2026-11-16 late", "is not after the current response date, 2026-11-16"),
        ("#extend 2026-11-31 late", "is not a date"),
    ],
)
def test_extend_refuses_past_dates_and_dates_before_the_current_one(
    chorley: CouncilPolicy, line: str, problem: str
) -> None:
    """A new date must be later than today and than the date already given."""
    state = new_case(chorley)
    assert problem in refused(reply(chorley, state, line), state)


def capped(policy: CouncilPolicy, **extension: object) -> CouncilPolicy:
    """``policy`` with an extension cap on stage 1 of the complaints procedure."""
    proc = policy.rules.procedures["complaints"]
    first = proc.stages[0]
    first = first.model_copy(update={"extension": first.extension.model_copy(update=extension)})
    proc = proc.model_copy(update={"stages": [first, *proc.stages[1:]]})
    rules = policy.rules.model_copy(
        update={"procedures": {**policy.rules.procedures, "complaints": proc}}
    )
    return replace(policy, rules=rules)


def test_extend_is_refused_beyond_the_rules_cap_in_working_days(stafford: CouncilPolicy) -> None:
    """A cap of 5 working days from 16 November allows 23 November, not 24 (weekend skipped)."""
    policy = capped(stafford, max_days=5)
    state = new_case(policy)
    assert [m.template for m in mails(reply(policy, state, "#extend 2026-11-23 late"))] == [
        "extension"
    ]
    problem = refused(reply(policy, state, "#extend 2026-11-24 late"), state)
    assert "6 working days after the original date 2026-11-16" in problem
    assert "(at most 2026-11-23)" in problem


def test_extend_is_refused_after_the_rules_number_of_extensions(stafford: CouncilPolicy) -> None:
    """``max_times: 1``: the second extension at the stage is refused."""
    policy = capped(stafford, max_times=1)
    state = reply(policy, new_case(policy), "#extend 2026-11-20 late").state
    assert "allow 1 extension" in refused(reply(policy, state, "#extend 2026-11-27 later"), state)


def test_a_statutory_foi_date_cannot_be_extended(stafford: CouncilPolicy) -> None:
    """FOI (max_days 0): the twentieth working day is the law's, not the council's."""
    state = new_case(stafford, kind="foi_request")
    problem = refused(reply(stafford, state, "#extend 2026-12-04 busy"), state)
    assert "the rules allow 0" in problem


def test_assign_passes_the_case_to_a_role_or_directory_person_and_tells_them(
    stafford: CouncilPolicy,
) -> None:
    """#assign to a role or an address in the directory; the new owner gets the notification."""
    state = new_case(stafford)
    d = reply(stafford, state, "#assign head_of_service")
    assert (
        d.state.assigned_to == d.state.stages[0].owner_address == "head.operations@stafford.example"
    )
    [notice] = mails(d)
    assert (notice.template, notice.to) == (
        "officer_notification",
        ("head.operations@stafford.example",),
    )
    d = reply(stafford, state, "#assign Housing@Stafford.example")
    assert d.state.assigned_to == "housing@stafford.example"
    problem = refused(reply(stafford, state, "#assign friend@gmail.example"), state)
    assert "not a role or a person in the council's directory" in problem


def test_note_and_action_are_recorded_and_never_sent(stafford: CouncilPolicy) -> None:
    """#note and #action are audit entries only; with no other text nothing is relayed."""
    state = new_case(stafford)
    d = reply(stafford, state, "#note Phoned her at 10.", "#action Crews photograph bins left.")
    assert mails(d) == [] and d.state == state
    assert audits(d, "note") == [{"text": "Phoned her at 10.", "by": "waste@stafford.example"}]
    [action] = audits(d, "action")
    assert (action["text"], action["service"], action["stage"]) == (
        "Crews photograph bins left.",
        "waste",
        1,
    )


def test_text_without_commands_is_relayed_to_the_customer(stafford: CouncilPolicy) -> None:
    """Words alone go to the customer as an officer's reply, threaded into their case."""
    d = reply(stafford, new_case(stafford), text="We will collect the bin on Friday.")
    [relay] = mails(d)
    assert (relay.template, relay.to, relay.to_customer) == ("officer_reply", (CUSTOMER,), True)
    assert relay.context == {"officer_text": "We will collect the bin on Friday."}


def test_a_reply_with_nothing_in_it_is_refused(stafford: CouncilPolicy) -> None:
    """An empty reply (all quote) does nothing and the officer is told."""
    state = new_case(stafford)
    assert "no commands and no text" in refused(reply(stafford, state), state)


def test_kind_corrects_a_contact_into_the_complaints_procedure(stafford: CouncilPolicy) -> None:
    """A comment found to be a complaint enters stage 1 with clocks from its receipt."""
    state = new_case(stafford, kind="comment")
    d = reply(stafford, state, "#kind complaint")
    assert (d.state.kind, d.state.is_case, d.state.stage) == ("complaint", True, 1)
    assert [m.purpose for m in mails(d)] == ["acknowledgement", "officer_notification"]
    assert next(
        x for x in d.state.deadlines if x.stage == 1 and x.purpose == "respond"
    ).due_date == date(2026, 11, 16)
    relabel = reply(stafford, state, "#kind service_request")
    assert relabel.state.kind == "service_request" and mails(relabel) == []
    case = new_case(stafford)
    assert "stays a complaint" in refused(reply(stafford, case, "#kind comment"), case)


def test_service_corrects_the_service_and_hands_the_case_to_its_officer(
    stafford: CouncilPolicy,
) -> None:
    """#service housing: stage 1 belongs to the housing service officer, who is told."""
    d = reply(stafford, new_case(stafford), "#service housing")
    assert (d.state.service, d.state.assigned_to) == ("housing", "housing@stafford.example")
    assert [m.to for m in mails(d)] == [("housing@stafford.example",)]


def test_close_stops_every_clock(stafford: CouncilPolicy) -> None:
    """#close closes the case and cancels its running deadlines; closing twice is refused."""
    d = reply(stafford, new_case(stafford), "#close")
    assert d.state.status == "closed" and not d.state.open_deadlines()
    assert "already closed" in refused(reply(stafford, d.state, "#close"), d.state)


def test_only_the_officer_dealing_or_a_manager_may_act(stafford: CouncilPolicy) -> None:
    """The Head of Service and the Customer Services Manager may; another officer may not."""
    state = new_case(stafford)
    for manager in (
        "head.operations@stafford.example",
        "customer.services.manager@stafford.example",
    ):
        assert mails(reply(stafford, state, "#note seen", sender=manager)) == []
    problem = refused(
        reply(stafford, state, "#note seen", sender="housing@stafford.example"), state
    )
    assert "is not the officer dealing with SBC-2026-00042" in problem


def test_one_bad_command_refuses_the_whole_reply(stafford: CouncilPolicy) -> None:
    """All or nothing: a typo below a valid #outcome means no outcome and nothing sent."""
    state = new_case(stafford)
    d = reply(stafford, state, "#outcome upheld", "#clsoe", text="Sorry for the trouble.")
    assert "#clsoe is not a command" in refused(d, state)
    assert [c["command"] for c in audits(d, "officer_command")] == ["outcome", "clsoe"]


def test_who_else_may_act_is_the_rules_files_acting_roles(stafford: CouncilPolicy) -> None:
    """Stafford 8 Stage 2 and 11: by default the Head of Service, the Customer Services Manager
    and the Chief Executive may act; a council that names only the Head of Service in
    ``officer_replies.acting_roles`` refuses the Customer Services Manager."""
    assert stafford.rules.officer_replies.acting_roles == [
        "head_of_service",
        "customer_services_manager",
        "chief_executive",
    ]
    state = new_case(stafford)
    chief = "chief.executive@stafford.example"
    assert mails(reply(stafford, state, "#note seen", sender=chief)) == []
    narrow = stafford.rules.model_copy(
        update={
            "officer_replies": stafford.rules.officer_replies.model_copy(
                update={"acting_roles": ["head_of_service"]}
            )
        }
    )
    policy = replace(stafford, rules=narrow)
    manager = "customer.services.manager@stafford.example"
    assert "is not the officer dealing" in refused(
        reply(policy, state, "#note seen", sender=manager), state
    )
    assert (
        mails(reply(policy, state, "#note seen", sender="head.operations@stafford.example")) == []
    )


def test_an_acting_role_missing_from_the_directory_is_a_rules_error(
    stafford: CouncilPolicy,
) -> None:
    """``mailflow check-rules`` names the line: a role nobody holds can never act."""
    rules = stafford.rules.model_copy(
        update={
            "officer_replies": stafford.rules.officer_replies.model_copy(
                update={"acting_roles": ["head_of_service", "deputy_head"]}
            )
        }
    )
    assert (
        "officer_replies.acting_roles[1]",
        "role 'deputy_head' is not in directory.roles (nor a per-service role)",
    ) in problems(rules)
