"""Withholding third parties' email addresses from what is disclosed to a data subject.

An address counts as one when it matches a practical RFC 5322 ``addr-spec`` (dot-atom local
part, dotted domain); quoted local parts and encoded words are out of reach, which is why a
subject access export is reviewed by the DPO before it is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

WITHHELD = "[address withheld]"
_ADDRESS = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
ADDRESS = re.compile(_ADDRESS)
_ADDRESS_BYTES = re.compile(_ADDRESS.encode("ascii"))


class Redactor:
    """Replaces every address but the subject's and staff's with ``[address withheld]``."""

    def __init__(self, keep: Iterable[str]) -> None:
        self.keep = frozenset(a.lower() for a in keep)

    def text(self, value: str) -> str:
        """``value`` with third parties' addresses withheld."""
        return ADDRESS.sub(lambda m: m[0] if m[0].lower() in self.keep else WITHHELD, value)

    def raw(self, value: bytes) -> bytes:
        """Raw message bytes with third parties' addresses withheld (headers and plain text)."""
        return _ADDRESS_BYTES.sub(
            lambda m: m[0] if m[0].decode("ascii").lower() in self.keep else WITHHELD.encode(),
            value,
        )

    def value(self, value: Any) -> Any:
        """A JSON value (audit detail) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value
