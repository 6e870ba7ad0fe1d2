"""Mistakes in a rules file give one line naming the file, the key path and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.errors import RulesError
from mailflow.policy.loader import bundled_rules_dir, load_rules

STAFFORD = (bundled_rules_dir() / "stafford.yaml").read_text(encoding="utf-8")


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """Stafford's rules with one edit an administrator might make by mistake."""
    assert old in STAFFORD, old
    path = tmp_path / "council.yaml"
    path.write_text(STAFFORD.replace(old, new, count), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    """A YAML syntax error reports the file and the line number."""
    path = broken(tmp_path, "  key: stafford\n", "  key: [stafford\n")
    edited = STAFFORD[: STAFFORD.index("  key: stafford")].count("\n") + 1
    message = error_of(path)
    assert "invalid YAML" in message
    reported = int(message.split(": line ")[1].split(":")[0])
    assert edited <= reported <= edited + 1  # the parser notices at the next token


def test_unknown_key_names_its_path(tmp_path: Path) -> None:
    """A misspelt key is reported with its full path, not silently ignored."""
    path = broken(tmp_path, "        pause_awaiting_customer: true", "        pause_awaiting: true")
    message = error_of(path)
    assert "procedures.complaints.stages[1].pause_awaiting" in message
    assert "unknown key" in message


def test_stage_owner_missing_from_directory_is_named(tmp_path: Path) -> None:
    """A stage owned by a role the directory lacks is refused with the stage's path."""
    path = broken(tmp_path, "        owner: chief_executive    #", "        owner: chief_exec    #")
    message = error_of(path)
    assert "procedures.complaints.stages[2].owner" in message
    assert "'chief_exec'" in message


def test_special_route_to_a_role_the_directory_lacks_is_refused(tmp_path: Path) -> None:
    """A route to an undeclared role would send complaints to nobody: refused at load."""
    path = broken(tmp_path, "    route: monitoring_officer", "    route: standards_committee")
    assert "special_routes[0].route: role 'standards_committee' is not in directory" in (
        error_of(path)
    )


def test_missing_role_in_directory_is_reported(tmp_path: Path) -> None:
    """Deleting a role still used by a route is reported against the route that uses it."""
    line = (
        "    internal_audit: {title: Internal Audit Section, "
        "address: internal.audit@stafford.example}\n"
    )
    path = broken(tmp_path, line, "")
    assert "special_routes[4].route: role 'internal_audit'" in error_of(path)


def test_negative_days_are_refused(tmp_path: Path) -> None:
    """A negative number of days is refused with the clock's path and the bad value."""
    path = broken(tmp_path, "respond: {days: 20,", "respond: {days: -20,")
    message = error_of(path)
    assert "procedures.complaints.stages[1].respond.days" in message
    assert "-20" in message


def test_missing_required_section_is_reported(tmp_path: Path) -> None:
    """Leaving out the Ombudsman's details is an error, not a letter with blanks."""
    start = STAFFORD.index("ombudsman:\n")
    end = STAFFORD.index("caps:\n")
    path = tmp_path / "council.yaml"
    path.write_text(STAFFORD[:start] + STAFFORD[end:], encoding="utf-8")
    assert "ombudsman: required key is missing" in error_of(path)


def test_kind_without_rules_is_reported(tmp_path: Path) -> None:
    """Every kind of contact must say how it is handled."""
    path = broken(tmp_path, "  junk:\n    handling: none\n    reply: none\n", "")
    assert "kind 'junk' has no rules" in error_of(path)


def test_stages_out_of_order_are_refused(tmp_path: Path) -> None:
    """Stages must be numbered 1, 2, 3 in order so escalation is unambiguous."""
    path = broken(tmp_path, "      - number: 3\n", "      - number: 5\n")
    assert "procedures.complaints" in error_of(path) and "numbered" in error_of(path)


def test_channel_covered_by_two_standards_is_refused(tmp_path: Path) -> None:
    """A channel may belong to one standard only, or deadlines would be ambiguous."""
    path = broken(tmp_path, "    channels: [text]", "    channels: [text, email]")
    assert "channel 'email' is already covered" in error_of(path)


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    """A misspelt time zone is caught at load, not when the first deadline is computed."""
    path = broken(tmp_path, "timezone: Europe/London", "timezone: Europe/Lundon")
    assert "council.timezone: unknown time zone 'Europe/Lundon'" in error_of(path)


def test_calendar_not_declared_is_refused(tmp_path: Path) -> None:
    """A clock on an undeclared calendar is reported with its path."""
    path = broken(
        tmp_path,
        "acknowledge: {days: 5, calendar: council,",
        "acknowledge: {days: 5, calendar: office,",
    )
    assert "procedures.foi.stages[0].acknowledge.calendar" in error_of(path)


def test_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    """A file that is a list or empty is reported as such."""
    path = tmp_path / "council.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert "must be a mapping" in error_of(path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A path that does not exist gives 'no such file'."""
    assert "no such file" in error_of(tmp_path / "nowhere.yaml")


def test_closure_days_are_supported_and_move_deadlines(tmp_path: Path) -> None:
    """The schema accepts a council's own closure days (neither policy names any)."""
    path = broken(
        tmp_path,
        "    closure_days: []\n",
        "    closure_days:\n      - {date: 2026-12-31, reason: Christmas closure}\n",
    )
    rules = load_rules(path)
    assert rules.calendars["council"].closure_days[0].reason == "Christmas closure"
