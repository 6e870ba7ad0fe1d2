"""``mailflow backup`` and ``mailflow restore``: the database and the blob store, together.

The database alone is not a backup: raw messages, attachments and letters live as files under
``data_dir/blobs`` and the database only names them. A backup is one folder holding a
consistent copy of both and a manifest with each file's SHA-256, so a restore can refuse a
damaged or incomplete copy before it touches anything.

- SQLite is copied with SQLite's online backup API: consistent while the daemon runs.
- PostgreSQL is dumped with ``pg_dump --format=custom`` (one snapshot) and restored with
  ``pg_restore``; both must be installed, at the server's major version or newer.
- Blobs are archived as they are on disk: encrypted blobs stay encrypted, so the key
  (``blob_key_env``) must be kept too, and apart from the backups.

The folder holds personal data: it is created 0700 with its files 0600. Blobs are archived
after the database copy, so every blob the copy names is in the archive (a blob is written
before the row that names it); an extra blob written meanwhile is harmless.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from mailflow import __version__
from mailflow.errors import StoreError
from mailflow.store import migrate
from mailflow.store.db import display_url, make_engine

MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite"
POSTGRES_DUMP = "database.pgdump"
BLOBS = "blobs.tar.gz"
FORMAT = 1
COUNTED = ("contact", "message", "blob", "outbox", "audit")


@dataclass(frozen=True)
class Backup:
    """A backup folder and what it holds, as its manifest says."""

    folder: Path
    manifest: dict[str, Any]


def backup(url: str, blob_dir: Path, out: Path, *, now: datetime | None = None) -> Backup:
    """Write a backup of the database at ``url`` and the blobs under ``blob_dir`` into a new
    folder under ``out`` named by the time; returns it."""
    now = now or datetime.now(UTC)
    folder = out / f"mailflow-backup-{now.strftime('%Y%m%dT%H%M%SZ')}"
    parsed = _parse(url)
    counts = _counts(url)  # proves it answers first; PostgreSQL's, as the dump began
    out.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        raise StoreError(f"backup: {folder} exists already; choose another --out") from None
    old_umask = os.umask(0o077)
    try:
        if parsed.get_backend_name() == "sqlite":
            database = _copy_sqlite(_sqlite_path(parsed), folder / SQLITE_COPY)
            counts = _counts(f"sqlite:///{folder / SQLITE_COPY}")  # exactly what the copy holds
        else:
            database = _dump_postgres(parsed, folder / POSTGRES_DUMP)
        _archive(blob_dir, folder / BLOBS)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # never leave a half backup that looks whole
        raise
    finally:
        os.umask(old_umask)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "mailflow_version": __version__,
        "database": parsed.get_backend_name(),
        "revision": migrate.current(url),
        "counts": counts,
        "files": {p.name: _digest(p) for p in (folder / database, folder / BLOBS)},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.chmod(folder / MANIFEST, 0o600)
    return Backup(folder=folder, manifest=manifest)


def restore(folder: Path, url: str, blob_dir: Path, *, force: bool = False) -> Backup:
    """Put the backup in ``folder`` back: the database at ``url`` (then migrated to this
    version) and its blobs under ``blob_dir``. Refuses a damaged backup, and a database that
    already holds contacts unless ``force``; the daemon must be stopped."""
    manifest = _checked_manifest(folder)
    parsed = _parse(url)
    if manifest["database"] != parsed.get_backend_name():
        raise StoreError(
            f"restore: {folder} holds a {manifest['database']} backup; "
            f"{display_url(url)} is {parsed.get_backend_name()}"
        )
    if not force and _holds_contacts(url):
        raise StoreError(
            f"restore: {display_url(url)} already holds contacts; stop the daemon and give "
            "--force to replace them"
        )
    staging = blob_dir.parent / f".{blob_dir.name}-restoring"
    _unpack(folder / BLOBS, staging)  # a bad archive stops here, before the database changes
    try:
        if parsed.get_backend_name() == "sqlite":
            _copy_sqlite(folder / SQLITE_COPY, _sqlite_path(parsed))
        else:
            _restore_postgres(folder / POSTGRES_DUMP, parsed)
        _move_into(staging, blob_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    migrate.upgrade(url)  # a backup of an older mailflow is brought up to this one
    return Backup(folder=folder, manifest=manifest)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for a malformed URL
        raise StoreError(f"database {display_url(url)}: {exc}") from None


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise StoreError(f"database {display_url(url)}: an in-memory database has no backup")
    return Path(url.database)


def _counts(url: str) -> dict[str, int]:
    """Rows per main table: what the restore is checked against, and what an operator reads."""
    engine = make_engine(url)
    try:
        with engine.connect() as db:
            return {t: db.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}
    except Exception as exc:
        raise StoreError(f"database {display_url(url)}: not a mailflow database ({exc})") from None
    finally:
        engine.dispose()


def _holds_contacts(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as db:
            if not engine.dialect.has_table(db, "contact"):
                return False
            return bool(db.execute(text("SELECT count(*) FROM contact")).scalar_one())
    finally:
        engine.dispose()


def _copy_sqlite(source: Path, target: Path) -> str:
    """An online, consistent copy through SQLite's backup API (the WAL included)."""
    if not source.is_file():
        raise StoreError(f"backup: {source}: no such SQLite database")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise StoreError(f"backup: {source} -> {target}: {exc}") from None
    finally:
        dst.close()
        src.close()
    return target.name


def _libpq(url: URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, args: list[str], url: URL) -> None:
    if shutil.which(tool) is None:
        raise StoreError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[0] if lines else f"exit code {done.returncode}"
        raise StoreError(f"{tool} {display_url(url)}: {why}")


def _dump_postgres(url: URL, target: Path) -> str:
    _run("pg_dump", ["--format=custom", "--no-owner", f"--file={target}", _libpq(url)], url)
    return target.name


def _restore_postgres(dump: Path, url: URL) -> None:
    args = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run("pg_restore", [*args, f"--dbname={_libpq(url)}", str(dump)], url)


def _archive(blob_dir: Path, target: Path) -> None:
    with tarfile.open(target, "w:gz") as tar:
        if blob_dir.is_dir():
            for path in sorted(blob_dir.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(path.relative_to(blob_dir)))


def _unpack(archive: Path, staging: Path) -> None:
    """The archive's blobs into an empty ``staging`` folder, 0600 in 0700 folders. The ``data``
    filter refuses links, absolute names and ``..``: a tampered archive writes nothing outside."""
    shutil.rmtree(staging, ignore_errors=True)  # what an interrupted restore left
    staging.mkdir(parents=True, mode=0o700)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StoreError(f"restore: {archive}: {exc}") from None
    for path in staging.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _move_into(staging: Path, blob_dir: Path) -> None:
    """Each unpacked blob to its place in the blob store (an existing one has the same name,
    so the same content: it is replaced by its copy)."""
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            target = blob_dir / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(path, target)


def _digest(path: Path) -> dict[str, Any]:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": sha.hexdigest()}


def _checked_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, after checking every file it names is there with its SHA-256."""
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"restore: {folder}: no {MANIFEST}; not a mailflow backup") from None
    except ValueError as exc:
        raise StoreError(f"restore: {folder / MANIFEST}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise StoreError(f"restore: {folder / MANIFEST}: unknown format {manifest.get('format')}")
    for name, want in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise StoreError(f"restore: {path}: missing; the backup is incomplete")
        if _digest(path)["sha256"] != want["sha256"]:
            raise StoreError(f"restore: {path}: SHA-256 differs from the manifest; damaged copy")
    return manifest
