"""Helpers of the OAuth2 tests: a token command that counts its runs, mailbox settings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mailflow.config import MailboxConfig
from tests.servers.dovecot import Mailbox

TOKEN_SCRIPT = """\
import pathlib, sys
counter = pathlib.Path(sys.argv[1])
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
print(f"{sys.argv[2]}-{n}")
"""


def token_command(directory: Path, prefix: str) -> list[str]:
    """A command printing ``PREFIX-1``, then ``PREFIX-2``, ... one more on each run."""
    script = directory / "print_token.py"
    script.write_text(TOKEN_SCRIPT)
    return [sys.executable, str(script), str(directory / "runs"), prefix]


def runs(directory: Path) -> int:
    """How often the command made by `token_command` in ``directory`` has run."""
    counter = directory / "runs"
    return int(counter.read_text()) if counter.exists() else 0


def oauth_mailbox(box: Mailbox, command: list[str], **oauth2: Any) -> MailboxConfig:
    """Settings for ``box`` logging in with tokens from ``command`` (plain IMAP on loopback)."""
    settings: dict[str, Any] = {"provider": "command", "token_command": command}
    settings.update(oauth2)
    return MailboxConfig.model_validate(
        {
            "name": "complaints",
            "address": box.address,
            "user": box.address,
            "host": box.host,
            "port": box.imap_port,
            "security": "none",
            "auth": "oauth2",
            "oauth2": settings,
        }
    )
