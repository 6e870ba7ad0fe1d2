"""Layering a council's `classify:` overrides on the shared default rules.

A council describes only how it differs (Chorley's "Service Head" wording, a unitary council
that does its own highways), so each council file stays short and picks up improvements to the
defaults. A rule naming a phrase or regex the defaults already have changes that rule's weight,
weight 0 switching it off; any other rule is added to its key.
"""

from __future__ import annotations

from mailflow.classify.schema import (
    ClassifierOverrides,
    ClassifierRules,
    RuleList,
    ServiceRules,
)
from mailflow.errors import RulesError

_GROUP_SECTIONS = ("kinds", "signposts", "topics", "needs", "avoidable")
_LIST_SECTIONS = ("anonymous", "escalation_request")


def merge(
    defaults: ClassifierRules, overrides: ClassifierOverrides, *, source: str = "overrides"
) -> ClassifierRules:
    """Return `defaults` changed by `overrides`; `source` names the overrides file in errors."""
    update: dict[str, object] = {}
    for section in _GROUP_SECTIONS:
        base, extra = getattr(defaults, section), getattr(overrides, section)
        update[section] = base.model_copy(
            update={
                name: _merge_rules(rules, getattr(extra, name), source, f"{section}.{name}")
                for name, rules in base.groups()
            }
        )
    for section in _LIST_SECTIONS:
        update[section] = _merge_rules(
            getattr(defaults, section), getattr(overrides, section), source, section
        )
    update["services"] = _merge_services(defaults.services, overrides.services, source)
    changed = overrides.thresholds.model_dump(exclude_none=True)
    update["thresholds"] = defaults.thresholds.model_copy(update=changed)
    update["fallback_kind"] = overrides.fallback_kind or defaults.fallback_kind
    return defaults.model_copy(update=update)


def _merge_services(defaults: ServiceRules, overrides: ServiceRules, source: str) -> ServiceRules:
    keys = list(defaults) + [key for key in overrides if key not in defaults]
    return {
        key: _merge_rules(defaults.get(key, ()), overrides.get(key, ()), source, f"services.{key}")
        for key in keys
    }


def _merge_rules(base: RuleList, extra: RuleList, source: str, path: str) -> RuleList:
    merged = list(base)
    position = {rule.identity: index for index, rule in enumerate(base)}
    for index, rule in enumerate(extra):
        at = position.get(rule.identity)
        if at is not None:
            merged[at] = rule
        elif rule.weight == 0:
            # Switching off a rule that is not there is a typo the council must hear about.
            problem = "weight 0 switches a default rule off, but no default rule matches this"
            raise RulesError(source, f"{path}[{index}]", problem)
        else:
            merged.append(rule)
    return tuple(rule for rule in merged if rule.weight > 0)
