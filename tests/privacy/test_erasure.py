"""Erasure on request: refused while a case is open or held, otherwise complete; reports intact."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mailflow.cli import main
from mailflow.privacy.erasure import Erasure, ErasureRefused, erase, subject_hash
from mailflow.reports.build import build_report
from mailflow.reports.periods import parse_period
from tests.privacy.test_retention import ALICE, everything_stored
from tests.privacy.town import COMPLAINT, COMPLIMENT, Town
from tests.reports.simulation import local

LONDON = ZoneInfo("Europe/London")
KEY = b"test key for erasure hashes"
NOW = datetime(2027, 1, 10, 10, 0, tzinfo=LONDON)


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Town:
    return Town(engine, tmp_path / "blobs")


def alice_and_bob(town: Town) -> dict[str, str]:
    """Alice's complaint (with a photo and letters) and compliment; Bob's complaint, in whose
    thread Alice's address appears in an officer's note."""
    refs = {"alice": town.mail_with_photo("2026-07-06 10:00", ALICE, *COMPLAINT)}
    town.deliver_with_letters("2026-07-06 10:05")
    refs["alice_thanks"] = town.mail(
        "2026-07-07 10:00", ALICE, *COMPLIMENT, expect={"kind": "compliment"}
    )
    refs["bob"] = town.mail(
        "2026-07-07 11:00", "bob@customer.example", *COMPLAINT, expect={"kind": "complaint"}
    )
    town.deliver_with_letters("2026-07-07 11:05")
    town.officer("2026-07-09 10:00", refs["bob"], f"#note neighbour {ALICE} saw it too")
    town.officer("2026-07-16 15:00", refs["alice"], "#outcome upheld", "#action crews retrained")
    town.deliver_with_letters("2026-07-16 15:05")
    return refs


def erase_alice(town: Town) -> Erasure:
    """Alice's erasure request, as the DPO enters it."""
    reason = "request of 3 Jan, DPO ref 12"
    return erase(town.engine, town.blobs, ALICE, reason=reason, key=KEY, now=NOW)


def test_erasure_is_refused_while_one_of_the_persons_cases_is_open(town: Town) -> None:
    """An open complaint is still being dealt with: nothing is erased and the reason is given."""
    refs = alice_and_bob(town)
    with pytest.raises(ErasureRefused) as caught:
        erase_alice(town)
    assert refs["alice"] in str(caught.value) and "open" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert town.contact(refs["alice"]).customer_address == ALICE
    assert town.contact(refs["alice_thanks"]).customer_address == ALICE


def test_erasure_is_refused_while_a_case_is_under_legal_hold(town: Town) -> None:
    """A closed case under ``#hold`` cannot be erased until an officer releases it."""
    refs = alice_and_bob(town)
    town.officer("2026-07-20 10:00", refs["alice"], "#close")
    town.officer("2026-07-21 10:00", refs["alice"], "#hold insurer's claim pending")
    with pytest.raises(ErasureRefused) as caught:
        erase_alice(town)
    assert "legal hold (insurer's claim pending)" in str(caught.value)
    assert ALICE in everything_stored(town.engine)


def test_erasure_anonymises_the_person_everywhere_and_leaves_reports_intact(town: Town) -> None:
    """Contacts, messages, photo, letters, notes naming them: gone; report figures the same."""
    refs = alice_and_bob(town)
    town.officer("2026-07-20 10:00", refs["alice"], "#close")
    period = parse_period("2026-Q3")
    before = build_report(town.engine, town.policy, period, now=local("2026-10-05 09:00"))
    done = erase_alice(town)
    stored = everything_stored(town.engine)
    assert ALICE not in stored.lower()
    (note,) = [e for e in town.audit_events(refs["bob"]) if e.event == "note"]
    assert note.detail["text"] == "neighbour [erased] saw it too"
    assert town.contact(refs["alice"]).anonymised_at == NOW
    assert town.contact(refs["bob"]).customer_address == "bob@customer.example"
    assert town.blob_files() == town.blob_count()
    after = build_report(town.engine, town.policy, period, now=local("2026-10-05 09:00"))
    assert after == before
    (record,) = [e for e in town.audit_events(None) if e.event == "erased"]
    assert record.detail["subject"] == subject_hash(KEY, ALICE)
    assert set(record.detail["contacts"]) == {refs["alice"], refs["alice_thanks"]}
    assert record.detail["reason"] == "request of 3 Jan, DPO ref 12"
    assert done.references == [refs["alice"], refs["alice_thanks"]]


def test_a_repeated_erasure_finds_nothing_left(town: Town) -> None:
    """Erasing twice is harmless: the second finds no contact and changes nothing."""
    refs = alice_and_bob(town)
    town.officer("2026-07-20 10:00", refs["alice"], "#close")
    erase_alice(town)
    again = erase_alice(town)
    assert again.references == []


def test_mailflow_erase_prints_the_hash_and_refuses_with_one_line(
    town: Town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command prints JSON without the address; a refusal is one line on stderr, exit 1."""
    refs = alice_and_bob(town)
    config = tmp_path / "mailflow.toml"
    url = str(town.engine.url.render_as_string(hide_password=False))
    config.write_text(
        f'rules = "stafford"\ndatabase = "{url}"\ndata_dir = "{tmp_path}"\nsecret = "k"\n'
    )
    code = main(["erase", ALICE, "--reason", "DPO ref 12", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and refs["alice"] in err
    town.officer("2026-07-20 10:00", refs["alice"], "#close")
    assert main(["erase", ALICE, "--reason", "DPO ref 12", "--config", str(config)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert ALICE not in json.dumps(out) and len(out["contacts"]) == 2
    assert out["subject"] == subject_hash(b"k", ALICE)


def test_mailflow_show_says_whether_a_case_is_held_and_when_it_was_anonymised(
    town: Town, capsys: pytest.CaptureFixture[str]
) -> None:
    """What an officer checks before answering a DPO: the hold and its reason, then, after
    release and erasure, the instant the case was anonymised."""
    refs = alice_and_bob(town)
    url = town.engine.url.render_as_string(hide_password=False)
    town.officer("2026-07-20 10:00", refs["alice"], "#close")
    town.officer("2026-07-21 10:00", refs["alice"], "#hold insurer's claim pending")
    assert main(["show", refs["alice"], "--db", url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["legal_hold"], shown["anonymised_at"]) == ("insurer's claim pending", None)
    town.officer("2026-07-22 10:00", refs["alice"], "#release")
    erase_alice(town)
    assert main(["show", refs["alice"], "--db", url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["legal_hold"] is None
    assert datetime.fromisoformat(shown["anonymised_at"]) == NOW
