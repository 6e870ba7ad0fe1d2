"""The shape of the classifier's rules file (`rules/classify.yaml`) and of a council's overrides.

Policy is data: which phrases say "complaint", which say "planning appeal", and how much each
counts, are written in YAML and validated here into frozen objects, so a council can describe
its own procedure without touching code. The engine (`engine.py`) only adds weights up.

A rule is ``{phrase: "not good enough", weight: 2.0}`` or ``{regex: "complain(?:t|ts)?",
weight: 2.0}``. Both match case-insensitively and only on whole words: a phrase's spaces match
any run of whitespace, and a regex is wrapped in ``(?<!\\w)(?:...)(?!\\w)``, so ``bin`` never
fires inside "cabinet". ``field: sender`` makes a rule look at the sender's address instead of
the subject and new text. Each rule counts at most once per message, which keeps every score a
plain sum of the reasons printed beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mailflow.classify.text import normalise

Kind = Literal[
    "complaint",
    "comment",
    "compliment",
    "service_request",
    "information_request",
    "foi_request",
    "out_of_procedure",
    "third_party",
    "abusive",
    "junk",
]
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Frozen(BaseModel):
    """Base of every rules model: unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Frozen):
    """One piece of evidence: a phrase or a regular expression, and what it is worth."""

    phrase: str | None = None
    regex: str | None = None
    weight: float
    field: Literal["text", "sender"] = "text"

    @field_validator("phrase")
    @classmethod
    def _phrase_has_words(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("empty phrase")
        return value

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            compiled = re.compile(value, re.IGNORECASE)
        except re.error as error:
            raise ValueError(f"bad regex: {error}") from None
        # A pattern that matches nothing at all would fire on every message.
        if compiled.fullmatch(""):
            raise ValueError("bad regex: it matches the empty string")
        return value

    @field_validator("weight")
    @classmethod
    def _weight_not_negative(cls, value: float) -> float:
        # Evidence only ever adds up; "against" is expressed by another kind's evidence.
        if value < 0:
            raise ValueError(f"negative weight {value}")
        return value

    @model_validator(mode="after")
    def _one_of_phrase_or_regex(self) -> Rule:
        if (self.phrase is None) == (self.regex is None):
            raise ValueError("give exactly one of phrase or regex")
        return self

    @property
    def identity(self) -> tuple[str, str, str]:
        """What an override names to change this rule's weight: (field, phrase|regex, text)."""
        if self.phrase is not None:
            return (self.field, "phrase", " ".join(normalise(self.phrase).casefold().split()))
        return (self.field, "regex", self.regex or "")

    @property
    def label(self) -> str:
        """How a reason names this rule, e.g. ``phrase "not good enough"``."""
        return f'phrase "{self.phrase}"' if self.phrase is not None else f'regex "{self.regex}"'

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The compiled whole-word, case-insensitive matcher (compiled once per rule)."""
        if self.phrase is not None:
            body = r"\s+".join(re.escape(word) for word in normalise(self.phrase).split())
        else:
            body = self.regex or ""
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


RuleList = tuple[Rule, ...]


class _Groups(_Frozen):
    """A fixed set of keys, each with its rules; missing keys have none."""

    def groups(self) -> Iterator[tuple[str, RuleList]]:
        """Each key and its rules, in the order the model declares them (ties go to the first)."""
        for name in type(self).model_fields:
            yield name, getattr(self, name)


class KindRules(_Groups):
    """Evidence for each kind of contact (Stafford s.7, Chorley "Complaints")."""

    complaint: RuleList = ()
    comment: RuleList = ()
    compliment: RuleList = ()
    service_request: RuleList = ()
    information_request: RuleList = ()
    foi_request: RuleList = ()
    out_of_procedure: RuleList = ()
    third_party: RuleList = ()
    abusive: RuleList = ()
    junk: RuleList = ()


class SignpostRules(_Groups):
    """Where a matter outside the procedure belongs (Stafford s.7(c) "some complaints cannot")."""

    planning_appeal: RuleList = ()
    parking_adjudicator: RuleList = ()
    court_or_tribunal: RuleList = ()
    housing_review: RuleList = ()
    employment: RuleList = ()
    benefit_appeal: RuleList = ()
    other_agency: RuleList = ()


class TopicRules(_Groups):
    """Special cases routed past the usual stages (Stafford 9(e), Chorley automatic escalation)."""

    about_head_of_service: RuleList = ()
    about_chief_officer: RuleList = ()
    about_chief_executive: RuleList = ()
    about_elected_member: RuleList = ()
    financial_impropriety: RuleList = ()
    compensation_claim: RuleList = ()  # Stafford 9(f): to the Head of Service concerned
    discrimination_or_harassment: RuleList = ()
    criminal_behaviour: RuleList = ()
    serious: RuleList = ()
    subject_access: RuleList = ()  # a request for one's own data, routed by request_routes


class NeedRules(_Groups):
    """Other formats asked for (Chorley "Customer Care Standards", Stafford s.14)."""

    large_print: RuleList = ()
    braille: RuleList = ()
    other_language: RuleList = ()
    audio: RuleList = ()
    interpreter: RuleList = ()


class AvoidableRules(_Groups):
    """Reasons a contact need not have happened (Chorley "Avoidable Contact", NI 14)."""

    chasing: RuleList = ()
    clarification: RuleList = ()
    service_not_done: RuleList = ()


class Thresholds(_Frozen):
    """The numbers the engine compares scores with; all stated in the rules file."""

    triage_below: float = Field(ge=0, le=1)
    """Below this confidence a person should check the kind before anything is sent."""
    label_min: float = Field(gt=0)
    """A service, signpost, topic, need, avoidable reason, anonymity or escalation is set once
    its rules add up to this."""
    doubt_min: float = Field(ge=0)
    """Complaint evidence worth this much makes a doubt (Stafford 7(c))."""
    doubt_margin: float = Field(ge=0)
    """...and the doubt stands unless another kind leads the complaint by at least this much."""
    abusive_min: float = Field(gt=0)
    """Abuse must add up to this before a contact is `abusive` rather than what it is about."""
    confidence_smoothing: float = Field(gt=0)
    """Added to the winning score when computing confidence, so thin evidence is not sure."""


class ThresholdOverrides(_Frozen):
    """The thresholds a council may change; unset ones keep the default."""

    triage_below: float | None = Field(default=None, ge=0, le=1)
    label_min: float | None = Field(default=None, gt=0)
    doubt_min: float | None = Field(default=None, ge=0)
    doubt_margin: float | None = Field(default=None, ge=0)
    abusive_min: float | None = Field(default=None, gt=0)
    confidence_smoothing: float | None = Field(default=None, gt=0)


ServiceRules = dict[str, RuleList]


class _RuleSections(_Frozen):
    """The rule sections shared by the full rules and a council's overrides."""

    kinds: KindRules = KindRules()
    signposts: SignpostRules = SignpostRules()
    topics: TopicRules = TopicRules()
    services: ServiceRules = Field(default_factory=dict)
    needs: NeedRules = NeedRules()
    avoidable: AvoidableRules = AvoidableRules()
    anonymous: RuleList = ()
    escalation_request: RuleList = ()

    @field_validator("services")
    @classmethod
    def _service_keys(cls, value: ServiceRules) -> ServiceRules:
        for key in value:
            if not re.fullmatch(KEY_PATTERN, key):
                raise ValueError(f"service key {key!r} must be lower_snake_case")
        return value


class ClassifierRules(_RuleSections):
    """Everything the classifier knows, loaded from `rules/classify.yaml` (plus overrides)."""

    version: Literal[1]
    thresholds: Thresholds
    fallback_kind: Kind
    """The kind given when no rule fires at all (with confidence 0, so a person looks)."""


class ClassifierOverrides(_RuleSections):
    """What a council's own rules file may change: extra rules per key, weights, thresholds.

    A rule whose phrase or regex is already in the defaults changes that rule's weight (0
    switches it off); any other rule is added. Services not in the defaults are new services.
    """

    thresholds: ThresholdOverrides = ThresholdOverrides()
    fallback_kind: Kind | None = None
