"""Threading: replies join their case, strangers never do."""

from __future__ import annotations

from mailflow.pipeline.threads import (
    Candidate,
    address_reference,
    choose,
    reply_address,
    subject_reference,
)

CASE = Candidate(reference="SBC-2026-00042", participants=frozenset({"jane@customer.example"}))


def test_subject_tag_is_found_in_a_reply_subject() -> None:
    """`Re: [SBC-2026-00042] Missed bin` carries the case reference."""
    assert subject_reference("RE: Re: [SBC-2026-00042] Missed bin") == "SBC-2026-00042"
    assert subject_reference("About SBC-2026-00042 without brackets") is None


def test_per_case_reply_address_round_trips() -> None:
    """The plus-address mailflow sets as Reply-To leads back to the case."""
    address = reply_address("complaints@stafford.example", "SBC-2026-00042")
    assert address == "complaints+sbc-2026-00042@stafford.example"
    assert address_reference(("someone@else.example", address)) == "SBC-2026-00042"
    assert address_reference(("complaints+unsubscribe@stafford.example",)) is None


def test_customer_reply_joins_by_message_id_first() -> None:
    """A mailflow Message-ID in In-Reply-To is the strongest evidence."""
    other = Candidate(reference="SBC-2026-00007", participants=frozenset({"jane@customer.example"}))
    match = choose("Jane@Customer.example", by_message_id=CASE, by_address=None, by_subject=other)
    assert (match.reference, match.reason) == ("SBC-2026-00042", "joined by message-id")


def test_subject_tag_from_a_stranger_never_joins_the_case() -> None:
    """A reference tag typed by someone outside the case starts a new, linked contact."""
    match = choose("attacker@evil.example", by_message_id=None, by_address=None, by_subject=CASE)
    assert match.reference is None and match.linked_to == "SBC-2026-00042"
    assert "not a participant" in match.reason


def test_message_without_evidence_is_a_new_contact() -> None:
    """No Message-ID, tag or reply address: a new contact."""
    match = choose("jane@customer.example", by_message_id=None, by_address=None, by_subject=None)
    assert match.reference is None and match.linked_to is None
