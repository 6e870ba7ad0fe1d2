"""Token providers without servers: caching and refresh, the command source, the SASL encoding."""

from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailflow.auth import Token, TokenError, TokenProvider
from mailflow.auth.command import CommandTokenSource, read_token
from mailflow.auth.sasl import initial_response
from tests.oauth.helpers import runs, token_command

HOUR = timedelta(hours=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class CountingSource:
    """Hands out ``token-1``, ``token-2``, ... each valid for ``lifetime``."""

    describe = "counting source"

    def __init__(self, lifetime: timedelta = HOUR) -> None:
        self.lifetime = lifetime
        self.fetches = 0

    async def fetch(self) -> Token:
        self.fetches += 1
        return Token(f"token-{self.fetches}", self.lifetime)


async def test_a_token_is_reused_until_five_minutes_before_it_expires() -> None:
    """The provider refreshes at expiry less the default five-minute margin, not before."""
    clock, source = Clock(), CountingSource()
    provider = TokenProvider(source, clock=clock)
    assert await provider.token() == "token-1"
    clock.now += timedelta(minutes=54, seconds=59)
    assert await provider.token() == "token-1"
    clock.now += timedelta(seconds=1)
    assert await provider.token() == "token-2"
    assert source.fetches == 2


async def test_a_forgotten_token_is_fetched_again_at_once() -> None:
    """After ``forget`` (the server refused the token) the next login gets a new one."""
    source = CountingSource()
    provider = TokenProvider(source, clock=Clock())
    await provider.token()
    provider.forget()
    assert await provider.token() == "token-2"


async def test_a_token_shorter_than_the_margin_is_still_used_once() -> None:
    """A source whose tokens live less than the margin is asked each time but never loops."""
    source = CountingSource(lifetime=timedelta(minutes=2))
    provider = TokenProvider(source, clock=Clock())
    assert [await provider.token(), await provider.token()] == ["token-1", "token-2"]


async def test_the_command_provider_runs_the_command_again_after_its_lifetime(
    tmp_path: Path,
) -> None:
    """With the command source, expiry comes from the configured lifetime."""
    clock = Clock()
    source = CommandTokenSource(token_command(tmp_path, "cmd"), lifetime=HOUR, timeout=10)
    provider = TokenProvider(source, clock=clock)
    assert [await provider.token(), await provider.token()] == ["cmd-1", "cmd-1"]
    clock.now += HOUR
    assert await provider.token() == "cmd-2"
    assert runs(tmp_path) == 2


def test_a_json_token_response_sets_its_own_lifetime() -> None:
    """Output shaped like an OAuth2 token response (RFC 6749 5.1) gives token and lifetime."""
    token = read_token(b'{"access_token": "abc.def", "expires_in": 600}\n', HOUR, "cmd")
    assert (token.value, token.lifetime) == ("abc.def", timedelta(minutes=10))
    assert read_token(b"  abc.def\n", HOUR, "cmd") == Token("abc.def", HOUR)


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        (b"", "printed no token"),
        (b"two words\n", "printed something that is not one token (spaces or lines?)"),
        (b"line-one\nline-two\n", "printed something that is not one token (spaces or lines?)"),
        (b'{"token_type": "Bearer"}', "printed JSON without a usable access_token"),
    ],
)
def test_output_that_is_not_one_token_is_refused_without_quoting_it(
    output: bytes, problem: str
) -> None:
    """Anything but one printable token is an error that names the command, not the output."""
    with pytest.raises(TokenError) as refused:
        read_token(output, HOUR, "token command get-token")
    assert str(refused.value) == f"token command get-token: {problem}"


async def test_a_hanging_command_is_stopped_at_its_timeout() -> None:
    """A command that never answers is killed and reported, so a login cannot hang on it."""
    sleeper = CommandTokenSource(
        [sys.executable, "-c", "import time; time.sleep(30)"], lifetime=HOUR, timeout=0.5
    )
    with pytest.raises(TokenError, match=r"gave no token within 0\.5 s"):
        await sleeper.fetch()


async def test_a_missing_command_is_reported_as_such() -> None:
    """A token_command naming no program says it cannot be run."""
    missing = CommandTokenSource(["/nonexistent/get-token"], lifetime=HOUR, timeout=5)
    with pytest.raises(TokenError) as failed:
        await missing.fetch()
    assert str(failed.value) == (
        "token command /nonexistent/get-token: cannot be run (No such file or directory)"
    )


def test_xoauth2_response_matches_the_published_example() -> None:
    """XOAUTH2's initial response is Google's documented example, byte for byte."""
    response = initial_response(
        "xoauth2", "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg"
    )
    assert response == (
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNr"
        "QmhiSFJoZG1semRHRXVZMjl0Q2cBAQ=="
    )


def test_oauthbearer_response_has_the_gs2_header_with_escaped_name() -> None:
    """OAUTHBEARER sends ``n,a=<saslname>,`` (RFC 7628 3.1), escaping ``=`` and ``,``."""
    decoded = base64.b64decode(initial_response("oauthbearer", "a=b,c@council.test", "t0k"))
    assert decoded == b"n,a=a=3Db=2Cc@council.test,\x01auth=Bearer t0k\x01\x01"
