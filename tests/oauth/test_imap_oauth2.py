"""IMAP logins with OAuth2 tokens, against a Dovecot that checks each token at an endpoint."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from pathlib import Path

import pytest

from mailflow.auth.sasl import initial_response
from mailflow.config import MailboxConfig
from mailflow.ingest import ImapSource, LoginRefused, SourceError
from tests.ingest.helpers import message
from tests.oauth.helpers import oauth_mailbox, runs, token_command
from tests.oauth.servers import IntrospectionServer, OAuth2Dovecot
from tests.servers.dovecot import Mailbox

pytestmark = pytest.mark.dovecot


def fresh_prefix() -> str:
    """A token prefix no other test uses (the endpoint is shared by the module)."""
    return f"tok{secrets.token_hex(4)}"


async def log_in(cfg: MailboxConfig) -> list[bytes]:
    """Connect (logging in), fetch the folder's mail and close, as one watcher connection."""
    source = ImapSource(cfg, timeout=5)
    try:
        await source.connect()
        return [f.raw async for f in source.fetch_after(0)]
    finally:
        await source.close()


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
async def test_a_valid_token_logs_in_and_fetches_the_mail(
    oauth_dovecot: OAuth2Dovecot, introspection: IntrospectionServer, tmp_path: Path, mechanism: str
) -> None:
    """A token the endpoint knows for the user logs in by SASL and ImapSource fetches mail."""
    box = oauth_dovecot.fresh_mailbox()
    await asyncio.to_thread(box.append, message("read with a token"))
    prefix = fresh_prefix()
    introspection.issue(f"{prefix}-1", box.address)
    cfg = oauth_mailbox(box, token_command(tmp_path, prefix), mechanism=mechanism)
    assert await log_in(cfg) == [message("read with a token")]
    assert introspection.asked[-1] == f"{prefix}-1"
    assert runs(tmp_path) == 1


async def test_an_unknown_token_is_refused_in_one_line_that_holds_no_token(
    oauth_dovecot: OAuth2Dovecot,
    introspection: IntrospectionServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token the endpoint calls inactive fails the login with a one-line LoginRefused; neither
    the error nor any log line (aioimaplib's DEBUG included) shows the token or its SASL form."""
    box = oauth_dovecot.fresh_mailbox()
    prefix = fresh_prefix()
    token = f"{prefix}-1"
    cfg = oauth_mailbox(box, token_command(tmp_path, prefix))
    with caplog.at_level(logging.DEBUG), pytest.raises(LoginRefused) as refused:
        await log_in(cfg)
    text = str(refused.value)
    assert text.startswith("mailbox complaints: login: NO") and "\n" not in text
    assert "AUTHENTICATIONFAILED" in text
    sasl = initial_response("xoauth2", box.address, token)
    for shown in (text, caplog.text):
        assert token not in shown and sasl not in shown
    assert introspection.asked[-1] == token


async def test_the_command_runs_again_once_the_token_nears_expiry(
    oauth_dovecot: OAuth2Dovecot, introspection: IntrospectionServer, tmp_path: Path
) -> None:
    """Connections share the cached token while it is fresh; once its lifetime less the margin
    has passed the command runs again, and its new token logs in where the old one expired."""
    box = oauth_dovecot.fresh_mailbox()
    prefix = fresh_prefix()
    introspection.issue(f"{prefix}-1", box.address)
    introspection.issue(f"{prefix}-2", box.address)
    command = token_command(tmp_path, prefix)
    # Lifetime 61 s, refreshed 60 s early: fresh for one second.
    cfg = oauth_mailbox(box, command, token_lifetime_seconds=61, refresh_margin_seconds=60)
    await log_in(cfg)
    await log_in(cfg)
    assert runs(tmp_path) == 1
    assert introspection.asked[-2:] == [f"{prefix}-1", f"{prefix}-1"]
    introspection.revoke(f"{prefix}-1")
    await asyncio.sleep(1.1)
    await log_in(cfg)
    assert runs(tmp_path) == 2
    assert introspection.asked[-1] == f"{prefix}-2"


async def test_a_refused_token_is_not_presented_again(
    oauth_dovecot: OAuth2Dovecot, introspection: IntrospectionServer, tmp_path: Path
) -> None:
    """A cached token the server refuses (revoked early) is dropped: the next connection runs
    the command for a new one instead of failing until the old one would have expired."""
    box = oauth_dovecot.fresh_mailbox()
    prefix = fresh_prefix()
    introspection.issue(f"{prefix}-1", box.address)
    cfg = oauth_mailbox(box, token_command(tmp_path, prefix))
    await log_in(cfg)
    introspection.revoke(f"{prefix}-1")
    with pytest.raises(LoginRefused):
        await log_in(cfg)
    introspection.issue(f"{prefix}-2", box.address)
    await log_in(cfg)
    assert runs(tmp_path) == 2


async def test_a_failing_token_command_fails_the_login_saying_why(
    oauth_dovecot: OAuth2Dovecot,
) -> None:
    """A token command that exits non-zero fails the login with its first line of stderr."""
    box = oauth_dovecot.fresh_mailbox()
    failing = [sys.executable, "-c", "import sys; sys.exit('no credentials configured')"]
    with pytest.raises(SourceError) as failed:
        await log_in(oauth_mailbox(box, failing))
    assert str(failed.value) == (
        f"mailbox complaints: login: token command {sys.executable}: failed (exit 1): "
        "no credentials configured"
    )


async def test_a_server_without_oauth2_is_named_as_the_problem(
    mailbox: Mailbox, tmp_path: Path
) -> None:
    """Against a server that offers no XOAUTH2, the login fails saying so, before any token."""
    with pytest.raises(SourceError) as failed:
        await log_in(oauth_mailbox(mailbox, token_command(tmp_path, "unused")))
    assert str(failed.value) == "mailbox complaints: login: the server does not offer XOAUTH2"
    assert runs(tmp_path) == 0
