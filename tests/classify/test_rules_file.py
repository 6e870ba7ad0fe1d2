"""Loading `rules/classify.yaml` and merging a council's overrides, with errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mailflow.classify import (
    ClassifierOverrides,
    ClassifierRules,
    classify,
    load_classifier_rules,
    merge,
    parse_classifier_overrides,
)
from mailflow.errors import RulesError

from .corpus import RULES

HEAD = """\
version: 1
thresholds: {triage_below: 0.6, label_min: 1.0, doubt_min: 2.0, doubt_margin: 2.0,
             abusive_min: 4.0, confidence_smoothing: 1.0}
fallback_kind: information_request
"""


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "classify.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> RulesError:
    with pytest.raises(RulesError) as caught:
        load_classifier_rules(write_rules(tmp_path, text))
    return caught.value


def test_shipped_default_rules_load_and_every_regex_compiles() -> None:
    """The default rules file is valid, and each rule's matcher compiles."""
    rules = load_classifier_rules(RULES)
    for _, group in rules.kinds.groups():
        for rule in group:
            assert rule.pattern.pattern


def test_bad_regex_in_rules_file_names_file_and_key_path(tmp_path: Path) -> None:
    """A regex that does not compile is reported with file, key path and line, on one line."""
    error = load_error(
        tmp_path,
        "kinds:\n  complaint:\n    - {phrase: unhappy, weight: 1}\n"
        "    - {regex: 'not [good', weight: 2}\n",
    )
    message = str(error)
    assert message.startswith(f"{error.file}: kinds.complaint[1].regex: bad regex:")
    assert "(line 8)" in message
    assert "\n" not in message
    assert (error.path, error.file.endswith("classify.yaml")) == ("kinds.complaint[1].regex", True)


def test_unknown_key_is_refused_with_its_key_path(tmp_path: Path) -> None:
    """A misspelt key (here a kind) is an error, never silently ignored."""
    error = load_error(tmp_path, "kinds:\n  complaints:\n    - {phrase: unhappy, weight: 1}\n")
    assert (error.path, error.problem) == ("kinds.complaints", "unknown key (line 6)")


def test_negative_weight_is_refused(tmp_path: Path) -> None:
    """Evidence only adds up, so a negative weight is an error naming the rule."""
    error = load_error(tmp_path, "anonymous:\n  - {phrase: anonymous, weight: -1}\n")
    assert error.path == "anonymous[0].weight"
    assert error.problem.startswith("negative weight -1.0")


def test_bad_yaml_is_reported_with_its_line_number(tmp_path: Path) -> None:
    """A YAML syntax error names the file and the line."""
    error = load_error(tmp_path, "kinds:\n  complaint: [\n")
    assert error.path == ""
    assert error.problem.startswith("bad YAML at line 7")


def test_duplicate_key_is_refused_rather_than_dropping_rules(tmp_path: Path) -> None:
    """Two `complaint:` blocks would silently lose the first; it is an error instead."""
    error = load_error(
        tmp_path,
        "kinds:\n  complaint: [{phrase: a, weight: 1}]\n  complaint: [{phrase: b, weight: 1}]\n",
    )
    assert (error.path, error.problem) == ("kinds.complaint", "duplicate key (line 7)")


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("{weight: 1}", "give exactly one of phrase or regex"),
        ("{phrase: a, regex: b, weight: 1}", "give exactly one of phrase or regex"),
        ("{regex: 'x*', weight: 1}", "bad regex: it matches the empty string"),
        ("{phrase: '  ', weight: 1}", "empty phrase"),
    ],
)
def test_malformed_rule_is_refused(tmp_path: Path, rule: str, problem: str) -> None:
    """Each rule is exactly one non-empty phrase or a regex that cannot match nothing."""
    error = load_error(tmp_path, f"escalation_request:\n  - {rule}\n")
    assert error.path.startswith("escalation_request[0]")
    assert error.problem.startswith(problem)


