"""Finding the customer's own words: quoted history dropped, forwards kept."""

from __future__ import annotations

from mailflow.classify.text import new_text, own_subject


def test_gmail_style_quoted_reply_is_dropped() -> None:
    """Everything from "On ... wrote:" down is the earlier message, not the customer's words."""
    body = (
        "I am still not satisfied.\n\nOn Fri, 13 Mar 2026 at 15:04, Complaints <\n"
        "complaints@council.example> wrote:\n> Stage 3 is the Chief Executive.\n"
    )
    assert new_text("", body).strip() == "I am still not satisfied."


def test_outlook_header_block_and_original_message_are_dropped() -> None:
    """Outlook's From/Sent block and "-----Original Message-----" start the history."""
    outlook = "Please escalate.\n\nFrom: Complaints <c@council.example>\nSent: 16 March\nHi"
    original = "Not agreed.\n\n-----Original Message-----\nFrom: Complaints\nStage 2"
    assert new_text("RE: x", outlook).strip() == "Please escalate."
    assert new_text("RE: x", original).strip() == "Not agreed."


def test_forwarded_message_is_kept_because_it_is_the_substance() -> None:
    """A councillor's "please log this" is nothing without the constituent's mail below it."""
    body = (
        "Please log this.\n\n---------- Forwarded message ---------\nFrom: Ben\nMy bill is wrong."
    )
    assert "My bill is wrong." in new_text("Fwd: bill", body)
    outlook_forward = "FYI\n\n________________________________\nFrom: Claire\nSent: 25 Feb\nThanks!"
    assert "Thanks!" in new_text("Fw: lessons", outlook_forward)


def test_reply_written_under_the_quote_is_kept() -> None:
    """When nothing stands above the history marker, the customer wrote below the quote."""
    body = "On Tue, Complaints wrote:\n> Your reference is SBC-1.\n\nThanks, I still need help."
    assert new_text("Re: x", body).strip() == "Thanks, I still need help."


def test_reply_subject_is_history_but_a_new_subject_is_the_customers() -> None:
    """ "Re: Your complaint" repeats the council's subject; a fresh subject is evidence."""
    assert own_subject("Re: [SBC-2026-00063] Outcome of your complaint") == ""
    assert own_subject("RE: Repairs") == ""
    assert own_subject("Missed bin \u2019again\u2019") == "Missed bin 'again'"
