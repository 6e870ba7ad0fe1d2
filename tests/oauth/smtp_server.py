"""An aiosmtpd server taking AUTH XOAUTH2 for known tokens, as Microsoft 365's SMTP does."""

from __future__ import annotations

import base64
import binascii
import json
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from tests.servers._net import free_port

ERROR_CHALLENGE = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})


class XOAuth2Handler:
    """aiosmtpd handler: an ``auth_XOAUTH2`` hook checking ``tokens``, MAIL only once in."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.presented: list[str] = []
        self.received: list[Envelope] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        blob = args[1] if len(args) == 2 else ""
        try:
            text = base64.b64decode(blob, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        self.presented.append(token)
        if token and self.tokens.get(token) == fields.get("user"):
            return AuthResult(success=True, auth_data=fields["user"])
        # Like Microsoft 365 and Gmail: a JSON error challenge, then 535 once the client ends.
        await server.challenge_auth(ERROR_CHALLENGE)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 2.0.0 Accepted"


class XOAuth2Server:
    """`XOAuth2Handler` behind aiosmtpd's Controller on a free loopback port (no TLS)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.handler = XOAuth2Handler(tokens)
        self.host = "127.0.0.1"
        self.port = free_port()
        options: dict[str, Any] = {"auth_require_tls": False}
        self._controller = Controller(self.handler, hostname=self.host, port=self.port, **options)

    def __enter__(self) -> XOAuth2Server:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._controller.stop()
