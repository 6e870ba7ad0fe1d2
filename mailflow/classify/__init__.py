"""Deciding what kind of contact an incoming message is, from phrase rules a council can edit.

The public face of the classifier:

    rules = load_classifier_rules("rules/classify.yaml")        # or merge(rules, overrides)
    result = classify(rules, subject=..., body=..., sender=..., automatic=None)
    result.kind, result.service, result.topics, result.confidence, result.reasons

It is pure apart from reading the rules file: no clock, no network, no database, so every
policy rule it applies is testable on plain strings.
"""

from mailflow.classify.engine import Classification, ContactKind, classify
from mailflow.classify.loading import load_classifier_rules, parse_classifier_overrides
from mailflow.classify.merge import merge
from mailflow.classify.schema import ClassifierOverrides, ClassifierRules, Kind, Rule

__all__ = [
    "Classification",
    "ClassifierOverrides",
    "ClassifierRules",
    "ContactKind",
    "Kind",
    "Rule",
    "classify",
    "load_classifier_rules",
    "merge",
    "parse_classifier_overrides",
]
