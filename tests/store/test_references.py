"""Case references are allocated once each, in order, per council prefix and year."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mailflow.store.db import session_scope
from mailflow.store.repo import next_reference

THREADS = 4
PER_THREAD = 25


def test_references_read_prefix_year_and_a_five_digit_number(session: Session) -> None:
    """The first three Stafford references of 2026 are SBC-2026-00001, -00002 and -00003."""
    allocated = [next_reference(session, "SBC", 2026) for _ in range(3)]
    assert allocated == ["SBC-2026-00001", "SBC-2026-00002", "SBC-2026-00003"]


def test_each_year_and_each_prefix_counts_from_00001(session: Session) -> None:
    """A new year restarts at 00001, and two councils sharing a database never share a counter."""
    next_reference(session, "SBC", 2026)
    next_reference(session, "SBC", 2026)
    assert next_reference(session, "SBC", 2027) == "SBC-2027-00001"
    assert next_reference(session, "CHO", 2026) == "CHO-2026-00001"
    assert next_reference(session, "SBC", 2026) == "SBC-2026-00003"


def test_a_rolled_back_allocation_leaves_no_gap(engine: Engine) -> None:
    """A reference taken in a transaction that fails is handed out again, so none is skipped."""
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        next_reference(session, "SBC", 2026)
        raise RuntimeError("classification failed")
    with session_scope(engine) as session:
        assert next_reference(session, "SBC", 2026) == "SBC-2026-00001"


def test_concurrent_allocations_are_distinct_and_consecutive(engine: Engine) -> None:
    """Four workers taking 25 references each, one transaction apiece, get 00001..00100."""
    allocated: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                with session_scope(engine) as session:
                    reference = next_reference(session, "SBC", 2026)
                with lock:
                    allocated.append(reference)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = [f"SBC-2026-{n:05d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert sorted(allocated) == expected


@pytest.mark.parametrize("prefix", ["", "sbc", "SBC-1", "S B C", "ABCDEFGHIJKLMNOPQ"])
def test_a_prefix_that_would_break_the_reference_format_is_refused(prefix: str) -> None:
    """Prefixes are 1-16 capital letters and digits, checked before the database is touched."""
    with pytest.raises(ValueError, match="reference prefix"):
        next_reference(Session(), prefix, 2026)
