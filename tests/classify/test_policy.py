"""The policies' own classification rules, each checked on short messages.

Tests marked "engine" use tiny hand-made rules so they pin the mechanism (Stafford 7(c) doubt,
signposting, abuse threshold, confidence) whatever the shipped weights are; the others read
realistic sentences with the shipped `rules/classify.yaml`.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest

from mailflow.classify import Classification, ClassifierRules, classify
from mailflow.classify.schema import Kind, KindRules

THRESHOLDS = {
    "triage_below": 0.6,
    "label_min": 1.0,
    "doubt_min": 2.0,
    "doubt_margin": 2.0,
    "abusive_min": 4.0,
    "confidence_smoothing": 1.0,
}


def tiny_rules(**sections: Any) -> ClassifierRules:
    """A rules object with only the given sections, and the thresholds above."""
    data = {"version": 1, "fallback_kind": "information_request", "thresholds": THRESHOLDS}
    return ClassifierRules.model_validate({**data, **sections})


def rule(text: str, weight: float) -> dict[str, Any]:
    return {"phrase": text, "weight": weight}


def mail(
    rules: ClassifierRules, body: str, subject: str = "", sender: str | None = None
) -> Classification:
    return classify(rules, subject=subject, body=body, sender=sender)


# --- the kind: Stafford 7 and Chorley "Complaints" ------------------------------------------


def test_doubt_between_complaint_and_service_request_is_processed_as_complaint() -> None:
    """Complaint evidence within the doubt margin of a service request wins (Stafford 7(c))."""
    rules = tiny_rules(
        kinds={
            "complaint": [rule("again", 2.0)],
            "service_request": [rule("please empty", 2.0), rule("my bin", 1.0)],
        }
    )
    result = mail(rules, "My bin was missed again, please empty it.")
    assert result.kind == "complaint"
    assert result.confidence == 0.0
    assert any("Stafford 7(c)" in reason for reason in result.reasons)


def test_clear_service_request_with_a_hint_of_complaint_stays_a_service_request() -> None:
    """A service request leading the complaint evidence by the doubt margin is not overruled."""
    rules = tiny_rules(
        kinds={
            "complaint": [rule("again", 2.0)],
            "service_request": [rule("please empty", 2.0), rule("my bin", 2.0)],
        }
    )
    assert mail(rules, "My bin was missed again, please empty it.").kind == "service_request"


def test_doubt_is_only_raised_by_complaint_evidence_of_doubt_min() -> None:
    """A weak complaint hint (below doubt_min) does not turn a request into a complaint."""
    rules = tiny_rules(
        kinds={"complaint": [rule("again", 1.0)], "service_request": [rule("please empty", 2.0)]}
    )
    assert mail(rules, "Missed again, please empty it.").kind == "service_request"


def test_planning_appeal_is_signposted_not_run_through_procedure(
    default_rules: ClassifierRules,
) -> None:
    """A refusal of planning permission the customer wants to appeal goes to the Inspectorate."""
    result = mail(
        default_rules,
        "You have refused planning permission for my extension and I want to appeal against "
        "the decision. How do I do this?",
    )
    assert (result.kind, result.signpost, result.service) == (
        "out_of_procedure",
        "planning_appeal",
        "planning",
    )


def test_penalty_charge_notice_challenge_is_signposted_to_the_parking_adjudicator(
    default_rules: ClassifierRules,
) -> None:
    """Disputing a PCN has a statutory route, even when the customer calls the ticket unfair."""
    result = mail(default_rules, "This PCN is unfair, I want to challenge it. Please cancel it.")
    assert (result.kind, result.signpost) == ("out_of_procedure", "parking_adjudicator")


def test_complaint_about_handling_of_an_appealable_matter_stays_a_complaint(
    default_rules: ClassifierRules,
) -> None:
    """How the council handled a matter is in procedure even where the decision is appealable."""
    result = mail(
        default_rules,
        "I am not appealing the refusal of planning permission - that is with the Planning "
        "Inspectorate. I want to complain about how my application was handled: the officer "
        "never replied to my emails and I was not told about the committee meeting.",
    )
    assert result.kind == "complaint"
    assert result.signpost is None


def test_signpost_evidence_counts_towards_out_of_procedure() -> None:
    """Engine: a signpost's score is added to out_of_procedure, and names where to send them."""
    rules = tiny_rules(
        kinds={"complaint": [rule("unhappy", 1.0)]},
        signposts={"housing_review": [rule("section 202", 3.0)]},
    )
    result = mail(rules, "I am unhappy and want a section 202 review.")
    assert (result.kind, result.signpost) == ("out_of_procedure", "housing_review")


def test_third_party_is_signposted_to_another_agency(default_rules: ClassifierRules) -> None:
    """A complaint about a housing association is guided to that agency (Stafford 7(c))."""
    result = mail(
        default_rules,
        "My housing association has not fixed my leaking roof for months. Can the council make "
        "them do it?",
    )
    assert (result.kind, result.signpost) == ("third_party", "other_agency")


