"""Recognise automatic mail -- autoreplies, bounces, read receipts, lists, our own mail.

Such mail must never be answered: answering an autoreply starts a mail loop (RFC 3834
section 2), answering a bounce mails a dead address. Each rule below only answers "is it?"
and says why; :data:`RULES` is their order, most specific first, as in Mailman's chains.
Subject wording lives in ``autoreply_phrases.yaml``, not here. Headers that many autoreplies
carry but some ordinary mail carries too (``X-Auto-Response-Suppress``,
``X-MS-Exchange-Inbox-Rules-Loop``) are supporting evidence only, never a verdict alone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from email.utils import getaddresses
from functools import cache
from importlib import resources
from typing import Literal

import yaml

from mailflow.mail.bounces import Bounce, bounce_info
from mailflow.mail.parse import ParsedMessage

__all__ = ["RULES", "AutomaticVerdict", "Bounce", "bounce_info", "detect_automatic"]

Kind = Literal["auto_reply", "bounce", "read_receipt", "list", "self"]

_DSN = ("message/delivery-status", "message/global-delivery-status")  # RFC 3464, RFC 6533
_MDN = ("message/disposition-notification", "message/global-disposition-notification")
_SUPPORTING = ("x-auto-response-suppress", "x-ms-exchange-inbox-rules-loop")


@dataclass(frozen=True, kw_only=True)
class AutomaticVerdict:
    """Why a message is automatic: its kind, the rule that fired, and what it saw."""

    kind: Kind
    rule: str
    """Stable name of the rule, e.g. ``auto_submitted`` or ``subject_phrase``."""
    reason: str
    """One line naming the header or phrase, e.g. ``Auto-Submitted: auto-replied (RFC 3834)``."""
    evidence: tuple[str, ...] = ()
    """Supporting headers present, which alone would not have decided."""


@dataclass(frozen=True, kw_only=True)
class Phrases:
    """The subject wording from ``autoreply_phrases.yaml``, normalised for matching."""

    auto_reply_prefixes: tuple[str, ...]
    auto_reply_openings: tuple[str, ...]
    auto_reply_phrases: tuple[str, ...]
    read_receipt_prefixes: tuple[str, ...]
    bounce_prefixes: tuple[str, ...]
    bounce_senders: frozenset[str]


@cache
def load_phrases() -> Phrases:
    """Read the packaged phrase list once."""
    text = resources.files("mailflow.mail").joinpath("autoreply_phrases.yaml").read_text("utf-8")
    data = yaml.safe_load(text)

    def words(section: str, key: str) -> tuple[str, ...]:
        return tuple(_normal(str(p)) for p in data[section][key])

    return Phrases(
        auto_reply_prefixes=words("auto_reply", "prefixes"),
        auto_reply_openings=words("auto_reply", "openings"),
        auto_reply_phrases=words("auto_reply", "phrases"),
        read_receipt_prefixes=words("read_receipt", "prefixes"),
        bounce_prefixes=words("bounce", "prefixes"),
        bounce_senders=frozenset(words("bounce", "senders")),
    )


@dataclass(frozen=True)
class _Seen:
    msg: ParsedMessage
    own: frozenset[str]
    phrases: Phrases
    subject: str

    def header(self, name: str) -> str:
        return self.msg.headers.get(name, "").strip()

    def token(self, name: str) -> str:
        """The header's first word, lower case (RFC 3834 values may carry parameters)."""
        return self.header(name).split(";", 1)[0].strip().lower()


Rule = Callable[[_Seen], tuple[Kind, str] | None]


def detect_automatic(
    msg: ParsedMessage, *, own_addresses: Collection[str] = ()
) -> AutomaticVerdict | None:
    """Return why ``msg`` is automatic mail that must never be answered, or ``None``."""
    own = frozenset(a.casefold() for a in own_addresses)
    seen = _Seen(msg, own, load_phrases(), _normal(msg.subject))
    evidence = tuple(f"{_title(n)}: {seen.header(n)}" for n in _SUPPORTING if n in msg.headers)
    for rule in RULES:
        found = rule(seen)
        if found is not None:
            kind, reason = found
            return AutomaticVerdict(kind=kind, rule=rule.__name__, reason=reason, evidence=evidence)
    return None


def own_address(seen: _Seen) -> tuple[Kind, str] | None:
    address = seen.msg.from_address
    if address and address.casefold() in seen.own:
        return "self", f"From is mailflow's own address {address}"
    return None


