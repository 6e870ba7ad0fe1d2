"""``mailflow report`` and ``mailflow ombudsman``: JSON on stdout, one line on bad input; and
reporting periods as a reader names them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailflow.cli import main
from mailflow.errors import PolicyError
from mailflow.reports.periods import last_finished, parse_period
from tests.reports.conftest import Seeded


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_command_writes_the_files_and_prints_the_summary(
    stafford_db: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Word, CSV and HTML files in --out, and the summary as JSON."""
    code, out, _ = run(
        capsys, "report", "--rules", "stafford", "--db", stafford_db.url, "--period", "2026-Q3",
        "--format", "docx,csv,html", "--out", str(tmp_path), "--at", "2026-10-05T09:00:00",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["period"] == "2026-Q3" and result["label"] == "July to September 2026 (Q3)"
    assert {Path(f).suffix for f in result["files"]} == {".docx", ".csv", ".html"}
    assert {"Measure": "Complaints received", "This period": "5 (5 in the procedure)",
            "Target": "no target set"} in result["summary"]  # fmt: skip


def test_report_command_refuses_a_bad_period_in_one_line(
    stafford_db: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown period, or --period with --from, is one line on stderr and exit 1."""
    for args in (("--period", "2026-Q5"), ("--period", "2026-Q3", "--from", "2026-07-01")):
        code, out, err = run(
            capsys, "report", "--rules", "stafford", "--db", stafford_db.url, *args
        )
        assert code != 0 and out == "" and len(err.strip().splitlines()) == 1


def test_date_range_report_covers_the_days_given(
    stafford_db: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--from/--to: August alone holds S3, S4 and S9, S10 (and no other complaint)."""
    code, out, _ = run(
        capsys, "report", "--rules", "stafford", "--db", stafford_db.url, "--from", "2026-08-01",
        "--to", "2026-08-31", "--format", "csv", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    summary = {r["Measure"]: r["This period"] for r in json.loads(out)["summary"]}
    assert summary["Complaints received"] == "2 (2 in the procedure)"


def test_ombudsman_command_records_a_decision(
    stafford_db: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    """Already recorded for S2 by the scenario: the same again is accepted as a no-op; an
    unknown reference is one line on stderr."""
    reference = stafford_db.refs["S2"]
    code, out, _ = run(capsys, "ombudsman", reference, "--upheld", "--db", stafford_db.url)
    assert code == 0 and json.loads(out)["recorded"] is False
    code, out, err = run(capsys, "ombudsman", "SBC-2026-09999", "--not-upheld", "--db",
                         stafford_db.url)  # fmt: skip
    assert code == 1 and "no contact with reference SBC-2026-09999" in err


def test_periods_are_local_days_named_as_readers_name_them() -> None:
    """A quarter starts at local midnight (BST: 23:00 UTC the day before); labels and trend."""
    q3 = parse_period("2026-Q3")
    assert (q3.first, q3.last, q3.label) == (
        date(2026, 7, 1),
        date(2026, 9, 30),
        "July to September 2026 (Q3)",
    )
    assert q3.start("Europe/London") == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert [p.key for p in q3.earlier(3)] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert parse_period("2026-11").label == "November 2026"
    assert parse_period("2026-01").previous().key == "2025-12"
    assert parse_period("2026").last == date(2026, 12, 31)
    assert last_finished(
        "month", datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "Europe/London"
    ).key == ("2026-11")
    with pytest.raises(PolicyError):
        parse_period("2026-13")