def test_missing_threshold_is_refused(tmp_path: Path) -> None:
    """Thresholds are policy, so the file must state them; none are assumed in code."""
    path = tmp_path / "classify.yaml"
    path.write_text(HEAD.replace(" abusive_min: 4.0,", ""), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_classifier_rules(path)
    assert (caught.value.path, caught.value.problem) == (
        "thresholds.abusive_min",
        "missing key (line 2)",
    )


def test_unreadable_rules_file_is_a_rules_error(tmp_path: Path) -> None:
    """A missing file is reported as a rules error naming it, not a traceback."""
    with pytest.raises(RulesError, match="cannot read"):
        load_classifier_rules(tmp_path / "nope.yaml")


# --- a council's overrides ------------------------------------------------------------------


@pytest.fixture
def base(tmp_path: Path) -> ClassifierRules:
    return load_classifier_rules(
        write_rules(
            tmp_path,
            "kinds:\n  complaint:\n    - {phrase: not good enough, weight: 2}\n"
            "    - {phrase: rubbish, weight: 1}\nservices:\n  waste: [{phrase: bin, weight: 2}]\n",
        )
    )


def overrides(text: str) -> ClassifierOverrides:
    return parse_classifier_overrides(yaml.safe_load(text), file="rules/chorley.yaml")


def test_council_override_adds_phrases_and_changes_weights(base: ClassifierRules) -> None:
    """A known phrase gets the council's weight; a new one is added to the same key."""
    merged = merge(
        base,
        overrides(
            "kinds:\n  complaint:\n    - {phrase: Not  Good Enough, weight: 3}\n"
            "    - {phrase: gutted, weight: 1.5}\n"
        ),
    )
    assert [(r.phrase, r.weight) for r in merged.kinds.complaint] == [
        ("Not  Good Enough", 3.0),
        ("rubbish", 1.0),
        ("gutted", 1.5),
    ]
    assert base.kinds.complaint[0].weight == 2.0  # the defaults are untouched


def test_council_override_weight_zero_switches_a_default_rule_off(base: ClassifierRules) -> None:
    """Weight 0 removes a default rule, so it no longer fires."""
    merged = merge(base, overrides("kinds:\n  complaint:\n    - {phrase: rubbish, weight: 0}\n"))
    result = classify(merged, subject="", body="rubbish service", sender=None)
    assert result.kind == "information_request"


def test_switching_off_a_rule_the_defaults_lack_is_an_error(base: ClassifierRules) -> None:
    """A misspelt phrase to switch off must be reported, or the council thinks it worked."""
    with pytest.raises(RulesError) as caught:
        merge(
            base,
            overrides("kinds:\n  complaint:\n    - {phrase: rubish, weight: 0}\n"),
            source="rules/chorley.yaml",
        )
    assert str(caught.value).startswith("rules/chorley.yaml: kinds.complaint[0]: weight 0")


def test_council_override_adds_services_and_changes_thresholds(base: ClassifierRules) -> None:
    """New service keys are new services; given thresholds replace defaults, others stay."""
    merged = merge(
        base,
        overrides(
            "thresholds: {triage_below: 0.8}\nfallback_kind: service_request\n"
            "services:\n  streetscene: [{phrase: graffiti, weight: 2}]\n"
        ),
    )
    assert list(merged.services) == ["waste", "streetscene"]
    assert (merged.thresholds.triage_below, merged.thresholds.label_min) == (0.8, 1.0)
    assert merged.fallback_kind == "service_request"
    assert classify(merged, subject="", body="Graffiti on the wall", sender=None).service == (
        "streetscene"
    )


def test_errors_in_a_councils_overrides_name_the_section_path() -> None:
    """Errors in the `classify:` section of a council file point into that section."""
    with pytest.raises(RulesError) as caught:
        overrides("topics:\n  about_mayor: [{phrase: mayor, weight: 1}]\n")
    assert str(caught.value) == "rules/chorley.yaml: classify.topics.about_mayor: unknown key"
