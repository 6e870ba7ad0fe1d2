"""Fixtures for the classifier tests: the shared default rules, loaded once per session."""

from __future__ import annotations

import pytest

from mailflow.classify import ClassifierRules, load_classifier_rules

from .corpus import RULES


@pytest.fixture(scope="session")
def default_rules() -> ClassifierRules:
    """The shipped `rules/classify.yaml`."""
    return load_classifier_rules(RULES)
