"""Content-addressed byte storage on disk: raw messages, attachments and letters, by SHA-256.

Bytes stay out of the database so it stays small and quick to back up, while the ``blob`` table
records what exists. A blob's name is the SHA-256 of its bytes, so storing the same bytes twice
is one file, a name can be checked against its content, and a reader never sees half a file:
each file is written to a temporary name, flushed to disk, then renamed into place (atomic on
POSIX). Files are 0600 and directories 0700 because they hold residents' correspondence.

Layout: ``<root>/ab/cdef...`` (the first two hex digits shard the directory).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from mailflow.errors import NotFound, StoreError

_SHA256 = re.compile(r"[0-9a-f]{64}")
FILE_MODE = 0o600
DIR_MODE = 0o700


class BlobStore:
    """Blobs under ``root``; every method is safe to repeat and to call from several threads."""

    def __init__(self, root: Path) -> None:
        self.root = root

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
                    temp.write(data)
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
        if hashlib.sha256(data).hexdigest() != sha:
            raise StoreError(f"blob store {self.root}: {sha} is corrupt (content does not match)")
        return data

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
