"""One wake-up signal, heard by every loop that listens: the outbox worker and the scheduler.

The inbound pipeline sets the daemon's ``wake`` after each message it records. The outbox
worker clears that event each round, so the scheduler, which must also re-plan when a case's
deadlines change, listens through an event of its own that only it clears.
"""

from __future__ import annotations

import asyncio


class Wake(asyncio.Event):
    """An ``asyncio.Event`` whose ``set`` also sets every listener's own event."""

    def __init__(self) -> None:
        super().__init__()
        self._listeners: list[asyncio.Event] = []

    def listen(self) -> asyncio.Event:
        """A new event set whenever this one is; the listener clears it itself."""
        event = asyncio.Event()
        self._listeners.append(event)
        return event

    def set(self) -> None:
        """Wake the waiters of this event and of every listener's."""
        super().set()
        for event in self._listeners:
            event.set()
