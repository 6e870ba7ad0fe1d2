"""Which case a message belongs to: by mailflow's Message-IDs, the subject tag or the reply address.

Pure. The evidence is weighed in that order (a Message-ID mailflow generated is unguessable; a
reference tag or plus-address can be typed by anyone), and every route requires the sender to be
a participant of the case: a subject tag sent by a stranger must never attach their mail to
someone else's case (a known data leak in a popular helpdesk), so it starts a new contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REFERENCE = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{5})\b")
TAG = re.compile(r"\[([A-Z]{2,6}-\d{4}-\d{5})\]")


def subject_reference(subject: str) -> str | None:
    """The reference in a ``[SBC-2026-00042]`` subject tag, if there is one."""
    found = TAG.search(subject)
    return found.group(1) if found else None


def reply_address(mailbox_address: str, reference: str) -> str:
    """The per-case reply address: ``complaints+sbc-2026-00042@council.example`` (RFC 5233)."""
    local, _, domain = mailbox_address.partition("@")
    return f"{local}+{reference.lower()}@{domain}"


def address_reference(recipients: tuple[str, ...]) -> str | None:
    """The reference carried by a per-case reply address among the recipients."""
    for address in recipients:
        local = address.partition("@")[0]
        _, plus, tag = local.partition("+")
        found = REFERENCE.fullmatch(tag.upper()) if plus else None
        if found:
            return found.group(1)
    return None


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A case a message might belong to, with the addresses allowed to write on it."""

    reference: str
    participants: frozenset[str]
    closed: bool = False


@dataclass(frozen=True, kw_only=True)
class ThreadMatch:
    """The case the message joins (None: a new contact), and why."""

    reference: str | None
    reason: str
    linked_to: str | None = None


def choose(
    sender: str | None,
    *,
    by_message_id: Candidate | None,
    by_address: Candidate | None,
    by_subject: Candidate | None,
) -> ThreadMatch:
    """Weigh the evidence in order of strength; strangers never join someone else's case."""
    who = (sender or "").lower()
    evidence = (
        ("message-id", by_message_id),
        ("reply address", by_address),
        ("subject tag", by_subject),
    )
    refused: str | None = None
    for how, candidate in evidence:
        if candidate is None:
            continue
        if who and who in {p.lower() for p in candidate.participants}:
            return ThreadMatch(reference=candidate.reference, reason=f"joined by {how}")
        refused = refused or candidate.reference
    if refused:
        return ThreadMatch(
            reference=None,
            reason=f"sender is not a participant of {refused}: new contact",
            linked_to=refused,
        )
    return ThreadMatch(reference=None, reason="no thread evidence: new contact")
