"""A subject access export holds everything about one person and nothing about anyone else."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mailflow.cli import main
from mailflow.config import MailboxConfig
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.outbound.templates import bundled_templates_dir
from mailflow.pipeline.inbound import Inbound
from mailflow.policy.council import load_policy
from mailflow.privacy.sar import gather, staff_addresses
from mailflow.privacy.sar_folder import write_export
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Letter, Message, OfficerCommand
from mailflow.store.repo import add_audit, save_blob
from mailflow.store.vocab import Direction

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))
ALICE = "alice.resident@example.org"
BOB = "bob.neighbour@example.net"
OFFICER = "waste@stafford.example"
TEMPLATES = bundled_templates_dir() / "sar"


def mail(sender: str, subject: str, body: str, *, attach: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "complaints@stafford.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@example.org>"
    msg["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    msg.set_content(body)
    if attach is not None:
        msg.add_attachment(attach, maintype="image", subtype="jpeg", filename="../../bins.jpg")
    return msg.as_bytes()


class Town:
    """Two of Alice's complaints with a photo, a letter, a staff reply, a note and Bob's mail."""

    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self.engine, self.blobs = engine, blobs
        inbound = Inbound(
            policy=load_policy("stafford"),
            engine=engine,
            blobs=blobs,
            mailbox=MailboxConfig(name="complaints", address="complaints@stafford.example"),
            own_addresses=frozenset({"complaints@stafford.example"}),
            limits=Limits(max_bytes=2 * 1024 * 1024),
            clock=lambda: NOW,
        )
        feeds = [
            mail(ALICE, "Bins missed again", "I am not happy: my bins were missed a third time.",
                 attach=b"\xff\xd8JPEG photo of bins"),
            mail(ALICE, "Rude parking warden", "I want to complain: the warden was rude to me."),
            mail(BOB, "Noise from next door", "I complain about noise from my neighbour."),
        ]  # fmt: skip
        for uid, raw in enumerate(feeds, 1):
            inbound.process(Fetched(mailbox="complaints", uidvalidity=7, uid=uid, raw=raw))
        with session_scope(engine) as s:
            refs = {c.customer_address: c for c in s.exec(select(Contact)).all()}
            first = s.exec(
                select(Contact).where(Contact.customer_address == ALICE).order_by(col(Contact.id))
            ).first()
            assert first is not None and first.id is not None
            self.case = first.reference
            self.bob_case = refs[BOB].reference
            later = NOW + timedelta(days=1)
            bob_text = f"Alice is lying, write to me at {BOB} not her. Bob's secret: 42 Elm Road."
            s.add(self._message(s, first.id, BOB, bob_text, 10, later))
            staff_text = f"Dear Alice, sorry. We also heard from {BOB} about this."
            s.add(self._message(s, first.id, OFFICER, staff_text, 11, later))
            sha = save_blob(s, blobs, b"PK\x03\x04 letter to Alice", at=later)
            s.add(
                Letter(contact_id=first.id, template="acknowledgement", blob=sha, created_at=later)
            )
            s.add(OfficerCommand(contact_id=first.id, sender=OFFICER, command="note",
                                 argument=f"Spoke to Alice; {BOB} also called.", accepted=True,
                                 created_at=later))  # fmt: skip
            bob_id = refs[BOB].id
            assert bob_id is not None
            s.add(OfficerCommand(contact_id=bob_id, sender=OFFICER, command="note",
                                 argument=f"Bob says {ALICE} plays music late.", accepted=True,
                                 created_at=later))  # fmt: skip
            add_audit(s, at=later, actor=OFFICER, event="note_added", contact_id=first.id,
                      detail={"text": f"phoned {BOB}"})  # fmt: skip

    def _message(
        self, s: Session, contact_id: int, sender: str, text: str, uid: int, at: datetime
    ) -> Message:
        subject = "Re: Bins missed again"
        raw = mail(sender, subject, text)
        return Message(
            contact_id=contact_id,
            direction=Direction.IN,
            mailbox="complaints",
            uidvalidity=7,
            uid=uid,
            message_id=f"<{uid}@example.org>",
            from_address=sender,
            subject=subject,
            received_at=at,
            content_hash=f"{uid:064x}",
            raw_blob=save_blob(s, self.blobs, raw, at=at),
            text=text,
        )


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Town:
    """Alice's two complaints and Bob's, recorded through the real inbound pipeline."""
    return Town(engine, BlobStore(tmp_path / "blobs"))


def export_for(town: Town, email: str, out: Path) -> tuple[Path, dict[str, object]]:
    with session_scope(town.engine) as s:
        staff = staff_addresses(load_policy("stafford"))
        export = gather(s, town.blobs, email, staff=staff, now=NOW)
    index = write_export(export, out, TEMPLATES)
    return index, json.loads((out / "manifest.json").read_text())


def everything(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_sar_export_holds_both_cases_attachment_letter_note_and_staff_reply(
    town: Town, tmp_path: Path
) -> None:
    """Alice's export lists her two cases, her photo, her letter, the officer's reply and note."""
    index, summary = export_for(town, "Alice.Resident@EXAMPLE.org", tmp_path / "sar")
    html = index.read_text()
    assert len(summary["contacts"]) == 2  # type: ignore[arg-type]
    assert town.case in html
    assert "my bins were missed a third time" in html
    assert "the warden was rude to me" in html
    assert "Dear Alice, sorry." in html  # staff replies are included
    assert "Spoke to Alice" in html
    files = summary["files"]
    assert isinstance(files, list)
    photo = [f for f in files if f.endswith("bins.jpg")]
    assert len(photo) == 1 and "/../" not in photo[0]
    assert (tmp_path / "sar" / photo[0]).read_bytes() == b"\xff\xd8JPEG photo of bins"
    letters = [f for f in files if "/letters/" in f]
    assert [(tmp_path / "sar" / f).read_bytes() for f in letters] == [b"PK\x03\x04 letter to Alice"]
    emls = [f for f in files if f.endswith(".eml")]
    assert len(emls) == 3  # Alice's two and the officer's reply
    assert b"third time" in (tmp_path / "sar" / emls[0]).read_bytes()
    staff_eml = (tmp_path / "sar" / next(f for f in emls if "staff" in f)).read_bytes()
    assert b"[address withheld]" in staff_eml and BOB.encode() not in staff_eml


def test_sar_export_withholds_the_other_customer_and_their_address(
    town: Town, tmp_path: Path
) -> None:
    """Bob's message in Alice's thread is left out; his address is withheld wherever it appears."""
    index, summary = export_for(town, ALICE, tmp_path / "sar")
    dump = everything(tmp_path / "sar")
    assert BOB.encode() not in dump
    assert b"42 Elm Road" not in dump and b"Alice is lying" not in dump
    assert b"noise from my neighbour" not in dump.lower()
    assert summary["withheld_third_party_messages"] == 1
    assert "We also heard from [address withheld]" in index.read_text()


def test_sar_export_includes_notes_elsewhere_that_mention_the_subject(
    town: Town, tmp_path: Path
) -> None:
    """A note on Bob's case that names Alice's address is listed as a mention of her."""
    index, summary = export_for(town, ALICE, tmp_path / "sar")
    assert summary["mentions_elsewhere"] == 1
    assert "plays music late" in index.read_text()


def test_sar_index_escapes_what_customers_wrote(engine: Engine, tmp_path: Path) -> None:
    """A subject line carrying HTML appears as text in the index, never as markup."""
    blobs = BlobStore(tmp_path / "blobs")
    inbound = Inbound(
        policy=load_policy("stafford"),
        engine=engine,
        blobs=blobs,
        mailbox=MailboxConfig(name="complaints", address="complaints@stafford.example"),
        own_addresses=frozenset({"complaints@stafford.example"}),
        limits=Limits(max_bytes=2 * 1024 * 1024),
        clock=lambda: NOW,
    )
    raw = mail(ALICE, "<script>alert(1)</script>", "I complain: <b>bold</b> & rude staff.")
    inbound.process(Fetched(mailbox="complaints", uidvalidity=7, uid=1, raw=raw))
    with session_scope(engine) as s:
        export = gather(s, blobs, ALICE, now=NOW)
    html = write_export(export, tmp_path / "sar", TEMPLATES).read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; rude" in html


def test_sar_folder_is_private_and_must_be_new(town: Town, tmp_path: Path) -> None:
    """The export is 0700/0600, and an existing non-empty folder is refused, not overwritten."""
    index, _ = export_for(town, ALICE, tmp_path / "sar")
    assert stat.S_IMODE((tmp_path / "sar").stat().st_mode) == 0o700
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    with pytest.raises(Exception, match="not an empty folder"):
        export_for(town, ALICE, tmp_path / "sar")


def test_sar_command_writes_the_export_and_prints_a_summary(
    town: Town, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``mailflow sar EMAIL --db URL --data-dir DIR --rules stafford --out DIR`` exports all."""
    out = tmp_path / "export"
    code = main(["sar", ALICE, "--db", db_url, "--data-dir", str(tmp_path), "--rules",
                 "stafford", "--out", str(out)])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["index"] == str(out / "index.html")
    assert summary["messages"] == 3 and summary["letters"] == 1
    assert BOB.encode() not in everything(out)


def test_sar_command_refuses_something_that_is_not_an_address(
    town: Town, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped address is one line on stderr and no folder."""
    code = main(["sar", "alice at example", "--db", db_url, "--data-dir", str(tmp_path),
                 "--out", str(tmp_path / "x")])  # fmt: skip
    assert code == 1
    assert "is not an email address" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
