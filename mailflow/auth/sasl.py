"""OAuth2 SASL logins: XOAUTH2 and OAUTHBEARER (RFC 7628) over IMAP and SMTP.

Both mechanisms carry the token in the client's first response. A server refusing it answers
with a challenge holding a JSON error (RFC 7628 section 3.2.2) and waits for the client to end
the exchange (an empty response for XOAUTH2, ``%x01`` for OAUTHBEARER) before its NO or 535.
aioimaplib leaves such a challenge unanswered (the command would wait forever) and aiosmtplib
before 5.1 has no XOAUTH2, so both exchanges are driven here. Nothing here logs a response.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aioimaplib
import aiosmtplib

Mechanism = Literal["xoauth2", "oauthbearer"]

# The client's reply to an error challenge, per mechanism (base64 on the wire).
_END_OF_EXCHANGE = {"XOAUTH2": "", "OAUTHBEARER": base64.b64encode(b"\x01").decode()}


def initial_response(mechanism: Mechanism, user: str, token: str) -> str:
    """The base64 initial client response that carries ``token`` for ``user``."""
    if mechanism == "oauthbearer":
        # gs2-header "n,a=<saslname>," (RFC 5801 section 4: "=" and "," escaped).
        name = user.replace("=", "=3D").replace(",", "=2C")
        text = f"n,a={name},\x01auth=Bearer {token}\x01\x01"
    else:
        text = f"user={user}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class _Authenticate(aioimaplib.Command):  # type: ignore[misc]
    """AUTHENTICATE (RFC 3501 section 6.2.2) answering the server's challenges itself.

    aioimaplib calls ``flush`` on each ``+`` continuation: the first asks for the response that
    carries the token, any later one is an error challenge. The token is written straight to
    the socket, never as a command argument (SASL-IR): aioimaplib prints a command's text in
    its DEBUG log lines and exceptions.
    """

    def __init__(self, protocol: Any, mechanism: str, response: str) -> None:
        super().__init__("AUTHENTICATE", protocol.new_tag(), mechanism, loop=protocol.loop)
        self._protocol = protocol
        self._mechanism = mechanism
        self._replies = [response]

    def flush(self) -> None:
        reply = self._replies.pop() if self._replies else _END_OF_EXCHANGE[self._mechanism]
        self._protocol.transport.write(reply.encode("ascii") + b"\r\n")


async def imap_authenticate(client: Any, mechanism: Mechanism, user: str, token: str) -> Any:
    """AUTHENTICATE on an aioimaplib client; its Response (``result`` is "OK" when in)."""
    protocol = client.protocol
    response_text = initial_response(mechanism, user, token)
    command = _Authenticate(protocol, mechanism.upper(), response_text)
    async with protocol.state_condition:
        try:
            response = await protocol.execute(command)
        except aioimaplib.CommandTimeout:
            raise TimeoutError from None
        if response.result == "OK":
            protocol.state = aioimaplib.AUTH
        protocol.state_condition.notify_all()
    return response


async def smtp_xoauth2(
    client: aiosmtplib.SMTP, user: str, token: Callable[[], Awaitable[str]]
) -> None:
    """AUTH XOAUTH2 on a connected aiosmtplib client, asking for the token only once the
    server has offered the mechanism; `SMTPAuthenticationError` if refused."""
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    if "xoauth2" not in client.server_auth_methods:
        raise aiosmtplib.SMTPException("the server does not offer AUTH XOAUTH2")
    initial = initial_response("xoauth2", user, await token()).encode("ascii")
    response = await client.execute_command(b"AUTH", b"XOAUTH2", initial)
    if response.code == 334:  # the error challenge (RFC 4954 section 4): end the exchange
        response = await client.execute_command(b"")
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)
