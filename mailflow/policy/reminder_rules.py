"""The ``reminders`` section of a rules file: who is told when about each deadline.

A council states, per deadline purpose and stage, the notices mailflow mails before and after
the due instant, counted in working days on the deadline's own calendar:

    before: N   at the start of working hours on the day when N working days remain, the due
                day included (``before: 1`` is the morning of the due day itself)
    after: N    at the start of working hours N working days after the deadline lapsed
                (``after: 0`` is the next working morning after the lapse)

Recipients are directory roles (``customer_services_manager``), the per-service roles
(``service_officer``, ``head_of_service``) or the roles of the case itself: ``handling_officer``
(whoever the case is assigned to), ``stage_owner`` (the role owning the deadline's stage) and
``stage_owner_manager`` (that role's line manager, from ``line_managers``). Digests list every
overdue deadline to named managers each working day or each week.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field, model_validator

from mailflow.policy.base import Frozen, Key

NoticeKind = Literal["reminder", "escalation", "breach_warning"]
NOTICE_KINDS: tuple[NoticeKind, ...] = ("reminder", "escalation", "breach_warning")
CASE_ROLES = ("handling_officer", "stage_owner", "stage_owner_manager")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday"]


class Step(Frozen):
    """One notice about a deadline: its kind, who gets it, and when."""

    notice: NoticeKind
    before: int | None = Field(default=None, ge=1, le=60)
    after: int | None = Field(default=None, ge=0, le=60)
    to: list[Key] = Field(min_length=1)
    source: str | None = None

    @model_validator(mode="after")
    def _one_instant(self) -> Step:
        if (self.before is None) == (self.after is None):
            raise ValueError("give exactly one of 'before' or 'after' (working days)")
        if self.notice == "breach_warning" and self.after is None:
            raise ValueError("a breach warning goes out after the lapse: use 'after'")
        return self

    @property
    def when(self) -> str:
        """The instant in words, as mails and ``check-rules`` print it."""
        if self.before is not None:
            left = "1 working day left" if self.before == 1 else f"{self.before} working days left"
            return f"{left} (the due day included)"
        if self.after == 0:
            return "at the lapse (the next working morning)"
        days = "1 working day" if self.after == 1 else f"{self.after} working days"
        return f"{days} after the lapse"


class DeadlineReminders(Frozen):
    """The notices of the deadlines this entry matches; the first matching entry wins.

    ``procedure`` (with optional ``stages``) matches the stage clocks of a procedure;
    ``standards`` matches the deadlines those correspondence standards set; neither matches
    any deadline. ``purpose`` narrows it to the acknowledgement or the full response.
    """

    name: Key
    purpose: Literal["acknowledge", "respond"] | None = None
    procedure: Key | None = None
    stages: list[int] = Field(default_factory=list)
    standards: list[Key] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    source: str | None = None

    @model_validator(mode="after")
    def _procedure_or_standards(self) -> DeadlineReminders:
        if self.procedure is not None and self.standards:
            raise ValueError("an entry matches a procedure or standards, not both")
        if self.stages and self.procedure is None:
            raise ValueError("'stages' needs the 'procedure' they belong to")
        return self


class Digest(Frozen):
    """A regular mail listing every overdue deadline to the managers named."""

    name: Key
    to: list[Key] = Field(min_length=1)
    every: Literal["working_day", "week"]
    day: Weekday = "monday"
    at: time = time(9, 0)
    when_empty: Literal["skip", "send"] = "skip"
    source: str | None = None


class Reminders(Frozen):
    """Reminder plans per deadline, line managers for escalation, and overdue digests."""

    line_managers: dict[Key, Key] = Field(default_factory=dict)
    deadlines: list[DeadlineReminders] = Field(default_factory=list)
    digests: list[Digest] = Field(default_factory=list)
