"""Realistic letter contexts built from the bundled rules files, as case code will build them."""

from __future__ import annotations

from datetime import date

from mailflow.letters import Council, Extension, LetterContext, Officer, Ombudsman, Stage
from mailflow.letters.text import paragraphs
from mailflow.policy.council import load_policy

OFFICERS_REPLY = """\
I have spoken to the crew supervisor and checked the vehicle's tracking records for
Tuesday 3 November.

The records show that the lorry did not enter Mill Lane because a parked van blocked
the junction, and the crew did not report it as they should have.

- The missed collection was our fault.
- The crew have been reminded to report blocked streets the same day.
"""


def full_context(council_key: str = "stafford", *, stage_number: int = 2) -> LetterContext:
    """A context with every field set, drawing wording, stage and Ombudsman from the rules."""
    rules = load_policy(council_key).rules
    stage = next(s for s in rules.procedures["complaints"].stages if s.number == stage_number)
    return LetterContext(
        council=Council(
            name=rules.council.name,
            address_lines=tuple(rules.council.address),
            telephone=rules.council.telephone,
            website=rules.council.website,
        ),
        reference=f"{rules.council.reference_prefix}-2026-00042",
        letter_date=date(2026, 11, 23),
        subject="Missed bin collection, Mill Lane",
        officer=Officer(title="Head of Operations", name="Priya Shah"),
        other_formats=rules.wording["other_formats"],
        customer_name="Mrs Okafor",
        received_on=date(2026, 11, 20),
        stage=Stage(number=stage.number, name=stage.name, next_step=stage.next_step),
        respond_by=date(2026, 12, 18),
        outcome="partly_upheld",
        reasons=paragraphs(OFFICERS_REPLY),
        remedy=("We will collect your bin on Friday 27 November and apologise for missing it.",),
        extension=Extension(
            new_date=date(2027, 1, 15),
            reason="We are waiting for the contractor's report on the crew's route.",
            apology=rules.wording.get("delay_apology"),
        ),
        ombudsman=Ombudsman(
            name=rules.ombudsman.name,
            address_lines=tuple(rules.ombudsman.address),
            telephone=rules.ombudsman.telephone,
            website=rules.ombudsman.website,
            text=rules.ombudsman.text,
        ),
        procedure_explanation=rules.procedures["complaints"].explanation,
        thanks=rules.wording["compliment_thanks"],
    )
