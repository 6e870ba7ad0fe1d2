"""Automatic mail is recognised with its reason, and never confused with a customer's words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mailflow.mail.automatic import RULES, detect_automatic, load_phrases
from mailflow.mail.bounces import bounce_info
from mailflow.mail.parse import ParsedMessage, parse_message
from tests.mail.conftest import AUTOMATIC, OWN_ADDRESSES

Parse = Callable[[Path], ParsedMessage]

EXPECTED = [
    # (file, kind, rule, words the reason contains); kind None: a person wrote it
    ("outlook-out-of-office-with-auto-submitted.eml", "auto_reply", "auto_submitted",
     "Auto-Submitted: auto-generated"),
    ("outlook-out-of-office-without-auto-submitted.eml", "auto_reply", "subject_phrase",
     "'automatic reply'"),
    ("gmail-vacation-responder.eml", "auto_reply", "auto_submitted",
     "Auto-Submitted: auto-replied"),
    ("german-autoreply.eml", "auto_reply", "subject_phrase", "'automatische antwort'"),
    ("french-autoreply.eml", "auto_reply", "subject_phrase", "'réponse automatique'"),
    ("x-autoreply-webmail.eml", "auto_reply", "autoreply_header", "X-Autoreply: yes"),
    ("postfix-bounce-5.1.1.eml", "bounce", "delivery_report", "report-type=delivery-status"),
    ("exim-bounce.eml", "bounce", "bounce_sender", "MAILER-DAEMON"),
    ("exchange-ndr.eml", "bounce", "delivery_report", "report-type=delivery-status"),
    ("delayed-delivery-dsn-4.4.1.eml", "bounce", "delivery_report", "RFC 3464"),
    ("mailer-daemon-sender.eml", "bounce", "bounce_sender", "MAILER-DAEMON"),
    ("null-return-path-notification.eml", "bounce", "null_sender", "Return-Path: <>"),
    ("read-receipt-mdn.eml", "read_receipt", "disposition_report",
     "report-type=disposition-notification"),
    ("outlook-read-receipt-subject.eml", "read_receipt", "subject_phrase", "'read'"),
    ("newsletter-mailing-list.eml", "list", "mailing_list", "List-ID"),
    ("marketing-precedence-bulk.eml", "list", "mailing_list", "Precedence: bulk"),
    ("own-address-self-loop.eml", "self", "own_address", "complaints@council.example"),
    ("control-complaint-mentions-out-of-office.eml", None, None, None),
    ("control-customer-reply-to-reference.eml", None, None, None),
    ("control-outlook-mail-with-suppress-header.eml", None, None, None),
    ("control-auto-submitted-no.eml", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kind", "rule", "reason"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_sample_gets_its_verdict_and_reason(
    sample: Parse, name: str, kind: str | None, rule: str | None, reason: str | None
) -> None:
    """Every sample in tests/data/automatic is judged as the table says, for the stated reason."""
    verdict = detect_automatic(sample(AUTOMATIC / name), own_addresses=OWN_ADDRESSES)
    if kind is None:
        assert verdict is None
        return
    assert verdict is not None
    assert (verdict.kind, verdict.rule) == (kind, rule)
    assert reason is not None and reason in verdict.reason


def test_every_sample_file_is_in_the_table() -> None:
    """No sample is added without its expected verdict, and there are at least fifteen."""
    assert sorted(p.name for p in AUTOMATIC.glob("*.eml")) == sorted(e[0] for e in EXPECTED)
    assert sum(1 for e in EXPECTED if e[1] is not None) >= 15


def test_outlook_out_of_office_without_auto_submitted_is_never_answered(sample: Parse) -> None:
    """Outlook's 'Automatic reply:' subject decides; the suppress header is kept as support."""
    verdict = detect_automatic(
        sample(AUTOMATIC / "outlook-out-of-office-without-auto-submitted.eml")
    )
    assert verdict is not None and verdict.kind == "auto_reply"
    assert verdict.evidence == ("X-Auto-Response-Suppress: All",)


def test_suppress_header_alone_never_makes_mail_automatic(sample: Parse) -> None:
    """X-Auto-Response-Suppress on a customer's Outlook mail is supporting evidence only."""
    parsed = sample(AUTOMATIC / "control-outlook-mail-with-suppress-header.eml")
    assert "x-auto-response-suppress" in parsed.headers
    assert detect_automatic(parsed) is None


def test_a_complaint_about_out_of_office_hours_is_answered(sample: Parse) -> None:
    """'Out of office hours' in a subject and 'out of office' in a body are a customer's words."""
    parsed = sample(AUTOMATIC / "control-complaint-mentions-out-of-office.eml")
    assert "out of office" in parsed.text
    assert detect_automatic(parsed) is None


