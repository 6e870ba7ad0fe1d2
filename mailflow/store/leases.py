"""Named, expiring leases, so several daemons on one database run one watcher per mailbox.

A lease belongs to one holder until it expires; the holder renews it well before then. Taking or
renewing is a single atomic upsert whose ``WHERE`` admits only the current holder or anyone once
the lease has expired, so two daemons racing for a free lease cannot both win, on PostgreSQL
(row lock on conflict) or SQLite (one writer at a time). Times come from the caller's clock;
daemons sharing a database must keep their clocks in step (NTP) within a small part of the TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from mailflow.store.db import dialect_insert
from mailflow.store.models import Lease, table_of


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take lease ``name`` for ``holder`` until ``now + ttl``, or renew it if already ours.

    Returns ``False`` (and changes nothing) while another holder's lease is unexpired. The lease
    is part of the caller's transaction: it counts for others once that transaction commits.
    """
    if ttl <= timedelta(0):
        raise ValueError(f"lease {name}: ttl must be positive, not {ttl}")
    lease = table_of(Lease)
    expires_at = now + ttl
    statement = dialect_insert(session, lease).values(
        name=name, holder=holder, expires_at=expires_at
    )
    statement = statement.on_conflict_do_update(
        index_elements=[lease.c.name],
        set_={"holder": holder, "expires_at": expires_at},
        where=(lease.c.holder == holder) | (lease.c.expires_at <= now),
    )
    taken = session.exec(statement.returning(lease.c.holder)).first()
    return taken is not None


def release_lease(session: Session, name: str, holder: str) -> bool:
    """Give up lease ``name`` if ``holder`` has it; returns whether it was released."""
    lease = table_of(Lease)
    statement = delete(lease).where(lease.c.name == name, lease.c.holder == holder)
    return session.exec(statement).rowcount > 0
