"""One council's mailflow running in-process (the real ``Daemon``) against a real Dovecot
mailbox and the aiosmtpd sink, with a clock the test moves on; and the mail people send it.

    town = Town.open(tmp_path, "stafford", mailbox, smtp_sink, clock)
    async with town:                           # the daemon runs while inside
        await town.send(raw)                   # APPEND to the shared mailbox's INBOX
        [ack, notice] = await town.expect(2)   # the next two mails the sink accepts
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

from docx import Document

from mailflow.app import Daemon
from mailflow.config import Config, MailboxConfig, SmtpConfig
from mailflow.policy.council import CouncilPolicy
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

SECRET = "e2e-reply-key"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class SimClock:
    """The daemon's clock: it stands still until the test sets it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Got:
    """One mail the SMTP sink accepted, parsed."""

    rcpt: tuple[str, ...]
    raw: bytes
    msg: EmailMessage

    def header(self, name: str) -> str:
        value = self.msg[name]
        return "" if value is None else str(value)

    @property
    def subject(self) -> str:
        return self.header("Subject")

    def plain(self) -> str:
        """The plain-text part as sent."""
        part = self.msg.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def text(self) -> str:
        """The plain-text part with its line wrapping undone (words one space apart)."""
        return " ".join(self.plain().split())

    def letters(self) -> list[tuple[str, str]]:
        """(filename, text) of each attached Word letter, read back with python-docx."""
        found = []
        for part in self.msg.iter_attachments():
            if part.get_content_type() == DOCX:
                document = Document(io.BytesIO(part.get_content()))
                text = " ".join(" ".join(p.text for p in document.paragraphs).split())
                found.append((str(part.get_filename()), text))
        return found


@dataclass
class Town:
    """The daemon for one council's rules, watching ``mailbox`` and sending to ``sink``."""

    daemon: Daemon
    mailbox: Mailbox
    sink: SmtpSink
    clock: SimClock
    seen: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, tmp: Path, rules: str, mailbox: Mailbox, sink: SmtpSink, clock: SimClock) -> Town:
        config = Config(
            rules=rules,
            data_dir=tmp / "data",
            secret=SECRET,  # type: ignore[arg-type]
            lease_seconds=30,
            mailbox=[
                MailboxConfig(
                    name="complaints",
                    address=mailbox.address,
                    host=mailbox.host,
                    port=mailbox.imap_port,
                    security="none",
                    user=mailbox.address,
                    password=mailbox.password,  # type: ignore[arg-type]
                    idle_seconds=30,
                )
            ],
            smtp=SmtpConfig(host=sink.host, port=sink.port, security="none"),
        )
        return cls(Daemon.from_config(config, clock=clock), mailbox, sink, clock)

    @property
    def policy(self) -> CouncilPolicy:
        return self.daemon.policy

    @property
    def address(self) -> str:
        """The shared mailbox's address (mail goes out from it)."""
        return self.mailbox.address

    async def __aenter__(self) -> Town:
        self.task = asyncio.create_task(self.daemon.run(self.stop))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)

    async def send(self, raw: bytes, at: datetime | None = None) -> None:
        """Deliver ``raw`` to the shared mailbox (at ``at`` on the daemon's clock)."""
        if at is not None:
            self.clock.now = at
        await asyncio.to_thread(self.mailbox.append, raw)

    async def expect(self, count: int, timeout: float = 90.0) -> list[Got]:
        """The next ``count`` mails the sink accepts, in order."""
        await asyncio.to_thread(self.sink.wait_for, self.seen + count, timeout)
        new = self.sink.messages[self.seen : self.seen + count]
        self.seen += count
        return [Got(m.rcpt_tos, m.data, parse(m.data)) for m in new]

    def sink_mail(self, index: int) -> Got:
        """The ``index``-th mail the sink accepted."""
        m = self.sink.messages[index]
        return Got(m.rcpt_tos, m.data, parse(m.data))

    async def quiet(self, seconds: float = 1.5) -> list[Got]:
        """Whatever else arrives within ``seconds`` (a test that expects nothing more)."""
        await asyncio.sleep(seconds)
        extra = self.sink.messages[self.seen :]
        return [Got(m.rcpt_tos, m.data, parse(m.data)) for m in extra]


def parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def new_mail(
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    message_id: str,
    date: str = "Mon, 02 Nov 2026 10:00:00 +0000",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A mail as a person's mail program writes it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = date
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


def answer(
    got: Got,
    sender: str,
    body: str,
    *,
    message_id: str,
    quote: bool = True,
    thread: bool = True,
    extra: dict[str, str] | None = None,
) -> bytes:
    """A reply to ``got``, to its Reply-To, quoting it below 'On ... wrote:' as Gmail does
    (``thread``: with In-Reply-To and References; ``extra``: more headers)."""
    text = body.rstrip() + "\n"
    if quote:
        quoted = "\n".join(f"> {line}" for line in got.plain().splitlines())
        text += f"\nOn Mon, 2 Nov 2026 at 10:00, {got.header('From')} wrote:\n{quoted}\n"
    headers = dict(extra or {})
    if thread:
        headers["In-Reply-To"] = got.header("Message-ID")
        headers["References"] = " ".join(
            filter(None, [got.header("References"), got.header("Message-ID")])
        )
    return new_mail(
        sender,
        got.header("Reply-To"),
        f"Re: {got.subject}",
        text,
        message_id=message_id,
        headers=headers,
    )
