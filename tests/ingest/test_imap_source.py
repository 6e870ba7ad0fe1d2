"""What only the IMAP source does: TLS, logins, capability fallbacks, the wire's edge cases."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from mailflow.ingest import ImapSource, LoginRefused, SourceError
from tests.ingest.helpers import folder_contents, imap_config, message
from tests.ingest.tls import TlsDovecot
from tests.servers.dovecot import Dovecot, Mailbox
from tests.servers.errors import ServerUnavailable
from tests.servers.fixtures import server_unavailable

pytestmark = pytest.mark.dovecot


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[TlsDovecot]:
    """A Dovecot with STARTTLS and implicit TLS, shared by this module's TLS tests."""
    try:
        server = TlsDovecot(users={"complaints@council.test": "secret"})
        server.start()
    except (ServerUnavailable, subprocess.CalledProcessError) as exc:
        server_unavailable(f"no TLS Dovecot: {exc}")
    yield server
    server.cleanup()


async def test_implicit_tls_connects_with_the_servers_certificate(tls_dovecot: TlsDovecot) -> None:
    """security=tls speaks TLS from the first byte and verifies the certificate."""
    box = tls_dovecot.mailbox("complaints@council.test")
    cfg = imap_config(box, security="tls", port=tls_dovecot.imaps_port)
    source = ImapSource(cfg, timeout=5, ssl_context=tls_dovecot.client_context())
    try:
        assert await source.connect() > 0
    finally:
        await source.close()


async def test_starttls_upgrades_before_logging_in(tls_dovecot: TlsDovecot) -> None:
    """security=starttls upgrades the plain connection, then logs in (plaintext is refused)."""
    box = tls_dovecot.mailbox("complaints@council.test")
    await asyncio.to_thread(_append_over_starttls, tls_dovecot, message("over starttls"))
    cfg = imap_config(box, security="starttls")
    source = ImapSource(cfg, timeout=5, ssl_context=tls_dovecot.client_context())
    try:
        await source.connect()
        fetched = [f.raw async for f in source.fetch_after(0)]
    finally:
        await source.close()
    assert fetched == [message("over starttls")]


def _append_over_starttls(server: TlsDovecot, raw: bytes) -> None:
    from imapclient import IMAPClient

    client = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    client.starttls(server.client_context())
    client.login("complaints@council.test", "secret")
    client.append("INBOX", raw)
    client.logout()


async def test_an_untrusted_certificate_is_a_one_line_source_error(tls_dovecot: TlsDovecot) -> None:
    """Without the server's CA the TLS handshake fails as a one-line SourceError."""
    box = tls_dovecot.mailbox("complaints@council.test")
    source = ImapSource(imap_config(box, security="tls", port=tls_dovecot.imaps_port), timeout=5)
    with pytest.raises(SourceError, match=r"connect: .*CERTIFICATE_VERIFY_FAILED") as caught:
        await source.connect()
    await source.close()
    assert "\n" not in str(caught.value)


async def test_starttls_against_a_server_without_it_is_refused(mailbox: Mailbox) -> None:
    """security=starttls never falls back to plaintext when the server offers no STARTTLS."""
    source = ImapSource(imap_config(mailbox, security="starttls"), timeout=5)
    with pytest.raises(SourceError, match="starttls: the server does not offer STARTTLS"):
        await source.connect()
    await source.close()


async def test_a_wrong_password_is_refused_in_one_line_without_the_password(
    mailbox: Mailbox,
) -> None:
    """LoginRefused carries the server's one-line answer and never the password."""
    password = 'n0t "the\\one" s3cret'
    source = ImapSource(imap_config(mailbox, password=SecretStr(password)), timeout=5)
    with pytest.raises(LoginRefused) as caught:
        await source.connect()
    await source.close()
    text = str(caught.value)
    assert text == "mailbox complaints: login: NO [AUTHENTICATIONFAILED] Authentication failed."
    assert password not in text


async def test_a_missing_password_variable_is_a_source_error(mailbox: Mailbox) -> None:
    """A password_env that is unset is reported at login as a one-line SourceError."""
    cfg = imap_config(mailbox, password=None, password_env="MAILFLOW_TEST_UNSET_PASSWORD")
    source = ImapSource(cfg, timeout=5)
    with pytest.raises(SourceError, match=r"login: .*MAILFLOW_TEST_UNSET_PASSWORD"):
        await source.connect()
    await source.close()


