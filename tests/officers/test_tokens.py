"""Officers' reply addresses carry a token only the key holder can make, per case and officer."""

from __future__ import annotations

from mailflow.outbound.tokens import (
    TOKEN_CHARS,
    find_token_address,
    officer_reply_address,
    officer_token,
    token_matches,
)

KEY = b"test-secret"


def test_the_token_is_stable_and_differs_per_case_officer_and_key() -> None:
    """The same case and officer give the same token; any other case, officer or key does not."""
    token = officer_token(KEY, "SBC-2026-00042", "waste@stafford.example")
    assert len(token) == TOKEN_CHARS and token.isalnum() and token == token.lower()
    assert token == officer_token(KEY, "sbc-2026-00042", "Waste@Stafford.example")
    others = {
        officer_token(KEY, "SBC-2026-00043", "waste@stafford.example"),
        officer_token(KEY, "SBC-2026-00042", "housing@stafford.example"),
        officer_token(b"another-key", "SBC-2026-00042", "waste@stafford.example"),
    }
    assert token not in others and len(others) == 3


def test_the_reply_address_round_trips_to_reference_and_token() -> None:
    """``complaints+sbc-2026-00042.<token>@`` names its case and carries the token."""
    address = officer_reply_address(
        "complaints@stafford.example", "SBC-2026-00042", "waste@stafford.example", KEY
    )
    token = officer_token(KEY, "SBC-2026-00042", "waste@stafford.example")
    assert address == f"complaints+sbc-2026-00042.{token}@stafford.example"
    found = find_token_address(("someone@else.example", address))
    assert found is not None and (found.reference, found.token) == ("SBC-2026-00042", token)
    assert token_matches(KEY, found.reference, "waste@stafford.example", found.token)
    assert not token_matches(KEY, found.reference, "housing@stafford.example", found.token)


def test_the_customers_case_address_carries_no_token() -> None:
    """The customer's plus-address names the case but is never taken for an officer's."""
    assert find_token_address(("complaints+sbc-2026-00042@stafford.example",)) is None
