"""What a letter prints, as one frozen, typed object that templates read as a plain dict.

The templates are Word documents a council edits, so the fields they may use are a contract:
this module declares them once, ``to_template_dict`` supplies exactly those, and ``check.py``
holds every template to them. Dates are formatted here ("23 November 2026", as GOV.UK writes
them) so that no template formats a date itself.

A field left as ``None`` is a field this letter does not have: a template may test it with
``{% if stage %}``, but printing it is an error that names the field (see ``render.py``), so a
letter never says "None" or leaves a blank where a date should be. The letters need:

================================  =========================================================
every letter                      council, reference, letter_date, customer_name, subject,
                                  officer, other_formats
``acknowledgement``               received_on, respond_by; stage and procedure_explanation
                                  for a complaint
``stage_reply``                   stage (with next_step), outcome, reasons; remedy if any
``ombudsman_signposting``         ombudsman
``extension``                     extension
``foi_acknowledgement``           received_on, respond_by
``compliment_thanks``             received_on; thanks (the rules' ``compliment_thanks``)
================================  =========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from typing import Any, TypeAlias, get_args, get_type_hints

from mailflow.errors import PolicyError

TemplateValue: TypeAlias = (
    "str | int | bool | list[TemplateValue] | dict[str, TemplateValue] | None"
)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CUSTOMER_FALLBACK = "Sir or Madam"
# The store's outcome values (mailflow.store.vocab.Outcome) and how a letter words them:
# "We have decided that your complaint is {{ outcome }}."
OUTCOME_LABELS: Mapping[str, str] = {
    "upheld": "upheld",
    "partly_upheld": "partly upheld",
    "not_upheld": "not upheld",
    "resolved": "resolved",
}
# Keys to_template_dict adds that are not fields: name -> what it is.
DERIVED_FIELDS: Mapping[str, str] = {
    "sign_off": '"Yours sincerely" to a named customer, "Yours faithfully" to "Sir or Madam"',
}


def long_date(day: date) -> str:
    """``day`` as letters print it, "23 November 2026", whatever the process locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True, kw_only=True)
class Council:
    """The letterhead: the rules' ``council`` name, address, telephone and website."""

    name: str
    address_lines: tuple[str, ...] = ()
    telephone: str | None = None
    website: str | None = None


@dataclass(frozen=True, kw_only=True)
class Officer:
    """Who deals with the case and signs the letter: a job title, and a name if known."""

    title: str
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class Stage:
    """The stage the letter is about; ``next_step`` is the rules' wording for escalating."""

    number: int
    name: str
    next_step: str | None = None


@dataclass(frozen=True, kw_only=True)
class Extension:
    """A holding letter's facts: the new date, the officer's reason and the council's apology."""

    new_date: date
    reason: str
    apology: str | None = None  # the rules' wording.delay_apology; the template has its own


@dataclass(frozen=True, kw_only=True)
class Ombudsman:
    """The rules' ``ombudsman`` block, printed when the council's own procedure is finished."""

    name: str
    address_lines: tuple[str, ...]
    telephone: str
    website: str
    text: str


@dataclass(frozen=True, kw_only=True)
class LetterContext:
    """Everything any letter template prints; see the module docstring for which letter needs what.

    ``outcome`` is a value of the store's ``Outcome`` vocabulary ("partly_upheld"); ``reasons``
    and ``remedy`` are paragraphs (``text.paragraphs`` splits an officer's mail into them).
    Customer text needs no escaping here: ``render_letter`` treats every value as data.
    """

    council: Council
    reference: str
    letter_date: date
    subject: str
    officer: Officer
    other_formats: str
    customer_name: str | None = None
    received_on: date | None = None
    stage: Stage | None = None
    respond_by: date | None = None
    outcome: str | None = None
    reasons: tuple[str, ...] = ()
    remedy: tuple[str, ...] = ()
    extension: Extension | None = None
    ombudsman: Ombudsman | None = None
    procedure_explanation: str | None = None
    thanks: str | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOME_LABELS:
            known = ", ".join(OUTCOME_LABELS)
            raise PolicyError(f"no letter wording for outcome {self.outcome!r} (known: {known})")

    def to_template_dict(self) -> dict[str, TemplateValue]:
        """The values the templates read: exactly the keys ``template_fields`` lists."""
        values = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        named = (self.customer_name or "").strip()
        values["customer_name"] = named or CUSTOMER_FALLBACK
        values["sign_off"] = "Yours sincerely" if named else "Yours faithfully"
        if self.outcome is not None:
            values["outcome"] = OUTCOME_LABELS[self.outcome]
        return values

    @classmethod
    def template_fields(cls) -> dict[str, frozenset[str]]:
        """Every key ``to_template_dict`` supplies, with the attribute names of the nested ones.

        Read from the dataclass fields themselves, so a field added here is known to
        ``check_templates`` without a second list to keep in step.
        """
        hints = get_type_hints(cls)
        shape = {f.name: _attributes(hints[f.name]) for f in fields(cls)}
        shape.update({name: frozenset() for name in DERIVED_FIELDS})
        return shape


def _attributes(hint: Any) -> frozenset[str]:
    """The field names of the record type in ``hint`` (``Stage | None`` -> Stage's), else none."""
    for candidate in (hint, *get_args(hint)):
        if isinstance(candidate, type) and is_dataclass(candidate):
            return frozenset(f.name for f in fields(candidate))
    return frozenset()


def _plain(value: object) -> TemplateValue:
    """``value`` as plain data a template can read: records as dicts, dates formatted."""
    if isinstance(value, date):
        return long_date(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"a letter cannot print a {type(value).__name__}")
