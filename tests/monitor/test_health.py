"""`/healthz`, `/metrics` and `mailflow health` report a stopped IMAP server within a minute."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mailflow.app import Daemon
from mailflow.cli import main
from mailflow.config import Config
from mailflow.outbound.memory import MemoryBackend
from tests.servers._net import free_port
from tests.servers.dovecot import Dovecot


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError:
        return 0, b""  # the listener is not up (yet)


async def until(predicate: object, timeout: float) -> float:
    """Seconds until ``predicate()`` held (fails after ``timeout``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await asyncio.to_thread(predicate):  # type: ignore[arg-type]
            return time.monotonic() - start
        await asyncio.sleep(0.25)
    raise AssertionError(f"not within {timeout} s")


async def test_stopped_imap_server_is_reported_unhealthy_and_recovers(
    tmp_path: Path, private_dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """Healthy while connected; 503 and exit 1 soon after Dovecot stops; healthy once back."""
    box = private_dovecot.fresh_mailbox()
    listen = f"127.0.0.1:{free_port()}"
    config = Config.model_validate(
        {
            "rules": "stafford",
            "data_dir": str(tmp_path / "data"),
            "secret": "s",
            "monitor": {"listen": listen},
            "mailbox": [
                {
                    "name": "complaints",
                    "address": box.address,
                    "host": box.host,
                    "port": box.imap_port,
                    "security": "none",
                    "user": box.address,
                    "password": box.password,
                    "idle_seconds": 30,
                }
            ],
        }
    )
    (tmp_path / "mailflow.toml").write_text(
        f'rules = "stafford"\ndata_dir = "{tmp_path / "data"}"\n[monitor]\nlisten = "{listen}"\n'
    )
    daemon = Daemon.from_config(config, backend_factory=lambda _c: MemoryBackend())
    stop = asyncio.Event()
    task = asyncio.create_task(daemon.run(stop))
    healthz = f"http://{listen}/healthz"
    try:
        up = b'mailflow_watcher_up{mailbox="complaints"} 1.0'
        await until(lambda: up in get(f"http://{listen}/metrics")[1], 30)
        assert get(healthz)[0] == 200
        private_dovecot.stop()
        took = await until(lambda: get(healthz)[0] == 503, 60)
        report = json.loads(get(healthz)[1])
        assert any(line.startswith("FAIL mailbox complaints") for line in report["checks"])
        assert (
            b'mailflow_watcher_up{mailbox="complaints"} 0.0' in get(f"http://{listen}/metrics")[1]
        )
        code = await asyncio.to_thread(
            main, ["health", "--config", str(tmp_path / "mailflow.toml")]
        )
        assert code == 1 and "FAIL mailbox complaints" in capsys.readouterr().out
        print(f"unhealthy {took:.1f} s after the IMAP server stopped")
        private_dovecot.start()
        await until(lambda: get(healthz)[0] == 200, 90)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def test_health_without_a_listener_checks_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no [monitor] listen, `mailflow health` checks the database and says so."""
    db = tmp_path / "m.db"
    config = tmp_path / "mailflow.toml"
    config.write_text(f'rules = "stafford"\ndatabase = "sqlite:///{db}"\n')
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert main(["health", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ok   database: answers" in out and "ok   schema" in out
