"""Fixtures of the OAuth2 tests: the introspection endpoint, its Dovecot, token commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oauth.servers import IntrospectionServer, OAuth2Dovecot
from tests.servers.errors import ServerUnavailable
from tests.servers.fixtures import COUNCIL_PASSWORD, COUNCIL_USERS, server_unavailable


@pytest.fixture(scope="module")
def introspection() -> Iterator[IntrospectionServer]:
    """The token introspection endpoint Dovecot asks; tokens are issued by each test."""
    with IntrospectionServer() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def oauth_dovecot(introspection: IntrospectionServer) -> Iterator[OAuth2Dovecot]:
    """A Dovecot validating XOAUTH2 and OAUTHBEARER tokens at the introspection endpoint."""
    try:
        server = OAuth2Dovecot(
            introspection.url, users=dict.fromkeys(COUNCIL_USERS, COUNCIL_PASSWORD)
        )
    except ServerUnavailable as exc:
        server_unavailable(str(exc))
    try:
        server.reserve_mailboxes(20)
        server.start()
    except ServerUnavailable as exc:
        server.cleanup()
        server_unavailable(str(exc))
    yield server
    server.cleanup()
