"""``check-rules`` warns where a council's rules fall short of the Complaint Handling Code."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.cli import main
from mailflow.policy.code_check import code_warnings, reminder_warnings
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.policy.loader import bundled_rules_dir

CHORLEY = (bundled_rules_dir() / "chorley.yaml").read_text(encoding="utf-8")


def chorley_with(tmp_path: Path, old: str, new: str) -> CouncilPolicy:
    assert old in CHORLEY, old
    path = tmp_path / "council.yaml"
    path.write_text(CHORLEY.replace(old, new, 1), encoding="utf-8")
    return load_policy(path)


def test_the_code_preset_meets_itself(code: CouncilPolicy) -> None:
    """The preset has no warnings: a council copying it starts compliant."""
    assert code_warnings(code, code) == []
    assert reminder_warnings(code) == []


def test_stafford_is_warned_of_its_third_stage_and_uncapped_extensions(
    stafford: CouncilPolicy, code: CouncilPolicy
) -> None:
    """Stafford: three council stages (the Code has two), no extension cap, no Ombudsman details
    with an extension; its receipt-based clocks are no longer than the Code's, so not warned."""
    warnings = code_warnings(stafford, code)
    assert warnings[0] == (
        "procedures.complaints: 3 council stages; the Ombudsman's Complaint Handling Code has 2"
        " before the Ombudsman"
    )
    assert sum("extensions: no cap" in w for w in warnings) == 3
    assert sum("Ombudsman's details" in w for w in warnings) == 3
    assert not any("within" in w for w in warnings)


def test_chorley_is_warned_only_of_its_extensions(
    chorley: CouncilPolicy, code: CouncilPolicy
) -> None:
    """Chorley's two stages and 10-day clocks from receipt meet the Code; extensions do not."""
    warnings = code_warnings(chorley, code)
    assert len(warnings) == 4 and all("extensions" in w for w in warnings)


@pytest.mark.parametrize(
    ("old", "new", "warning"),
    [
        (
            'respond: {days: 10, source: "Complaints Procedure: full response within 10',
            'respond: {days: 15, source: "Complaints Procedure: full response within 10',
            "stage 1 (Service Head or Senior Manager): full response within 15 working days;"
            " the Code sets 10 working days of the acknowledgement at its stage 1",
        ),
        (
            'acknowledge: {days: 5, source: "Escalation to the Chief Executive: acknowledge',
            'acknowledge: {days: 7, source: "Escalation to the Chief Executive: acknowledge',
            "stage 2 (Chief Executive): acknowledgement within 7 working days; the Code sets 5",
        ),
        (
            '        extension: {max_days: null, tell_customer: true}   # "informed why',
            '        extension: {max_days: 15, tell_customer: true}   # "informed why',
            "stage 1 (Service Head or Senior Manager): extensions: up to 15 working days; the"
            " Code allows at most 10",
        ),
        (
            "        ombudsman_signposting: true   # advised of the Ombudsman",
            "        ombudsman_signposting: false   # advised of the Ombudsman",
            "the final council stage (Chief Executive) does not signpost the Ombudsman",
        ),
    ],
)
def test_longer_timescales_and_missing_signposting_are_warned(
    tmp_path: Path, code: CouncilPolicy, old: str, new: str, warning: str
) -> None:
    """Each way a council's procedure falls short is one warning line naming the stage."""
    assert any(warning in w for w in code_warnings(chorley_with(tmp_path, old, new), code))


def test_a_response_deadline_without_a_reminder_plan_is_warned(tmp_path: Path) -> None:
    """A stage whose response no plan covers would lapse unnoticed: check-rules says so."""
    policy = chorley_with(tmp_path, "      stages: [2]\n", "      stages: [1]\n")
    assert reminder_warnings(policy) == [
        "procedures.complaints.stages[1]: no reminder plan covers its response deadline"
    ]


def test_check_rules_prints_the_warnings_before_ok(capsys: pytest.CaptureFixture[str]) -> None:
    """The command prints each warning on its own line, and still says the file is valid."""
    assert main(["check-rules", "chorley"]) == 0
    out = capsys.readouterr().out.splitlines()
    warnings = [line for line in out if line.startswith("warning: ")]
    assert len(warnings) == 4 and out[-1] == "OK: the rules file is valid"
    assert main(["check-rules", "lgsco-code"]) == 0
    assert "warning: " not in capsys.readouterr().out
