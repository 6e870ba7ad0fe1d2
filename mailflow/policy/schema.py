"""The shape of a council's rules file, as frozen pydantic models.

Policy is data: every number of days, every role, route, signpost and piece of wording a
council's procedure uses is declared in its rules file and checked here before mailflow does
anything, so that a mistake is reported with the file and key path instead of surfacing as a
wrong date weeks later. Cross-references (a route to a role the directory lacks) are checked
in ``validate.py``; this module checks each value on its own.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from mailflow.policy.base import Address, Days, Frozen, Key
from mailflow.policy.reminder_rules import Reminders
from mailflow.policy.report_rules import ReportRules
from mailflow.policy.retention_rules import Retention
from mailflow.store.vocab import ContactKind

KINDS = tuple(kind.value for kind in ContactKind)
CHANNELS = ("email", "web", "text", "letter", "fax", "phone", "in_person")
PER_SERVICE_ROLES = ("service_officer", "head_of_service")
REGIONS = ("ENG", "WLS", "SCT", "NIR")

Region = Literal["ENG", "WLS", "SCT", "NIR"]
Channel = Literal["email", "web", "text", "letter", "fax", "phone", "in_person"]


class Person(Frozen):
    """Someone mail is sent to, named by job title (and optionally by name) in letters."""

    title: str = Field(min_length=1)
    address: Address
    name: str | None = None
    telephone: str | None = None

    @property
    def display(self) -> str:
        """The name if the directory gives one, else the job title."""
        return self.name or self.title


class Service(Frozen):
    """One service of the council with the two roles every service has."""

    name: str = Field(min_length=1)
    directorate: str | None = None
    service_officer: Person
    head_of_service: Person


class Directory(Frozen):
    """The people and roles mail is routed to; services carry the per-service roles."""

    roles: dict[Key, Person]
    services: dict[Key, Service] = Field(min_length=1)

    @model_validator(mode="after")
    def _per_service_roles_are_not_global(self) -> Directory:
        for role in PER_SERVICE_ROLES:
            if role in self.roles:
                raise ValueError(f"'{role}' is defined per service, not under roles")
        return self


class Council(Frozen):
    """Who the council is, as letters and mail headers show it."""

    key: Key
    name: str = Field(min_length=1)
    reference_prefix: str = Field(pattern=r"^[A-Z]{2,6}$")
    timezone: str = "Europe/London"
    address: list[str] = Field(default_factory=list)
    telephone: str | None = None
    website: str | None = None
    mailboxes: dict[Key, Address] = Field(min_length=1)
    signature: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value


class ClosureDay(Frozen):
    """A day the council is closed beyond the bank holidays (e.g. a Christmas closure)."""

    date: date
    reason: str = Field(min_length=1)


class CalendarRules(Frozen):
    """A working-day calendar: bank holidays of the listed regions plus the council's closures.

    ``statutory: foi_act`` selects the Freedom of Information Act's own definition (s.10(6)),
    which no council may change, so it accepts no regions, closures or cut-off.
    """

    statutory: Literal["foi_act"] | None = None
    regions: list[Region] = Field(default_factory=lambda: list[Region](["ENG"]))
    closure_days: list[ClosureDay] = Field(default_factory=list)
    cutoff: time | None = None

    @model_validator(mode="after")
    def _statutory_calendar_is_not_adjustable(self) -> CalendarRules:
        if self.statutory and (self.closure_days or self.cutoff or self.regions != ["ENG"]):
            raise ValueError("a statutory calendar takes no regions, closure_days or cutoff")
        return self


class WorkingHours(Frozen):
    """When reminders may be sent: never at night or at weekends."""

    opens: time = time(9, 0)
    closes: time = time(17, 0)

    @model_validator(mode="after")
    def _opens_before_closes(self) -> WorkingHours:
        if self.opens >= self.closes:
            raise ValueError("opens must be earlier than closes")
        return self


class Clock(Frozen):
    """One deadline: how many days, on which calendar, counted from what."""

    days: Days
    unit: Literal["working_days", "calendar_months"] = "working_days"
    calendar: Key | None = None
    start: Literal["receipt", "acknowledgement"] = "receipt"
    source: str | None = None


class Extension(Frozen):
    """How far an officer may move a response deadline (``None``: no cap, customer told).

    ``ombudsman_details``: the customer told of an extension is also given the Ombudsman's
    contact details (the Ombudsman's Complaint Handling Code 6.5).
    """

    max_days: Days | None = None
    max_times: int | None = Field(default=None, ge=0)
    tell_customer: bool = True
    ombudsman_details: bool = False


class Stage(Frozen):
    """One step of a procedure with its owner, clocks and letters."""

    number: int = Field(ge=1, le=9)
    name: str = Field(min_length=1)
    owner: Key | None = None
    external: bool = False
    acknowledge: Clock | None = None
    respond: Clock | None = None
    extension: Extension = Extension()
    pause_awaiting_customer: bool = False
    ombudsman_signposting: bool = False
    letters: list[Key] = Field(default_factory=list)
    next_step: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _internal_stage_has_owner_and_clocks(self) -> Stage:
        if not self.external and (self.owner is None or self.respond is None):
            raise ValueError("a council stage needs an owner and a respond clock")
        if self.external and (self.acknowledge or self.respond):
            raise ValueError("an external stage (the Ombudsman) has no council clocks")
        return self


class Procedure(Frozen):
    """An ordered list of stages run for a kind of contact (the complaints procedure, FOI)."""

    calendar: Key = "council"
    stages: list[Stage] = Field(min_length=1)
    entry_stage: int = 1
    copy_response_to: list[Key] = Field(default_factory=list)
    explanation: str | None = None

    @model_validator(mode="after")
    def _stages_numbered_in_order(self) -> Procedure:
        numbers = [s.number for s in self.stages]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"stages must be numbered 1, 2, 3 ... in order, not {numbers}")
        if self.entry_stage not in numbers or self.stage(self.entry_stage).external:
            raise ValueError(f"entry_stage {self.entry_stage} is not a council stage")
        return self

    def stage(self, number: int) -> Stage:
        """The stage with this number (validated to exist by the caller)."""
        return self.stages[number - 1]


class Standard(Frozen):
    """A channel's service standard for ordinary correspondence (reply or acknowledge by)."""

    channels: list[Channel] = Field(min_length=1)
    acknowledge: Clock | None = None
    respond: Clock | None = None
    applies_to_complaints: bool = False
    source: str | None = None


class KindRules(Frozen):
    """What the council does with one kind of contact."""

    handling: Literal["procedure", "standard", "none"]
    procedure: Key | None = None
    route: Key | None = None
    service: Key | None = None
    reply: Literal["acknowledge", "thanks", "thanks_passed_on", "signpost", "none"] = "acknowledge"
    notify: list[Key] = Field(default_factory=list)
    flag: Key | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _procedure_named_when_needed(self) -> KindRules:
        if (self.handling == "procedure") != (self.procedure is not None):
            raise ValueError("'procedure' is required exactly when handling is 'procedure'")
        return self


class SpecialRoute(Frozen):
    """A complaint that bypasses the normal first stage (about a senior officer, fraud ...)."""

    topic: Key
    route: Key
    stage: int | None = None
    outside_procedure: bool = False
    notify: list[Key] = Field(default_factory=list)
    note: str | None = None
    source: str | None = None


class RequestRoute(Frozen):
    """A request recognised by a classifier topic that has its own handler and clock.

    A subject access request (UK GDPR Art. 15) is an ``information_request`` with the topic
    ``subject_access``: it goes to the data protection officer, is flagged, and is owed an
    answer within one calendar month (Art. 12(3)), not the correspondence standard's days.
    """

    topic: Key
    kinds: list[Key] = Field(min_length=1)
    route: Key
    flag: Key | None = None
    respond: Clock
    source: str | None = None


class Anonymous(Frozen):
    """Where anonymous complaints go; they are usually handled outside the procedure."""

    route: Key
    outside_procedure: bool = True
    source: str | None = None


class UnacceptableActions(Frozen):
    """Flagging vexatious or persistent contact to a manager instead of escalating it."""

    flag_to: Key
    contacts: int = Field(default=10, ge=1)
    window_days: int = Field(default=30, ge=1)
    source: str | None = None


class MultipleServices(Frozen):
    """Who decides the lead service when a complaint spans services."""

    decided_by: Key
    uncertain_to: Key
    source: str | None = None


class Signpost(Frozen):
    """Where a customer is sent when the matter is not for the complaints procedure."""

    name: str = Field(min_length=1)
    text: str = Field(min_length=1)
    contact: list[str] = Field(default_factory=list)
    source: str | None = None


class Ombudsman(Frozen):
    """The Ombudsman's contact details, printed on final-stage letters."""

    name: str
    address: list[str]
    telephone: str
    website: str
    leaflet: bool = False
    text: str = Field(min_length=1)


class Replies(Frozen):
    """What a customer's reply to a closed contact does (one that asks for no escalation)."""

    after_close: Literal["link", "reopen"] = "link"
    source: str | None = None


class OfficerReplies(Frozen):
    """Who, besides the officer a case is assigned to (and its stage owner), may act on it by
    replying to its notices: roles of the case's service or of the directory."""

    acting_roles: list[Key] = Field(
        default_factory=lambda: ["head_of_service", "customer_services_manager", "chief_executive"]
    )
    source: str | None = None


class Caps(Frozen):
    """Backstops against mail loops and floods: acknowledgements per address per day."""

    acknowledgements_per_address_per_day: int = Field(default=10, ge=1)
    mails_per_case_per_10_minutes: int = Field(default=10, ge=1)
    # Deadline notices (reminders, escalations, breach warnings) to one member of staff in a
    # council day, counting every staff mail they were sent that day; the overflow waits for
    # the next working morning and goes out as one summary, never lost.
    staff_notices_per_recipient_per_day: int = Field(default=30, ge=1)


KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class RulesFile(Frozen):
    """The whole rules file of one council."""

    council: Council
    calendars: dict[Key, CalendarRules]
    working_hours: WorkingHours = WorkingHours()
    standards: dict[Key, Standard] = Field(default_factory=dict)
    kinds: dict[Key, KindRules]
    procedures: dict[Key, Procedure] = Field(min_length=1)
    special_routes: list[SpecialRoute] = Field(default_factory=list)
    request_routes: list[RequestRoute] = Field(default_factory=list)
    anonymous: Anonymous
    unacceptable_actions: UnacceptableActions
    multiple_services: MultipleServices | None = None
    signposts: dict[Key, Signpost] = Field(default_factory=dict)
    ombudsman: Ombudsman
    caps: Caps = Caps()
    replies: Replies = Replies()
    officer_replies: OfficerReplies = OfficerReplies()
    wording: dict[Key, str] = Field(default_factory=dict)
    reminders: Reminders = Reminders()
    reports: ReportRules = ReportRules()
    retention: Retention = Retention()
    directory: Directory
    # Extra phrases and weights for the classifier; validated by mailflow.classify.
    classify: dict[str, Any] | None = None