def test_noise_from_a_neighbour_is_the_councils_to_investigate_not_a_third_party(
    default_rules: ClassifierRules,
) -> None:
    """A neighbour is not an agency: noise nuisance is an environmental health service request."""
    result = mail(
        default_rules,
        "My neighbour's dog barks all day. Could someone from the council investigate the noise?",
    )
    assert (result.kind, result.service, result.signpost) == (
        "service_request",
        "environmental_health",
        None,
    )


@pytest.mark.parametrize(
    "body",
    [
        "Under the Freedom of Information Act please tell me how much you spent on agency staff.",
        "FOI request: the number of fixed penalty notices issued in 2025.",
    ],
)
def test_freedom_of_information_request_goes_to_the_foi_officer(
    default_rules: ClassifierRules, body: str
) -> None:
    """Requests naming the FOI Act are FOI requests (Stafford 11), with their own deadline."""
    assert mail(default_rules, body).kind == "foi_request"


def test_one_swear_word_in_a_genuine_complaint_leaves_it_a_complaint(
    default_rules: ClassifierRules,
) -> None:
    """One "bloody" must not send a real complaint down the no-reply abusive path."""
    result = mail(
        default_rules,
        "This is bloody ridiculous, my recycling has been missed for the third time. I want to "
        "make a formal complaint.",
    )
    assert result.kind == "complaint"
    assert any(r.startswith("abusive:") and "below abusive_min" in r for r in result.reasons)


def test_sustained_abuse_is_abusive_even_when_it_complains(default_rules: ClassifierRules) -> None:
    """Abuse past abusive_min is for a person under the unacceptable-actions policy."""
    result = mail(
        default_rules,
        "I want to complain. You are f***ing useless idiots and scumbags, sort my bin out you "
        "morons.",
    )
    assert result.kind == "abusive"


def test_junk_carries_no_service_topics_or_needs(default_rules: ClassifierRules) -> None:
    """Junk needs no reply (Chorley) and is nobody's contact, so nothing else is reported."""
    result = mail(
        default_rules,
        "Dear customer, your mailbox storage limit is exceeded. Verify your account now or "
        "messages will be permanently deleted. Fraud team. Large print available.",
    )
    assert result.kind == "junk"
    assert (result.service, result.topics, result.needs, result.avoidable) == (None, (), (), None)


def test_automatic_mail_is_an_auto_reply_and_its_text_is_not_weighed(
    default_rules: ClassifierRules,
) -> None:
    """Given an automatic-mail verdict, the kind is auto_reply whatever the text says."""
    result = classify(
        default_rules,
        subject="Automatic reply: complaint",
        body="I want to make a formal complaint",
        sender="someone@example.org",
        automatic="auto_reply",
    )
    assert (result.kind, result.confidence, result.reasons) == (
        "auto_reply",
        1.0,
        ("automatic mail: auto_reply",),
    )


def test_no_evidence_falls_back_to_the_rules_files_kind_with_zero_confidence() -> None:
    """With nothing to go on, the fallback kind is given and a person must look."""
    result = mail(tiny_rules(kinds={"complaint": [rule("complaint", 2.0)]}), "Hello there.")
    assert (result.kind, result.confidence) == ("information_request", 0.0)


def test_confidence_is_the_margin_over_the_runner_up_shrunk_when_evidence_is_thin() -> None:
    """Engine: confidence = (winner - runner-up) / (winner + smoothing)."""
    rules = tiny_rules(kinds={"compliment": [rule("thank", 4.0)], "comment": [rule("idea", 3.0)]})
    assert mail(rules, "thank you").confidence == pytest.approx(4 / 5)
    assert mail(rules, "thank you, one idea").confidence == pytest.approx(1 / 5)


def test_every_kind_in_the_rules_is_a_kind_the_contract_names() -> None:
    """The kinds rules are declared for are exactly the Kind values (the engine relies on it)."""
    assert tuple(KindRules.model_fields) == get_args(Kind)


# --- topics, needs and flags are independent of the kind ------------------------------------


def test_complaint_about_a_councillor_carries_the_elected_member_topic(
    default_rules: ClassifierRules,
) -> None:
    """A complaint against an Elected Member goes to the Chief Executive at once (Stafford 9(e))."""
    result = mail(
        default_rules,
        "I wish to complain about Councillor Jane Smith, who shouted at me at the ward surgery "
        "and breached the code of conduct.",
    )
    assert result.kind == "complaint"
    assert result.topics == ("about_elected_member",)


def test_councillor_forwarding_a_constituents_complaint_is_not_about_the_councillor(
    default_rules: ClassifierRules,
) -> None:
    """Members may pass complaints on (Stafford 9(c)); that does not make them the subject."""
    result = mail(
        default_rules,
        "Please log this as a complaint.\nCllr Sue Ridley, ward member for Highfields\n\n"
        "---------- Forwarded message ---------\nMy council tax bill is wrong and nobody "
        "replies.",
        subject="Fwd: council tax",
    )
    assert result.kind == "complaint"
    assert "about_elected_member" not in result.topics


