"""Officers' reply addresses: a per-case, per-officer token that authenticates their replies.

A notification to an officer carries the Reply-To ``complaints+sbc-2026-00042.<token>@...``
(an RFC 5233 subaddress). The token is HMAC-SHA256 of the reference and the officer's address
under the key from the config (``Config.hmac_key``), in base32, cut to ``TOKEN_CHARS``
characters (100 bits): nobody without the key can make one, and a token issued to one officer
on one case is worth nothing on another case or from another sender. It is checked with
``hmac.compare_digest``. The customer's own reply address carries no token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

TOKEN_CHARS = 20
TAG = re.compile(r"^([A-Za-z]{2,6}-\d{4}-\d{5})\.([A-Za-z2-7]{1,64})$")


def officer_token(key: bytes, reference: str, officer: str) -> str:
    """The token for ``officer`` on case ``reference`` (case of either ignored)."""
    if not key:
        raise ValueError("the reply-address key is empty")
    message = f"{reference.strip().upper()}\n{officer.strip().casefold()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:TOKEN_CHARS]


def officer_reply_address(mailbox_address: str, reference: str, officer: str, key: bytes) -> str:
    """``complaints+sbc-2026-00042.<token>@council.example`` for ``officer`` on ``reference``."""
    local, _, domain = mailbox_address.partition("@")
    token = officer_token(key, reference, officer)
    return f"{local}+{reference.lower()}.{token}@{domain}"


@dataclass(frozen=True, kw_only=True)
class TokenAddress:
    """A recipient address carrying a case reference and a token (not yet verified)."""

    address: str
    reference: str
    token: str


def find_token_address(recipients: tuple[str, ...]) -> TokenAddress | None:
    """The first recipient shaped like an officer's reply address, if any."""
    for address in recipients:
        local = address.rpartition("@")[0]
        _, plus, tag = local.partition("+")
        found = TAG.match(tag) if plus else None
        if found:
            return TokenAddress(
                address=address, reference=found.group(1).upper(), token=found.group(2).lower()
            )
    return None


def token_matches(key: bytes, reference: str, officer: str, token: str) -> bool:
    """Whether ``token`` is the one issued to ``officer`` on ``reference`` (constant time)."""
    expected = officer_token(key, reference, officer)
    return hmac.compare_digest(expected.encode(), token.strip().lower().encode())
