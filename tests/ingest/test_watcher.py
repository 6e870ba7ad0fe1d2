"""The watcher's supervision rules, on an in-memory source: order, failures, backoff, stop."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from mailflow.ingest import Fetched, MemoryCheckpoints, Phase, Watcher
from tests.ingest.fakes import FakeServer, FakeSource
from tests.ingest.helpers import Recorder, Running, SleepRecorder, eventually, message


class LoggedCheckpoints(MemoryCheckpoints):
    """Checkpoints that also write each set() into the server's event list."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def set(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        self.events.append(f"checkpoint {last_uid}")
        super().set(mailbox, uidvalidity, last_uid)


def watcher_for(
    server: FakeServer,
    handler: Recorder,
    checkpoints: MemoryCheckpoints | None = None,
    **options: object,
) -> Watcher:
    return Watcher(
        lambda: FakeSource(server),
        handler,
        checkpoints if checkpoints is not None else MemoryCheckpoints(),
        **options,  # type: ignore[arg-type]
    )


async def test_handler_runs_first_filing_second_checkpoint_last() -> None:
    """Per message: the handler records it, then it is filed, then the checkpoint moves."""
    server = FakeServer()
    for n in range(3):
        server.deliver(message(f"order {n}"))
    checkpoints = LoggedCheckpoints(server.events)

    async def handler(fetched: Fetched) -> str:
        server.events.append(f"handle {fetched.uid}")
        return "Processed"

    watcher = Watcher(lambda: FakeSource(server), handler, checkpoints)
    async with Running(watcher):
        await eventually(lambda: checkpoints.get("complaints") == (7, 3))
    steps = [e for e in server.events if e not in ("connect", "close", "checkpoint 0")]
    expected = [f"{step} {uid}" for uid in (1, 2, 3) for step in ("handle", "file", "checkpoint")]
    assert [s.removesuffix(" Processed") for s in steps] == expected


async def test_a_failing_handler_leaves_that_message_and_holds_the_checkpoint() -> None:
    """A handler error on one message: the rest are filed, that one stays, checkpoint held."""
    server = FakeServer()
    for n in range(5):
        server.deliver(message(f"fail {n}"))
    handler = Recorder(fail_on=lambda fetched: fetched.uid == 3)
    checkpoints = MemoryCheckpoints()
    async with Running(watcher_for(server, handler, checkpoints)):
        await eventually(lambda: len(handler.seen) == 5)
        await asyncio.sleep(0.05)
    assert list(server.inbox) == [3]
    assert len(server.folders["Processed"]) == 4
    assert checkpoints.get("complaints") == (7, 2)


async def test_a_failed_message_is_offered_once_per_connection_and_again_after_reconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No spinning: later wake-ups skip the failed message; a new connection retries it once."""
    server = FakeServer()
    server.deliver(message("poison"))
    handler = Recorder(fail_on=lambda fetched: b"poison" in fetched.raw)
    checkpoints = MemoryCheckpoints()
    with caplog.at_level(logging.WARNING, logger="mailflow.ingest.watcher"):
        async with Running(watcher_for(server, handler, checkpoints)):
            await eventually(lambda: len(handler.seen) == 1)
            server.deliver(message("fine"))
            await eventually(lambda: len(handler.seen) == 2)
            await asyncio.sleep(0.05)
    assert handler.subjects == ["poison", "fine"]
    assert checkpoints.get("complaints") == (7, 0)
    [failure] = [r for r in caplog.records if getattr(r, "event", "") == "watcher.handler_failed"]
    assert failure.uid == 1  # type: ignore[attr-defined]
    assert failure.error == "RuntimeError: cannot record UID 1"  # type: ignore[attr-defined]
    assert b"About" not in failure.getMessage().encode()  # never the body

    retry = Recorder()
    async with Running(watcher_for(server, retry, checkpoints)):
        await eventually(lambda: len(retry.seen) == 1)
    assert retry.subjects == ["poison"]  # "fine" was filed, so only the failed one is left
    assert checkpoints.get("complaints") == (7, 1)


async def test_returning_none_leaves_the_message_and_advances_the_checkpoint() -> None:
    """A handler that returns None leaves the message in place; it is not offered again."""
    server = FakeServer()
    server.deliver(message("leave me"))
    handler = Recorder(folder=None)
    checkpoints = MemoryCheckpoints()
    async with Running(watcher_for(server, handler, checkpoints)):
        await eventually(lambda: checkpoints.get("complaints") == (7, 1))
    assert list(server.inbox) == [1]
    assert "file 1" not in " ".join(server.events)


async def test_a_refused_filing_sets_the_message_aside_without_reconnecting() -> None:
    """SourceRefused while filing leaves that message in place and holds the checkpoint."""
    server = FakeServer(refuse_folder="Nowhere")
    server.deliver(message("refused"))
    handler = Recorder(folder="Nowhere")
    checkpoints = MemoryCheckpoints()
    watcher = watcher_for(server, handler, checkpoints)
    async with Running(watcher):
        await eventually(lambda: len(handler.seen) == 1)
        await asyncio.sleep(0.05)
        assert watcher.state.phase is Phase.IDLE
    assert server.events.count("connect") == 1
    assert list(server.inbox) == [1]
    assert checkpoints.get("complaints") == (7, 0)


async def test_a_changed_uidvalidity_rescans_from_uid_zero(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When UIDVALIDITY differs from the checkpoint's, every message is offered from UID 0."""
    server = FakeServer()
    checkpoints = MemoryCheckpoints()
    checkpoints.set("complaints", 7, 50)  # an old checkpoint far above the new UIDs
    server.recreate_inbox()
    server.deliver(message("after recreate 1"))
    server.deliver(message("after recreate 2"))
    handler = Recorder()
    with caplog.at_level(logging.WARNING, logger="mailflow.ingest.watcher"):
        async with Running(watcher_for(server, handler, checkpoints)):
            await eventually(lambda: checkpoints.get("complaints") == (8, 2))
    assert handler.uids == [1, 2]
    assert any(getattr(r, "event", "") == "watcher.uidvalidity_changed" for r in caplog.records)


