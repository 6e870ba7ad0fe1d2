"""A lease belongs to one holder until it expires, so only one daemon watches each mailbox."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from mailflow.store.db import session_scope
from mailflow.store.leases import acquire_lease, release_lease
from tests.store.builders import NOW, later

TTL = timedelta(seconds=60)
MAILBOX = "watch:complaints@council.test"


def test_a_lease_is_exclusive_until_it_expires(session: Session) -> None:
    """Daemon B cannot take A's lease while it runs, and can once A has let it lapse."""
    assert acquire_lease(session, MAILBOX, "daemon-a", NOW, TTL)
    assert not acquire_lease(session, MAILBOX, "daemon-b", later(seconds=59), TTL)
    assert acquire_lease(session, MAILBOX, "daemon-b", later(seconds=60), TTL)
    assert not acquire_lease(session, MAILBOX, "daemon-a", later(seconds=61), TTL)


def test_the_holder_renews_its_lease_and_others_stay_out(session: Session) -> None:
    """Renewing before expiry extends the lease, so B is still refused after the first TTL."""
    assert acquire_lease(session, MAILBOX, "daemon-a", NOW, TTL)
    assert acquire_lease(session, MAILBOX, "daemon-a", later(seconds=30), TTL)
    assert not acquire_lease(session, MAILBOX, "daemon-b", later(seconds=75), TTL)
    assert acquire_lease(session, "watch:info@council.test", "daemon-b", later(seconds=75), TTL)


def test_a_released_lease_is_free_at_once_and_only_its_holder_can_release_it(
    session: Session,
) -> None:
    """B cannot release A's lease; when A releases it, B takes it straight away."""
    assert acquire_lease(session, MAILBOX, "daemon-a", NOW, TTL)
    assert not release_lease(session, MAILBOX, "daemon-b")
    assert release_lease(session, MAILBOX, "daemon-a")
    assert acquire_lease(session, MAILBOX, "daemon-b", later(seconds=1), TTL)


def test_daemons_racing_for_a_free_lease_get_exactly_one_winner(engine: Engine) -> None:
    """Eight daemons asking at the same instant, each in its own transaction: one wins."""
    results: dict[str, bool] = {}
    start = threading.Barrier(8)

    def contend(holder: str) -> None:
        start.wait()
        with session_scope(engine) as session:
            results[holder] = acquire_lease(session, MAILBOX, holder, NOW, TTL)

    threads = [threading.Thread(target=contend, args=(f"daemon-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert sum(results.values()) == 1
