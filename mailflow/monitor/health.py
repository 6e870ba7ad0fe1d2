"""Is mailflow working? The checks behind ``/healthz`` and ``mailflow health``.

Each check answers yes or no with one line of detail, so a monitoring system (or a person
reading ``mailflow health``) sees at once what is wrong: the database, a mailbox connection,
or mail stuck in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, text
from sqlmodel import col, select

from mailflow.errors import MailflowError
from mailflow.ingest.watcher import Watcher
from mailflow.store import migrate
from mailflow.store.db import session_scope
from mailflow.store.models import Outbox

HEALTHY_PHASES = ("connected", "idle")
STUCK_AFTER = timedelta(minutes=15)
MAIL_KINDS = ("customer_mail", "staff_mail")


@dataclass(frozen=True, kw_only=True)
class Check:
    """One thing that is fine or not, and why."""

    name: str
    ok: bool
    detail: str


def database_checks(engine: Engine, url: str, now: datetime) -> list[Check]:
    """The database answers, its schema is current, no mail has been stuck for long, and no
    mail is waiting to retry a failed send (the mail server refusing or down, at once)."""
    try:
        with session_scope(engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            oldest = session.exec(
                select(func.min(Outbox.not_before))
                .where(col(Outbox.status).in_(("pending", "claimed")))
                .where(col(Outbox.kind).in_(MAIL_KINDS))
            ).one()
            retrying = session.exec(
                select(Outbox.last_error)
                .where(col(Outbox.status) == "pending", col(Outbox.attempts) > 0)
                .where(col(Outbox.kind).in_(MAIL_KINDS))
                .order_by(col(Outbox.id).desc())
            ).all()
        revision = migrate.current(url)
    except MailflowError as exc:
        return [Check(name="database", ok=False, detail=str(exc))]
    checks = [Check(name="database", ok=True, detail="answers")]
    head = migrate.head()
    checks.append(
        Check(
            name="schema",
            ok=revision == head,
            detail=f"revision {revision}, this version needs {head}",
        )
    )
    waiting = now - oldest if oldest is not None else timedelta(0)
    checks.append(
        Check(
            name="outbox",
            ok=waiting < STUCK_AFTER,
            detail=f"oldest unsent mail due {int(waiting.total_seconds())} s ago"
            if oldest is not None
            else "nothing waiting",
        )
    )
    # A send that failed and waits to be retried: the mail server refuses (4xx) or is down.
    checks.append(
        Check(
            name="delivery",
            ok=not retrying,
            detail=f"{len(retrying)} mails waiting to retry; last error: {retrying[0]}"
            if retrying
            else "no mail waiting to retry",
        )
    )
    return checks


def watcher_checks(mailboxes: Iterable[str], watchers: Mapping[str, Watcher]) -> list[Check]:
    """Every configured mailbox: its connection is up, or another daemon watches it."""
    out = []
    for name in sorted(mailboxes):
        watcher = watchers.get(name)
        if watcher is None:
            detail = "not watched by this daemon (starting, or another daemon holds its lease)"
            out.append(Check(name=f"mailbox {name}", ok=True, detail=detail))
            continue
        state = watcher.state
        ok = state.phase.value in HEALTHY_PHASES and state.consecutive_failures == 0
        detail = (
            state.phase.value if ok else f"{state.phase.value}: {state.last_error or 'starting'}"
        )
        out.append(Check(name=f"mailbox {name}", ok=ok, detail=detail))
    return out


def verdict(checks: Iterable[Check]) -> tuple[bool, list[str]]:
    """Healthy when every check is; one line per check."""
    items = list(checks)
    lines = [f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in items]
    return all(c.ok for c in items), lines
