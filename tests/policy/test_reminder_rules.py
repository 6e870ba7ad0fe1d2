"""The ``reminders`` section of a rules file: the seeds' plans, and mistakes named by key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.errors import RulesError
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.loader import bundled_rules_dir, load_rules
from mailflow.policy.summary import summary_lines

STAFFORD = (bundled_rules_dir() / "stafford.yaml").read_text(encoding="utf-8")


def edited(tmp_path: Path, old: str, new: str) -> Path:
    assert old in STAFFORD, old
    path = tmp_path / "council.yaml"
    path.write_text(STAFFORD.replace(old, new, 1), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_stafford_plans_keep_the_customer_informed_at_stages_2_and_3(
    stafford: CouncilPolicy,
) -> None:
    """Stafford 8: a working week's notice before a stage 2 or 3 response is due, the stage
    owner 2 days before, the owner's line manager and the Customer Services Manager at the lapse."""
    entry = next(e for e in stafford.rules.reminders.deadlines if e.stages == [2, 3])
    assert [(s.notice, s.before, s.after, s.to) for s in entry.steps] == [
        ("reminder", 5, None, ["handling_officer"]),
        ("escalation", 2, None, ["stage_owner"]),
        ("breach_warning", None, 0, ["stage_owner_manager", "customer_services_manager"]),
    ]
    assert "keep the customer informed" in (entry.source or "")
    assert stafford.rules.reminders.line_managers["head_of_service"] == "chief_executive"
    digest = stafford.rules.reminders.digests[0]
    assert (digest.every, digest.day, digest.to) == (
        "week",
        "monday",
        ["customer_services_manager"],
    )


def test_chorley_plans_cover_e_contact_and_a_daily_digest(chorley: CouncilPolicy) -> None:
    """Chorley: the 2-day e-contact reply gets a same-morning reminder and a Service Head
    warning; the Customer Services Manager gets a digest every working day."""
    entry = next(e for e in chorley.rules.reminders.deadlines if e.standards == ["e_contact"])
    assert [(s.notice, s.before, s.after) for s in entry.steps] == [
        ("reminder", 1, None),
        ("breach_warning", None, 0),
    ]
    assert chorley.rules.reminders.digests[0].every == "working_day"
    assert chorley.rules.reminders.line_managers["chief_executive"] == "executive_leader"


def test_summary_shows_each_plan_on_one_line(stafford: CouncilPolicy) -> None:
    """check-rules prints every reminder plan and digest, one line each."""
    lines = [line for line in summary_lines(stafford) if line.startswith(("reminders", "digest"))]
    assert len(lines) == 6
    assert "escalation stage_owner_manager -1wd" in lines[1]
    assert lines[-1].endswith("every monday at 09:00")


@pytest.mark.parametrize(
    ("old", "new", "path", "problem"),
    [
        (
            "        - {notice: reminder, before: 3, to: [handling_officer]}",
            "        - {notice: reminder, before: 3, to: [head_of_servce]}",
            "reminders.deadlines[1].steps[0].to[0]",
            "role 'head_of_servce' is not in directory.roles",
        ),
        (
            "        - {notice: reminder, before: 3, to: [handling_officer]}",
            "        - {notice: reminder, before: 3, after: 1, to: [handling_officer]}",
            "reminders.deadlines[1].steps[0]",
            "exactly one of 'before' or 'after'",
        ),
        (
            "        - {notice: breach_warning, after: 0, to: [head_of_service]}",
            "        - {notice: breach_warning, before: 1, to: [head_of_service]}",
            "reminders.deadlines[4].steps[1]",
            "a breach warning goes out after the lapse",
        ),
        (
            "      stages: [2, 3]",
            "      stages: [2, 4]",
            "reminders.deadlines[2].stages",
            "stage 4 is not a council stage",
        ),
        (
            "      standards: [correspondence, text_messages]",
            "      standards: [correspondence, sms]",
            "reminders.deadlines[4].standards[1]",
            "standard 'sms' is not declared",
        ),
        (
            '      at: "09:00"',
            '      at: "18:30"',
            "reminders.digests[0].at",
            "18:30 is outside working_hours",
        ),
        (
            "      to: [customer_services_manager]\n      every: week",
            "      to: [head_of_service]\n      every: week",
            "reminders.digests[0].to[0]",
            "role 'head_of_service' is not in directory.roles",
        ),
        (
            "    foi_officer: chief_executive ",
            "    foi_officer: chief_exec ",
            "reminders.line_managers.foi_officer",
            "role 'chief_exec'",
        ),
    ],
)
def test_a_mistake_in_a_reminder_plan_is_named_by_its_key_path(
    tmp_path: Path, old: str, new: str, path: str, problem: str
) -> None:
    """A plan that would tell nobody, or at night, is refused at load with its key path."""
    message = error_of(edited(tmp_path, old, new))
    assert f": {path}" in message and problem in message