async def test_backoff_delays_grow_with_full_jitter_up_to_the_maximum() -> None:
    """Each retry waits uniform in [0, min(max, initial * 2^n)]; the ceiling doubles to max."""
    server = FakeServer(failing_connects=1000)
    stop = asyncio.Event()
    sleep = SleepRecorder(stop, limit=12)
    watcher = watcher_for(
        server,
        Recorder(),
        backoff_initial=1.0,
        backoff_max=300.0,
        rng=random.Random(42),
        sleep=sleep,
    )
    await asyncio.wait_for(watcher.run(stop), 5)
    ceilings = [min(300.0, 1.0 * 2**n) for n in range(12)]
    assert len(sleep.delays) == 12
    assert all(0 <= d <= c for d, c in zip(sleep.delays, ceilings, strict=True))
    assert max(sleep.delays[-3:]) > 16  # grown well past the first ceilings
    assert watcher.state.consecutive_failures == 12


class Ceiling(random.Random):
    """An rng whose jitter always picks the top of the range, so delays show the ceilings."""

    def uniform(self, a: float, b: float) -> float:
        return b


async def test_backoff_starts_again_from_initial_after_a_successful_cycle() -> None:
    """After a connection that catches up, the next failure's delay ceiling is back to initial."""
    server = FakeServer(failing_connects=4)
    sleep = SleepRecorder()
    watcher = watcher_for(server, Recorder(), backoff_initial=1.0, rng=Ceiling(), sleep=sleep)
    async with Running(watcher):
        await eventually(lambda: watcher.state.phase is Phase.IDLE)
        assert watcher.state.consecutive_failures == 0
        server.failing_connects, server.drop_in_wait = 1, 1
        server.deliver(message("wake"))  # ends the wait, and the next wait drops
        await eventually(lambda: len(sleep.delays) == 6 and watcher.state.phase is Phase.IDLE)
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0, 1.0, 2.0]


async def test_a_bug_in_the_source_is_retried_not_fatal() -> None:
    """A source raising something other than SourceError is logged and retried like one."""
    server = FakeServer()
    calls = 0

    def factory() -> FakeSource:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("surprise")
        return FakeSource(server)

    server.deliver(message("after the bug"))
    handler = Recorder()
    watcher = Watcher(factory, handler, MemoryCheckpoints(), sleep=SleepRecorder())
    async with Running(watcher):
        await eventually(lambda: len(handler.seen) == 1)
    assert watcher.state.last_error == "KeyError: 'surprise'"


async def test_stop_during_catch_up_finishes_the_message_in_hand_then_returns() -> None:
    """Stop set while handling a message: that one is filed and checkpointed, no more taken."""
    server = FakeServer()
    for n in range(5):
        server.deliver(message(f"stop {n}"))
    stop = asyncio.Event()
    checkpoints = MemoryCheckpoints()

    async def handler(fetched: Fetched) -> str:
        if fetched.uid == 2:
            stop.set()
        await asyncio.sleep(0)
        return "Processed"

    watcher = Watcher(lambda: FakeSource(server), handler, checkpoints)
    await asyncio.wait_for(watcher.run(stop), 2)
    assert sorted(server.inbox) == [3, 4, 5]
    assert checkpoints.get("complaints") == (7, 2)
    assert watcher.state.phase is Phase.STOPPED
    assert server.events[-1] == "close"


async def test_state_reports_reconnecting_with_a_one_line_error_while_failing() -> None:
    """While connects fail, state says reconnecting, counts failures and keeps the last error."""
    server = FakeServer(failing_connects=1000)
    watcher = watcher_for(server, Recorder(), backoff_initial=0.01, backoff_max=0.02)
    async with Running(watcher):
        await eventually(lambda: watcher.state.consecutive_failures >= 3)
        assert watcher.state.phase is Phase.RECONNECTING
        assert watcher.state.last_error == "mailbox complaints: connect: Connection refused"
        assert watcher.state.last_ok is None
