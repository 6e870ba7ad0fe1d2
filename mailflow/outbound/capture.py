"""``CaptureBackend``: writes each mail as a ``.eml`` file in a folder instead of sending it.

``mailflow demo`` uses it so a run leaves the mail it would have sent where a person can open
it. Files are named ``0001-<message-id>.eml`` in sending order; each is written to a temporary
name and renamed into place, so a reader never sees half a mail. A resend of the same
Message-ID (after a crash) gets a file of its own, as a real recipient would get a second copy.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

from mailflow.errors import TemporaryDeliveryError
from mailflow.outbound.backends import MailBackend, OutgoingMail

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]")


class CaptureBackend(MailBackend):
    """Mail written to ``folder`` (created if missing), one ``.eml`` file each."""

    name = "capture"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = asyncio.Lock()

    def files(self) -> list[Path]:
        """The captured mail files, in sending order."""
        return sorted(self.folder.glob("*.eml"))

    async def deliver(self, mail: OutgoingMail) -> None:
        """Write ``mail`` as the next file in the folder."""
        async with self._lock:
            try:
                await asyncio.to_thread(self._write, mail)
            except OSError as exc:
                raise TemporaryDeliveryError(
                    f"{self.name}: cannot write to {self.folder}: {exc.strerror}"
                ) from exc

    def _write(self, mail: OutgoingMail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        number = len(self.files()) + 1
        stem = _UNSAFE.sub("", mail.message_id)[:120] or "mail"
        target = self.folder / f"{number:04d}-{stem}.eml"
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(mail.data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
