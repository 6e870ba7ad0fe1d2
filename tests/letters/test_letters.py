"""What each shipped letter tells the customer, read back from the rendered .docx."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mailflow.letters import LetterContext, Officer, render_letter
from tests.letters.conftest import LETTERS
from tests.letters.factory import full_context
from tests.letters.readback import letter_text, paragraph_texts


@pytest.mark.parametrize("council", ["stafford", "chorley"])
@pytest.mark.parametrize("name", LETTERS)
def test_every_letter_carries_the_letterhead_date_reference_and_other_formats_line(
    template_dir: Path, name: str, council: str
) -> None:
    """Every letter shows the heading, the date, our reference, the customer and the officer."""
    ctx = full_context(council)
    text = letter_text(render_letter(template_dir, name, ctx))
    assert ctx.council.name in text
    for line in ctx.council.address_lines:
        assert line in text
    assert f"Telephone: {ctx.council.telephone}" in text
    assert str(ctx.council.website) in text
    assert "23 November 2026" in text
    assert f"Our reference: {ctx.reference}" in text
    assert "Dear Mrs Okafor" in text
    assert "Dealing with this: Priya Shah, Head of Operations" in text
    assert ctx.other_formats in text
    assert "Yours sincerely\nPriya Shah\nHead of Operations\n" in text


def test_acknowledgement_letter_names_the_officer_dealing_and_the_full_response_date(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """An acknowledgement says who is dealing with it and by when a full response is due."""
    text = letter_text(render_letter(template_dir, "acknowledgement", stafford_ctx))
    assert "received on 20 November 2026" in text
    assert (
        "Priya Shah, our Head of Operations, is dealing with it and will send you a full "
        "response by 18 December 2026." in text
    )


def test_acknowledgement_of_a_complaint_explains_the_procedure_and_the_stage(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A complaint's acknowledgement names its stage and the rules' procedure explanation."""
    text = letter_text(render_letter(template_dir, "acknowledgement", stafford_ctx))
    assert "stage 2 of our complaints procedure: Relevant Head of Service" in text
    assert "How we deal with complaints" in text
    assert str(stafford_ctx.procedure_explanation) in text