def test_asking_for_the_chief_executive_is_an_escalation_not_a_topic_about_them(
    default_rules: ClassifierRules,
) -> None:
    """Wanting the Chief Executive to review a complaint is stage 3, not a complaint about them."""
    result = mail(
        default_rules,
        "I am still not satisfied and want the Chief Executive to look at this.",
        subject="Re: [SBC-2026-00042] Your complaint",
    )
    assert result.escalation_request is True
    assert result.topics == ()


def test_complaint_about_the_chief_executive_carries_that_topic(
    default_rules: ClassifierRules,
) -> None:
    """A complaint about the Chief Executive goes to the Monitoring Officer (Stafford 9(e))."""
    result = mail(
        default_rules, "I wish to make a formal complaint about the Chief Executive's conduct."
    )
    assert result.topics == ("about_chief_executive",)


def test_quoted_council_reply_does_not_make_a_thank_you_an_escalation(
    default_rules: ClassifierRules,
) -> None:
    """Only the customer's new words count, not the stage-2 wording quoted beneath them."""
    result = mail(
        default_rules,
        "Thank you so much for sorting out my bins, please pass on my thanks to the crew.\n\n"
        "On Wed, 11 Mar 2026 at 16:40, Complaints <complaints@council.example> wrote:\n"
        "> If you are still not satisfied you can ask for Stage 2 or the Ombudsman.\n",
        subject="Re: [SBC-2026-00063] Outcome of your complaint",
    )
    assert result.kind == "compliment"
    assert result.escalation_request is False


def test_threat_in_an_abusive_mail_carries_the_criminal_behaviour_topic(
    default_rules: ClassifierRules,
) -> None:
    """Topics are independent of kind: a threat to staff is flagged even in abusive mail."""
    result = mail(
        default_rules,
        "You f***ing thieves. Tell that stupid cow I know where she works and I'll be waiting "
        "for her.",
    )
    assert result.kind == "abusive"
    assert "criminal_behaviour" in result.topics


@pytest.mark.parametrize(
    ("body", "need"),
    [
        ("Please send your reply in large print.", "large_print"),
        ("I am blind; I would like the letter in Braille.", "braille"),
        ("My English is not good, please write to me in Polish.", "other_language"),
        ("Could you send it as an audio CD?", "audio"),
        ("I will need a BSL interpreter at the meeting.", "interpreter"),
    ],
)
def test_request_for_another_format_is_recorded_as_a_need(
    default_rules: ClassifierRules, body: str, need: str
) -> None:
    """Other formats on request: large print, Braille, language, audio, interpreter (Chorley)."""
    assert mail(default_rules, body).needs == (need,)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("I reported this a month ago and am still waiting. Any update?", "chasing"),
        ("I don't understand your letter. What does it mean?", "clarification"),
        ("My bin was missed again this week.", "service_not_done"),
    ],
)
def test_avoidable_contact_is_recorded_with_its_reason(
    default_rules: ClassifierRules, body: str, reason: str
) -> None:
    """Chasing, clarification and a service not done are avoidable contact (Chorley, NI 14)."""
    assert mail(default_rules, body).avoidable == reason


def test_anonymous_contact_is_flagged_for_the_head_of_service(
    default_rules: ClassifierRules,
) -> None:
    """Matters raised anonymously are handled outside the procedure (Stafford 7(c))."""
    result = mail(default_rules, "The crews leave engines running. I wish to remain anonymous.")
    assert result.anonymous is True


# --- how rules match ------------------------------------------------------------------------


def test_phrases_match_whole_words_in_any_case_across_line_breaks() -> None:
    """A phrase ignores case and line wraps, but never fires inside a longer word."""
    rules = tiny_rules(
        services={"waste": [rule("bin", 1.0)], "leisure": [rule("swimming pool", 1.0)]}
    )
    assert mail(rules, "The filing CABINET is broken").service is None
    assert mail(rules, "My BIN is broken").service == "waste"
    assert mail(rules, "the swimming\n  pool is shut").service == "leisure"


def test_sender_rules_look_only_at_the_senders_address() -> None:
    """A `field: sender` rule fires on the address, not on the same words in the text."""
    rules = tiny_rules(kinds={"junk": [{"regex": "promo", "field": "sender", "weight": 2.0}]})
    assert mail(rules, "hello", sender="deals@promo.example").kind == "junk"
    assert mail(rules, "a promo code", sender="jo@mail.example").kind == "information_request"


def test_reasons_name_each_rule_that_fired_and_its_weight() -> None:
    """Every decision can be explained later from its reasons (mailflow show REF)."""
    rules = tiny_rules(kinds={"complaint": [rule("not good enough", 2.0)]})
    result = mail(rules, "This is not good enough.")
    assert 'complaint: phrase "not good enough" (+2)' in result.reasons
    assert result.reasons[0] == "kind: complaint 2, next best 0"
