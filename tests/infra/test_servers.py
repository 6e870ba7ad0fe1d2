"""The test servers are real: Dovecot stores, pushes and keeps mail; the sink records, refuses."""

import asyncio
import os
import shutil
import time
from email.message import EmailMessage

import aiosmtplib
import pytest
from aioimaplib import IMAP4

from tests.servers import dovecot as dovecot_module
from tests.servers.dovecot import Dovecot, Mailbox
from tests.servers.errors import ServerUnavailable
from tests.servers.fixtures import SINK_PASSWORD, SINK_USER, server_unavailable
from tests.servers.postgres import postgres_available
from tests.servers.smtp import SmtpSink

POSTGRES_URL = os.environ.get(
    "MAILFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def raw_message(subject: str, to: str = "complaints@council.test") -> bytes:
    """A small RFC 5322 message with CRLF line ends, as a server stores it."""
    return (
        f"From: Resident <resident@example.org>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>\r\n"
        f"\r\n"
        f"Bins not collected on {subject}.\r\n"
    ).encode()


async def imap_login(box: Mailbox) -> IMAP4:
    """An aioimaplib connection logged in as `box` (aioimaplib answers NO without raising)."""
    client = IMAP4(host=box.host, port=box.imap_port, timeout=5)
    await client.wait_hello_from_server()
    response = await client.login(box.address, box.password)
    assert response.result == "OK", response
    return client


# -- Dovecot --------------------------------------------------------------------------------


@pytest.mark.dovecot
async def test_message_appended_over_imap_reads_back_byte_for_byte(mailbox: Mailbox) -> None:
    """A message APPENDed with aioimaplib is fetched back unchanged by aioimaplib and IMAPClient."""
    message = raw_message("append read back")
    client = await imap_login(mailbox)
    try:
        assert (await client.append(message, mailbox="INBOX")).result == "OK"
        assert (await client.select("INBOX")).result == "OK"
        fetched = await client.uid("fetch", "1:*", "(BODY.PEEK[])")
        assert fetched.result == "OK", fetched
        bodies = [bytes(line) for line in fetched.lines if isinstance(line, bytearray)]
    finally:
        await client.logout()
    assert bodies == [message]
    assert await asyncio.to_thread(mailbox.fetch_all) == [message]


@pytest.mark.dovecot
async def test_idle_wakes_within_two_seconds_of_an_append_elsewhere(mailbox: Mailbox) -> None:
    """A client in IDLE hears EXISTS within 2 s of another connection's APPEND."""
    client = await imap_login(mailbox)
    try:
        assert (await client.select("INBOX")).result == "OK"
        idle = await client.idle_start(timeout=10)
        await asyncio.to_thread(mailbox.append, raw_message("idle wake"))
        appended_at = time.monotonic()
        pushed: list[bytes] = []
        while not any(b"EXISTS" in line for line in pushed):
            remaining = 2.0 - (time.monotonic() - appended_at)
            pushed += await client.wait_server_push(timeout=max(remaining, 0.01))
        client.idle_done()
        assert (await asyncio.wait_for(idle, 5)).result == "OK"
    finally:
        await client.logout()
    assert time.monotonic() - appended_at < 2.0


@pytest.mark.dovecot
def test_mail_survives_a_restart_on_the_same_ports(private_dovecot: Dovecot) -> None:
    """After stop() and start() the server listens on the same ports and still has the mail."""
    box = private_dovecot.mailbox("complaints@council.test")
    message = raw_message("before restart")
    box.append(message)
    ports = (private_dovecot.imap_port, private_dovecot.lmtp_port)

    private_dovecot.stop()
    assert not private_dovecot.running
    private_dovecot.start()

    assert (private_dovecot.imap_port, private_dovecot.lmtp_port) == ports
    assert box.fetch_all() == [message]


@pytest.mark.dovecot
def test_lmtp_delivery_lands_in_the_inbox(mailbox: Mailbox) -> None:
    """A message delivered over LMTP is in INBOX, below the Delivered-To and Received lines."""
    message = raw_message("lmtp delivery", to=mailbox.address)
    mailbox.deliver(message)
    [stored] = mailbox.fetch_all()
    assert stored.endswith(message)
    assert f"Delivered-To: {mailbox.address}".encode() in stored


@pytest.mark.dovecot
def test_each_test_mailbox_is_empty_and_has_inbox_and_sent(dovecot: Dovecot) -> None:
    """Fresh mailboxes share no mail, and every user has INBOX and an auto-subscribed Sent."""
    first, second = dovecot.fresh_mailbox(), dovecot.fresh_mailbox()
    first.append(raw_message("only for the first"))
    assert second.fetch_all() == []
    assert sorted(second.folders()) == ["INBOX", "Sent"]


@pytest.mark.dovecot
def test_user_added_while_running_can_log_in_at_once(private_dovecot: Dovecot) -> None:
    """A user added to a running Dovecot can log in as soon as add_user returns."""
    private_dovecot.add_user("late@council.test", "latecomer")
    assert "INBOX" in private_dovecot.folders("late@council.test", "latecomer")


@pytest.mark.dovecot
async def test_wrong_imap_password_is_answered_no_quickly(mailbox: Mailbox) -> None:
    """A wrong password gets NO (no exception) within a second and does not slow later logins."""
    for _ in range(3):
        client = IMAP4(host=mailbox.host, port=mailbox.imap_port, timeout=5)
        await client.wait_hello_from_server()
        started = time.monotonic()
        response = await client.login(mailbox.address, "wrong")
        assert response.result == "NO"
        assert time.monotonic() - started < 1.0
        await client.logout()
    started = time.monotonic()
    client = await imap_login(mailbox)
    await client.logout()
    assert time.monotonic() - started < 1.0


# -- SMTP sink ------------------------------------------------------------------------------


def outgoing(subject: str = "Your complaint CMP-1") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "complaints@council.test"
    message["To"] = "resident@example.org"
    message["Subject"] = subject
    message.set_content("We have received your complaint.\n")
    return message


async def test_sink_records_envelope_and_bytes_from_aiosmtplib(smtp_sink: SmtpSink) -> None:
    """The sink keeps the envelope sender, every recipient and the message bytes as sent."""
    message = outgoing()
    await aiosmtplib.send(
        message,
        sender="bounces@council.test",
        recipients=["resident@example.org", "officer@council.test"],
        hostname=smtp_sink.host,
        port=smtp_sink.port,
        timeout=5,
    )
    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "bounces@council.test"
    assert received.rcpt_tos == ("resident@example.org", "officer@council.test")
    assert b"Subject: Your complaint CMP-1" in received.data
    assert received.data.rstrip(b"\r\n").endswith(b"We have received your complaint.")
    assert received.login is None


async def test_sink_refusing_temporarily_answers_451(smtp_sink: SmtpSink) -> None:
    """In temporary-refusal mode every recipient gets 451, which aiosmtplib raises as refused."""
    smtp_sink.refuse_temporarily()
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=5)
    assert [error.code for error in refused.value.recipients] == [451]
    assert smtp_sink.messages == []


