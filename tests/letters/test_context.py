"""LetterContext: dates as letters print them, the fields it declares, the outcomes it words."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from mailflow.errors import PolicyError
from mailflow.letters import LetterContext, long_date


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (date(2026, 11, 23), "23 November 2026"),
        (date(2027, 1, 5), "5 January 2027"),
        (date(2026, 12, 31), "31 December 2026"),
    ],
)
def test_letter_dates_are_written_day_month_year(day: date, written: str) -> None:
    """Dates read "5 January 2027": no leading zero, month in full, as GOV.UK style writes them."""
    assert long_date(day) == written


def test_template_dict_supplies_exactly_the_declared_fields(stafford_ctx: LetterContext) -> None:
    """to_template_dict's keys, nested ones included, are exactly those template_fields lists."""
    values = stafford_ctx.to_template_dict()
    fields = LetterContext.template_fields()
    assert set(values) == set(fields)
    for name, attributes in fields.items():
        if attributes:
            nested = values[name]
            assert isinstance(nested, dict)
            assert set(nested) == attributes


def test_template_dict_formats_dates_and_words_the_outcome(stafford_ctx: LetterContext) -> None:
    """Dates, nested dates and the outcome arrive as the words a letter prints."""
    values = stafford_ctx.to_template_dict()
    assert values["letter_date"] == "23 November 2026"
    assert values["respond_by"] == "18 December 2026"
    assert values["outcome"] == "partly upheld"
    extension = values["extension"]
    assert isinstance(extension, dict) and extension["new_date"] == "15 January 2027"
    assert values["sign_off"] == "Yours sincerely"


def test_an_outcome_without_letter_wording_is_refused(stafford_ctx: LetterContext) -> None:
    """An outcome the letters cannot word fails when the context is built, not in a letter."""
    with pytest.raises(PolicyError, match="unresolved"):
        dataclasses.replace(stafford_ctx, outcome="unresolved")


def test_the_context_cannot_be_changed_once_built(stafford_ctx: LetterContext) -> None:
    """The context is frozen, so a letter prints what was decided when it was built."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        stafford_ctx.reference = "other"  # type: ignore[misc]
