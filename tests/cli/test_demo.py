"""`mailflow demo` runs the whole flow on embedded defaults and leaves its results on disk."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from docx import Document

from mailflow.cli import main


@pytest.mark.parametrize(
    ("council", "prefix", "stage2_owner"),
    [
        ("stafford", "SBC", "head.operations@stafford.example"),
        ("chorley", "CHC", "chief.executive@chorley.example"),
    ],
)
def test_demo_answers_each_mail_and_escalates_the_complaint(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    council: str,
    prefix: str,
    stage2_owner: str,
) -> None:
    """Four contacts recorded, the out-of-office ignored, the complaint escalated to stage 2."""
    out = tmp_path / "demo"
    assert main(["demo", "--council", council, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "automatic mail, filed in Automatic" in printed
    cases = sorted((out / "cases").glob("*.json"))
    assert [c.stem for c in cases] == [f"{prefix}-2026-0000{i}" for i in (1, 2, 3, 4)]
    complaint = json.loads(cases[0].read_text())
    assert (complaint["kind"], complaint["stage"], complaint["assigned_to"]) == (
        "complaint",
        2,
        stage2_owner,
    )
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted((out / "sent").glob("*.eml"))
    ]
    to_customers = [m for m in sent if m["Auto-Submitted"] == "auto-replied"]
    assert {str(m["To"].addresses[0].addr_spec) for m in to_customers} == {
        "m.holloway@homemail.example",
        "dave.okafor@mailbox.example",
        "p.natarajan@newsdesk.example",
        "tbrierley@webmail.example",
    }
    assert not [m for m in sent if "partner-agency" in str(m["To"])]
    letter = next((out / "letters").glob(f"*{prefix}-2026-00001-acknowledgement.docx"))
    assert f"{prefix}-2026-00001" in "\n".join(p.text for p in Document(str(letter)).paragraphs)


def test_demo_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo never writes over an earlier run's results."""
    (tmp_path / "old.txt").write_text("keep me")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
