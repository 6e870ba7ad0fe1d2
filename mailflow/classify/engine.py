"""Classifying one incoming contact: add up the weights of the rules that fire, then apply policy.

Scoring is deliberately plain so an officer can check every decision from its reasons: each
rule fires at most once and adds its weight to its key; a key with the highest sum wins its
group. On top of the sums stand the few rules both policies state outright, each applied in
`_decide_kind` and named in the reasons:

- a right of appeal or a legal remedy (Stafford 7(c) "matters for which there is a right of
  appeal or legal remedy"): signpost evidence counts towards `out_of_procedure`, and the
  `other_agency` signpost towards `third_party` ("complaints about third parties ... guide the
  customer to the correct contact in that agency"); a complaint about how the council handled
  such a matter still wins on its own evidence;
- abusive language (Stafford 10, Chorley "Malicious, abusive or junk emails require no reply")
  makes a contact `abusive` only once it reaches `abusive_min`: one "bloody" in a genuine
  complaint leaves it a complaint, because sending it down the no-reply path would deny the
  customer the procedure; abuse past the threshold wins outright, since a person must then
  decide under the unacceptable-actions policy;
- if in doubt between a complaint and anything else, it is a complaint (Stafford 7(c) "If there
  is doubt, it will be processed as a complaint"): complaint evidence of at least `doubt_min`
  wins unless another kind leads it by `doubt_margin` or more.

Topics, needs, anonymity, escalation and avoidable contact are independent of the kind: a
complaint about a councillor carries `about_elected_member` whatever else it is. Junk is the
exception: it is nobody's contact, so it carries none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

from mailflow.classify.schema import ClassifierRules, Kind, RuleList
from mailflow.classify.text import new_text, own_subject

ContactKind = Kind | Literal["auto_reply"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """What the classifier concluded about one contact, and why."""

    kind: ContactKind
    service: str | None
    signpost: str | None
    """Where to send the customer: only for `out_of_procedure` (None if no signpost rule fired)
    and `third_party` (always `other_agency`)."""
    topics: tuple[str, ...]
    needs: tuple[str, ...]
    anonymous: bool
    escalation_request: bool
    avoidable: str | None
    confidence: float
    """0..1: the winning kind's lead over the runner-up, shrunk when the evidence is thin."""
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Score:
    total: float
    reasons: tuple[str, ...]


_NOTHING = _Score(0.0, ())


def classify(
    rules: ClassifierRules,
    *,
    subject: str,
    body: str,
    sender: str | None,
    automatic: str | None = None,
) -> Classification:
    """Classify one contact from its subject, its text body and its sender's address.

    `automatic` is the automatic-mail verdict worked out from the headers elsewhere
    (auto_reply, bounce, read_receipt, list, self); automatic mail is never answered, so
    nothing in its text is weighed.
    """
    if automatic is not None:
        return Classification(
            kind="auto_reply", service=None, signpost=None, topics=(), needs=(),
            anonymous=False, escalation_request=False, avoidable=None, confidence=1.0,
            reasons=(f"automatic mail: {automatic}",),
        )  # fmt: skip
    # The customer's own words on one line of single spaces, so "can someone come" matches
    # across a line wrap; " | " keeps a phrase from running from the subject into the body.
    text = (
        " ".join(own_subject(subject).split()) + " | " + " ".join(new_text(subject, body).split())
    )
    address = sender or ""

    def score(groups: Iterable[tuple[str, RuleList]]) -> dict[str, _Score]:
        return {key: _score(key, group, text, address) for key, group in groups}

    kinds = score(rules.kinds.groups())
    signposts = score(rules.signposts.groups())
    kind, confidence, decision = _decide_kind(rules, kinds, signposts)
    evidence = [*decision, *(r for s in kinds.values() for r in s.reasons)]
    if kind == "junk":
        # Junk is nobody's contact: no service, no reply, nothing to report (Chorley).
        return Classification(
            kind=kind, service=None, signpost=None, topics=(), needs=(), anonymous=False,
            escalation_request=False, avoidable=None, confidence=confidence,
            reasons=tuple(evidence),
        )  # fmt: skip
    label_min = rules.thresholds.label_min
    services = score(rules.services.items())
    topics = score(rules.topics.groups())
    needs = score(rules.needs.groups())
    avoidable = score(rules.avoidable.groups())
    anonymous = _score("anonymous", rules.anonymous, text, address)
    escalation = _score("escalation_request", rules.escalation_request, text, address)
    signpost = _signpost(kind, signposts)
    for group in (services, signposts, topics, needs, avoidable):
        evidence.extend(r for s in group.values() for r in s.reasons)
    evidence.extend((*anonymous.reasons, *escalation.reasons))
    return Classification(
        kind=kind,
        service=_best(services, label_min),
        signpost=signpost,
        topics=_all(topics, label_min),
        needs=_all(needs, label_min),
        anonymous=anonymous.total >= label_min,
        escalation_request=escalation.total >= label_min,
        avoidable=_best(avoidable, label_min),
        confidence=confidence,
        reasons=tuple(evidence),
    )


