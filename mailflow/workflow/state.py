"""A case's state as the workflow sees it: a frozen snapshot the shell loads and saves.

The store's rows (contact, stage_record, deadline) map one to one onto these; keeping the core
on plain dataclasses means a whole case's life can be replayed in memory in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

DeadlineStatus = Literal["open", "met", "missed", "cancelled", "paused"]
Status = Literal["open", "awaiting_customer", "closed"]


@dataclass(frozen=True, kw_only=True)
class DeadlineState:
    """One deadline of a case: acknowledge or respond, at a stage (None: no staged procedure)."""

    stage: int | None
    purpose: Literal["acknowledge", "respond"]
    due_date: date
    due_at: datetime
    calendar: str
    basis: Literal["receipt", "acknowledgement"]
    original_due_date: date
    status: DeadlineStatus = "open"
    met_at: datetime | None = None
    explain: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StageState:
    """A case's passage through one stage."""

    number: int
    owner_role: str
    owner_address: str | None
    opened_at: datetime
    acknowledged_at: datetime | None = None
    responded_at: datetime | None = None
    outcome: str | None = None
    extensions: int = 0


@dataclass(frozen=True, kw_only=True)
class CaseState:
    """Everything the workflow needs to know about one contact to decide what happens next."""

    reference: str
    council: str
    kind: str
    channel: str
    service: str | None
    route: str | None
    assigned_to: str | None
    is_case: bool
    stage: int | None
    status: Status
    customer_address: str
    customer_name: str
    subject: str
    received_at: datetime
    signpost: str | None = None
    needs: tuple[str, ...] = ()
    anonymous: bool = False
    avoidable: str | None = None
    flags: tuple[str, ...] = ()
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()
    outcome: str | None = None
    closed_at: datetime | None = None
    awaiting_since: datetime | None = None
    legal_hold: bool = False  # set by #hold: never expired or erased while set
    legal_hold_reason: str | None = None
    stages: tuple[StageState, ...] = field(default_factory=tuple)
    deadlines: tuple[DeadlineState, ...] = field(default_factory=tuple)

    def current_stage(self) -> StageState | None:
        """The stage the case is at now, if it runs a staged procedure."""
        for st in self.stages:
            if st.number == self.stage:
                return st
        return None

    def open_deadlines(self, stage: int | None = None) -> tuple[DeadlineState, ...]:
        """Deadlines still running (all, or those of one stage)."""
        return tuple(
            d for d in self.deadlines if d.status == "open" and (stage is None or d.stage == stage)
        )

    def with_flag(self, flag: str) -> CaseState:
        """The same case with a flag added once."""
        return self if flag in self.flags else replace(self, flags=(*self.flags, flag))
