"""Hostile messages through the whole inbound pipeline on SQLite: each one is recorded or
quarantined with a reason, within a time bound, and the pipeline goes on to the next."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from mailflow.config import MailboxConfig
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.pipeline.inbound import Inbound
from mailflow.policy.council import load_policy
from mailflow.store.blobs import BlobStore
from mailflow.store.db import make_engine, session_scope
from mailflow.store.migrate import upgrade
from mailflow.store.models import Message
from mailflow.store.vocab import MessageStatus
from tests.fuzz.strategies import SAMPLES, mutate

SECONDS_PER_MESSAGE = 15.0
POLICY = load_policy("stafford")


def simple(headers: str, body: str = "Hello.\r\n") -> bytes:
    return (headers + "\r\n" + body).encode("utf-8", "surrogateescape")


def nested(depth: int) -> bytes:
    """``depth`` multiparts, each inside the last."""
    head = "From: a@example.org\r\nSubject: deep\r\n"
    opened = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    closed = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + opened + "Content-Type: text/plain\r\n\r\ninside\r\n" + closed).encode()


def attachments(count: int) -> bytes:
    """A message with ``count`` one-byte attachments."""
    parts = "".join(
        "--b\r\nContent-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="f{i}.bin"\r\n\r\nx\r\n'
        for i in range(count)
    )
    head = (
        "From: a@example.org\r\nSubject: many\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    )
    return (head + parts + "--b--\r\n").encode()


HOSTILE = {
    "a 1 MiB subject": simple("From: a@example.org\r\nSubject: " + "x" * (1024 * 1024) + "\r\n"),
    "10,000 header fields": simple("From: a@example.org\r\n" + "X-Junk: y\r\n" * 10_000),
    "NULs in headers and body": simple(
        "From: alice@example.org\r\nSubject: a\x00b\r\n", "t\x00\x00\r\n"
    ),
    "8-bit junk in every header": (
        b"From: \xff\xfe@\xc3\x28.example\r\nSubject: \xe2\x82\r\nTo: \x80\r\n\r\n\xff\r\n"
    ),
    "encoded words that decode to newlines": simple(
        "From: eve@example.org\r\nSubject: =?UTF-8?Q?hi=0ABcc:_victim@evil.example?=\r\n"
    ),
    "a sender name that decodes to a new header": simple(
        "From: =?UTF-8?Q?Eve=0D=0ABcc:_x@evil.example?= <eve@example.org>\r\n"
    ),
    "an unknown charset and broken base64": simple(
        "From: a@example.org\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        "Content-Transfer-Encoding: base64\r\n",
        "!!!not base64@@@\r\n",
    ),
    "nesting 60 deep": nested(60),
    "nesting 5,000 deep": nested(5000),
    "10,000 attachments": attachments(10_000),
    "a boundary that never closes": simple(
        'From: a@example.org\r\nContent-Type: multipart/mixed; boundary="never"\r\n',
        "--never\r\nContent-Type: text/plain\r\n\r\nopen for ever\r\n",
    ),
    "empty": b"",
    "only a blank line": b"\r\n",
}


@pytest.fixture
def inbound(tmp_path: Path) -> Iterator[Inbound]:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield Inbound(
        policy=POLICY,
        engine=engine,
        blobs=BlobStore(tmp_path / "blobs"),
        mailbox=MailboxConfig(name="complaints", address="complaints@council.test"),
        own_addresses=frozenset({"complaints@council.test"}),
        limits=Limits(max_bytes=4 * 1024 * 1024),
        clock=lambda: datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
    )
    engine.dispose()


def outcomes(engine: Engine) -> dict[int, Message]:
    with session_scope(engine) as s:
        return {int(m.uid or 0): m for m in s.exec(select(Message))}


def feed_all(inbound: Inbound, raws: list[bytes]) -> list[float]:
    """Each message through the pipeline in turn; the seconds each took."""
    took = []
    for uid, raw in enumerate(raws, start=1):
        started = time.perf_counter()
        folder = inbound.process(Fetched(mailbox="complaints", uidvalidity=1, uid=uid, raw=raw))
        took.append(time.perf_counter() - started)
        assert folder in ("Processed", "Automatic", "Quarantine")
    return took


def assert_each_recorded_or_quarantined_with_a_reason(engine: Engine, count: int) -> None:
    stored = outcomes(engine)
    assert sorted(stored) == list(range(1, count + 1))
    for message in stored.values():
        if message.status is MessageStatus.QUARANTINED:
            assert message.quarantine_reason and message.raw_blob


def test_each_hostile_message_is_recorded_or_quarantined_with_a_reason_in_time(
    inbound: Inbound,
) -> None:
    """Fault: huge headers, NULs, bad encodings, deep nesting and 10,000 attachments; none
    crashes or hangs the pipeline, each is recorded or quarantined with its reason."""
    took = feed_all(inbound, list(HOSTILE.values()))
    assert max(took) < SECONDS_PER_MESSAGE, dict(zip(HOSTILE, took, strict=True))
    assert_each_recorded_or_quarantined_with_a_reason(inbound.engine, len(HOSTILE))
    stored = outcomes(inbound.engine)
    by_name = {name: stored[i] for i, name in enumerate(HOSTILE, start=1)}
    many = by_name["10,000 attachments"].quarantine_reason or ""
    assert "1000 MIME parts" in many or "Content-* headers exceed" in many
    assert "levels deep" in (by_name["nesting 5,000 deep"].quarantine_reason or "")
    assert by_name["nesting 60 deep"].status is MessageStatus.QUARANTINED
    for name in ("NULs in headers and body", "encoded words that decode to newlines"):
        message = by_name[name]
        assert message.status is not MessageStatus.QUARANTINED
        assert "\x00" not in message.text + message.subject
        assert "\n" not in message.subject


def test_mutated_samples_through_the_pipeline_are_each_recorded_or_quarantined(
    inbound: Inbound,
) -> None:
    """Fault: 80 damaged real samples in a row; every one ends recorded or quarantined with a
    reason, and the pipeline never stops."""
    rng = random.Random(8)
    originals = [p.read_bytes() for p in SAMPLES]
    raws = [mutate(rng.choice(originals), rng) for _ in range(80)]
    took = feed_all(inbound, raws)
    assert max(took) < SECONDS_PER_MESSAGE
    assert_each_recorded_or_quarantined_with_a_reason(inbound.engine, len(raws))