async def test_nothing_listening_is_a_quick_one_line_source_error(mailbox: Mailbox) -> None:
    """A refused TCP connection is a SourceError naming the connect step, at once."""
    from tests.servers._net import free_port

    source = ImapSource(imap_config(mailbox, port=free_port()), timeout=5)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"^mailbox complaints: connect: ") as caught:
        await source.connect()
    await source.close()
    assert time.monotonic() - started < 1
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("hidden", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
async def test_filing_without_move_copies_flags_and_expunges(
    mailbox: Mailbox, hidden: set[str]
) -> None:
    """Without MOVE (and without UIDPLUS) filing is COPY + STORE \\Deleted + EXPUNGE."""
    raws = [message("copied away"), message("stays put")]
    for raw in raws:
        await asyncio.to_thread(mailbox.append, raw)
    source = ImapSource(imap_config(mailbox), timeout=5, ignore_capabilities=frozenset(hidden))
    try:
        await source.connect()
        first, _ = [f async for f in source.fetch_after(0)]
        await source.file(first.uid, "Processed")
        remaining = [f.raw async for f in source.fetch_after(0)]
    finally:
        await source.close()
    assert remaining == [raws[1]]
    assert await asyncio.to_thread(folder_contents, mailbox, "Processed") == [raws[0]]
    assert await asyncio.to_thread(folder_contents, mailbox, "INBOX") == [raws[1]]


async def test_append_sets_seen_unless_told_not_to(mailbox: Mailbox) -> None:
    """append() stores \\Seen by default (our own sent mail) and no flags with seen=False."""
    source = ImapSource(imap_config(mailbox), timeout=5)
    try:
        await source.connect()
        await source.append("Sent", message("seen"))
        await source.append("Sent", message("unseen"), seen=False)
    finally:
        await source.close()
    client = await asyncio.to_thread(mailbox.server.imap_client, mailbox.address, mailbox.password)
    try:
        await asyncio.to_thread(client.select_folder, "Sent", True)
        flags = await asyncio.to_thread(client.get_flags, [1, 2])
    finally:
        await asyncio.to_thread(client.logout)
    assert b"\\Seen" in flags[1]
    assert b"\\Seen" not in flags[2]


async def test_a_large_eight_bit_message_arrives_byte_for_byte(mailbox: Mailbox) -> None:
    """A 3 MB message with 8-bit text survives UID FETCH unchanged and is not marked seen."""
    body = ("Réclamation — £25 refund, naïve café.\r\n" * 80_000).encode()
    raw = message("large") + body
    await asyncio.to_thread(mailbox.append, raw)
    source = ImapSource(imap_config(mailbox), timeout=10)
    try:
        await source.connect()
        [fetched] = [f async for f in source.fetch_after(0)]
    finally:
        await source.close()
    assert fetched.raw == raw
    client = await asyncio.to_thread(mailbox.server.imap_client, mailbox.address, mailbox.password)
    try:
        await asyncio.to_thread(client.select_folder, "INBOX", True)
        flags = await asyncio.to_thread(client.get_flags, [fetched.uid])
    finally:
        await asyncio.to_thread(client.logout)
    assert b"\\Seen" not in flags[fetched.uid]  # BODY.PEEK[]


async def test_a_uidvalidity_above_two_to_the_31_is_read_exactly(
    dovecot: Dovecot, mailbox: Mailbox
) -> None:
    """UIDVALIDITY is an unsigned 32-bit number (RFC 3501): 4,000,000,000 comes back intact."""
    doveadm = shutil.which("doveadm")
    if doveadm is None:
        pytest.skip("doveadm is not installed")
    await asyncio.to_thread(mailbox.append, message("big uidvalidity"))
    command = [doveadm, "-c", str(dovecot.config_file), "mailbox", "update", "-u"]
    command += [mailbox.address, "--uid-validity", "4000000000", "INBOX"]
    await asyncio.to_thread(subprocess.run, command, check=True, capture_output=True)
    source = ImapSource(imap_config(mailbox), timeout=5)
    try:
        assert await source.connect() == 4_000_000_000
        [fetched] = [f async for f in source.fetch_after(0)]
    finally:
        await source.close()
    assert fetched.uidvalidity == 4_000_000_000


async def test_a_server_shutting_down_ends_idle_with_a_source_error(
    private_dovecot: Dovecot,
) -> None:
    """When the server goes away during IDLE, wait() raises SourceError at once."""
    box = private_dovecot.mailbox("complaints@council.test")
    source = ImapSource(imap_config(box), timeout=5)
    try:
        await source.connect()
        waiting = asyncio.create_task(source.wait(30))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await asyncio.to_thread(private_dovecot.stop)
        with pytest.raises(SourceError, match="mailbox complaints: idle: "):
            await asyncio.wait_for(waiting, 5)
        assert time.monotonic() - started < 2
    finally:
        await source.close()
