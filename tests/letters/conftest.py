"""Fixtures for the letter tests: the shipped templates and full Stafford and Chorley contexts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.letters import LetterContext
from tests.letters.factory import full_context

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "letters"
LETTERS = (
    "acknowledgement",
    "stage_reply",
    "ombudsman_signposting",
    "extension",
    "foi_acknowledgement",
    "compliment_thanks",
)


@pytest.fixture
def template_dir() -> Path:
    """The templates shipped in templates/letters."""
    return TEMPLATE_DIR


@pytest.fixture(scope="session")
def stafford_ctx() -> LetterContext:
    """Every field set, from Stafford's rules, at stage 2 (Head of Service)."""
    return full_context("stafford", stage_number=2)


@pytest.fixture(scope="session")
def chorley_ctx() -> LetterContext:
    """Every field set, from Chorley's rules, at stage 2 (Chief Executive, the final stage)."""
    return full_context("chorley", stage_number=2)
