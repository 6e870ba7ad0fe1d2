"""The daemon in the test's own event loop, with retries short enough for a test.

``Daemon`` builds its outbox worker and watchers with production timings (a first retry after a
minute, reconnects backing off to five minutes). ``quick_timings`` swaps the classes it builds
them from for the same classes with short timings, through their public keyword arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from mailflow import app
from mailflow.config import load_config
from mailflow.ingest.watcher import Watcher
from mailflow.outbound.retry import RetryPolicy
from mailflow.outbound.worker import OutboxWorker

QUICK_RETRY = RetryPolicy(
    base=timedelta(seconds=0.5), cap=timedelta(seconds=2), max_attempts=10_000
)


def quick_timings(monkeypatch: pytest.MonkeyPatch, *, backoff_max: float = 5.0) -> None:
    """Outbox retries every 0.25-2 s and never give up, a failed round is tried again after
    2 s (not 60); watchers reconnect within 5 s."""
    quick = partial(OutboxWorker, retry=QUICK_RETRY, poll=timedelta(seconds=2))
    monkeypatch.setattr(app, "OutboxWorker", quick)
    monkeypatch.setattr(
        app, "Watcher", partial(Watcher, backoff_initial=0.5, backoff_max=backoff_max)
    )


@contextlib.asynccontextmanager
async def running(config: Path, password_env: str, password: str) -> AsyncIterator[app.Daemon]:
    """``Daemon.from_config(config)`` running until the block ends (then stopped cleanly)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(password_env, password)
        daemon = await asyncio.to_thread(app.Daemon.from_config, load_config(config))
        stop = asyncio.Event()
        task = asyncio.create_task(daemon.run(stop))
        try:
            yield daemon
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            daemon.engine.dispose()


async def eventually(predicate: object, timeout: float, what: str = "") -> float:
    """Await until ``predicate()`` (run in a thread: it may block) holds; seconds taken."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not await asyncio.to_thread(predicate):  # type: ignore[arg-type]
        if loop.time() - started > timeout:
            raise AssertionError(f"{what or 'condition'} not reached within {timeout} s")
        await asyncio.sleep(0.1)
    return loop.time() - started


def failing_checks(daemon: app.Daemon) -> dict[str, str]:
    """The daemon's health checks (``/healthz``) that fail now: name to detail."""
    return {c.name: c.detail for c in daemon.health_checks() if not c.ok}
