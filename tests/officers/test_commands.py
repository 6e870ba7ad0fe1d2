"""Commands are read only from the lines at the top of an officer's reply, strictly."""

from __future__ import annotations

import pytest

from mailflow.workflow.commands import Command, parse_command, split_reply
from mailflow.workflow.responses import Refused


def test_commands_are_the_hash_lines_at_the_top_and_the_rest_is_for_the_customer() -> None:
    """Blank lines may separate commands; the first other line starts the customer's text."""
    text = "#outcome not_upheld\n\n#note called her\nDear Ms Smith,\n\n#close is not a command here"
    commands, rest = split_reply(text)
    assert commands == ("#outcome not_upheld", "#note called her")
    assert rest == "Dear Ms Smith,\n\n#close is not a command here"


def test_a_reply_with_text_first_has_no_commands() -> None:
    """A command below the officer's first sentence is text, not an instruction."""
    assert split_reply("Thanks.\n#outcome upheld") == ((), "Thanks.\n#outcome upheld")


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("#outcome not_upheld", Command("outcome", "not_upheld")),
        ("#OUTCOME Partly Upheld", Command("outcome", "partly_upheld")),
        ("#outcome not-upheld", Command("outcome", "not_upheld")),
        (
            "#extend 2026-12-04 waiting for the contractor",
            Command("extend", "2026-12-04 waiting for the contractor"),
        ),
        ("#assign head_of_service", Command("assign", "head_of_service")),
        (
            "#assign head.housing@stafford.example",
            Command("assign", "head.housing@stafford.example"),
        ),
        ("#note  phoned   her", Command("note", "phoned her")),
        ("#kind service_request", Command("kind", "service_request")),
        ("#service housing", Command("service", "housing")),
        ("#escalate", Command("escalate", "")),
        ("#close", Command("close", "")),
        (
            "#action crews photograph bins left behind",
            Command("action", "crews photograph bins left behind"),
        ),
    ],
)
def test_each_command_parses(line: str, command: Command) -> None:
    """Every command of the reply guide parses to its name and argument."""
    assert parse_command(line) == command


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("#resolve", "#resolve is not a command"),
        ("#outcome", "#outcome takes upheld"),
        ("#outcome great", "#outcome takes upheld"),
        ("#extend next week", "#extend takes YYYY-MM-DD"),
        ("#extend 2026-12-04", "#extend takes YYYY-MM-DD"),
        ("#assign", "#assign takes a role"),
        ("#note", "#note takes the text"),
        ("#escalate now please", "#escalate takes nothing"),
        ("#kind Complaint!", "#kind takes a kind"),
        ("# outcome upheld", "is not a command"),
        ("#outcome{{7*7}}", "#outcome takes"),
    ],
)
def test_unknown_or_malformed_commands_are_refused_with_the_reason(line: str, problem: str) -> None:
    """A command mailflow cannot read is refused, saying what it expected."""
    with pytest.raises(Refused, match=problem.replace("|", r"\|")):
        parse_command(line)
