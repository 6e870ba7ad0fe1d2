"""One council's loaded policy: its rules plus the working-day calendars they declare.

The rules file is data; this object answers the questions the workflow asks of it (which
calendar, which standard applies to a channel, who holds a role for a service) so that no other
module needs to know how the file is laid out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mailflow.classify import (
    ClassifierRules,
    load_classifier_rules,
    merge,
    parse_classifier_overrides,
)
from mailflow.errors import PolicyError
from mailflow.policy import workdays
from mailflow.policy.loader import bundled_rules_dir, load_rules, resolve_rules_path
from mailflow.policy.schema import (
    PER_SERVICE_ROLES,
    CalendarRules,
    Person,
    Procedure,
    RulesFile,
    Standard,
)

FALLBACK_SERVICE = "customer_services"


def build_calendar(name: str, spec: CalendarRules, timezone: str) -> workdays.WorkCalendar:
    """A working-day calendar from its rules; the statutory FOI calendar ignores the council's."""
    if spec.statutory == "foi_act":
        return workdays.foi_calendar(timezone=timezone)
    closures = [workdays.ClosureDay(day=c.date, reason=c.reason) for c in spec.closure_days]
    return workdays.WorkCalendar(
        name=name,
        regions=tuple(spec.regions),
        closure_days=closures,
        cutoff=spec.cutoff,
        timezone=timezone,
    )


@dataclass(frozen=True)
class CouncilPolicy:
    """A council's validated rules with ready-built calendars; immutable once loaded."""

    rules: RulesFile
    source: Path
    classifier: ClassifierRules
    calendars: dict[str, workdays.WorkCalendar] = field(default_factory=dict)

    @classmethod
    def from_rules(cls, rules: RulesFile, source: Path) -> CouncilPolicy:
        """Build calendars and the classifier up front so a bad one fails at load, not mid-case.

        The classifier's phrases are the shared defaults (``rules/classify.yaml``) changed by
        the council file's own ``classify:`` section.
        """
        tz = rules.council.timezone
        cals = {name: build_calendar(name, spec, tz) for name, spec in rules.calendars.items()}
        classifier = load_classifier_rules(bundled_rules_dir() / "classify.yaml")
        if rules.classify:
            overrides = parse_classifier_overrides(rules.classify, file=str(source))
            classifier = merge(classifier, overrides, source=str(source))
        return cls(rules=rules, source=source, classifier=classifier, calendars=cals)

    @property
    def key(self) -> str:
        """The council's key, e.g. ``stafford``."""
        return self.rules.council.key

    def calendar(self, name: str | None = None) -> workdays.WorkCalendar:
        """A calendar by name; the council's own when no name is given."""
        try:
            return self.calendars[name or "council"]
        except KeyError:
            raise PolicyError(f"{self.source}: no calendar named '{name}'") from None

    def standard_for(self, channel: str) -> Standard | None:
        """The correspondence standard covering a channel, if the council sets one."""
        for standard in self.rules.standards.values():
            if channel in standard.channels:
                return standard
        return None

    def procedure(self, name: str) -> Procedure:
        """A procedure by name (validated to exist when the rules loaded)."""
        return self.rules.procedures[name]

    def procedure_for(self, kind: str) -> Procedure | None:
        """The procedure a kind of contact runs, or None for kinds handled by a standard."""
        spec = self.rules.kinds[kind]
        return self.procedure(spec.procedure) if spec.procedure else None

    def person(self, role: str, service: str | None) -> Person | None:
        """Who holds a role; per-service roles fall back to customer services when unknown."""
        if role in PER_SERVICE_ROLES:
            services = self.rules.directory.services
            svc = services.get(service or "") or services.get(FALLBACK_SERVICE)
            if svc is None:
                return None
            person: Person = getattr(svc, role)
            return person
        return self.rules.directory.roles.get(role)


def load_policy(name_or_path: str | Path) -> CouncilPolicy:
    """Load, validate and prepare a council's policy from a rules file or bundled name."""
    path = resolve_rules_path(str(name_or_path))
    return CouncilPolicy.from_rules(load_rules(path), path)
