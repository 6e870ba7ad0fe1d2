"""Content-addressed byte storage on disk: raw messages, attachments and letters, by SHA-256.

Bytes stay out of the database so it stays small and quick to back up, while the ``blob`` table
records what exists. A blob's name is the SHA-256 of its bytes, so storing the same bytes twice
is one file, a name can be checked against its content, and a reader never sees half a file:
each file is written to a temporary name, flushed to disk, then renamed into place (atomic on
POSIX). Files are 0600 and directories 0700 because they hold residents' correspondence.

Layout: ``<root>/ab/cdef...`` (the first two hex digits shard the directory).

Encryption at rest (optional, ``blob_key_env`` in ``mailflow.toml``): with a key, each file is
``MAGIC || nonce(12) || AES-256-GCM(plaintext)`` with the blob's name as associated data, so a
file copied under another name fails to decrypt rather than passing for that blob. Blobs are
still named by the plaintext's SHA-256, so deduplication and the ``blob`` table are unchanged,
and a store may mix older plain files with encrypted ones: a file whose bytes already hash to
its name is plain; otherwise it must carry ``MAGIC`` and decrypt with the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mailflow.errors import ConfigError, NotFound, StoreError

_SHA256 = re.compile(r"[0-9a-f]{64}")
FILE_MODE = 0o600
DIR_MODE = 0o700
MAGIC = b"MFBLOB-AESGCM-1\n"  # marks an encrypted file; version 1 of the layout
NONCE_BYTES = 12  # the GCM nonce size NIST SP 800-38D recommends; random per file


def load_blob_key(variable: str) -> bytes:
    """The 32-byte AES key from environment variable ``variable`` (base64, 44 characters).

    Make one with ``head -c 32 /dev/urandom | base64``. A missing or malformed key is a
    ``ConfigError`` naming the variable and never showing its value.
    """
    value = os.environ.get(variable)
    if not value:
        raise ConfigError("environment", variable, "variable is not set (the blob encryption key)")
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError(
            "environment",
            variable,
            "must hold 32 random bytes in base64 (head -c 32 /dev/urandom | base64)",
        )
    return key


class BlobStore:
    """Blobs under ``root``; every method is safe to repeat and to call from several threads.

    With ``key`` (32 bytes) new blobs are written encrypted; reading accepts plain and
    encrypted files alike, and ``key_name`` (the variable it came from) names it in errors.
    """

    def __init__(self, root: Path, key: bytes | None = None, key_name: str = "") -> None:
        if key is not None and len(key) != 32:
            raise ValueError("a blob key is 32 bytes (AES-256)")
        self.root = root
        self._aead = AESGCM(key) if key is not None else None
        self._key_name = key_name or "the blob key"

    @property
    def encrypted(self) -> bool:
        """Whether new blobs are written encrypted."""
        return self._aead is not None

    def path(self, sha: str) -> Path:
        """Where the blob named ``sha`` lives (it may not exist); refuses anything but a digest."""
        if not _SHA256.fullmatch(sha):
            raise ValueError(f"not a lowercase SHA-256 hex digest: {sha[:80]!r}")
        return self.root / sha[:2] / sha[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 hex digest; storing it again changes nothing."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        try:
            self._make_dir(self.root)
            self._make_dir(target.parent)
            fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as temp:
                    temp.write(self._seal(sha, data))
                    temp.flush()
                    os.fsync(temp.fileno())
                os.chmod(temp_name, FILE_MODE)
                os.replace(temp_name, target)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
        except OSError as exc:
            raise StoreError(f"blob store {self.root}: cannot write {sha}: {exc.strerror}") from exc
        return sha

    def get(self, sha: str) -> bytes:
        """The bytes of blob ``sha``: ``NotFound`` if absent, ``StoreError`` if altered on disk."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob {sha} is not in {self.root}") from None
        except OSError as exc:
            raise StoreError(f"blob store {self.root}: cannot read {sha}: {exc.strerror}") from exc
        if hashlib.sha256(data).hexdigest() == sha:
            return data  # a plain file (written without a key, or before encryption was on)
        if not data.startswith(MAGIC):
            raise StoreError(f"blob store {self.root}: {sha} is corrupt (content does not match)")
        plain = self._open(sha, data)
        if hashlib.sha256(plain).hexdigest() != sha:
            raise StoreError(f"blob store {self.root}: {sha} is corrupt (content does not match)")
        return plain

    def exists(self, sha: str) -> bool:
        """Whether blob ``sha`` is stored."""
        return self.path(sha).is_file()

    def delete(self, sha: str) -> bool:
        """Remove blob ``sha``; returns whether there was one. The caller checks legal holds."""
        try:
            self.path(sha).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(
                f"blob store {self.root}: cannot delete {sha}: {exc.strerror}"
            ) from exc
        return True

    def _seal(self, sha: str, data: bytes) -> bytes:
        """The file's bytes: ``data`` itself, or encrypted under a fresh random nonce."""
        if self._aead is None:
            return data
        nonce = os.urandom(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, data, sha.encode("ascii"))

    def _open(self, sha: str, data: bytes) -> bytes:
        """Decrypt an encrypted file; a missing or wrong key is one clear line."""
        if self._aead is None:
            raise StoreError(
                f"blob store {self.root}: {sha} is encrypted but no key is configured"
                " (set blob_key_env in mailflow.toml and the variable it names)"
            )
        body = data[len(MAGIC) :]
        nonce, sealed = body[:NONCE_BYTES], body[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, sha.encode("ascii"))
        except InvalidTag:
            raise StoreError(
                f"blob store {self.root}: cannot decrypt {sha}: wrong key in {self._key_name}"
                " or the file was altered"
            ) from None

    @staticmethod
    def _make_dir(directory: Path) -> None:
        """Create ``directory`` as 0700 unless it exists (missing parents get the default mode)."""
        if directory.is_dir():
            return
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        directory.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry so a rename survives a crash (POSIX leaves it to the caller)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
