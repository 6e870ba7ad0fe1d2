"""A private Dovecot (IMAP + LMTP) on free loopback ports, for tests and benchmarks.

Configured as shared/TESTING.md describes: passwd-file users, maildir under a temp dir, one
`inbox` namespace with `/` as separator and an auto-subscribed `\\Sent` mailbox. Running as root,
mail is stored as the `mail` user (Dovecot refuses root); as any other user, as that user.

    with Dovecot(users={"complaints@council.test": "secret"}) as server:
        server.append("complaints@council.test", "secret", raw)
        server.restart()                     # same ports, same mail
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import pwd
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

from tests.servers._net import free_port, is_listening, wait_until
from tests.servers.dovecot_config import render_config
from tests.servers.errors import ServerUnavailable

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SHUTDOWN_GRACE = 0.25
# Where Debian puts the binary; not on PATH for users other than root.
_SBIN_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
# Spare users added in one passwd-file write, so fresh_mailbox() rarely waits for a reread.
MAILBOX_BATCH = 50
MAILBOX_PASSWORD = "secret"


class DovecotUnavailable(ServerUnavailable):
    """Dovecot is not installed, or the private instance would not start."""


def find_dovecot() -> str:
    """Return the path of the `dovecot` binary, or raise DovecotUnavailable saying how to get it."""
    found = shutil.which("dovecot") or next(
        (path for path in _SBIN_CANDIDATES if os.access(path, os.X_OK)), None
    )
    if found is None:
        raise DovecotUnavailable(
            "dovecot is not installed: run bin/test, which installs dovecot-imapd and "
            "dovecot-lmtpd (apt-get install -y dovecot-imapd dovecot-lmtpd)"
        )
    return found


@dataclass(frozen=True)
class Mailbox:
    """One user's mailbox on a Dovecot, with the server's helpers bound to its login."""

    address: str
    password: str
    server: Dovecot

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def imap_port(self) -> int:
        return self.server.imap_port

    @property
    def lmtp_port(self) -> int:
        return self.server.lmtp_port

    def append(self, raw: bytes, folder: str = "INBOX") -> int | None:
        return self.server.append(self.address, self.password, raw, folder)

    def deliver(self, raw: bytes, sender: str = "sender@example.org") -> None:
        self.server.deliver_lmtp(self.address, raw, sender)

    def fetch_all(self, folder: str = "INBOX") -> list[bytes]:
        return self.server.fetch_all(self.address, self.password, folder)

    def folders(self) -> list[str]:
        return self.server.folders(self.address, self.password)


class Dovecot:
    """One private Dovecot master process with its config, users and mail in a temp dir.

    Ports are chosen once, in the constructor, so `stop()` then `start()` (or `restart()`)
    brings the server back where clients expect it, with the same mail and UIDVALIDITY.
    """

    def __init__(self, users: Mapping[str, str] | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.imap_port = free_port(host)
        self.lmtp_port = free_port(host)
        while self.lmtp_port == self.imap_port:
            self.lmtp_port = free_port(host)
        self.binary = find_dovecot()
        # Not pytest's tmp_path: that sits under a 0700 directory the mail user cannot enter.
        self.root = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-", dir="/tmp"))
        self.root.chmod(0o755)
        self.mail_dir = self.root / "mail"
        self.passwd_file = self.root / "users"
        self.config_file = self.root / "dovecot.conf"
        self.log_file = self.root / "dovecot.log"
        self._users: dict[str, str] = {}
        self._spare: list[str] = []
        self._boxes_made = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._prepare_dirs()
        self.add_users(users or {})
        self.config_file.write_text(self._config())
        # A script that dies without cleanup() must not leave a Dovecot running.
        atexit.register(self.cleanup)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the master in the foreground of a child process; return once both ports listen."""
        if self.running:
            return
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() can end it all
            )
        process = self._process
        ready = wait_until(lambda: process.poll() is not None or self._listening(), START_TIMEOUT)
        if process.poll() is not None or not ready:
            self.stop()
            raise DovecotUnavailable(
                f"dovecot did not start on {self.host}:{self.imap_port} (imap) and "
                f":{self.lmtp_port} (lmtp); its log says:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """Stop Dovecot and wait until both ports are free again; the mail stays on disk.

        The master is asked to stop (SIGTERM: it signals its children, which say BYE to IMAP
        clients), then, after a short grace, its whole process group is killed: the master
        would otherwise sit in a fixed 1 s sleep (6 s just after start) before exiting.
        Everything a client was told OK is already written by then.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(SHUTDOWN_GRACE)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)
        wait_until(lambda: not self._listening(any_port=True), STOP_TIMEOUT)

    def _listening(self, any_port: bool = False) -> bool:
        """Whether both ports (or, with any_port, either of them) accept connections."""
        states = [is_listening(self.host, port) for port in (self.imap_port, self.lmtp_port)]
        return any(states) if any_port else all(states)

    def restart(self) -> None:
        """Stop and start again on the same ports; the mail stays."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop and delete the temp dir with its mail."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.cleanup)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of Dovecot's log, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- users -------------------------------------------------------------------------------

    @property
    def users(self) -> dict[str, str]:
        return dict(self._users)

    def add_user(self, address: str, password: str) -> None:
        """Add (or change) one user; see `add_users`."""
        self.add_users({address: password})

    def add_users(self, users: Mapping[str, str]) -> None:
        """Add (or change) users by rewriting the passwd-file; the next login sees them.

        Dovecot checks the passwd-file's mtime and size at most once a second, so on a running
        server this returns only once the clock has moved into the next second (at most 1 s):
        add many users in one call rather than one by one.
        """
        for address, password in users.items():
            if any(bad in address for bad in ":\n\r") or any(bad in password for bad in "\n\r"):
                raise ValueError(f"unusable user for a passwd-file: {address!r}")
        self._users.update(users)
        written_at = self._write_passwd_file()
        if self.running:
            wait_until(lambda: time.time() >= math.floor(written_at) + 1, 2.0, interval=0.01)

    def reserve_mailboxes(self, count: int = MAILBOX_BATCH) -> None:
        """Add `count` spare users for fresh_mailbox() in one passwd-file write."""
        start = self._boxes_made + len(self._spare) + 1
        new = [f"box{n:04d}@council.test" for n in range(start, start + count)]
        self.add_users(dict.fromkeys(new, MAILBOX_PASSWORD))
        self._spare.extend(new)

    def fresh_mailbox(self) -> Mailbox:
        """A user no one has used yet (password `secret`), so a test sees only its own mail."""
        if not self._spare:
            self.reserve_mailboxes()
        address = self._spare.pop(0)
        self._boxes_made += 1
        return Mailbox(address, self._users[address], self)

    def mailbox(self, address: str) -> Mailbox:
        """The Mailbox of an existing user."""
        return Mailbox(address, self._users[address], self)

    def _write_passwd_file(self) -> float:
        lines = "".join(f"{user}:{{PLAIN}}{pw}\n" for user, pw in self._users.items())
        old_mtime = self.passwd_file.stat().st_mtime if self.passwd_file.exists() else 0.0
        scratch = self.passwd_file.with_suffix(".new")
        scratch.write_text(lines)
        scratch.chmod(0o644)
        # Dovecot rereads the file when its mtime or size changes: make sure the mtime does,
        # even for a same-length change within the same second.
        written_at = time.time()
        stamp = max(written_at, old_mtime + 1)
        os.utime(scratch, (stamp, stamp))
        scratch.replace(self.passwd_file)
        return written_at

    # -- mail helpers (blocking; call them with asyncio.to_thread from async tests) ----------

    def imap_client(self, user: str, password: str) -> IMAPClient:
        """A logged-in IMAPClient connection; the caller logs out."""
        client = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def append(self, user: str, password: str, raw: bytes, folder: str = "INBOX") -> int | None:
        """APPEND a message to `folder`; return its UID when the server gives APPENDUID."""
        client = self.imap_client(user, password)
        try:
            response = client.append(folder, raw)
        finally:
            client.logout()
        match = _APPENDUID.search(response)
        return int(match.group(1)) if match else None

    def deliver_lmtp(self, rcpt: str, raw: bytes, sender: str = "sender@example.org") -> None:
        """Deliver a message over LMTP to one recipient (LMTP answers per recipient)."""
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(sender, [rcpt], raw)

    def fetch_all(self, user: str, password: str, folder: str = "INBOX") -> list[bytes]:
        """Every message in `folder`, raw, in UID order, without setting \\Seen."""
        client = self.imap_client(user, password)
        try:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            fetched = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(fetched[uid][b"BODY[]"]) for uid in uids]
        finally:
            client.logout()

    def folders(self, user: str, password: str) -> list[str]:
        """The names of the user's folders, as LIST returns them."""
        client = self.imap_client(user, password)
        try:
            return [name for _flags, _sep, name in client.list_folders()]
        finally:
            client.logout()

    # -- configuration -----------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(mode=0o755)
        if os.geteuid() == 0:
            mail = pwd.getpwnam("mail")
            os.chown(self.mail_dir, mail.pw_uid, mail.pw_gid)

    def _config(self) -> str:
        return render_config(
            root=self.root,
            host=self.host,
            imap_port=self.imap_port,
            lmtp_port=self.lmtp_port,
            mail_dir=self.mail_dir,
            passwd_file=self.passwd_file,
            log_file=self.log_file,
        )
