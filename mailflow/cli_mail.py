"""CLI commands that put old mail through the pipeline again: ``replay`` and ``import``.

Both build the daemon's own inbound pipeline from ``mailflow.toml`` (same rules, database,
blob store, reply key), are idempotent (already recorded mail is counted and skipped), and
print one JSON document of counts on stdout. Mail they decide waits in the outbox for the
running daemon to send.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from mailflow.cli_store import ConfigOpt, emit, required_config
from mailflow.config import Config, MailboxConfig
from mailflow.errors import ConfigError


def _mailbox(cfg: Config, name: str | None) -> MailboxConfig:
    """The configured mailbox called ``name`` (the first one when no name is given)."""
    if not cfg.mailbox:
        raise ConfigError("config", "mailbox", "no [[mailbox]] is configured")
    if name is None:
        return cfg.mailbox[0]
    for box in cfg.mailbox:
        if box.name == name:
            return box
    known = ", ".join(b.name for b in cfg.mailbox)
    raise typer.BadParameter(f"--mailbox {name!r} is not configured (configured: {known})")


def _now() -> datetime:
    return datetime.now(UTC)


def replay(
    mailbox: Annotated[str, typer.Option("--mailbox", "-m", help="A configured mailbox's name.")],
    since: Annotated[str, typer.Option(help="First day to replay (YYYY-MM-DD, council time).")],
    config: ConfigOpt = None,
) -> None:
    """Reprocess a mailbox's mail received since a date (the watched folder and the folders
    mailflow files into); mail already recorded is skipped, so it is safe to run again."""
    from mailflow.app import Daemon
    from mailflow.ingest.backfill import Backfill, Counts, ReceivedClock, summary
    from mailflow.ingest.replay import replay as run_replay

    try:
        first = date.fromisoformat(since)
    except ValueError:
        raise typer.BadParameter(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    cfg = required_config(config)
    box = _mailbox(cfg, mailbox)
    clock = ReceivedClock(_now)
    daemon = Daemon.from_config(cfg, clock=clock)
    start = datetime.combine(first, time(0), ZoneInfo(daemon.policy.rules.council.timezone))
    backfill = Backfill(inbound=daemon.inbound(box), clock=clock, counts=Counts())

    def skipped(folder: str, why: str) -> None:
        print(f"mailflow: folder {folder} skipped: {why}", file=sys.stderr)

    try:
        folders = asyncio.run(
            run_replay(backfill, box, daemon.source_factory, since=start, now=_now, on_skip=skipped)
        )
    finally:
        daemon.engine.dispose()
    emit(
        summary(
            backfill.counts,
            mailbox=box.name,
            since=first.isoformat(),
            folders={name: counts.as_json() for name, counts in folders.items()},
        )
    )


def import_mbox(
    file: Annotated[Path, typer.Argument(help="The mbox file to import.")],
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", "-m", help="Mailbox it belongs to (default: first).")
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet/--notify",
            help="Quiet (default): record the mail it would send as suppressed; "
            "--notify: queue it as for live mail.",
        ),
    ] = True,
    config: ConfigOpt = None,
) -> None:
    """Backfill a mailbox's history from an mbox file, each message through the pipeline with
    deadlines from its own Date; already recorded messages are skipped."""
    from dataclasses import replace

    from mailflow.app import Daemon
    from mailflow.ingest.backfill import Backfill, Counts, ReceivedClock, summary
    from mailflow.ingest.mbox import import_mbox as run_import
    from mailflow.ingest.mbox import open_mbox

    cfg = required_config(config)
    box = _mailbox(cfg, mailbox)
    source = open_mbox(file)
    clock = ReceivedClock(_now)
    daemon = Daemon.from_config(cfg, clock=clock)
    inbound = replace(daemon.inbound(box), quiet=quiet)
    backfill = Backfill(inbound=inbound, clock=clock, counts=Counts())
    try:
        with typer.progressbar(length=len(source), label="importing", file=sys.stderr) as bar:
            asyncio.run(run_import(backfill, source, name=file.name, now=_now, advance=bar.update))
    finally:
        source.close()
        daemon.engine.dispose()
    emit(summary(backfill.counts, mailbox=box.name, file=str(file), quiet=quiet))
