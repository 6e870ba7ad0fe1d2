"""One contract for every delivery backend, then what only the SMTP backend must do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from mailflow.config import SmtpConfig
from mailflow.errors import PermanentDeliveryError, TemporaryDeliveryError
from mailflow.outbound import CaptureBackend, MailBackend, MemoryBackend, OutgoingMail, SmtpBackend
from mailflow.outbound.rows import new_message_id
from tests.outbound.conftest import parsed
from tests.servers._net import free_port
from tests.servers.fixtures import SINK_PASSWORD, SINK_USER
from tests.servers.smtp import SmtpSink


@dataclass
class Kit:
    """A backend and a way to read back what it delivered: (recipients, bytes) in order."""

    backend: MailBackend
    delivered: Callable[[], list[tuple[tuple[str, ...], bytes]]]
    refuse: Callable[[str], None] | None = None


def smtp_config(sink: SmtpSink, **changes: object) -> SmtpConfig:
    values: dict[str, object] = {"host": sink.host, "port": sink.port, "security": "none"}
    return SmtpConfig.model_validate({**values, **changes})


@pytest.fixture(params=["memory", "capture", "smtp"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    """Each backend in turn: in memory, captured to files, and through the SMTP sink."""
    if request.param == "memory":
        memory = MemoryBackend()
        yield Kit(memory, lambda: [(m.recipients, m.data) for m in memory.sent])
    elif request.param == "capture":
        capture = CaptureBackend(tmp_path / "mail")

        def captured() -> list[tuple[tuple[str, ...], bytes]]:
            out = []
            for path in capture.files():
                mail = parsed(path.read_bytes())
                rcpts = tuple(
                    a.addr_spec
                    for h in ("To", "Cc")
                    for a in (mail[h].addresses if mail[h] else ())
                )
                out.append((rcpts, path.read_bytes()))
            return out

        yield Kit(capture, captured)
    else:
        sink = SmtpSink()
        sink.start()
        try:
            yield Kit(
                SmtpBackend(smtp_config(sink)),
                lambda: [(m.rcpt_tos, m.data) for m in sink.messages],
            )
        finally:
            sink.stop()


def mail(*recipients: str, subject: str = "Hello") -> OutgoingMail:
    message_id = new_message_id("council.test")
    data = (
        f"From: complaints@council.test\r\nTo: {', '.join(recipients)}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n\r\nBody line.\r\n"
    ).encode()
    return OutgoingMail(
        message_id=message_id, mail_from="complaints@council.test", recipients=recipients, data=data
    )


async def test_backend_delivers_the_bytes_to_every_recipient(kit: Kit) -> None:
    """What a backend delivers is the mail as given, to each envelope recipient."""
    sent = mail("a@example.org", "b@example.org")
    await kit.backend.send(sent)
    [(recipients, data)] = kit.delivered()
    assert set(recipients) == {"a@example.org", "b@example.org"}
    assert parsed(data)["Message-ID"] == sent.message_id
    assert parsed(data).get_content().strip() == "Body line."


async def test_backend_keeps_sending_order(kit: Kit) -> None:
    """Mail is delivered in the order it was sent."""
    sent = [mail("a@example.org", subject=f"n{n}") for n in range(3)]
    for one in sent:
        await kit.backend.send(one)
    assert [parsed(d)["Message-ID"] for _, d in kit.delivered()] == [m.message_id for m in sent]


async def test_backend_refuses_mail_without_recipients_for_good(kit: Kit) -> None:
    """No backend can deliver a mail with no recipients: a permanent failure, nothing sent."""
    with pytest.raises(PermanentDeliveryError):
        await kit.backend.send(mail())
    assert kit.delivered() == []


async def test_backend_can_be_closed_and_used_again(kit: Kit) -> None:
    """close() releases what the backend holds; sending afterwards still works."""
    await kit.backend.close()
    await kit.backend.send(mail("a@example.org"))
    assert len(kit.delivered()) == 1


async def test_smtp_logs_in_when_a_user_is_configured(smtp_sink_auth: SmtpSink) -> None:
    """With a user and password the backend authenticates before sending."""
    cfg = smtp_config(smtp_sink_auth, user=SINK_USER, password=SecretStr(SINK_PASSWORD))
    await SmtpBackend(cfg).send(mail("a@example.org"))
    [received] = smtp_sink_auth.messages
    assert received.login == SINK_USER


async def test_smtp_wrong_password_is_temporary_and_never_quoted(smtp_sink_auth: SmtpSink) -> None:
    """A refused login is the server's setup, not the mail's fault: retry; no password shown."""
    cfg = smtp_config(smtp_sink_auth, user=SINK_USER, password=SecretStr("not-the-Password-42"))
    with pytest.raises(TemporaryDeliveryError) as caught:
        await SmtpBackend(cfg).send(mail("a@example.org"))
    assert "login refused" in str(caught.value) and "not-the-Password-42" not in str(caught.value)


@pytest.mark.parametrize(
    ("refuse", "error", "code"),
    [
        ("refuse_temporarily", TemporaryDeliveryError, "451"),
        ("refuse_permanently", PermanentDeliveryError, "550"),
    ],
)
async def test_smtp_reply_codes_decide_temporary_or_permanent(
    smtp_sink: SmtpSink, refuse: str, error: type[Exception], code: str
) -> None:
    """4yz replies are temporary and 5yz permanent (RFC 5321 4.2.1), in one line."""
    getattr(smtp_sink, refuse)()
    with pytest.raises(error) as caught:
        await SmtpBackend(smtp_config(smtp_sink)).send(mail("a@example.org"))
    assert code in str(caught.value) and "\n" not in str(caught.value)


async def test_smtp_server_that_does_not_answer_is_a_temporary_failure() -> None:
    """Nobody listening on the port: retry later."""
    cfg = SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout_seconds=2)
    with pytest.raises(TemporaryDeliveryError, match=r"^SMTP 127\.0\.0\.1:\d+: "):
        await SmtpBackend(cfg).send(mail("a@example.org"))


async def test_smtp_starttls_is_required_not_opportunistic(smtp_sink: SmtpSink) -> None:
    """security = starttls against a server without STARTTLS fails instead of sending in clear."""
    with pytest.raises(TemporaryDeliveryError):
        await SmtpBackend(smtp_config(smtp_sink, security="starttls")).send(mail("a@example.org"))
    assert smtp_sink.messages == []


async def test_memory_backend_refuses_on_request_until_accept() -> None:
    """The shipped test double fails sends as told, then delivers again."""
    backend = MemoryBackend()
    backend.refuse_temporarily()
    with pytest.raises(TemporaryDeliveryError):
        await backend.send(mail("a@example.org"))
    backend.refuse_permanently()
    with pytest.raises(PermanentDeliveryError):
        await backend.send(mail("a@example.org"))
    backend.accept()
    await backend.send(mail("a@example.org"))
    assert len(backend.messages()) == 1


async def test_capture_backend_writes_whole_files_named_in_sending_order(tmp_path: Path) -> None:
    """Captured mail are .eml files numbered in order, never left half-written."""
    backend = CaptureBackend(tmp_path / "demo" / "mail")
    sent = [mail("a@example.org") for _ in range(3)]
    await asyncio.gather(*(backend.send(m) for m in sent))
    files = backend.files()
    assert [p.name[:5] for p in files] == ["0001-", "0002-", "0003-"]
    assert sorted(p.read_bytes() for p in files) == sorted(m.data for m in sent)
    assert not list((tmp_path / "demo" / "mail").glob(".tmp-*"))
