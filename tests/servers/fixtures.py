"""Pytest fixtures for the real test servers; tests/conftest.py star-imports this module.

    dovecot          session-scoped Dovecot with complaints@, info@ and foi@council.test
                     (password "secret"); never stop or restart it in a test
    mailbox          a fresh user on that Dovecot per test, so tests never see each other's mail
    private_dovecot  a Dovecot of the test's own, for tests that stop or restart it
    smtp_sink        an SMTP sink per test, no AUTH
    smtp_sink_auth   an SMTP sink per test requiring AUTH as SINK_USER / SINK_PASSWORD
    mail_path        a private Dovecot (council and CUSTOMER_USERS) behind a private Postfix
                     that delivers council.test and customer.test to it by LMTP

A server that cannot be started skips the test, except under CI=true, where it fails it: CI
installs every server (bin/test), so a skip there would hide a broken setup.
"""

import contextlib
import os
from collections.abc import Iterator
from typing import NamedTuple, NoReturn

import pytest

from tests.servers.dovecot import Dovecot, Mailbox
from tests.servers.errors import ServerUnavailable
from tests.servers.postfix import Postfix
from tests.servers.smtp import SmtpSink

__all__ = [
    "COUNCIL_PASSWORD",
    "COUNCIL_USERS",
    "CUSTOMER_USERS",
    "SINK_PASSWORD",
    "SINK_USER",
    "MailPath",
    "dovecot",
    "mail_path",
    "mailbox",
    "private_dovecot",
    "server_unavailable",
    "smtp_sink",
    "smtp_sink_auth",
]

COUNCIL_USERS = ("complaints@council.test", "info@council.test", "foi@council.test")
COUNCIL_PASSWORD = "secret"
CUSTOMER_USERS = ("resident@customer.test",)
MAIL_PATH_DOMAINS = ("council.test", "customer.test")
SINK_USER = "mailflow"
SINK_PASSWORD = "sink-secret"


def server_unavailable(reason: str) -> NoReturn:
    """Skip the test for a missing server, or fail it when running in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _started_dovecot(reserve_mailboxes: int = 0) -> Dovecot:
    """A running Dovecot with the council's users, or a skip/fail saying why there is none."""
    try:
        server = Dovecot(users=dict.fromkeys(COUNCIL_USERS, COUNCIL_PASSWORD))
    except ServerUnavailable as exc:
        server_unavailable(str(exc))
    try:
        if reserve_mailboxes:
            server.reserve_mailboxes(reserve_mailboxes)
        server.start()
    except ServerUnavailable as exc:
        server.cleanup()
        server_unavailable(str(exc))
    return server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """The session's shared Dovecot; tests that stop or restart a server use private_dovecot."""
    server = _started_dovecot(reserve_mailboxes=100)
    yield server
    server.cleanup()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    """A user of the shared Dovecot that no other test has used."""
    return dovecot.fresh_mailbox()


@pytest.fixture
def private_dovecot() -> Iterator[Dovecot]:
    """A Dovecot for this test alone (about 0.1 s to start), free to stop and restart."""
    server = _started_dovecot()
    yield server
    server.cleanup()


def _started_sink(auth: tuple[str, str] | None) -> SmtpSink:
    sink = SmtpSink(auth=auth)
    try:
        sink.start()
    except (OSError, TimeoutError) as exc:
        server_unavailable(f"the SMTP sink did not start on {sink.host}:{sink.port}: {exc}")
    return sink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP sink on a free loopback port, accepting mail without AUTH."""
    sink = _started_sink(auth=None)
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink_auth() -> Iterator[SmtpSink]:
    """An SMTP sink that requires AUTH PLAIN or LOGIN as SINK_USER / SINK_PASSWORD."""
    sink = _started_sink(auth=(SINK_USER, SINK_PASSWORD))
    yield sink
    sink.stop()


class MailPath(NamedTuple):
    """A council's mail server as it stands: Postfix in front, Dovecot holding the mailboxes."""

    dovecot: Dovecot
    postfix: Postfix


@pytest.fixture
def mail_path() -> Iterator[MailPath]:
    """Postfix on a free loopback port delivering council.test and customer.test by LMTP into a
    Dovecot of the test's own (council users and CUSTOMER_USERS, password "secret")."""
    users = dict.fromkeys(COUNCIL_USERS + CUSTOMER_USERS, COUNCIL_PASSWORD)
    with contextlib.ExitStack() as servers:  # stops whatever started, whatever happens
        try:
            dovecot = Dovecot(users=users)
            servers.callback(dovecot.cleanup)
            dovecot.start()
            postfix = Postfix(lmtp_port=dovecot.lmtp_port, domains=MAIL_PATH_DOMAINS)
            servers.callback(postfix.cleanup)
            postfix.start()
        except ServerUnavailable as exc:
            server_unavailable(str(exc))
        yield MailPath(dovecot, postfix)
