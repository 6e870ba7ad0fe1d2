"""The ``reports`` section of a rules file: who gets the monitoring report, how often, and
mistakes in it named by key path in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.errors import RulesError
from mailflow.policy.council import load_policy
from mailflow.policy.loader import bundled_rules_dir, load_rules
from mailflow.policy.summary import summary_lines
from mailflow.reports.delivery import recipients

STAFFORD = (bundled_rules_dir() / "stafford.yaml").read_text(encoding="utf-8")
TO = "      to: [leadership_team, cabinet]\n"


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


def test_stafford_reports_quarterly_to_leadership_team_and_cabinet() -> None:
    """Stafford 8 and 9(d): "reported on a quarterly basis to Leadership Team and Cabinet"."""
    policy = load_policy("stafford")
    [delivery] = policy.rules.reports.deliveries
    assert (delivery.frequency, delivery.period_kind) == ("quarterly", "quarter")
    assert recipients(policy, delivery) == [
        "leadership.team@stafford.example",
        "cabinet@stafford.example",
    ]
    assert delivery.formats == ["docx", "csv"] and delivery.delay == 5
    assert "9(d)" in (delivery.source or "")


def test_chorley_reports_monthly_to_strategy_group() -> None:
    """Chorley, Monitoring and Review: "reported to Strategy Group on a monthly basis"."""
    policy = load_policy("chorley")
    [delivery] = policy.rules.reports.deliveries
    assert delivery.frequency == "monthly"
    assert recipients(policy, delivery) == ["strategy.group@chorley.example"]


def test_check_rules_prints_each_report_delivery() -> None:
    lines = [line for line in summary_lines(load_policy("stafford")) if line.startswith("report")]
    assert lines == [
        "report quarterly_monitoring: quarterly to leadership_team+cabinet (docx, csv),"
        " 5 wd after the period ends"
    ]


def test_a_plain_address_is_a_recipient_as_it_is(tmp_path: Path) -> None:
    path = edited(tmp_path, TO, "      to: [leadership_team, scrutiny@stafford.example]\n")
    policy = load_policy(path)
    [delivery] = policy.rules.reports.deliveries
    assert recipients(policy, delivery) == [
        "leadership.team@stafford.example",
        "scrutiny@stafford.example",
    ]


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        (TO, "      to: [leadership_team, scrutiny]\n", "to[1]", "role 'scrutiny' is not in"),
        (TO, "      to: [Leadership Team]\n", "to", "neither a role key"),
        (TO, "      to: []\n", "to", "at least 1"),
        ("      formats: [docx, csv]\n", "      formats: [csv]\n", "formats", "always attached"),
        ("      formats: [docx, csv]\n", "      formats: [docx, pdf]\n", "formats", "'html'"),
        ("      frequency: quarterly\n", "      frequency: weekly\n", "frequency", "'yearly'"),
        ("      delay: 5\n", "      delay: -1\n", "delay", "greater than or equal to 0"),
    ],
)
def test_a_mistake_in_reports_is_named_by_key_path(
    tmp_path: Path, old: str, new: str, where: str, what: str
) -> None:
    message = error_of(edited(tmp_path, old, new))
    assert f"reports.deliveries[0].{where}" in message or "reports.deliveries.0" in message
    assert what in message


def test_two_deliveries_of_one_frequency_are_refused(tmp_path: Path) -> None:
    """The period names the report: a second quarterly delivery would never be sent."""
    second = "    - name: again\n      frequency: quarterly\n      to: [cabinet]\n"
    message = error_of(edited(tmp_path, "      delay: 5\n", "      delay: 5\n" + second))
    assert "reports" in message and "name each frequency once" in message