def test_acknowledgement_of_a_contact_that_is_not_a_complaint_leaves_out_the_procedure(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A plain contact's acknowledgement does not mention the complaints procedure."""
    ctx = replace(stafford_ctx, stage=None, procedure_explanation=None)
    text = letter_text(render_letter(template_dir, "acknowledgement", ctx))
    assert "Thank you for your message, which we received on 20 November 2026." in text
    assert "complaint" not in text
    assert "18 December 2026" in text


def test_stage_reply_letter_gives_the_outcome_and_the_officers_reasons_paragraph_by_paragraph(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A stage reply states the outcome and each paragraph of the officer's reasons in turn."""
    texts = paragraph_texts(render_letter(template_dir, "stage_reply", stafford_ctx))
    assert "We have decided that your complaint is partly upheld." in texts
    for reason in stafford_ctx.reasons:
        assert reason in texts
    assert texts.index(stafford_ctx.reasons[0]) == texts.index("What we found") + 1
    assert "- The missed collection was our fault." in texts


@pytest.mark.parametrize(
    ("outcome", "wording"),
    [
        ("upheld", "upheld"),
        ("partly_upheld", "partly upheld"),
        ("not_upheld", "not upheld"),
        ("resolved", "resolved"),
    ],
)
def test_stage_reply_letter_words_each_outcome(
    template_dir: Path, stafford_ctx: LetterContext, outcome: str, wording: str
) -> None:
    """Each outcome the store records reads as plain English in the decision sentence."""
    ctx = replace(stafford_ctx, outcome=outcome)
    texts = paragraph_texts(render_letter(template_dir, "stage_reply", ctx))
    assert f"We have decided that your complaint is {wording}." in texts


def test_stage_reply_letter_tells_the_customer_how_to_reach_the_next_stage(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A stage reply ends with the rules' next step for escalating to the following stage."""
    texts = paragraph_texts(render_letter(template_dir, "stage_reply", stafford_ctx))
    assert stafford_ctx.stage is not None and stafford_ctx.stage.next_step
    assert texts[texts.index("If you are not satisfied") + 1] == stafford_ctx.stage.next_step
    assert "Chief Executive (stage 3)" in stafford_ctx.stage.next_step


def test_stage_reply_letter_without_a_next_step_leaves_that_section_out(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A stage whose rules give no next step gets no "If you are not satisfied" section."""
    assert stafford_ctx.stage is not None
    ctx = replace(stafford_ctx, stage=replace(stafford_ctx.stage, next_step=None))
    text = letter_text(render_letter(template_dir, "stage_reply", ctx))
    assert "If you are not satisfied" not in text
    assert "None" not in text


def test_stage_reply_letter_states_the_remedy_only_when_there_is_one(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """The put-things-right section appears with a remedy and is left out without one."""
    with_remedy = letter_text(render_letter(template_dir, "stage_reply", stafford_ctx))
    assert "What we will do to put things right" in with_remedy
    assert stafford_ctx.remedy[0] in with_remedy
    without = letter_text(
        render_letter(template_dir, "stage_reply", replace(stafford_ctx, remedy=()))
    )
    assert "put things right" not in without


def test_final_stage_reply_points_to_the_ombudsman(
    template_dir: Path, chorley_ctx: LetterContext
) -> None:
    """At Chorley's final stage the next step is the Ombudsman, with the policy's leaflet."""
    text = letter_text(render_letter(template_dir, "stage_reply", chorley_ctx))
    assert "Local Government and Social Care Ombudsman" in text
    assert "A leaflet explaining how to do this is enclosed." in text


@pytest.mark.parametrize("council", ["stafford", "chorley"])
def test_ombudsman_letter_gives_the_ombudsmans_address_telephone_website_and_text(
    template_dir: Path, council: str
) -> None:
    """The signposting letter prints the Ombudsman's details and text from the rules file."""
    ctx = full_context(council)
    assert ctx.ombudsman is not None
    texts = paragraph_texts(render_letter(template_dir, "ombudsman_signposting", ctx))
    block = texts.index("Local Government and Social Care Ombudsman")
    assert texts[block + 1 : block + 6] == [
        "PO Box 4771",
        "Coventry",
        "CV4 0EH",
        "Telephone: 0300 061 0614",
        "Website: https://www.lgo.org.uk",
    ]
    assert ctx.ombudsman.text in texts
    assert f"quote our reference, {ctx.reference}," in " ".join(texts)


def test_extension_letter_apologises_explains_the_delay_and_gives_the_new_date(
    template_dir: Path, chorley_ctx: LetterContext
) -> None:
    """A holding letter carries the council's apology, the officer's reason and the new date."""
    texts = paragraph_texts(render_letter(template_dir, "extension", chorley_ctx))
    assert chorley_ctx.extension is not None
    assert chorley_ctx.extension.apology in texts
    assert texts[texts.index("Why we need more time") + 1] == chorley_ctx.extension.reason
    assert any("We will send you a full response by 15 January 2027." in t for t in texts)


def test_extension_letter_uses_its_own_apology_when_the_rules_have_none(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """Stafford's rules have no delay wording, so the template's own apology is printed."""
    assert stafford_ctx.extension is not None and stafford_ctx.extension.apology is None
    texts = paragraph_texts(render_letter(template_dir, "extension", stafford_ctx))
    assert "We are sorry that we cannot give you a full response by the date we gave you." in texts


def test_foi_acknowledgement_gives_the_statutory_due_date_and_the_foi_officer(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """An FOI acknowledgement gives receipt, the twentieth working day and who handles it."""
    officer = Officer(title="Freedom of Information Officer (Head of Law and Administration)")
    ctx = replace(stafford_ctx, officer=officer, respond_by=date(2026, 12, 18), stage=None)
    text = letter_text(render_letter(template_dir, "foi_acknowledgement", ctx))
    assert "which we received on 20 November 2026" in text
    assert "Freedom of Information Act 2000" in text
    assert "by 18 December 2026 at the latest: the twentieth working day" in text
    assert f"dealt with by our {officer.title}." in text


@pytest.mark.parametrize("council", ["stafford", "chorley"])
def test_compliment_letter_says_thanks_were_passed_on_to_the_staff(
    template_dir: Path, council: str
) -> None:
    """A compliment is answered with the council's own thanks wording from its rules."""
    ctx = full_context(council)
    text = letter_text(render_letter(template_dir, "compliment_thanks", ctx))
    assert str(ctx.thanks) in text
    assert "passed" in str(ctx.thanks)


def test_letter_to_an_unnamed_customer_is_addressed_to_sir_or_madam_and_signed_yours_faithfully(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """Without a customer name a letter opens "Dear Sir or Madam", closes "Yours faithfully"."""
    for missing in (None, "", "   "):
        ctx = replace(stafford_ctx, customer_name=missing)
        text = letter_text(render_letter(template_dir, "acknowledgement", ctx))
        assert "Dear Sir or Madam" in text
        assert "Yours faithfully" in text
        assert "Yours sincerely" not in text


def test_letter_from_an_officer_without_a_name_is_signed_with_the_title_alone(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """When the directory gives only a job title, the letter names and signs with the title."""
    ctx = replace(stafford_ctx, officer=Officer(title="Head of Operations"))
    texts = paragraph_texts(render_letter(template_dir, "acknowledgement", ctx))
    assert "Dealing with this: Head of Operations" in texts
    assert any(t.startswith("Our Head of Operations is dealing with it") for t in texts)
    closing = texts[texts.index("Yours sincerely") :]
    assert closing == ["Yours sincerely", "Head of Operations", "Stafford Borough Council"]


def test_the_footer_repeats_our_reference_on_every_page(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """The footer carries the council's name and our reference, so a loose page can be matched."""
    text = letter_text(render_letter(template_dir, "stage_reply", stafford_ctx))
    assert text.endswith("Stafford Borough Council | Our reference: SBC-2026-00042")
