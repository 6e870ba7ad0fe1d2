"""`MaildirSource`: the same interface over a local Maildir, for tests and `mailflow demo`.

Maildir has no UIDs, so the source keeps them beside the mail, in ``mailflow-uids.json``: each
message key gets the next UID the first time it is seen (in delivery order, from the key's
timestamp), and the map's UIDVALIDITY is fixed when the file is created; deleting the file
starts a new UIDVALIDITY, as recreating an IMAP folder does. Folders are Maildir++ ``.Name``
sub-directories (``/`` in a name becomes ``.``); ``INBOX`` is the Maildir itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mailbox
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from mailflow.ingest.errors import SourceError, SourceRefused
from mailflow.ingest.source import Fetched

UIDS_FILE = "mailflow-uids.json"
_DIGITS = re.compile(r"(\d+)")


def _delivery_order(key: str) -> list[str | int]:
    """Sort key for Maildir names (``<seconds>.M<usec>P<pid>...``): numbers compared as numbers."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(key)]


class MaildirSource:
    """A `MailSource` over a Maildir at ``root`` (created if missing); ``wait`` polls."""

    def __init__(self, root: Path, name: str, *, poll_seconds: float = 0.2) -> None:
        self.name = name
        self.root = root
        self._poll = poll_seconds
        self._box: mailbox.Maildir | None = None
        self._uidvalidity = 0
        self._next_uid = 1
        self._uids: dict[str, int] = {}

    async def connect(self) -> int:
        """Open (or create) the Maildir and its UID map; return the map's UIDVALIDITY."""
        with self._io("connect"):
            # mailbox.Maildir(create=True) skips the sub-directories when the root exists.
            for sub in ("tmp", "new", "cur"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(self.root, create=False)
            self._load_uids()
        return self._uidvalidity

    async def close(self) -> None:
        """Forget the open Maildir; the UID map is already on disk."""
        self._box = None

    async def fetch_after(self, last_uid: int) -> AsyncIterator[Fetched]:
        """Number any new messages, then yield those above ``last_uid``, ascending."""
        box = self._open("fetch")
        with self._io("fetch"):
            self._number_new(box)
        for key, uid in sorted(self._uids.items(), key=lambda item: item[1]):
            if uid <= last_uid:
                continue
            with self._io("fetch"):
                try:
                    raw = box.get_bytes(key)
                except KeyError:  # filed or deleted since it was numbered
                    continue
            yield Fetched(mailbox=self.name, uidvalidity=self._uidvalidity, uid=uid, raw=raw)
            await asyncio.sleep(0)

    async def file(self, uid: int, folder: str) -> None:
        """Copy the message into the folder's Maildir, then remove it here (as COPY+EXPUNGE)."""
        box = self._open("file")
        key = next((k for k, u in self._uids.items() if u == uid), None)
        if key is None:
            return  # already gone: nothing left to file
        with self._io("file"):
            try:
                raw = box.get_bytes(key)
            except KeyError:
                return
            self._folder(box, folder, "file").add(raw)
            box.discard(key)

    async def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        """Add ``raw`` to the folder; a seen message goes to ``cur/`` with the S flag."""
        box = self._open("append")
        with self._io("append"):
            target = self._folder(box, folder, "append")
            key = target.add(raw)
            if seen:
                where = self._folder_path(folder)
                os.replace(where / "new" / key, where / "cur" / f"{key}{target.colon}2,S")

    async def wait(self, timeout: float) -> bool:
        """Poll the directory every ``poll_seconds`` until an unnumbered message appears."""
        box = self._open("wait")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._io("wait"):
                if any(key not in self._uids for key in box.iterkeys()):
                    return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.sleep(min(self._poll, left))

    # -- helpers -----------------------------------------------------------------------------

    def _open(self, action: str) -> mailbox.Maildir:
        if self._box is None:
            raise SourceError(self.name, action, "not connected")
        return self._box

    @contextlib.contextmanager
    def _io(self, action: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise SourceError(self.name, action, f"{exc.strerror or exc}") from None

    def _folder_path(self, folder: str) -> Path:
        return self.root if folder.upper() == "INBOX" else self.root / ("." + folder)

    def _folder(self, box: mailbox.Maildir, folder: str, action: str) -> mailbox.Maildir:
        """The Maildir++ folder for ``folder`` (created if missing)."""
        if folder.upper() == "INBOX":
            return box
        plain = folder.replace("/", ".")
        if not plain or plain.startswith(".") or os.sep in plain or ".." in plain:
            raise SourceRefused(self.name, action, f"unusable folder name {folder!r}")
        return box.add_folder(plain)

    def _load_uids(self) -> None:
        path = self.root / UIDS_FILE
        if path.exists():
            try:
                state = json.loads(path.read_text(encoding="utf-8"))
                self._uidvalidity = int(state["uidvalidity"])
                self._next_uid = int(state["next_uid"])
                self._uids = {str(k): int(v) for k, v in state["uids"].items()}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                problem = f"{path} is unreadable ({type(exc).__name__}); remove it to renumber"
                raise SourceError(self.name, "connect", problem) from None
        else:
            self._uidvalidity, self._next_uid, self._uids = int(time.time()), 1, {}
            self._save_uids()

    def _number_new(self, box: mailbox.Maildir) -> None:
        """Give every unnumbered message the next UID; forget keys that are gone."""
        present = set(box.iterkeys())
        new = sorted(present - self._uids.keys(), key=_delivery_order)
        gone = self._uids.keys() - present
        if not new and not gone:
            return
        for key in gone:
            del self._uids[key]
        for key in new:
            self._uids[key] = self._next_uid
            self._next_uid += 1
        self._save_uids()

    def _save_uids(self) -> None:
        """Write the map atomically, so a crash never loses or reuses a UID."""
        state = {"uidvalidity": self._uidvalidity, "next_uid": self._next_uid, "uids": self._uids}
        path = self.root / UIDS_FILE
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(scratch, path)
