"""``mailflow backup`` and ``mailflow restore``: the database and the stored files, together.

Records made through the real pipeline (a complaint with a photo and letters), backed up,
the originals destroyed, restored into a new database and blob folder: every contact and
every file comes back. On SQLite and PostgreSQL (pg_dump/pg_restore).
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from mailflow.cli import main
from mailflow.errors import StoreError
from mailflow.store.backup import BLOBS, MANIFEST, _digest, _holds_contacts, backup, restore
from mailflow.store.blobs import BlobStore
from mailflow.store.db import make_engine, session_scope
from mailflow.store.migrate import upgrade
from mailflow.store.models import Blob, Contact
from tests.faults.harness import throwaway_postgres
from tests.privacy.town import COMPLAINT, COMPLIMENT, Town

ALICE = "alice@customer.example"


def records(engine: Engine, blob_dir: Path) -> dict[str, str]:
    """A complaint with a photo and letters, and a compliment, as the daemon records them."""
    town = Town(engine, blob_dir)
    refs = {"complaint": town.mail_with_photo("2026-07-06 10:00", ALICE, *COMPLAINT)}
    town.deliver_with_letters("2026-07-06 10:05")
    refs["compliment"] = town.mail(
        "2026-07-07 10:00", ALICE, *COMPLIMENT, expect={"kind": "compliment"}
    )
    return refs


def held(engine: Engine, blob_dir: Path) -> tuple[set[str], dict[str, bytes]]:
    """The references stored, and each blob's content read back through the blob store."""
    store = BlobStore(blob_dir)
    with session_scope(engine) as session:
        refs = {c.reference for c in session.exec(select(Contact))}
        blobs = {b.sha256: store.get(b.sha256) for b in session.exec(select(Blob))}
    return refs, blobs


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store in tmp_path (the tests of refusals need one engine only)."""
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_a_backup_restored_into_an_empty_store_brings_back_every_record_and_file(
    engine: Engine, tmp_path: Path
) -> None:
    """Back up, then restore into a new database and an empty blob folder: the same contacts,
    and every blob's bytes, read through the restored store."""
    blob_dir = tmp_path / "blobs"
    refs = records(engine, blob_dir)
    before = held(engine, blob_dir)
    assert set(refs.values()) <= before[0] and len(before[1]) >= 3  # raw mails, photo, letter
    url = engine.url.render_as_string(hide_password=False)
    made = backup(url, blob_dir, tmp_path / "backups")
    assert made.manifest["counts"]["contact"] == len(before[0])
    assert made.manifest["counts"]["blob"] == len(before[1])
    assert oct(made.folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in made.folder.iterdir())

    restored_blobs = tmp_path / "restored-blobs"
    if engine.dialect.name == "sqlite":
        target = f"sqlite:///{tmp_path / 'restored.db'}"
        _restore_and_compare(made.folder, target, restored_blobs, before)
    else:
        with throwaway_postgres("mailflow_restore") as target:
            _restore_and_compare(made.folder, target, restored_blobs, before)


def _restore_and_compare(
    folder: Path, target: str, blob_dir: Path, before: tuple[set[str], dict[str, bytes]]
) -> None:
    restore(folder, target, blob_dir)
    engine = make_engine(target)
    try:
        assert held(engine, blob_dir) == before
        with pytest.raises(StoreError, match="already holds contacts; stop the daemon"):
            restore(folder, target, blob_dir)  # a second restore would replace live data
        restore(folder, target, blob_dir, force=True)
        assert held(engine, blob_dir) == before
    finally:
        engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_changes(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """One flipped byte in the blob archive: the restore names the file and touches nothing."""
    blob_dir = tmp_path / "blobs"
    records(sqlite_engine, blob_dir)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    made = backup(url, blob_dir, tmp_path / "backups")
    archive = made.folder / BLOBS
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    target = tmp_path / "restored.db"
    with pytest.raises(StoreError) as caught:
        restore(made.folder, f"sqlite:///{target}", tmp_path / "restored-blobs")
    assert str(caught.value) == (
        f"restore: {archive}: SHA-256 differs from the manifest; damaged copy"
    )
    assert not target.exists() and not (tmp_path / "restored-blobs").exists()


def test_an_archive_naming_a_path_outside_the_blob_store_is_refused(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A tampered archive (re-made with its manifest) cannot write outside the blob folder."""
    blob_dir = tmp_path / "blobs"
    records(sqlite_engine, blob_dir)
    made = backup(
        sqlite_engine.url.render_as_string(hide_password=False), blob_dir, tmp_path / "backups"
    )
    evil = tmp_path / "evil.txt"
    evil.write_text("overwrite me")
    with tarfile.open(made.folder / BLOBS, "w:gz") as tar:
        tar.add(evil, arcname="../../outside.txt")
    manifest = json.loads((made.folder / MANIFEST).read_text())
    manifest["files"][BLOBS] = _digest(made.folder / BLOBS)
    (made.folder / MANIFEST).write_text(json.dumps(manifest))
    target = tmp_path / "r.db"
    with pytest.raises(StoreError) as caught:
        restore(made.folder, f"sqlite:///{target}", tmp_path / "restored" / "blobs")
    assert str(caught.value).startswith(f"restore: {made.folder / BLOBS}: ")
    assert "outside the destination" in str(caught.value)
    assert not (tmp_path / "outside.txt").exists()
    assert list((tmp_path / "restored").iterdir()) == []  # no blobs, no staging left behind
    assert not target.exists() or not _holds_contacts(f"sqlite:///{target}")


def test_mailflow_backup_and_restore_commands(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands as an administrator runs them: JSON out, one line on stderr when refused."""
    records(sqlite_engine, tmp_path / "blobs")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    config = tmp_path / "mailflow.toml"
    config.write_text(f'rules = "stafford"\ndatabase = "{url}"\ndata_dir = "{tmp_path}"\n')
    assert main(["backup", "--config", str(config), "--out", str(tmp_path / "b")]) == 0
    printed = json.loads(capsys.readouterr().out)
    folder = Path(printed["backup"])
    assert printed["counts"]["contact"] == 2 and folder.parent == tmp_path / "b"
    code = main(["restore", str(folder), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "already holds contacts" in err
    with sqlite_engine.begin() as db:
        assert db.execute(text("SELECT count(*) FROM contact")).scalar_one() == 2
    assert main(["restore", str(folder), "--config", str(config), "--force"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["contact"] == 2
