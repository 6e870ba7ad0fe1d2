"""Fuzzing the parser, the classifier and threading: malformed MIME and hostile headers never
crash them, never hang them, and what they return is always safe to use.

Counts are set for CI; ``MAILFLOW_FUZZ_EXAMPLES`` and ``MAILFLOW_FUZZ_MUTANTS`` raise them for a
longer run by hand. Every message's time is measured; the bound asserted is generous (the
limits keep the worst case near a second on this machine) so a slow CI does not flake.
"""

from __future__ import annotations

import os
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.classify import load_classifier_rules
from mailflow.classify.engine import classify
from mailflow.errors import MailError
from mailflow.mail.automatic import detect_automatic
from mailflow.mail.limits import Limits
from mailflow.mail.parse import ParsedMessage, parse_message
from mailflow.pipeline.threads import Candidate, address_reference, choose, subject_reference
from mailflow.store.vocab import ContactKind
from tests.classify.corpus import RULES
from tests.fuzz.strategies import SAMPLES, messages, mutate

EXAMPLES = int(os.environ.get("MAILFLOW_FUZZ_EXAMPLES", "100"))
MUTANTS = int(os.environ.get("MAILFLOW_FUZZ_MUTANTS", "300"))
SECONDS_PER_MESSAGE = 10.0
LIMITS = Limits(max_bytes=2 * 1024 * 1024)
CLASSIFIER = load_classifier_rules(RULES)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def checked_parse(raw: bytes) -> ParsedMessage | None:
    """Parse ``raw``: a result whose fields are safe, or None for a refusal (``MailError``)."""
    started = time.perf_counter()
    try:
        parsed = parse_message(raw, limits=LIMITS)
    except MailError as exc:
        assert str(exc), "a refusal always says why"
        parsed = None
    assert time.perf_counter() - started < SECONDS_PER_MESSAGE
    if parsed is not None:
        assert_safe(parsed)
    return parsed


def assert_safe(parsed: ParsedMessage) -> None:
    """The invariants every consumer of a ParsedMessage relies on."""
    for text in (parsed.subject, *(parsed.headers.values())):
        assert not any(ch in text for ch in "\r\n\x00"), text
    assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")
    assert "\n" not in parsed.message_id and " " not in parsed.message_id
    if parsed.from_address is not None:
        assert "\n" not in parsed.from_address and "@" in parsed.from_address
    assert "\x00" not in parsed.text and "\x00" not in parsed.new_text
    for attachment in parsed.attachments:
        name = attachment.filename
        assert name and "/" not in name and "\\" not in name and "\x00" not in name
        assert name not in (".", "..") and not name.startswith(".")
    assert parsed.date is None or parsed.date.tzinfo is not None


def assert_classifies(parsed: ParsedMessage) -> None:
    """The classifier and the automatic-mail detector take whatever the parser gave."""
    verdict = detect_automatic(parsed, own_addresses=frozenset({"complaints@council.test"}))
    kind = verdict.kind if verdict is not None else None
    result = classify(
        CLASSIFIER,
        subject=parsed.subject,
        body=parsed.new_text or parsed.text,
        sender=parsed.from_address,
        automatic=kind,
    )
    assert result.kind in {kind.value for kind in ContactKind}
    assert 0.0 <= result.confidence <= 1.0


@FUZZ
@given(messages())
def test_generated_hostile_mime_parses_safely_or_is_refused_with_a_reason(raw: bytes) -> None:
    """Random MIME trees with hostile headers and broken encodings never crash the parser,
    and whatever it returns is safe for the classifier."""
    parsed = checked_parse(raw)
    if parsed is not None:
        assert_classifies(parsed)


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_parse_safely_or_are_refused(raw: bytes) -> None:
    """Any bytes at all are a message or a refusal, never an exception."""
    checked_parse(raw)


def test_mutated_real_samples_parse_and_classify_safely() -> None:
    """Real samples damaged at random (flips, cuts, repeats, hostile inserts) never crash the
    parser or the classifier; the slowest message stays well inside the bound."""
    rng = random.Random(20261123)
    originals = [p.read_bytes() for p in SAMPLES]
    slowest = 0.0
    for _ in range(MUTANTS):
        raw = mutate(rng.choice(originals), rng)
        started = time.perf_counter()
        parsed = checked_parse(raw)
        if parsed is not None:
            assert_classifies(parsed)
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < SECONDS_PER_MESSAGE


reference = st.from_regex(r"\A[A-Z]{2,6}-\d{4}-\d{5}\Z")
address = st.from_regex(r"\A[A-Za-z.+]{1,8}@[a-z]{1,6}\.example\Z")


@FUZZ
@given(st.text(max_size=300), st.lists(st.text(max_size=80), max_size=5))
def test_thread_references_come_only_from_well_formed_tags(
    subject: str, recipients: list[str]
) -> None:
    """Whatever a subject or recipient holds, a reference is found only in its exact forms."""
    found = subject_reference(subject)
    assert found is None or f"[{found}]" in subject
    by_address = address_reference(tuple(recipients))
    assert by_address is None or any("+" in r for r in recipients)


@FUZZ
@given(
    st.one_of(st.none(), address, st.text(max_size=40)),
    st.lists(st.tuples(reference, st.frozensets(address, max_size=3)), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_a_message_joins_a_case_only_when_its_sender_is_a_participant(
    sender: str | None,
    cases: list[tuple[str, frozenset[str]]],
    present: list[bool],
) -> None:
    """No combination of evidence attaches a stranger's mail to someone else's case."""
    candidates = [
        Candidate(reference=ref, participants=people) if here else None
        for (ref, people), here in zip(cases, present, strict=True)
    ]
    match = choose(
        sender, by_message_id=candidates[0], by_address=candidates[1], by_subject=candidates[2]
    )
    if match.reference is not None:
        joined = next(c for c in candidates if c is not None and c.reference == match.reference)
        assert (sender or "").lower() in {p.lower() for p in joined.participants}
