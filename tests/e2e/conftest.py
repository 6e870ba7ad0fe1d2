"""The e2e fixtures: a clock the test moves, and a council's daemon on Dovecot and the sink."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.town import SimClock

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)
CUSTOMER = "jane.smith@customer.example"
COMPLAINT = """Dear Sir or Madam,

I want to make a formal complaint about the refuse collection on Holly Bank.
Our grey bin was missed again this morning, the third time since the start of
the month. Each time I report it online nothing happens for days.

Jane Smith
"""


@pytest.fixture
def clock() -> SimClock:
    """The daemon's clock, at 10:00 on Monday 2 November 2026."""
    return SimClock(MONDAY)
