"""The one error of the token providers; one line, never holding a token or a client secret.

    MailflowError                 (mailflow.errors)
    └── TokenError                no token could be had: the command failed, the identity
                                  provider refused the client credentials or did not answer

The mail source and the SMTP backend turn it into their own errors (a failed login, a temporary
delivery failure): the next connection asks again.
"""

from __future__ import annotations

from mailflow.errors import MailflowError


class TokenError(MailflowError):
    """No access token could be had; the message says from where and why, on one line."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = " ".join(problem.split())[:300] or "failed"
        super().__init__(f"{source}: {self.problem}")
