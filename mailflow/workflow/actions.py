"""What the workflow asks the shell to do: the outputs of ``decide``.

Actions are data. The shell writes them to the outbox in the same transaction as the new case
state and performs them after commit, so a crash neither loses nor doubles them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class SendMail:
    """A mail to compose from ``template`` and send.

    ``to_customer`` mails thread into the customer's conversation and are automatic replies
    (RFC 3834) unless they relay an officer's words; internal mails go to council staff.
    """

    purpose: str
    template: str
    to: tuple[str, ...]
    to_customer: bool
    stage: int | None = None
    letters: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Audit:
    """An entry for the case's append-only audit trail: what was decided and why."""

    event: str
    detail: dict[str, Any] = field(default_factory=dict)


Action = SendMail | Audit
