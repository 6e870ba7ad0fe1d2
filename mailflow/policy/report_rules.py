"""The ``reports`` section of a rules file: which monitoring reports are mailed, to whom, when.

Both policies say who reads the monitoring figures and how often (Stafford 8 and 8(d):
quarterly to Leadership Team and Cabinet; Chorley, Monitoring and Review: monthly to Strategy
Group), so the daemon mails each finished period's report without anyone asking:

    frequency: monthly | quarterly | yearly
    to:        directory roles (``leadership_team``) and/or plain addresses
    formats:   what is attached: ``docx`` (always), ``csv`` (every table, zipped), ``html``
    delay:     working days after the period ends before it is sent (0: the first working
               morning after it), so that late entries such as ``#outcome`` are in

A council names each frequency at most once: the period (``2026-Q3``) is what makes a report
"already sent".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from mailflow.policy.base import Frozen

Frequency = Literal["monthly", "quarterly", "yearly"]
ReportFormat = Literal["docx", "csv", "html"]
ROLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ADDRESS_RE = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[a-z]{2,}$")
PERIOD_OF: dict[Frequency, Literal["month", "quarter", "year"]] = {
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}


class ReportDelivery(Frozen):
    """One report mailed after every period of ``frequency`` to the ``to`` recipients."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    frequency: Frequency
    to: list[str] = Field(min_length=1)
    formats: list[ReportFormat] = Field(default_factory=lambda: list[ReportFormat](["docx"]))
    delay: int = Field(default=0, ge=0, le=60)
    mailbox: str | None = None
    source: str | None = None

    @field_validator("to")
    @classmethod
    def _roles_or_addresses(cls, to: list[str]) -> list[str]:
        for i, entry in enumerate(to):
            if not (ROLE_RE.match(entry) or ADDRESS_RE.match(entry)):
                raise ValueError(
                    f"to[{i}] {entry!r} is neither a role key (leadership_team) nor an address"
                )
        if len(set(to)) != len(to):
            raise ValueError("a recipient is named twice")
        return to

    @field_validator("formats")
    @classmethod
    def _docx_first(cls, formats: list[ReportFormat]) -> list[ReportFormat]:
        if "docx" not in formats:
            raise ValueError("the Word report (docx) is always attached: list it")
        return list(dict.fromkeys(formats))

    @property
    def period_kind(self) -> Literal["month", "quarter", "year"]:
        """The report period this frequency covers (``reports.periods`` words)."""
        return PERIOD_OF[self.frequency]

    @property
    def roles(self) -> list[str]:
        """The recipients named by directory role."""
        return [t for t in self.to if "@" not in t]


class ReportRules(Frozen):
    """Every report the council has mailed automatically (none: reports only on request)."""

    deliveries: list[ReportDelivery] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_per_frequency(self) -> ReportRules:
        seen: set[str] = set()
        names: set[str] = set()
        for d in self.deliveries:
            if d.frequency in seen:
                raise ValueError(f"two deliveries are {d.frequency}: name each frequency once")
            if d.name in names:
                raise ValueError(f"two deliveries are named '{d.name}'")
            seen.add(d.frequency)
            names.add(d.name)
        return self
