"""Malformed mail on disk parses without an exception, and what a person wrote still comes out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from mailflow.mail.parse import ParsedMessage, parse_message
from tests.mail.conftest import MALFORMED

Parse = Callable[[Path], ParsedMessage]


@pytest.mark.parametrize("path", sorted(MALFORMED.glob("*.eml")), ids=lambda p: p.name)
def test_every_malformed_sample_parses_without_raising(path: Path) -> None:
    """Each hand-made broken message gives a ParsedMessage with a message id and a hash."""
    parsed = parse_message(path.read_bytes())
    assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")
    assert len(parsed.content_hash) == 64
    assert "\n" not in parsed.subject and "\x00" not in parsed.subject


def test_there_are_at_least_twelve_malformed_samples() -> None:
    """The malformed corpus keeps its breadth."""
    assert len(list(MALFORMED.glob("*.eml"))) >= 12


def test_truncated_multipart_keeps_the_text_and_the_partial_attachment(sample: Parse) -> None:
    """A message cut off inside a base64 attachment still yields its text and what arrived."""
    parsed = sample(MALFORMED / "truncated-multipart.eml")
    assert "three weeks" in parsed.text
    [photo] = parsed.attachments
    assert photo.filename == "alley.jpg" and photo.data.startswith(b"\xff\xd8\xff")
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


def test_multipart_without_boundary_is_read_as_text(sample: Parse) -> None:
    """A multipart that never names its boundary is kept as text, with the defect noted."""
    parsed = sample(MALFORMED / "missing-boundary.eml")
    assert "outside number 14 Mill Lane" in parsed.text
    assert "NoBoundaryInMultipartDefect" in parsed.defects


def test_boundary_never_closed_prefers_the_plain_text_part(sample: Parse) -> None:
    """An unclosed alternative still gives the plain text once, and notes the HTML exists."""
    parsed = sample(MALFORMED / "boundary-never-closed.eml")
    assert parsed.text == (
        "I paid for my resident parking permit on 3 February and it has not arrived."
    )
    assert parsed.has_html and parsed.attachments == ()


def test_unknown_charset_falls_back_to_utf8(sample: Parse) -> None:
    """charset=x-unknown is decoded as UTF-8 and the unknown name is recorded."""
    parsed = sample(MALFORMED / "unknown-charset.eml")
    assert "café at the library" in parsed.text
    assert any("x-unknown" in d for d in parsed.defects)


def test_cp1252_bytes_declared_as_utf8_decode_the_pound_sign(sample: Parse) -> None:
    """Windows-1252 bytes mislabelled UTF-8 come out as £ and a curly apostrophe."""
    parsed = sample(MALFORMED / "utf8-declared-cp1252-bytes.eml")
    assert "You charged me £72" in parsed.text and "I don\u2019t accept" in parsed.text
    assert "body is not valid utf-8; decoded as cp1252" in parsed.defects


def test_raw_eight_bit_headers_decode_as_utf8(sample: Parse) -> None:
    """Unencoded UTF-8 in Subject and From is read as text, not as replacement characters."""
    parsed = sample(MALFORMED / "raw-8bit-headers.eml")
    assert parsed.subject == "Réclamation \u2013 Müllabfuhr vergessen"
    assert parsed.from_name == "Zoë Müller"
    assert parsed.from_address == "zoe.mueller@homemail.example"


def test_encoded_word_garbage_keeps_the_readable_words(sample: Parse) -> None:
    """Broken RFC 2047 words neither raise nor hide the intact ones next to them."""
    parsed = sample(MALFORMED / "encoded-word-garbage.eml")
    assert "Potholes" in parsed.subject and "Station Road" in parsed.subject
    assert parsed.from_address == "garbage@homemail.example"
    assert "three potholes" in parsed.text


def test_nested_messages_three_levels_deep_become_one_attachment(sample: Parse) -> None:
    """A forwarded message holding two more is one .eml attachment carrying all three."""
    parsed = sample(MALFORMED / "nested-rfc822-3-levels.eml")
    assert parsed.text == "Please read the forwarded messages: the road was never resurfaced."
    [forwarded] = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.filename == "Level 1 - Fwd_ Fwd_ job sheet.eml"
    inner = BytesParser(policy=policy.default).parsebytes(forwarded.data)
    assert isinstance(inner, EmailMessage)
    assert inner["Message-ID"] == "<level1@homemail.example>"
    assert b"Job 4471: resurface Station Road" in forwarded.data


def test_html_only_mail_never_keeps_script_style_or_frames(sample: Parse) -> None:
    """HTML becomes plain text: the words stay, scripts, styles, frames and comments go."""
    parsed = sample(MALFORMED / "html-only-script.eml")
    assert "The swing in Victoria Park is broken\nand a child was hurt." in parsed.text
    assert "Click here to see the photo." in parsed.text
    for active in ("document.cookie", "alert", "javascript", "color: red", "iframe text"):
        assert active not in parsed.text
    for hidden in ("Page title never shown", "noscript text", "a comment"):
        assert hidden not in parsed.text
    assert parsed.has_html


def test_nul_characters_are_removed_from_headers_and_text(sample: Parse) -> None:
    """A NUL in the Subject or body is dropped instead of reaching the database."""
    parsed = sample(MALFORMED / "header-with-nul.eml")
    assert parsed.subject == "Noise from the pub"
    assert "\x00" not in parsed.text and "plays music until 3am" in parsed.text


def test_huge_header_lines_are_capped(sample: Parse) -> None:
    """A 100 KB Subject and 3,000 References are cut to bounded sizes, root reference kept."""
    parsed = sample(MALFORMED / "huge-header-line.eml")
    assert parsed.subject.startswith("Bins Bins") and len(parsed.subject) <= 500
    assert len(parsed.references) == 100
    assert parsed.references[0] == "<ref0@homemail.example>"
    assert parsed.text == "The bins were not collected."


def test_attachment_filenames_lose_paths_traversal_and_control_characters(sample: Parse) -> None:
    """../../etc/passwd becomes passwd; Windows paths, RTL overrides and '..' are defused."""
    parsed = sample(MALFORMED / "traversal-filename.eml")
    names = [a.filename for a in parsed.attachments]
    assert names == ["passwd", "evil.bat", "invoice fdp.exe", "attachment.pdf"]
    assert parsed.attachments[0].data == b"root:x:0:0:root:/root:/bin/bash"


def test_missing_message_id_gets_a_stable_surrogate_from_the_content(sample: Parse) -> None:
    """Without a Message-ID the id is derived from the content hash, the same every time."""
    first = sample(MALFORMED / "no-message-id.eml")
    again = sample(MALFORMED / "no-message-id.eml")
    assert first.message_id == f"<sha256-{first.content_hash}@mailflow.invalid>"
    assert again.message_id == first.message_id
    assert "missing Message-ID" in first.defects


def test_empty_body_gives_empty_text(sample: Parse) -> None:
    """Headers only, no body: empty text and new text, a date, nothing raised."""
    parsed = sample(MALFORMED / "empty-body.eml")
    assert parsed.text == "" and parsed.new_text == "" and parsed.subject == ""
    assert parsed.date == datetime(2026, 3, 2, 9, 14, tzinfo=UTC)


def test_parseaddr_confusion_leaves_the_sender_unknown(sample: Parse) -> None:
    """CVE-2023-27043: 'alice@example.org)<bob@example.org>' is nobody, not alice."""
    parsed = sample(MALFORMED / "from-parseaddr-confusion.eml")
    assert parsed.from_address is None and parsed.reply_to is None
    assert "ambiguous or invalid From address" in parsed.defects


def test_encoded_newline_in_subject_stays_on_one_line(sample: Parse) -> None:
    """CVE-2024-6923: '=?UTF-8?Q?=0A?=Bcc:' decodes to text on one line, never a header break."""
    parsed = sample(MALFORMED / "encoded-newline-bcc.eml")
    assert parsed.subject == "Complaint Bcc: attacker@evil.example"
