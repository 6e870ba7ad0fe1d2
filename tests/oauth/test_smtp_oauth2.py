"""SMTP submission with an OAuth2 token: AUTH XOAUTH2 from SmtpBackend to a real aiosmtpd."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.config import SmtpConfig
from mailflow.errors import TemporaryDeliveryError
from mailflow.outbound.backends import OutgoingMail
from mailflow.outbound.smtp import SmtpBackend
from tests.oauth.helpers import runs, token_command
from tests.oauth.smtp_server import XOAuth2Server
from tests.servers.smtp import SmtpSink

USER = "complaints@council.test"
MAIL = OutgoingMail(
    message_id="<ack-1@council.test>",
    mail_from=USER,
    recipients=("resident@example.org",),
    data=b"From: complaints@council.test\r\nSubject: [SBC-2026-00001] Thanks\r\n\r\nHello.\r\n",
)


@pytest.fixture
def server() -> Iterator[XOAuth2Server]:
    """An SMTP server that knows the token ``smtp-1`` for complaints@council.test."""
    with XOAuth2Server({"smtp-1": USER}) as running:
        yield running


def token_smtp(host: str, port: int, command: list[str]) -> SmtpConfig:
    """SMTP settings logging in as USER with tokens from ``command``, without TLS."""
    return SmtpConfig.model_validate(
        {
            "host": host,
            "port": port,
            "security": "none",
            "timeout_seconds": 5,
            "user": USER,
            "auth": "oauth2",
            "oauth2": {"provider": "command", "token_command": command},
        }
    )


async def test_smtp_backend_sends_after_auth_xoauth2(server: XOAuth2Server, tmp_path: Path) -> None:
    """With auth = "oauth2" the backend logs in with the token and the server takes the mail;
    a second mail in the same round rides the same login, and the next round's new connection
    logs in again with the cached token (the token command runs once)."""
    backend = SmtpBackend(token_smtp(server.host, server.port, token_command(tmp_path, "smtp")))
    await backend.send(MAIL)
    await backend.send(MAIL)
    assert server.handler.presented == ["smtp-1"]
    await backend.close()
    await backend.send(MAIL)
    await backend.close()
    assert [e.mail_from for e in server.handler.received] == [USER, USER, USER]
    assert server.handler.presented == ["smtp-1", "smtp-1"]
    assert runs(tmp_path) == 1


async def test_a_refused_token_is_a_temporary_failure_without_the_token(
    server: XOAuth2Server, tmp_path: Path
) -> None:
    """A token the server refuses makes a one-line temporary failure (the mail waits, a person
    fixes the app registration) that shows no token; the next attempt fetches a new token."""
    backend = SmtpBackend(token_smtp(server.host, server.port, token_command(tmp_path, "stale")))
    with pytest.raises(TemporaryDeliveryError) as failed:
        await backend.send(MAIL)
    assert str(failed.value) == f"SMTP {server.host}:{server.port}: login refused: 535"
    assert server.handler.presented == ["stale-1"]
    with pytest.raises(TemporaryDeliveryError):
        await backend.send(MAIL)
    assert server.handler.presented == ["stale-1", "stale-2"]
    assert not server.handler.received


async def test_a_failing_token_command_is_a_temporary_failure(server: XOAuth2Server) -> None:
    """When no token can be had the mail is not lost: a temporary failure saying why."""
    failing = [sys.executable, "-c", "import sys; sys.exit('tenant unreachable')"]
    backend = SmtpBackend(token_smtp(server.host, server.port, failing))
    with pytest.raises(TemporaryDeliveryError) as failed:
        await backend.send(MAIL)
    assert str(failed.value).endswith("failed (exit 1): tenant unreachable")


async def test_a_server_without_xoauth2_is_named_as_the_problem(
    smtp_sink_auth: SmtpSink, tmp_path: Path
) -> None:
    """A server offering only PLAIN and LOGIN fails the send saying it lacks XOAUTH2."""
    cfg = token_smtp(smtp_sink_auth.host, smtp_sink_auth.port, token_command(tmp_path, "x"))
    with pytest.raises(TemporaryDeliveryError) as failed:
        await SmtpBackend(cfg).send(MAIL)
    assert str(failed.value).endswith("the server does not offer AUTH XOAUTH2")
    assert runs(tmp_path) == 0