def _decide_kind(
    rules: ClassifierRules, kinds: dict[str, _Score], signposts: dict[str, _Score]
) -> tuple[Kind, float, list[str]]:
    """Pick the kind, its confidence, and the lines that explain the choice."""
    t = rules.thresholds
    totals = {key: s.total for key, s in kinds.items()}
    notes: list[str] = []
    remedy = max((s.total for key, s in signposts.items() if key != "other_agency"), default=0.0)
    if remedy:
        totals["out_of_procedure"] += remedy
        notes.append(f"out_of_procedure: signpost evidence (+{remedy:g}) (Stafford 7(c))")
    if agency := signposts["other_agency"].total:
        totals["third_party"] += agency
        notes.append(f"third_party: other_agency evidence (+{agency:g}) (Stafford 7(c))")
    if 0 < totals["abusive"] < t.abusive_min:
        notes.append(f"abusive: {totals['abusive']:g} below abusive_min {t.abusive_min:g}")
        totals["abusive"] = 0.0
    winner = max(totals, key=totals.__getitem__)  # on a tie, the kind declared first
    top = totals[winner]
    if top == 0:
        notes.insert(0, f"kind: no rule fired, {rules.fallback_kind} by default")
        return rules.fallback_kind, 0.0, notes
    kind = cast(Kind, winner)  # KindRules declares exactly the Kind literals (tested)
    complaint = totals["complaint"]
    if (
        kind not in ("complaint", "abusive")
        and complaint >= t.doubt_min
        and top - complaint < t.doubt_margin
    ):
        notes.append(
            f"doubt: complaint {complaint:g} within {t.doubt_margin:g} of {kind} {top:g}, "
            "so a complaint (Stafford 7(c))"
        )
        kind = "complaint"
    chosen = totals[kind]
    runner_up = max((v for k, v in totals.items() if k != kind), default=0.0)
    confidence = round(max(0.0, chosen - runner_up) / (chosen + t.confidence_smoothing), 3)
    notes.insert(0, f"kind: {kind} {chosen:g}, next best {runner_up:g}")
    return kind, confidence, notes


def _signpost(kind: Kind, signposts: dict[str, _Score]) -> str | None:
    """Only matters outside the procedure are signposted; third parties always to an agency."""
    if kind == "third_party":
        return "other_agency"
    if kind != "out_of_procedure":
        return None
    return _best(signposts, 0.0)


def _score(key: str, rules: RuleList, text: str, sender: str) -> _Score:
    hits = [rule for rule in rules if rule.pattern.search(text if rule.field == "text" else sender)]
    if not hits:
        return _NOTHING
    reasons = tuple(f"{key}: {rule.label} (+{rule.weight:g})" for rule in hits)
    return _Score(sum(rule.weight for rule in hits), reasons)


def _best(scores: dict[str, _Score], minimum: float) -> str | None:
    """The key with the highest total of at least `minimum` (and above 0); ties go first."""
    key, best = None, 0.0
    for name, s in scores.items():
        if s.total > best and s.total >= minimum:
            key, best = name, s.total
    return key


def _all(scores: dict[str, _Score], minimum: float) -> tuple[str, ...]:
    return tuple(name for name, s in scores.items() if s.total >= minimum and s.total > 0)
