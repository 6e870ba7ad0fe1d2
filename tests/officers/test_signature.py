"""What is relayed of an officer's reply: their words, not their signature or addresses."""

from __future__ import annotations

from mailflow.pipeline.officers import redact, strip_signature
from mailflow.policy.schema import Person

PRIYA = Person(
    title="Waste Services Officer",
    name="Priya Shah",
    address="waste@stafford.example",
    telephone="01785 619000",
)
COUNCIL = "Stafford Borough Council"


def test_the_signature_block_goes_and_the_words_stay() -> None:
    """Name, title, council, address, telephone and website lines at the end are dropped; a
    sentence that mentions the council is kept."""
    text = (
        "Dear Mr Whitlock,\n\nThe Stafford Borough Council depot will call you.\n\n"
        "Priya Shah\nWaste Services Officer | Stafford Borough Council\n"
        "waste@stafford.example\nTel: 01785 619000\nwww.stafford.example\n"
    )
    assert strip_signature(text, PRIYA, COUNCIL) == (
        "Dear Mr Whitlock,\n\nThe Stafford Borough Council depot will call you."
    )


def test_the_officers_address_and_any_token_address_become_the_case_address() -> None:
    """An address written in the text never leads the customer around mailflow."""
    case = "complaints+sbc-2026-00001@stafford.example"
    text = (
        "Write to waste@stafford.example or complaints+sbc-2026-00001.abcdefghij234567abcd@"
        "stafford.example; planning@stafford.example can help too."
    )
    assert redact(text, "Waste@Stafford.example", case) == (
        f"Write to {case} or {case}; planning@stafford.example can help too."
    )
