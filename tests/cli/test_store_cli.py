"""`mailflow db upgrade`, `cases` and `show` against a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailflow.cli import main
from mailflow.policy.council import load_policy
from mailflow.store.cases import save_case
from mailflow.store.db import make_engine, session_scope
from mailflow.workflow.decide import decide
from tests.workflow.conftest import MONDAY, contact


@pytest.fixture
def seeded(tmp_path: Path) -> str:
    """A migrated SQLite database holding one Stafford stage 3 case (about a Head of Service)."""
    url = f"sqlite:///{tmp_path / 'mf.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    state = decide(
        load_policy("stafford"), None, contact(topics=("about_head_of_service",)), MONDAY
    )
    with session_scope(make_engine(url)) as session:
        save_case(session, state.state)
    return url


def test_show_explains_route_and_how_each_date_was_computed(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show` prints why the case went to the Chief Executive and the days each clock skipped."""
    capsys.readouterr()
    assert main(["show", "sbc-2026-00042", "--db", seeded]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["stage"], out["route"]) == (3, "chief_executive")
    assert any("about_head_of_service" in why for why in out["why"])
    respond = out["deadlines"][1]
    assert respond["due"] == "2026-11-23"
    assert respond["how"][0].startswith("15 working days on the council calendar from receipt")
    assert "Saturday" in " ".join(respond["how"])


def test_cases_filters_by_stage_and_overdue(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cases --stage 3` finds the case; `--overdue` finds it too once its dates are past."""
    capsys.readouterr()
    assert main(["cases", "--db", seeded, "--stage", "3"]) == 0
    assert [c["reference"] for c in json.loads(capsys.readouterr().out)] == ["SBC-2026-00042"]
    assert main(["cases", "--db", seeded, "--stage", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["cases", "--db", seeded, "--overdue"]) == 0  # November 2026 is in the past now
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_show_unknown_reference_is_one_line(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown reference exits 1 with one line naming it."""
    assert main(["show", "SBC-2026-99999", "--db", seeded]) == 1
    assert capsys.readouterr().err.strip() == "mailflow: no contact with reference SBC-2026-99999"
