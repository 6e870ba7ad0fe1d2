"""The default rules against the labelled .eml corpus in tests/data/corpus."""

from __future__ import annotations

from typing import get_args

import pytest

from mailflow.classify import Classification, ClassifierRules, classify
from mailflow.classify.schema import (
    AvoidableRules,
    Kind,
    NeedRules,
    SignpostRules,
    TopicRules,
)

from .corpus import CORPUS, Label, load_labels, read_message

LABELS = load_labels()


@pytest.fixture(scope="module")
def results(default_rules: ClassifierRules) -> dict[str, Classification]:
    """Every corpus file classified once with the default rules, by file name."""
    out = {}
    for label in LABELS:
        m = read_message(CORPUS / label.file)
        out[label.file] = classify(
            default_rules, subject=m.subject, body=m.body, sender=m.sender, automatic=m.automatic
        )
    return out


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label.file)
def test_corpus_message_is_classified_as_a_council_officer_labelled_it(
    default_rules: ClassifierRules, results: dict[str, Classification], label: Label
) -> None:
    """Kind (when clear-cut), topics, signpost, needs, anonymity and escalation match the label."""
    result = results[label.file]
    if label.strict:
        assert result.kind == label.kind, result.reasons
    else:
        # Stafford 7(c): a genuinely doubtful message is a complaint, or a person decides.
        in_doubt = result.confidence < default_rules.thresholds.triage_below
        assert result.kind == "complaint" or in_doubt, result.reasons
    if result.kind == label.kind:
        assert result.signpost == label.signpost, result.reasons
    assert set(result.topics) == set(label.topics), result.reasons
    assert set(result.needs) == set(label.needs), result.reasons
    assert result.anonymous == label.anonymous, result.reasons
    assert result.escalation_request == label.escalation_request, result.reasons


@pytest.mark.parametrize(("field", "floor"), [("service", 0.9), ("avoidable", 0.9)])
def test_service_and_avoidable_reason_agree_with_most_labels(
    results: dict[str, Classification], field: str, floor: float
) -> None:
    """Service and avoidable-contact reason are right on at least 90% of the corpus."""
    agree = sum(getattr(results[label.file], field) == getattr(label, field) for label in LABELS)
    assert agree / len(LABELS) >= floor


def test_every_corpus_file_has_exactly_one_label() -> None:
    """Each .eml in the corpus is labelled, and each label names a file that exists."""
    files = {path.name for path in CORPUS.glob("*.eml")}
    assert files == {label.file for label in LABELS}


def test_corpus_covers_every_kind_topic_signpost_need_and_service(
    default_rules: ClassifierRules,
) -> None:
    """The labels use every value the classifier can give, and only those values."""
    used = {
        "kind": {label.kind for label in LABELS},
        "topics": {topic for label in LABELS for topic in label.topics},
        "signpost": {label.signpost for label in LABELS} - {None},
        "needs": {need for label in LABELS for need in label.needs},
        "service": {label.service for label in LABELS} - {None},
        "avoidable": {label.avoidable for label in LABELS} - {None},
    }
    assert used == {
        "kind": {*get_args(Kind), "auto_reply"},
        "topics": set(TopicRules.model_fields),
        "signpost": set(SignpostRules.model_fields),
        "needs": set(NeedRules.model_fields),
        "service": set(default_rules.services),
        "avoidable": set(AvoidableRules.model_fields),
    }
    assert any(label.anonymous for label in LABELS)
    assert any(label.escalation_request for label in LABELS)
