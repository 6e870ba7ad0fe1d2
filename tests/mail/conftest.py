"""Where the mail tests find their sample messages, and a one-line way to parse one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mailflow.mail.parse import ParsedMessage, parse_message

DATA = Path(__file__).resolve().parents[1] / "data"
MALFORMED = DATA / "malformed"
AUTOMATIC = DATA / "automatic"
REPLIES = Path(__file__).resolve().parent / "data" / "replies"

OWN_ADDRESSES = ("complaints@council.example", "info@council.example")
"""The shared mailboxes mailflow sends from in these samples."""


@pytest.fixture
def sample() -> Callable[[Path], ParsedMessage]:
    """Parse one sample file with the default limits."""
    return lambda path: parse_message(path.read_bytes())
