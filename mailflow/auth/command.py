"""`CommandTokenSource`: a token printed by a command, for providers mailflow has no client for.

The command runs without a shell or standard input and prints either the bare token (valid for
the configured lifetime) or an OAuth2 token response, ``{"access_token": ..., "expires_in":
...}`` (RFC 6749 section 5.1), whose ``expires_in`` then wins. A command that fails, hangs or
prints anything else is a `TokenError` that quotes its standard error, never its output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Sequence
from datetime import timedelta

from mailflow.auth.errors import TokenError
from mailflow.auth.tokens import Token

# Printable ASCII without spaces: anything else would break the SASL framing (RFC 7628 3.1).
_TOKEN = re.compile(r"^[\x21-\x7e]+$")


class CommandTokenSource:
    """Runs ``argv`` for each new token."""

    def __init__(self, argv: Sequence[str], *, lifetime: timedelta, timeout: float) -> None:
        if not argv:
            raise ValueError("token_command is empty")
        self.argv = tuple(argv)
        self.lifetime = lifetime
        self.timeout = timeout
        self.describe = f"token command {self.argv[0]}"

    async def fetch(self) -> Token:
        """Run the command once and read the token from what it prints."""
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise TokenError(self.describe, f"cannot be run ({exc.strerror})") from None
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise TokenError(self.describe, f"gave no token within {self.timeout:g} s") from None
        if process.returncode != 0:
            said = err.decode("utf-8", "replace").strip().splitlines()
            detail = f": {said[0]}" if said else ""
            raise TokenError(self.describe, f"failed (exit {process.returncode}){detail}")
        return read_token(out, self.lifetime, self.describe)


def read_token(output: bytes, lifetime: timedelta, source: str) -> Token:
    """The token in a command's output: a bare token or a JSON token response."""
    text = output.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            answer = json.loads(text)
            value, expires_in = answer["access_token"], answer.get("expires_in")
            if expires_in is not None:
                lifetime = timedelta(seconds=float(expires_in))
        except (ValueError, KeyError, TypeError):
            raise TokenError(source, "printed JSON without a usable access_token") from None
    else:
        value = text
    if not isinstance(value, str) or not value:
        raise TokenError(source, "printed no token")
    if not _TOKEN.match(value):
        raise TokenError(source, "printed something that is not one token (spaces or lines?)")
    return Token(value, lifetime)
