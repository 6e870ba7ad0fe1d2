"""What mails and letters are told about a case: officer, dates, stage, signposts, and who
sees the classification."""

from __future__ import annotations

from dataclasses import replace

from mailflow.outbound import CaseTexts, letter_context, mail_context
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.schema import Person
from tests.outbound.test_compose import case

PAYLOAD = {"purpose": "acknowledgement", "mailbox": "complaints", "context": {}}


def test_customer_mail_names_the_officer_dates_and_stages_but_not_the_classification(
    stafford: CouncilPolicy,
) -> None:
    """A customer mail's context has the officer, the open dates and the stages to come."""
    state, _ = case(stafford)
    ctx = mail_context(stafford, state, PAYLOAD, now=state.received_at)
    assert ctx["officer"]["title"] == "Waste Services Officer"
    assert (ctx["acknowledge_by"], ctx["respond_by"]) == ("9 November 2026", "16 November 2026")
    assert ctx["stage"]["number"] == 1
    assert [s["number"] for s in ctx["stage"]["following"]] == [2, 3, 4]
    assert ctx["procedure_explanation"].startswith("Our complaints procedure has four stages")
    assert ctx["mailbox"] == "complaints@stafford.example"
    assert "classification" not in ctx and "customer_text" not in ctx


def test_staff_mail_sees_reasons_confidence_and_how_each_date_was_reached(
    stafford: CouncilPolicy,
) -> None:
    """Officer notices carry the classifier's reasons and each deadline's explanation."""
    state, _ = case(stafford)
    state = replace(state, confidence=0.63)
    texts = CaseTexts(first="Bins!\x00\x1b[31m", latest="Any news?")
    ctx = mail_context(stafford, state, PAYLOAD, now=state.received_at, for_staff=True, texts=texts)
    assert ctx["classification"]["confidence"] == 63
    assert ctx["classification"]["reasons"] == list(state.reasons)
    [ack, respond] = ctx["deadlines"]
    assert ack["label"] == "Acknowledge by" and ack["explain"][0].startswith("5 working days")
    assert respond["due"] == "16 November 2026"
    assert (ctx["customer_text"], ctx["new_text"]) == ("Bins![31m", "Any news?")


def test_an_officer_the_directory_names_is_named(stafford: CouncilPolicy) -> None:
    """When the directory gives a name, mails and letters use it beside the job title."""
    directory = stafford.rules.directory
    waste = directory.services["waste"]
    named = waste.model_copy(
        update={
            "service_officer": Person(
                title="Waste Services Officer", name="Priya Shah", address="waste@stafford.example"
            )
        }
    )
    rules = stafford.rules.model_copy(
        update={"directory": directory.model_copy(update={"services": {"waste": named}})}
    )
    policy = replace(stafford, rules=rules)
    state, _ = case(policy)
    assert mail_context(policy, state, PAYLOAD, now=state.received_at)["officer"]["name"] == (
        "Priya Shah"
    )
    assert letter_context(policy, state, PAYLOAD, now=state.received_at).officer.name == (
        "Priya Shah"
    )


def test_a_customer_without_a_name_is_sir_or_madam(stafford: CouncilPolicy) -> None:
    """No name given: the mail greets "Sir or Madam" and signs off "Yours faithfully"."""
    state, _ = case(stafford, name="  ")
    ctx = mail_context(stafford, state, PAYLOAD, now=state.received_at)
    assert (ctx["greeting"], ctx["sign_off"]) == ("Dear Sir or Madam", "Yours faithfully")
    assert letter_context(stafford, state, PAYLOAD, now=state.received_at).customer_name is None


def test_signpost_context_is_the_rules_route(chorley: CouncilPolicy) -> None:
    """An out-of-procedure matter carries the rules' name, text and contact lines."""
    state, _ = case(chorley, kind="out_of_procedure", signpost="parking_adjudicator")
    signpost = mail_context(chorley, state, PAYLOAD, now=state.received_at)["signpost"]
    assert signpost["name"] == "Traffic Penalty Tribunal"
    assert signpost["contact"] == ["Traffic Penalty Tribunal", "www.trafficpenaltytribunal.gov.uk"]


def test_letter_context_carries_the_stage_due_date_and_ombudsman(chorley: CouncilPolicy) -> None:
    """The acknowledgement letter gets the stage, the respond-by date and the Ombudsman."""
    state, _ = case(chorley)
    ctx = letter_context(chorley, state, PAYLOAD, now=state.received_at)
    assert ctx.stage is not None and ctx.stage.name == "Service Head or Senior Manager"
    assert ctx.respond_by is not None and ctx.respond_by.isoformat() == "2026-11-16"
    assert ctx.ombudsman is not None and ctx.ombudsman.telephone == "0300 061 0614"
    assert ctx.officer.title == "Head of Streetscene" and ctx.reference == "CHC-2026-00042"
