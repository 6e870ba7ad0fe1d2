"""The command-line contract outside tests rely on: JSON on stdout, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailflow.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(list(args)) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_deadlines_prints_acknowledge_and_respond_dates(capsys: pytest.CaptureFixture[str]) -> None:
    """`mailflow deadlines` returns ISO dates for the stage asked for."""
    out = run_json(
        capsys,
        "deadlines",
        "--rules",
        "stafford",
        "--kind",
        "complaint",
        "--channel",
        "email",
        "--received",
        "2026-12-18T14:05:00",
        "--stage",
        "2",
    )
    assert (out["acknowledge_by"], out["respond_by"]) == ("2026-12-29", "2027-01-20")
    assert (out["stage"], out["owner"]) == (2, "head_of_service")


def test_deadlines_for_christmas_day_email_at_chorley(capsys: pytest.CaptureFixture[str]) -> None:
    """Chorley e-contact on Christmas Day 2026: acknowledged 29, answered 30 December."""
    out = run_json(
        capsys,
        "deadlines",
        "--rules",
        "chorley",
        "--kind",
        "service_request",
        "--channel",
        "email",
        "--received",
        "2026-12-25",
    )
    assert (out["acknowledge_by"], out["respond_by"]) == ("2026-12-29", "2026-12-30")


def test_deadlines_for_foi_use_the_act_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    """`--kind foi_request` counts on the FOI Act calendar (St Andrew's Day skipped)."""
    out = run_json(
        capsys,
        "deadlines",
        "--rules",
        "stafford",
        "--kind",
        "foi_request",
        "--channel",
        "email",
        "--received",
        "2026-11-02T10:00:00Z",
    )
    assert out["respond_by"] == "2026-12-01"
    assert isinstance(out["respond"], dict) and out["respond"]["calendar"] == "foi_act"


def test_deadlines_for_junk_are_null(capsys: pytest.CaptureFixture[str]) -> None:
    """No reply is owed to junk, so both dates are null."""
    out = run_json(
        capsys,
        "deadlines",
        "--rules",
        "chorley",
        "--kind",
        "junk",
        "--channel",
        "email",
        "--received",
        "2026-11-02",
    )
    assert (out["acknowledge_by"], out["respond_by"]) == (None, None)


def test_deadlines_accepts_a_rules_file_path(capsys: pytest.CaptureFixture[str]) -> None:
    """--rules takes a path as well as a bundled council's name."""
    path = Path(__file__).resolve().parents[2] / "rules" / "chorley.yaml"
    out = run_json(
        capsys,
        "deadlines",
        "--rules",
        str(path),
        "--kind",
        "complaint",
        "--channel",
        "letter",
        "--received",
        "2026-11-02",
    )
    assert out["council"] == "chorley" and out["respond_by"] == "2026-11-16"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--kind", "grumble", "--channel", "email", "--received", "2026-11-02"], "unknown kind"),
        (
            ["--kind", "complaint", "--channel", "pigeon", "--received", "2026-11-02"],
            "unknown channel",
        ),
        (
            ["--kind", "complaint", "--channel", "email", "--received", "yesterday"],
            "not an ISO 8601",
        ),
        (
            [
                "--kind",
                "complaint",
                "--channel",
                "email",
                "--received",
                "2026-11-02",
                "--stage",
                "4",
            ],
            "outside the council",
        ),
        (
            [
                "--kind",
                "service_request",
                "--channel",
                "email",
                "--received",
                "2026-11-02",
                "--stage",
                "2",
            ],
            "--stage does not apply",
        ),
    ],
)
def test_deadlines_bad_input_gives_one_line_and_non_zero_exit(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    """Bad arguments print one line to stderr and exit non-zero, never a traceback."""
    assert main(["deadlines", "--rules", "stafford", *args]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_check_rules_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """`check-rules` prints each stage's owner and days, then OK."""
    assert main(["check-rules", "stafford"]) == 0
    out = capsys.readouterr().out
    assert "stage 2 Relevant Head of Service: owner head_of_service, acknowledge 5 wd" in out
    assert "respond 20 wd" in out and out.strip().endswith("OK: the rules file is valid")
    assert len(out.splitlines()) <= 40


def test_check_rules_on_a_broken_file_exits_non_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A broken rules file gives the file, key path and problem on one line."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("council: {key: x}\n", encoding="utf-8")
    assert main(["check-rules", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mailflow: {bad}: ") and "\n" not in err


def test_installed_console_script_reports_errors_without_traceback() -> None:
    """The real `mailflow` entry point exits 2 with one line on a bad option."""
    exe = Path(sys.executable).with_name("mailflow")
    proc = subprocess.run(
        [str(exe), "deadlines", "--rules", "stafford", "--kind", "complaint"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