def test_a_subject_phrase_counts_anywhere_only_with_a_supporting_header() -> None:
    """'... is out of the office' mid-subject is automatic with X-Auto-Response-Suppress only."""
    head = "From: A <a@b.example>\nSubject: John Smith is out of the office\n"
    plain = parse_message(f"{head}\nBack on Monday.\n".encode())
    supported = parse_message(f"{head}X-Auto-Response-Suppress: All\n\nBack on Monday.\n".encode())
    assert detect_automatic(plain) is None
    verdict = detect_automatic(supported)
    assert verdict is not None and verdict.rule == "subject_phrase"


def test_own_address_is_recognised_whatever_its_case(sample: Parse) -> None:
    """The self-loop guard compares addresses without regard to case."""
    parsed = sample(AUTOMATIC / "own-address-self-loop.eml")
    verdict = detect_automatic(parsed, own_addresses=["Complaints@Council.Example"])
    assert verdict is not None and verdict.kind == "self"
    assert detect_automatic(parsed) is None, "without own addresses it is ordinary mail"


def test_postfix_bounce_names_the_failed_recipient_and_our_message(sample: Parse) -> None:
    """A Postfix DSN gives the dead address, 5.1.1, permanent, and mailflow's Message-ID."""
    bounce = bounce_info(sample(AUTOMATIC / "postfix-bounce-5.1.1.eml"))
    assert bounce is not None
    assert bounce.recipients == ("r.jones@homemail.example",)
    assert (bounce.status, bounce.permanent, bounce.action) == ("5.1.1", True, "failed")
    assert bounce.original_message_id == (
        "<SBC-2026-00042.7f3a9c2e51b84d06@mailflow.council.example>"
    )
    assert bounce.diagnostic is not None and "User unknown" in bounce.diagnostic


def test_exim_plain_text_bounce_is_read_from_its_headers_and_quoted_copy(sample: Parse) -> None:
    """Exim's text bounce: X-Failed-Recipients, the status in the text, the quoted Message-ID."""
    bounce = bounce_info(sample(AUTOMATIC / "exim-bounce.eml"))
    assert bounce is not None
    assert bounce.recipients == ("parish.clerk@villagenet.example",)
    assert (bounce.status, bounce.permanent) == ("5.1.1", True)
    assert bounce.original_message_id == (
        "<SBC-2026-00048.3e2d1c0b9a887766@mailflow.council.example>"
    )


def test_exchange_ndr_is_linked_through_the_returned_headers(sample: Parse) -> None:
    """An Exchange NDR with text/rfc822-headers gives 5.1.10 and the Message-ID we sent."""
    bounce = bounce_info(sample(AUTOMATIC / "exchange-ndr.eml"))
    assert bounce is not None
    assert bounce.recipients == ("tenancy.team@housingtrust.example",)
    assert (bounce.status, bounce.permanent) == ("5.1.10", True)
    assert bounce.original_message_id == (
        "<SBC-2026-00063.9a8b7c6d5e4f3021@mailflow.council.example>"
    )


def test_delayed_delivery_is_a_bounce_but_not_permanent(sample: Parse) -> None:
    """A 4.x.x 'delayed' DSN is reported, but the address is not marked dead."""
    bounce = bounce_info(sample(AUTOMATIC / "delayed-delivery-dsn-4.4.1.eml"))
    assert bounce is not None
    assert bounce.recipients == ("l.ward@slowmail.example",)
    assert (bounce.status, bounce.permanent, bounce.action) == ("4.4.1", False, "delayed")
    assert bounce.original_message_id == (
        "<SBC-2026-00071.6b5a49382716f504@mailflow.council.example>"
    )


def test_a_customer_message_reports_no_bounce(sample: Parse) -> None:
    """bounce_info answers None for mail that reports no failure."""
    assert bounce_info(sample(AUTOMATIC / "control-customer-reply-to-reference.eml")) is None


def test_phrases_come_from_the_packaged_yaml_file() -> None:
    """The subject wording is data, loaded once, in every language it lists."""
    phrases = load_phrases()
    assert load_phrases() is phrases
    assert "automatic reply" in phrases.auto_reply_prefixes
    assert "réponse automatique" in phrases.auto_reply_prefixes
    assert "mailer-daemon" in phrases.bounce_senders


def test_rules_run_most_specific_first() -> None:
    """The rule table starts with the self-loop guard and ends with list detection."""
    names = [rule.__name__ for rule in RULES]
    assert names[0] == "own_address" and names[-1] == "mailing_list"
    assert names.index("bounce_sender") < names.index("auto_submitted")
