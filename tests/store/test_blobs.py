"""Raw messages, attachments and letters are stored once each, by content, readable only by us."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from sqlmodel import Session

from mailflow.errors import NotFound, StoreError
from mailflow.store.blobs import BlobStore
from mailflow.store.models import Blob
from mailflow.store.repo import save_blob
from tests.store.builders import NOW

RAW = b"From: resident@example.org\r\nSubject: bins\r\n\r\nStill not collected.\r\n"
SHA = hashlib.sha256(RAW).hexdigest()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_blob_is_named_and_sharded_by_its_sha256(tmp_path: Path) -> None:
    """put returns the SHA-256 of the bytes, stored at <root>/<first two hex>/<rest>."""
    store = BlobStore(tmp_path / "blobs")
    assert store.put(RAW) == SHA
    assert store.path(SHA) == tmp_path / "blobs" / SHA[:2] / SHA[2:]
    assert store.path(SHA).read_bytes() == RAW
    assert store.get(SHA) == RAW
    assert store.exists(SHA)


def test_storing_the_same_bytes_again_changes_nothing(tmp_path: Path) -> None:
    """A second put of identical bytes returns the same name and leaves one file, no temp files."""
    store = BlobStore(tmp_path / "blobs")
    first = store.put(RAW)
    written = store.path(SHA).stat().st_mtime_ns
    assert store.put(RAW) == first
    assert store.path(SHA).stat().st_mtime_ns == written
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [SHA[2:]]


def test_blob_files_are_0600_and_their_directories_0700(tmp_path: Path) -> None:
    """Residents' correspondence is readable by the mailflow user only."""
    store = BlobStore(tmp_path / "blobs")
    store.put(RAW)
    assert _mode(store.path(SHA)) == 0o600
    assert _mode(store.path(SHA).parent) == 0o700
    assert _mode(tmp_path / "blobs") == 0o700


def test_a_missing_blob_is_not_found_and_a_deleted_one_is_gone(tmp_path: Path) -> None:
    """get of an unknown blob raises NotFound; delete reports whether there was one."""
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(NotFound, match=SHA):
        store.get(SHA)
    store.put(RAW)
    assert store.delete(SHA)
    assert not store.delete(SHA)
    assert not store.exists(SHA)


def test_a_blob_altered_on_disk_is_reported_as_corrupt(tmp_path: Path) -> None:
    """Bytes that no longer match their name are refused rather than handed on."""
    store = BlobStore(tmp_path / "blobs")
    store.put(RAW)
    store.path(SHA).write_bytes(RAW + b"tampered")
    with pytest.raises(StoreError, match="corrupt"):
        store.get(SHA)


@pytest.mark.parametrize("name", ["../../etc/passwd", SHA.upper(), SHA[:63], ""])
def test_a_name_that_is_not_a_digest_is_refused(tmp_path: Path, name: str) -> None:
    """Only a lowercase SHA-256 hex digest names a blob, so no path can escape the root."""
    with pytest.raises(ValueError, match="SHA-256"):
        BlobStore(tmp_path / "blobs").path(name)


def test_save_blob_writes_the_file_and_records_it_once(session: Session, tmp_path: Path) -> None:
    """save_blob stores the bytes and one blob row with their size, however often it is called."""
    store = BlobStore(tmp_path / "blobs")
    assert save_blob(session, store, RAW, at=NOW) == SHA
    assert save_blob(session, store, RAW, at=NOW) == SHA
    session.commit()
    row = session.get(Blob, SHA)
    assert row is not None
    assert (row.size, row.created_at) == (len(RAW), NOW)
    assert store.get(SHA) == RAW