def delivery_report(seen: _Seen) -> tuple[Kind, str] | None:
    report = seen.msg.report_type
    if report in ("delivery-status", "global-delivery-status"):
        return "bounce", f"multipart/report; report-type={report} (RFC 3464)"
    if any(a.content_type in _DSN for a in seen.msg.attachments):
        return "bounce", "carries a delivery-status part (RFC 3464)"
    return None


def disposition_report(seen: _Seen) -> tuple[Kind, str] | None:
    report = seen.msg.report_type
    if report in ("disposition-notification", "global-disposition-notification"):
        return "read_receipt", f"multipart/report; report-type={report} (RFC 8098)"
    if any(a.content_type in _MDN for a in seen.msg.attachments):
        return "read_receipt", "carries a disposition-notification part (RFC 8098)"
    return None


def bounce_sender(seen: _Seen) -> tuple[Kind, str] | None:
    local = _local_part(seen.header("from"))
    if local in seen.phrases.bounce_senders:
        return "bounce", f"sent by {local.upper()}"
    for name in ("x-failed-recipients", "x-ms-exchange-message-is-ndr"):
        if name in seen.msg.headers:
            return "bounce", f"{_title(name)} header present"
    return None


def auto_submitted(seen: _Seen) -> tuple[Kind, str] | None:
    value = seen.token("auto-submitted")
    if value and value != "no":
        return "auto_reply", f"Auto-Submitted: {value} (RFC 3834)"
    return None


def autoreply_header(seen: _Seen) -> tuple[Kind, str] | None:
    for name in ("x-autoreply", "x-autorespond"):
        value = seen.token(name)
        if name in seen.msg.headers and value not in ("no", "false", "0"):
            return "auto_reply", f"{_title(name)}: {seen.header(name)}"
    if seen.token("precedence") == "auto_reply":
        return "auto_reply", "Precedence: auto_reply"
    return None


def subject_phrase(seen: _Seen) -> tuple[Kind, str] | None:
    p, subject = seen.phrases, seen.subject
    ordered: tuple[tuple[Kind, tuple[str, ...]], ...] = (
        ("bounce", p.bounce_prefixes),
        ("read_receipt", p.read_receipt_prefixes),
        ("auto_reply", p.auto_reply_prefixes),
    )
    for kind, prefixes in ordered:
        for prefix in prefixes:
            rest = subject[len(prefix) :].lstrip() if subject.startswith(prefix) else None
            if rest is not None and (not rest or rest[0] in ":("):
                return kind, f"subject starts {prefix!r}"
    for opening in p.auto_reply_openings:
        if subject.startswith(opening):
            return "auto_reply", f"subject starts {opening!r}"
    supported = any(name in seen.msg.headers for name in _SUPPORTING)
    for phrase in p.auto_reply_phrases if supported else ():
        if phrase in subject:
            return "auto_reply", f"subject contains {phrase!r} with an autoreply header"
    return None


def null_sender(seen: _Seen) -> tuple[Kind, str] | None:
    if seen.header("return-path").replace(" ", "") == "<>":
        return "bounce", "empty envelope sender, Return-Path: <> (RFC 5321 4.5.5)"
    raw_from = seen.header("from")
    if "<>" in raw_from.replace(" ", "") and not _address(raw_from):
        return "bounce", "empty From address <>"
    return None


def mailing_list(seen: _Seen) -> tuple[Kind, str] | None:
    precedence = seen.token("precedence")
    if precedence in ("bulk", "junk", "list"):
        return "list", f"Precedence: {precedence}"
    for name in ("list-id", "list-unsubscribe", "list-post"):
        if name in seen.msg.headers:
            return "list", f"{_title(name)} header present (RFC 2369/2919)"
    return None


RULES: tuple[Rule, ...] = (
    own_address,
    delivery_report,
    disposition_report,
    bounce_sender,
    auto_submitted,
    autoreply_header,
    subject_phrase,
    null_sender,
    mailing_list,
)
"""The rules in the order they are asked; the first that answers decides."""


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _title(header: str) -> str:
    return "-".join(w.upper() if w in ("ms", "id") else w.capitalize() for w in header.split("-"))


def _address(value: str) -> str:
    pairs = getaddresses([value])
    return pairs[0][1].strip() if len(pairs) == 1 else value.strip()


def _local_part(value: str) -> str:
    """The part before the ``@``, or the whole address when it has none (``MAILER-DAEMON``)."""
    address = _address(value)
    return (address.rpartition("@")[0] if "@" in address else address).casefold()
