"""When the outbox tries again, and when it gives up: decided here and nowhere else.

Exponential backoff with "equal jitter": the n-th retry waits between half and all of
``base * 2**(n-1)``, capped, so workers that failed together do not retry together. After
``max_attempts`` temporary failures the row is treated as a permanent failure and a person is
told. With the defaults (1 minute doubling to 1 hour, 24 attempts) that is about a day, the
order of time real mail servers keep retrying before bouncing (RFC 5321 section 4.5.4.1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long to wait before attempt ``n + 1``, and after how many attempts to stop."""

    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 24

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """The wait after the ``attempts``-th failure: jittered, at least half the step."""
        factor: int = 2 ** max(0, min(attempts - 1, 30))
        step: timedelta = min(self.cap, self.base * factor)
        half = step / 2
        return half + half * rng.random()

    def gives_up(self, attempts: int) -> bool:
        """Whether ``attempts`` failures are enough to stop trying."""
        return attempts >= self.max_attempts
