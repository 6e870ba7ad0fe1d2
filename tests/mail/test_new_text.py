"""The new text of a reply is what the sender wrote above the quoted history and signature."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailflow.mail.body import extract_new_text
from mailflow.mail.parse import ParsedMessage
from tests.mail.conftest import REPLIES

Parse = Callable[[Path], ParsedMessage]


def test_outlook_reply_stops_at_the_from_sent_block(sample: Parse) -> None:
    """An Outlook reply keeps the officer's command and words, not the quoted customer mail."""
    parsed = sample(REPLIES / "outlook-reply.eml")
    assert parsed.new_text == (
        "#outcome upheld\nThe crew missed the road twice; a supervisor will check it on Friday."
    )
    assert "#outcome not upheld" in parsed.text and "#outcome not upheld" not in parsed.new_text


def test_outlook_html_reply_stops_at_the_from_sent_block(sample: Parse) -> None:
    """An HTML-only Outlook reply is reduced to text, then cut at the quoted header block."""
    parsed = sample(REPLIES / "outlook-html-reply.eml")
    assert parsed.new_text == "#extend 5 days\nWe need a week to get the contractor's report."


def test_gmail_reply_stops_at_on_date_wrote(sample: Parse) -> None:
    """A Gmail reply loses the 'On ... wrote:' line and everything quoted below it."""
    assert sample(REPLIES / "gmail-reply.eml").new_text == "Thank you. Friday morning suits me."


def test_inline_quoted_lines_are_dropped(sample: Parse) -> None:
    """Answers written between '>' quoted questions are kept, the quotes are not."""
    parsed = sample(REPLIES / "quoted-reply.eml")
    assert parsed.new_text == (
        "The green one and the blue one.\n\nMonday 2 March and Monday 23 February."
    )


def test_signature_after_dash_dash_is_dropped(sample: Parse) -> None:
    """The '-- ' signature block goes; a sentence starting 'Thanks,' stays."""
    parsed = sample(REPLIES / "signature-reply.eml")
    assert parsed.new_text == "Thanks, but the bins were missed again today. Please send someone."


def test_a_sign_off_on_its_own_line_ends_the_new_text() -> None:
    """'Kind regards' on its own line starts the signature; hyphen lists stay in the text."""
    text = "Items missing:\n- blue bin\n- green bin\n\nKind regards,\nMary\n07700 900456"
    assert extract_new_text(text) == "Items missing:\n- blue bin\n- green bin"


def test_a_message_that_is_all_quote_has_no_new_text() -> None:
    """A reply with nothing new gives empty new text rather than the quoted history."""
    assert extract_new_text("> earlier words\n> more earlier words\n") == ""