async def test_sink_refusing_permanently_answers_550(smtp_sink: SmtpSink) -> None:
    """In permanent-refusal mode every recipient gets 550."""
    smtp_sink.refuse_permanently()
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=5)
    assert [error.code for error in refused.value.recipients] == [550]


async def test_sink_refusal_starting_mid_transaction_is_given_at_data(smtp_sink: SmtpSink) -> None:
    """A fault mode switched on after RCPT refuses the DATA with 451."""
    async with aiosmtplib.SMTP(hostname=smtp_sink.host, port=smtp_sink.port, timeout=5) as smtp:
        await smtp.mail("complaints@council.test")
        await smtp.rcpt("resident@example.org")
        smtp_sink.refuse_temporarily()
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await smtp.data(outgoing().as_bytes())
    assert refused.value.code == 451


async def test_sink_accepts_again_after_a_fault(smtp_sink: SmtpSink) -> None:
    """accept() ends a fault mode: the next message is recorded."""
    smtp_sink.refuse_permanently()
    smtp_sink.accept()
    await aiosmtplib.send(outgoing(), hostname=smtp_sink.host, port=smtp_sink.port, timeout=5)
    assert len(smtp_sink.wait_for(1)) == 1


async def test_sink_with_auth_records_the_login(smtp_sink_auth: SmtpSink) -> None:
    """With the right user and password the message is accepted and the login recorded."""
    await aiosmtplib.send(
        outgoing(),
        hostname=smtp_sink_auth.host,
        port=smtp_sink_auth.port,
        username=SINK_USER,
        password=SINK_PASSWORD,
        start_tls=False,
        timeout=5,
    )
    [received] = smtp_sink_auth.wait_for(1)
    assert received.login == SINK_USER


async def test_sink_auth_with_wrong_password_fails_fast(smtp_sink_auth: SmtpSink) -> None:
    """A wrong password is refused with 535 at once instead of leaving the client waiting."""
    started = time.monotonic()
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
        await asyncio.wait_for(
            aiosmtplib.send(
                outgoing(),
                hostname=smtp_sink_auth.host,
                port=smtp_sink_auth.port,
                username=SINK_USER,
                password="wrong",
                start_tls=False,
                timeout=5,
            ),
            timeout=3,
        )
    assert refused.value.code == 535
    assert time.monotonic() - started < 1.0
    assert smtp_sink_auth.messages == []


async def test_sink_with_auth_refuses_mail_before_auth(smtp_sink_auth: SmtpSink) -> None:
    """Without AUTH the sender is refused with 530, as a relay requiring login does."""
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        await aiosmtplib.send(
            outgoing(), hostname=smtp_sink_auth.host, port=smtp_sink_auth.port, timeout=5
        )
    assert refused.value.code == 530


def test_sink_wait_for_raises_when_too_few_arrive(smtp_sink: SmtpSink) -> None:
    """wait_for gives up with TimeoutError after its timeout when the mail does not come."""
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        smtp_sink.wait_for(1, timeout=0.2)
    assert 0.2 <= time.monotonic() - started < 1.0


# -- PostgreSQL -----------------------------------------------------------------------------


def test_postgres_available_is_false_where_nothing_listens() -> None:
    """A URL whose port has no server is reported unavailable, not raised."""
    assert not postgres_available("postgresql+psycopg://postgres@127.0.0.1:1/test", timeout=1)


@pytest.mark.postgres
def test_postgres_available_at_the_project_url() -> None:
    """The project's test PostgreSQL answers (bin/test starts one; skipped outside CI without)."""
    if not postgres_available(POSTGRES_URL):
        server_unavailable(f"PostgreSQL does not answer at {POSTGRES_URL}")


# -- skip or fail ---------------------------------------------------------------------------


def test_missing_dovecot_is_reported_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a dovecot binary the error names bin/test and the packages to install."""
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(dovecot_module, "_SBIN_CANDIDATES", ())
    with pytest.raises(ServerUnavailable, match=r"bin/test.*dovecot-imapd"):
        Dovecot()


def test_unavailable_server_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that cannot start skips the test on a developer's machine."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        server_unavailable("no server")


def test_unavailable_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true a server that cannot start fails the test instead of hiding behind a skip."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        server_unavailable("no server")
