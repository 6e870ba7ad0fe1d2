"""A private Postfix on a free loopback port that hands its domains' mail to Dovecot by LMTP.

Configured as shared/TESTING.md describes: its own config directory, queue and log under a
temp dir, SMTP on 127.0.0.1 only, the listed domains delivered to `lmtp:inet:HOST:PORT`, and
every other destination refused by the `error` transport, so a test instance never sends
anything off the machine.

    with Postfix(lmtp_port=dovecot.lmtp_port, domains=("council.test", "customer.test")) as mta:
        smtplib.SMTP(mta.host, mta.port).sendmail(...)
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tests.servers._net import free_port, is_listening, wait_until
from tests.servers.errors import ServerUnavailable

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
REFUSED = "error:5.7.1 outbound delivery disabled"
_SBIN_CANDIDATES = ("/usr/sbin/postfix", "/usr/local/sbin/postfix")
_MASTER_CF_CANDIDATES = (Path("/etc/postfix/master.cf"), Path("/usr/share/postfix/master.cf.dist"))
# A service line of master.cf: name, type, private, unpriv, chroot, wakeup, maxproc, command.
_SERVICE = re.compile(r"^(\S+)(\s+)(\S+)(\s+\S+\s+\S+\s+)(\S+)(\s.*)$")


class PostfixUnavailable(ServerUnavailable):
    """Postfix is not installed, or the private instance would not start."""


def find_postfix() -> str:
    """The path of the `postfix` command, or PostfixUnavailable saying how to get it."""
    found = shutil.which("postfix") or next(
        (path for path in _SBIN_CANDIDATES if os.access(path, os.X_OK)), None
    )
    if found is None:
        raise PostfixUnavailable(
            "postfix is not installed: run bin/test, which installs it (debconf pre-answers "
            "in shared/TESTING.md, then apt-get install -y --no-install-recommends postfix)"
        )
    if os.geteuid() != 0:
        raise PostfixUnavailable("a private postfix instance needs root (postfix start)")
    return found


def master_cf(port: int, host: str = "127.0.0.1") -> str:
    """Debian's master.cf with smtpd bound to host:port and chroot (column 5) off everywhere.

    A queue under a temp dir holds none of the files a chrooted daemon needs.
    """
    source = next((path for path in _MASTER_CF_CANDIDATES if path.exists()), None)
    if source is None:
        raise PostfixUnavailable("no master.cf to start from (is the postfix package whole?)")
    lines = []
    for line in source.read_text().splitlines():
        match = _SERVICE.match(line)
        if match and not line.startswith(("#", " ", "\t")):
            name, gap, kind, middle, _chroot, rest = match.groups()
            if (name, kind) == ("smtp", "inet"):
                name = f"{host}:{port}"
            line = f"{name}{gap}{kind}{middle}n{rest}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main_cf(root: Path, host: str, lmtp: str, domains: Sequence[str]) -> str:
    """main.cf: loopback only, `domains` to `lmtp`, everything else refused (TESTING.md)."""
    return f"""\
compatibility_level = 3.6
queue_directory = {root / "queue"}
data_directory = {root / "data"}
maillog_file = {root / "postfix.log"}
maillog_file_prefixes = /var, /dev/stdout, {root}
myhostname = mail.council.test
mydomain = council.test
myorigin = $mydomain
inet_interfaces = {host}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
smtpd_peername_lookup = no
virtual_mailbox_domains = {" ".join(domains)}
virtual_transport = lmtp:inet:{lmtp}
default_transport = {REFUSED}
relay_transport = {REFUSED}
"""


class Postfix:
    """One private Postfix master with its config, queue and log in a temp dir."""

    def __init__(self, *, lmtp_port: int, domains: Sequence[str], host: str = "127.0.0.1") -> None:
        self.binary = find_postfix()
        self.host = host
        self.port = free_port(host)
        self.root = Path(tempfile.mkdtemp(prefix="mailflow-postfix-", dir="/tmp"))
        self.root.chmod(0o755)
        self.config_dir = self.root / "etc"
        self.log_file = self.root / "postfix.log"
        self.config_dir.mkdir()
        (self.root / "queue").mkdir(mode=0o755)
        (self.root / "data").mkdir()
        postfix_user = pwd.getpwnam("postfix")
        os.chown(self.root / "data", postfix_user.pw_uid, postfix_user.pw_gid)
        lmtp = f"{host}:{lmtp_port}"
        (self.config_dir / "main.cf").write_text(main_cf(self.root, host, lmtp, domains))
        (self.config_dir / "master.cf").write_text(master_cf(self.port, host))
        self._started = False
        atexit.register(self.cleanup)

    def _postfix(self, *args: str) -> None:
        done = subprocess.run(
            [self.binary, "-c", str(self.config_dir), *args],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise PostfixUnavailable(
                f"postfix {' '.join(args)} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()}\n{self.log_tail()}"
            )

    def start(self) -> None:
        """Check the config (creating the queue's directories) and start; return once SMTP
        listens. No ``set-permissions``: it re-chmods every file the package installed (3 s)."""
        if self._started:
            return
        self._postfix("check")
        self._postfix("start")
        self._started = True
        if not wait_until(lambda: is_listening(self.host, self.port), START_TIMEOUT):
            self.stop()
            raise PostfixUnavailable(
                f"postfix did not listen on {self.host}:{self.port}; its log says:\n"
                f"{self.log_tail()}"
            )

    def stop(self) -> None:
        """Stop the master (it stops its children) and wait until the port is free."""
        if not self._started:
            return
        self._started = False
        subprocess.run(
            [self.binary, "-c", str(self.config_dir), "stop"],
            capture_output=True,
            timeout=STOP_TIMEOUT,
            check=False,
        )
        wait_until(lambda: not is_listening(self.host, self.port), STOP_TIMEOUT)

    def cleanup(self) -> None:
        """Stop and delete the temp dir with its queue and log."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.cleanup)

    def __enter__(self) -> Postfix:
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
        """The last lines of Postfix's log, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
