"""What a mail or letter says about its case, gathered from the case state and the rules.

Pure: the worker reads the case and the customer's words from the store and passes them in.
Templates read the dict ``mail_context`` returns; these are its keys:

========================  ================================================================
every mail                purpose, reference, today, mailbox, letters, extra (the row's
                          ``context``), council (name, address, telephone, website,
                          signature), customer (name, named, address), greeting, sign_off,
                          case_subject, kind, kind_label, officer (title, name, display,
                          address, telephone), service, role_title, stage (number, name,
                          next_step, following), received_on, acknowledge_by, respond_by,
                          procedure_explanation, signpost (name, text, contact), ombudsman
                          (name, address, telephone, website, text, leaflet), wording,
                          other_formats, needs, large_print
from an officer's reply   officer_text (their words to the customer), outcome (as words),
                          final (the council's last stage), extension (new_date, reason,
                          ombudsman: whether to give the Ombudsman's details); else None
staff mail only           classification (kind_label, confidence, reasons, needs, flags,
                          anonymous, avoidable), deadlines (label, stage, due, explain),
                          customer_text (the first message), new_text (the latest one)
========================  ================================================================

A value the case lacks is ``None`` (a template tests it with ``{% if %}``; printing it is an
error). Dates read "23 November 2026", as GOV.UK and the letters write them. The stage is the
row's own (``payload["stage"]``) when it names one, so a stage reply composed after the case
moved on still speaks of the stage it answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from mailflow.letters import (
    Council,
    LetterContext,
    Officer,
    Ombudsman,
    Stage,
    long_date,
    paragraphs,
)
from mailflow.letters.context import CUSTOMER_FALLBACK, OUTCOME_LABELS
from mailflow.mail.headers import clean_header_text
from mailflow.outbound.decisions import body_text, extension, officer_reply
from mailflow.policy.council import FALLBACK_SERVICE, CouncilPolicy
from mailflow.policy.schema import Person
from mailflow.workflow.state import CaseState

KIND_LABELS: Mapping[str, str] = {
    "complaint": "complaint",
    "comment": "comment",
    "compliment": "compliment",
    "service_request": "request for a service",
    "information_request": "request for information",
    "foi_request": "Freedom of Information request",
    "out_of_procedure": "matter with its own appeal or legal process",
    "third_party": "matter for another organisation",
    "abusive": "message that may be abusive or unacceptable",
    "junk": "junk message",
    "auto_reply": "automatic reply",
}
NEED_LABELS: Mapping[str, str] = {
    "large_print": "large print",
    "braille": "Braille",
    "other_language": "another language",
    "audio": "audio",
    "interpreter": "an interpreter",
}
DEFAULT_OTHER_FORMATS = (
    "If you would like this in another format, such as large print, Braille, audio or another "
    "language, please reply to tell us."
)
COUNCIL_KEYS = {"name", "address", "telephone", "website", "signature"}


@dataclass(frozen=True, kw_only=True)
class CaseTexts:
    """What the customer wrote: their first message and the latest one (staff mail quotes it)."""

    first: str = ""
    latest: str = ""


def find_person(policy: CouncilPolicy, address: str | None) -> Person | None:
    """The directory entry holding ``address`` (a role or a service's officer), if any."""
    if not address:
        return None
    wanted = address.casefold()
    directory = policy.rules.directory
    people = [*directory.roles.values()]
    for service in directory.services.values():
        people += [service.service_officer, service.head_of_service]
    return next((p for p in people if p.address.casefold() == wanted), None)


def handling_officer(policy: CouncilPolicy, state: CaseState | None) -> Person | None:
    """Who deals with the case: the assigned person, else the customer services officer."""
    found = find_person(policy, state.assigned_to if state else None)
    return found or policy.person("service_officer", FALLBACK_SERVICE)


def council_day(policy: CouncilPolicy, instant: datetime) -> date:
    """The date at ``instant`` in the council's time zone."""
    return instant.astimezone(ZoneInfo(policy.rules.council.timezone)).date()


def due_dates(state: CaseState, stage: int | None = None) -> dict[str, str | None]:
    """The acknowledge-by and respond-by dates still open at ``stage`` (default: the current)."""
    number = state.stage if stage is None else stage
    found: dict[str, str | None] = {"acknowledge_by": None, "respond_by": None}
    for d in state.open_deadlines():
        if d.stage == number:
            found[f"{d.purpose}_by"] = long_date(d.due_date)
    return found


def stage_of(state: CaseState, payload: Mapping[str, Any]) -> int | None:
    """The stage a mail is about: the row's own, else the case's current one."""
    number = payload.get("stage")
    return number if isinstance(number, int) else state.stage


def _stage(policy: CouncilPolicy, state: CaseState, number: int | None) -> dict[str, Any] | None:
    proc = policy.procedure_for(state.kind)
    if proc is None or number is None or not 1 <= number <= len(proc.stages):
        return None
    current = proc.stage(number)
    following = [
        {"number": s.number, "name": s.name} for s in proc.stages if s.number > current.number
    ]
    return {
        "number": current.number,
        "name": current.name,
        "next_step": current.next_step,
        "following": following,
    }


def _person(person: Person | None) -> dict[str, Any] | None:
    return person.model_dump() | {"display": person.display} if person else None


def _case(policy: CouncilPolicy, state: CaseState, stage: int | None) -> dict[str, Any]:
    """The keys that describe the case itself, at ``stage``."""
    named = clean_header_text(state.customer_name)
    signpost = policy.rules.signposts.get(state.signpost or "")
    proc = policy.procedure_for(state.kind)
    service = policy.rules.directory.services.get(state.service or "")
    return {
        "customer": {
            "name": named or CUSTOMER_FALLBACK,
            "named": bool(named),
            "address": state.customer_address,
        },
        "greeting": f"Dear {named or CUSTOMER_FALLBACK}",
        "sign_off": "Yours sincerely" if named else "Yours faithfully",
        "case_subject": clean_header_text(state.subject),
        "kind": state.kind,
        "kind_label": KIND_LABELS.get(state.kind, state.kind.replace("_", " ")),
        "officer": _person(handling_officer(policy, state)),
        "service": service.name if service else None,
        "stage": _stage(policy, state, stage),
        "received_on": long_date(council_day(policy, state.received_at)),
        **due_dates(state, stage),
        "procedure_explanation": proc.explanation if proc and state.kind == "complaint" else None,
        "signpost": signpost.model_dump(include={"name", "text", "contact"}) if signpost else None,
        "needs": [NEED_LABELS.get(n, n.replace("_", " ")) for n in state.needs],
        "large_print": "large_print" in state.needs,
    }


def _no_case() -> dict[str, Any]:
    """The case keys of a mail about no case (a quarantined message)."""
    absent = "kind kind_label officer service stage received_on acknowledge_by respond_by"
    absent += " procedure_explanation signpost"
    return {
        **dict.fromkeys(absent.split()),
        "customer": {"name": CUSTOMER_FALLBACK, "named": False, "address": None},
        "greeting": f"Dear {CUSTOMER_FALLBACK}",
        "sign_off": "Yours faithfully",
        "case_subject": "",
        "needs": [],
        "large_print": False,
    }


def _for_staff(state: CaseState, texts: CaseTexts) -> dict[str, Any]:
    """What only council staff see: why it was classified so, and how each date was reached."""
    purposes = {"acknowledge": "Acknowledge by", "respond": "Full response by"}
    return {
        "classification": {
            "kind_label": KIND_LABELS.get(state.kind, state.kind),
            "confidence": round(state.confidence * 100),
            "reasons": list(state.reasons),
            "needs": [NEED_LABELS.get(n, n) for n in state.needs],
            "flags": [f.replace("_", " ") for f in state.flags],
            "anonymous": state.anonymous,
            "avoidable": state.avoidable.replace("_", " ") if state.avoidable else None,
        },
        "deadlines": [
            {
                "label": purposes[d.purpose],
                "stage": d.stage,
                "due": long_date(d.due_date),
                "explain": list(d.explain),
            }
            for d in state.open_deadlines()
        ],
        "customer_text": body_text(texts.first),
        "new_text": body_text(texts.latest),
    }


def mail_context(
    policy: CouncilPolicy,
    state: CaseState | None,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    for_staff: bool = False,
    texts: CaseTexts = CaseTexts(),
) -> dict[str, Any]:
    """Everything a mail template may print about its case; see the module docstring."""
    rules = policy.rules
    extra = dict(payload.get("context") or {})
    role = extra.get("role")
    holder = policy.person(role, state.service if state else None) if role else None
    ctx: dict[str, Any] = {
        "purpose": payload["purpose"],
        "reference": payload.get("reference") or (state.reference if state else None),
        "council": rules.council.model_dump(include=COUNCIL_KEYS),
        "mailbox": rules.council.mailboxes.get(payload.get("mailbox") or ""),
        "today": long_date(council_day(policy, now)),
        "ombudsman": rules.ombudsman.model_dump(),
        "wording": dict(rules.wording),
        "other_formats": rules.wording.get("other_formats") or DEFAULT_OTHER_FORMATS,
        "role_title": holder.title if holder else None,
        "letters": list(payload.get("letters") or []),
        "extra": extra,
        **(_case(policy, state, stage_of(state, payload)) if state else _no_case()),
        **officer_reply(extra),
    }
    if for_staff and state is not None:
        ctx.update(_for_staff(state, texts))
    elif for_staff:
        ctx.update({"classification": None, "deadlines": [], "customer_text": "", "new_text": ""})
    return ctx


def letter_context(
    policy: CouncilPolicy, state: CaseState, payload: Mapping[str, Any], *, now: datetime
) -> LetterContext:
    """The ``LetterContext`` for the letters a mail attaches (``mailflow.letters``)."""
    rules = policy.rules
    extra = payload.get("context") or {}
    officer = handling_officer(policy, state)
    number = stage_of(state, payload)
    stage = _stage(policy, state, number)
    proc = policy.procedure_for(state.kind)
    respond = next(
        (d for d in state.open_deadlines() if d.purpose == "respond" and d.stage == number),
        None,
    )
    o = rules.ombudsman
    return LetterContext(
        council=Council(
            name=rules.council.name,
            address_lines=tuple(rules.council.address),
            telephone=rules.council.telephone,
            website=rules.council.website,
        ),
        reference=payload.get("reference") or state.reference,
        letter_date=council_day(policy, now),
        subject=clean_header_text(state.subject),
        officer=Officer(title=officer.title, name=officer.name)
        if officer
        else Officer(title=f"{rules.council.name} Customer Services"),
        other_formats=rules.wording.get("other_formats") or DEFAULT_OTHER_FORMATS,
        customer_name=clean_header_text(state.customer_name) or None,
        received_on=council_day(policy, state.received_at),
        stage=Stage(number=stage["number"], name=stage["name"], next_step=stage["next_step"])
        if stage
        else None,
        respond_by=respond.due_date if respond else None,
        ombudsman=Ombudsman(
            name=o.name,
            address_lines=tuple(o.address),
            telephone=o.telephone,
            website=o.website,
            text=o.text,
        ),
        procedure_explanation=proc.explanation if proc and state.kind == "complaint" else None,
        thanks=rules.wording.get("compliment_thanks"),
        outcome=extra.get("outcome") if extra.get("outcome") in OUTCOME_LABELS else None,
        reasons=paragraphs(str(extra.get("officer_text") or "")),
        extension=extension(policy, extra),
    )
