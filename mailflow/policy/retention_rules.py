"""The ``retention`` section of a rules file: how long each kind of record is kept.

UK GDPR Article 5(1)(e) (storage limitation) asks that personal data be kept no longer than
needed; a council states its retention schedule here, per kind of contact, counted from when
the contact closed (or, for mail nothing is ever done with, from when it arrived):

    retention:
      source: "LGA retention guidelines for local authorities, complaints"
      contacts:
        complaint: {years: 6}
        compliment: {years: 2}
        junk: {days: 30, counted_from: receipt}
      automatic: {days: 30}          # auto-replies, bounces and other mail on no contact
      quarantined: until_reviewed    # or a period counted from receipt
      run_at: "02:30"                # the daemon's daily run, local time

A kind the file leaves out keeps the default below; a file without the section keeps all the
defaults. What "expired" means for a row is decided in ``mailflow.privacy.expiry``.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field, field_validator, model_validator

from mailflow.policy.base import Frozen
from mailflow.store.vocab import ContactKind

CONTACT_KINDS = tuple(kind.value for kind in ContactKind)


class Period(Frozen):
    """A retention period in calendar years, months and days (added in that order)."""

    years: int = Field(default=0, ge=0, le=100)
    months: int = Field(default=0, ge=0, le=1200)
    days: int = Field(default=0, ge=0, le=36500)
    counted_from: Literal["close", "receipt"] = "close"
    source: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Period:
        if not (self.years or self.months or self.days):
            raise ValueError("a retention period needs years, months or days above 0")
        return self

    @property
    def text(self) -> str:
        """The period in words, as ``check-rules`` prints it (``6 years``, ``1 year 6 months``)."""
        parts = [
            f"{n} {unit}{'' if n == 1 else 's'}"
            for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if n
        ]
        return (
            " ".join(parts) + f" after {'closing' if self.counted_from == 'close' else 'receipt'}"
        )


def _years(n: int) -> Period:
    return Period(years=n)


DEFAULT_CONTACTS: dict[str, Period] = {
    "complaint": _years(6),
    "comment": _years(2),
    "compliment": _years(2),
    "service_request": _years(2),
    "information_request": _years(2),
    "foi_request": _years(3),
    "out_of_procedure": _years(2),
    "third_party": _years(2),
    "abusive": _years(2),
    "junk": Period(days=30, counted_from="receipt"),
    "auto_reply": Period(days=30, counted_from="receipt"),
}


class Retention(Frozen):
    """The retention schedule: per kind of contact, automatic mail, and quarantined mail."""

    contacts: dict[str, Period] = Field(default_factory=dict)
    automatic: Period = Period(days=30, counted_from="receipt")
    quarantined: Literal["until_reviewed"] | Period = "until_reviewed"
    run_at: time = time(2, 30)  # local time of the daemon's daily run
    source: str | None = None

    @field_validator("contacts")
    @classmethod
    def _known_kinds(cls, value: dict[str, Period]) -> dict[str, Period]:
        for kind in value:
            if kind not in CONTACT_KINDS:
                raise ValueError(f"'{kind}' is not a kind of contact ({', '.join(CONTACT_KINDS)})")
        return value

    @field_validator("automatic", "quarantined")
    @classmethod
    def _from_receipt(
        cls, value: Literal["until_reviewed"] | Period
    ) -> Literal["until_reviewed"] | Period:
        """Mail on no contact never closes: its period always runs from receipt."""
        if isinstance(value, Period):
            return value.model_copy(update={"counted_from": "receipt"})
        return value

    def for_kind(self, kind: str) -> Period:
        """The period for contacts of ``kind``: the file's, else the default."""
        return self.contacts.get(kind) or DEFAULT_CONTACTS[kind]
