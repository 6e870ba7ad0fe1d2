"""Errors of the inbound-mail shell, each one line and never carrying a password.

    MailflowError                    (mailflow.errors)
    └── SourceError                  the mail source failed: reconnect after a backoff
        ├── LoginRefused             the server refused the login (wrong user or password)
        └── SourceRefused            the server refused one operation on one message; the
                                     connection is still usable (a folder it will not create)

The watcher decides what to do with each: ``SourceRefused`` from filing sets that message aside
for the rest of the connection; every other ``SourceError`` closes the connection and retries.
"""

from __future__ import annotations

from mailflow.errors import MailflowError


def one_line(text: str, *, secret: str = "", limit: int = 300) -> str:
    """``text`` on one line, at most ``limit`` characters, with ``secret`` blanked out (also
    as an IMAP quoted string would escape it, RFC 3501 section 4.3)."""
    if secret:
        escaped = secret.replace("\\", "\\\\").replace('"', '\\"')
        text = text.replace(secret, "***").replace(escaped, "***")
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class SourceError(MailflowError):
    """A mail source failed; the message names the mailbox and the step, on one line."""

    def __init__(self, mailbox: str, action: str, problem: str, *, secret: str = "") -> None:
        self.mailbox = mailbox
        self.action = action
        self.problem = one_line(problem, secret=secret) or "failed"
        super().__init__(f"mailbox {mailbox}: {action}: {self.problem}")


class LoginRefused(SourceError):
    """The server refused the login; retried with backoff (the password may be rotated)."""


class SourceRefused(SourceError):
    """The server refused one operation on one message; the connection stays usable."""
