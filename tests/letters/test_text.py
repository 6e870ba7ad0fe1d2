"""Cleaning customer text and splitting an officer's mail into paragraphs."""

from __future__ import annotations

from mailflow.letters import clean_text, paragraphs


def test_clean_text_turns_line_breaks_into_spaces_and_drops_other_controls() -> None:
    """Breaks become one space; bells, NULs, escapes, DEL and C1 controls disappear."""
    assert clean_text(" a\r\nb\tc\fd\ve\u2028f ") == "a b c d e f"
    assert clean_text("x\x00y\a\x1bz\x7f\x9b") == "xyz"
    assert clean_text("Smith & Sons <Ltd> {{ 7*7 }}") == "Smith & Sons <Ltd> {{ 7*7 }}"


def test_clean_text_removes_characters_xml_forbids() -> None:
    """Lone surrogates and U+FFFE/U+FFFF, which make a .docx unreadable, are dropped."""
    assert clean_text("a\ud800b\ufffec\uffffd") == "abcd"


def test_paragraphs_rejoin_wrapped_lines_and_split_on_blank_lines() -> None:
    """A mail wrapped at 72 columns comes back as one paragraph per blank-line-separated block."""
    text = "We checked the\nrecords.\n\n\n  The crew missed\r\nyour street.  \n"
    assert paragraphs(text) == ("We checked the records.", "The crew missed your street.")


def test_paragraphs_keep_list_items_apart() -> None:
    """Lines starting with a bullet or a number are paragraphs of their own."""
    text = "We will:\n- collect on Friday\n- retrain the crew\n1. first\n2) second"
    assert paragraphs(text) == (
        "We will:",
        "- collect on Friday",
        "- retrain the crew",
        "1. first",
        "2) second",
    )


def test_paragraphs_of_empty_text_are_none() -> None:
    """Blank or control-only text yields no paragraphs."""
    assert paragraphs("\n \n\t\x00\n") == ()
