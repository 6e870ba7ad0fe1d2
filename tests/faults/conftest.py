"""Fault tests: a report of what each fault cost, printed at the end of the run.

A test adds lines with the ``fault_report`` fixture (for example the duplicates a SIGKILL left);
they appear under "fault report" in pytest's summary, whether the test passed or not.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

_LINES: list[str] = []


@pytest.fixture
def fault_report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Add a line, prefixed with the test's name, to the end-of-run fault report."""

    def add(line: str) -> None:
        _LINES.append(f"{request.node.name}: {line}")

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LINES:
        terminalreporter.section("fault report")
        for line in _LINES:
            terminalreporter.write_line(line)
