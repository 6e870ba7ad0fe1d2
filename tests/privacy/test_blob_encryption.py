"""Stored mail, attachments and letters can be encrypted at rest with a key from the environment."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest

from mailflow.config import Config
from mailflow.errors import ConfigError, StoreError
from mailflow.store.blobs import MAGIC, BlobStore, load_blob_key

RAW = (
    b"From: resident@example.org\r\nSubject: my benefit claim\r\n\r\n"
    b"My national insurance number is QQ123456C and I am disabled.\r\n"
)
SHA = hashlib.sha256(RAW).hexdigest()
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_encrypted_blob_on_disk_contains_none_of_the_plaintext(tmp_path: Path) -> None:
    """With a key, the file holds ciphertext: no sentence, word or address of the message."""
    store = BlobStore(tmp_path / "blobs", key=KEY)
    assert store.put(RAW) == SHA  # still named by the plaintext's SHA-256
    on_disk = store.path(SHA).read_bytes()
    assert on_disk.startswith(MAGIC)
    for fragment in (b"resident@example.org", b"QQ123456C", b"disabled", b"benefit"):
        assert fragment not in on_disk


def test_encrypted_blob_reads_back_exactly(tmp_path: Path) -> None:
    """What is put with the key comes back byte for byte, and storing it twice is one file."""
    store = BlobStore(tmp_path / "blobs", key=KEY)
    sha = store.put(RAW)
    assert store.put(RAW) == sha
    assert store.get(sha) == RAW
    assert [p.name for p in store.path(sha).parent.iterdir()] == [sha[2:]]


def test_older_plain_blobs_stay_readable_once_encryption_is_switched_on(tmp_path: Path) -> None:
    """A file written before a key was configured is read as it is; new ones are encrypted."""
    BlobStore(tmp_path / "blobs").put(RAW)
    store = BlobStore(tmp_path / "blobs", key=KEY)
    assert store.get(SHA) == RAW
    newer = b"%PDF-1.7 a letter to the resident"
    assert store.get(store.put(newer)) == newer
    assert store.path(hashlib.sha256(newer).hexdigest()).read_bytes().startswith(MAGIC)


def test_wrong_key_is_one_clear_line_naming_the_variable(tmp_path: Path) -> None:
    """Reading with another key fails with one line that names the key, not the content."""
    BlobStore(tmp_path / "blobs", key=KEY).put(RAW)
    store = BlobStore(tmp_path / "blobs", key=OTHER_KEY, key_name="MAILFLOW_BLOB_KEY")
    with pytest.raises(StoreError, match="wrong key in MAILFLOW_BLOB_KEY") as caught:
        store.get(SHA)
    assert "\n" not in str(caught.value)


def test_missing_key_for_an_encrypted_blob_says_how_to_configure_it(tmp_path: Path) -> None:
    """An encrypted file read without any key says it is encrypted and where the key is set."""
    BlobStore(tmp_path / "blobs", key=KEY).put(RAW)
    with pytest.raises(StoreError, match=r"encrypted but no key is configured.*blob_key_env"):
        BlobStore(tmp_path / "blobs").get(SHA)


def test_a_file_moved_under_another_blobs_name_does_not_decrypt(tmp_path: Path) -> None:
    """The name is bound into the ciphertext: a swapped file is refused, not served."""
    store = BlobStore(tmp_path / "blobs", key=KEY)
    other = store.put(b"someone else's letter")
    store.path(SHA).parent.mkdir(parents=True, exist_ok=True)
    store.path(SHA).write_bytes(store.path(other).read_bytes())
    with pytest.raises(StoreError, match="cannot decrypt"):
        store.get(SHA)


def test_encrypted_files_are_0600_in_0700_directories(tmp_path: Path) -> None:
    """Only the mailflow user can read or list the stored correspondence."""
    store = BlobStore(tmp_path / "blobs", key=KEY)
    store.put(RAW)
    assert _mode(store.path(SHA)) == 0o600
    assert _mode(store.path(SHA).parent) == 0o700
    assert _mode(tmp_path / "blobs") == 0o700


def test_key_comes_from_the_variable_the_config_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """blob_key_env names the variable; the config's store then writes encrypted files."""
    monkeypatch.setenv("MAILFLOW_BLOB_KEY", base64.b64encode(KEY).decode())
    config = Config(rules="stafford", data_dir=tmp_path, blob_key_env="MAILFLOW_BLOB_KEY")
    store = config.blob_store()
    assert store.encrypted
    sha = store.put(RAW)
    assert store.get(sha) == RAW
    assert BlobStore(tmp_path / "blobs", key=KEY).get(sha) == RAW


@pytest.mark.parametrize(
    ("value", "problem"),
    [(None, "variable is not set"), ("c2hvcnQ=", "32 random bytes"), ("not base64!", "32 random")],
)
def test_unset_or_malformed_key_is_a_config_error_without_the_value(
    value: str | None, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing, short or garbled key stops start-up with one line naming the variable."""
    if value is None:
        monkeypatch.delenv("MAILFLOW_BLOB_KEY", raising=False)
    else:
        monkeypatch.setenv("MAILFLOW_BLOB_KEY", value)
    with pytest.raises(ConfigError, match=problem) as caught:
        load_blob_key("MAILFLOW_BLOB_KEY")
    assert "MAILFLOW_BLOB_KEY" in str(caught.value)
    assert value is None or value not in str(caught.value)


def test_without_blob_key_env_the_store_writes_plain_files(tmp_path: Path) -> None:
    """Encryption is opt-in: the default configuration stores files as they are."""
    store = Config(rules="stafford", data_dir=tmp_path).blob_store()
    assert not store.encrypted
    assert store.path(store.put(RAW)).read_bytes() == RAW
