"""Header text is made safe to reuse, and sender addresses are trusted only when unambiguous."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from mailflow.mail.headers import (
    clean_header_text,
    decode_header_text,
    message_ids,
    parse_address_strict,
)

ENCODED_NEWLINE_SUBJECT = "=?UTF-8?Q?Complaint=0A?=Bcc: attacker@evil.example"


def test_clean_header_text_removes_line_breaks_nul_and_controls() -> None:
    """CR, LF, NUL, tabs, Unicode line separators and bidi overrides become single spaces."""
    dirty = "Re:\r\n Bcc: x@evil.example\x00\t\u2028next\u202egnp.exe"
    assert clean_header_text(dirty) == "Re: Bcc: x@evil.example next gnp.exe"


def test_clean_header_text_caps_the_length() -> None:
    """The result is at most max_len characters."""
    assert clean_header_text("a" * 500) == "a" * 200
    assert clean_header_text("word " * 10, max_len=12) == "word word wo"


def test_encoded_newline_decodes_to_one_line() -> None:
    """CVE-2024-6923: an encoded newline decodes to a space, never to a header break."""
    assert decode_header_text(ENCODED_NEWLINE_SUBJECT) == "Complaint Bcc: attacker@evil.example"


def test_a_cleaned_subject_reused_in_an_outgoing_mail_adds_no_bcc() -> None:
    """Re-serialising a reply whose Subject came from the customer yields no Bcc header."""
    outgoing = EmailMessage(policy=policy.SMTP)
    outgoing["Subject"] = "Re: " + decode_header_text(ENCODED_NEWLINE_SUBJECT)
    outgoing["To"] = "customer@homemail.example"
    outgoing.set_content("Thank you.")
    reread = BytesParser(policy=policy.default).parsebytes(outgoing.as_bytes())
    assert reread["Bcc"] is None
    assert reread["Subject"] == "Re: Complaint Bcc: attacker@evil.example"


def test_parseaddr_confusion_is_rejected() -> None:
    """CVE-2023-27043: 'alice@example.org)<bob@example.org>' names no one."""
    assert parse_address_strict("alice@example.org)<bob@example.org>") == (None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Alice Smith <alice@example.org>", ("Alice Smith", "alice@example.org")),
        ('"Smith, J." <j.smith@example.org>', ("Smith, J.", "j.smith@example.org")),
        ("=?utf-8?q?J=C3=B6rg?= <joerg@example.de>", ("Jörg", "joerg@example.de")),
        ("bob@example.org", (None, "bob@example.org")),
        ("J. Smith <j@example.org>", ("J. Smith", "j@example.org")),
    ],
)
def test_ordinary_addresses_parse(value: str, expected: tuple[str | None, str]) -> None:
    """Everyday sender forms give the display name and the address."""
    assert parse_address_strict(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "alice@example.org <bob@example.org>",
        "a@example.org, b@example.org",
        "<>",
        "MAILER-DAEMON",
        "Alice <alice@example.org",
        "alice@localhost",
        "alice@[127.0.0.1]",
        "Alice <alice@example.org>\r\nBcc: x@evil.example",
        "",
    ],
)
def test_ambiguous_or_unroutable_addresses_are_rejected(value: str) -> None:
    """Two addresses, none, a bracket missing, no dotted domain or a header break: no sender."""
    assert parse_address_strict(value) == (None, None)


def test_message_ids_keep_the_root_and_the_latest_when_capped() -> None:
    """Long References lists keep the thread root and the most recent ids."""
    value = " ".join(f"<id{i}@example.org>" for i in range(250))
    ids = message_ids(value)
    assert len(ids) == 100 and ids[0] == "<id0@example.org>" and ids[-1] == "<id249@example.org>"
