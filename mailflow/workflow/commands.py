"""Officers' commands, read from the top of a reply to a notification, and what they decide.

One command a line, at the top of the reply, before any other text (names in any case):

    #outcome upheld|partly_upheld|not_upheld|resolved   the stage response, with its letter
    #extend YYYY-MM-DD REASON    move the response date; the customer is told why and when
    #assign ROLE-or-ADDRESS      pass the case to a role or a person in the directory
    #note TEXT                   an internal note: audit only, never relayed
    #kind KIND                   correct the kind of contact
    #service KEY                 correct the service
    #escalate                    open the next stage (or signpost the Ombudsman after the last)
    #close                       close the case
    #action TEXT                 a lesson learnt or procedure change, for reports
    #await TEXT                  ask the customer TEXT; the response clock stops until they
                                 answer, where the rules pause it (Stafford 8 Stages 2, 3)
    #hold REASON                 a legal hold: the case is never expired or erased until released
    #release                     lift the legal hold

The text below the commands goes to the customer: inside the stage reply or holding letter
mail when ``#outcome`` or ``#extend`` sends one, else as a reply of its own. A reply is all or
nothing: if one command is unknown, malformed or impossible now, none applies, nothing reaches
the customer and the officer is told why (``command_refused``). Every command becomes an
``officer_command`` audit entry, accepted or not, which the shell also stores as a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.schema import PER_SERVICE_ROLES, Extension, Person
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.events import OfficerReplied
from mailflow.workflow.pauses import NoPause, ask_customer
from mailflow.workflow.progress import escalate
from mailflow.workflow.responses import Refused, extend, hand_over, reclassify, respond
from mailflow.workflow.state import CaseState

LINE = re.compile(r"^#([A-Za-z_]+)(?![A-Za-z_])[ \t]*(.*)$")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "resolved")
SYNTAX: dict[str, tuple[str, str]] = {  # name: (argument pattern, usage shown when it fails)
    "outcome": (r"(?:upheld|partly_upheld|not_upheld|resolved)", "upheld|partly_upheld|..."),
    "extend": (r"\d{4}-\d{2}-\d{2} \S.*", "YYYY-MM-DD and the reason the customer is told"),
    "assign": (r"[A-Za-z0-9_.+@-]+", "a role or a directory address"),
    "note": (r"\S.*", "the text of the note"),
    "kind": (r"[a-z_]+", "a kind of contact"),
    "service": (r"[a-z0-9_]+", "a service key of the directory"),
    "escalate": (r"", "nothing after it"),
    "close": (r"", "nothing after it"),
    "action": (r"\S.*", "the lesson learnt or the change made"),
    "await": (r"\S.*", "the question the customer is asked"),
    "hold": (r"\S.*", "the reason for the legal hold"),
    "release": (r"", "nothing after it"),
}
# Customer mails that carry an officer's decision or words: sent without Auto-Submitted.
HUMAN_PURPOSES = ("officer_reply", "stage_reply", "extension", "information_request")


@dataclass(frozen=True)
class Command:
    """One parsed command line."""

    name: str
    argument: str


def split_reply(text: str) -> tuple[tuple[str, ...], str]:
    """The ``#`` lines at the top of ``text`` (blank lines between allowed), and the rest."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    commands: list[str] = []
    at = 0
    while at < len(lines):
        stripped = lines[at].strip()
        if stripped.startswith("#"):
            commands.append(stripped)
        elif stripped:
            break
        at += 1
    return tuple(commands), "\n".join(lines[at:]).strip()


def name_and_argument(line: str) -> tuple[str, str]:
    """What a line names and passes, for the record, even when it is not a valid command."""
    found = LINE.match(line.strip())
    if found is None:
        return "?", line.strip()[:500]
    return found.group(1).lower()[:32], " ".join(found.group(2).split())[:500]


def parse_command(line: str) -> Command:
    """``#name argument`` as a ``Command``; ``Refused`` when unknown or malformed."""
    if LINE.match(line.strip()) is None:
        raise Refused(f"{line.strip()[:60]!r} is not a command")
    name, argument = name_and_argument(line)
    if name not in SYNTAX:
        raise Refused(f"#{name} is not a command (known: {', '.join(SYNTAX)})")
    if name == "outcome":
        argument = re.sub(r"[\s-]+", "_", argument.lower())
    pattern, usage = SYNTAX[name]
    if re.fullmatch(pattern, argument) is None:
        raise Refused(f"#{name} takes {usage}")
    return Command(name, argument)


def directory_person(policy: CouncilPolicy, address: str) -> Person | None:
    """The directory entry holding ``address`` (a role or a service's officer), if any."""
    directory = policy.rules.directory
    people = [*directory.roles.values()]
    for service in directory.services.values():
        people += [service.service_officer, service.head_of_service]
    return next((p for p in people if p.address.casefold() == address.casefold()), None)


def may_act(policy: CouncilPolicy, state: CaseState, sender: str) -> bool:
    """The assigned officer, the stage owner, and the rules' acting roles of the case's service
    (``officer_replies.acting_roles``)."""
    current = state.current_stage()
    allowed = {state.assigned_to, current.owner_address if current else None}
    roles = policy.rules.officer_replies.acting_roles
    allowed |= {p.address for r in roles if (p := policy.person(r, state.service))}
    return sender.casefold() in {a.casefold() for a in allowed if a}


def refusal(
    sender: str | None, reason: str, lines: tuple[str, ...], stage: int | None = None
) -> list[Action]:
    """The audit of a refused reply, each command recorded as refused, and the staff notice."""
    out: list[Action] = [
        Audit(
            event="officer_reply_refused",
            detail={"sender": sender, "reason": reason, "commands": list(lines)},
        )
    ]
    out += [_record(sender, line, reason) for line in lines]
    if sender:
        out.append(
            SendMail(
                purpose="command_refused",
                template="command_refused",
                to=(sender,),
                to_customer=False,
                stage=stage,
                context={"reason": reason, "commands": list(lines)},
            )
        )
    return out


def _record(sender: str | None, line: str | Command, refused: str | None) -> Audit:
    """One command for the record: as parsed when it was applied, as written when not."""
    name, argument = (
        (line.name, line.argument) if isinstance(line, Command) else name_and_argument(line)
    )
    detail = {"sender": sender, "command": name, "argument": argument}
    return Audit(
        event="officer_command",
        detail=detail | {"accepted": refused is None, "reason": refused or ""},
    )


def officer_replied(
    policy: CouncilPolicy, state: CaseState, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    """Apply every command of the reply in order and relay its text, or refuse it all."""
    failure: str | None = None
    if not may_act(policy, state, ev.sender):
        failure = f"{ev.sender} is not the officer dealing with {state.reference} or a manager"
    elif not ev.commands and not ev.text.strip():
        failure = "the reply had no commands and no text above the quoted message"
    current, done, applied = state, [], []
    for line in ev.commands if failure is None else ():
        try:
            command = parse_command(line)
            current, more = APPLY[command.name](policy, current, command, ev)
        except Refused as exc:
            failure = f"{line[:80]!r}: {exc}"
            break
        done += more
        applied.append(command)
    if failure is not None:
        return state, refusal(ev.sender, failure, ev.commands, state.stage)
    relayed = any(isinstance(a, SendMail) and a.context.get("officer_text") for a in done)
    relay: list[Action] = []
    if ev.text.strip() and not relayed:
        relay = [
            SendMail(
                purpose="officer_reply",
                template="officer_reply",
                to=(state.customer_address,),
                to_customer=True,
                stage=state.stage,
                context={"officer_text": ev.text},
            )
        ]
    if ev.text.strip():
        relay.insert(0, Audit(event="officer_reply_relayed", detail={"sender": ev.sender}))
    records: list[Action] = [_record(ev.sender, command, None) for command in applied]
    return current, [*records, *relay, *done]


Apply = Callable[
    [CouncilPolicy, CaseState, Command, OfficerReplied], tuple[CaseState, list[Action]]
]


def _outcome(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    return respond(policy, state, c.argument, ev.text, ev.sender, ev.received_at)


def _extend(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    day, _, reason = c.argument.partition(" ")
    try:
        new = date.fromisoformat(day)
    except ValueError:
        raise Refused(f"{day} is not a date (YYYY-MM-DD)") from None
    today = ev.received_at.astimezone(ZoneInfo(policy.rules.council.timezone)).date()
    if new < today:
        raise Refused(f"{day} is in the past")
    proc = policy.procedure_for(state.kind)
    rules = proc.stage(state.stage).extension if proc and state.stage else Extension()
    return extend(policy, state, new, reason, rules, by=ev.sender, text=ev.text)


def _assign(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    role = None if "@" in c.argument else c.argument.lower()
    person = policy.person(role, state.service) if role else directory_person(policy, c.argument)
    if person is None:
        raise Refused(f"{c.argument} is not a role or a person in the council's directory")
    return hand_over(state, person, role, f"assigned by {ev.sender}")


def _note(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    return state, [Audit(event="note", detail={"text": c.argument, "by": ev.sender})]


def _action(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    detail = {"text": c.argument, "by": ev.sender, "stage": state.stage, "service": state.service}
    return state, [Audit(event="action", detail=detail)]


def _kind(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    if c.argument not in policy.rules.kinds:
        raise Refused(f"{c.argument} is not a kind of contact ({', '.join(policy.rules.kinds)})")
    return reclassify(policy, state, c.argument, ev.sender)


def _service(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    if c.argument not in policy.rules.directory.services:
        raise Refused(f"{c.argument} is not a service of the directory")
    audit = Audit(event="service_changed", detail={"from": state.service, "to": c.argument})
    state = replace(state, service=c.argument)
    current = state.current_stage()
    role = current.owner_role if current else state.route
    person = policy.person(role, c.argument) if role in PER_SERVICE_ROLES and role else None
    if person is None or person.address == state.assigned_to:
        return state, [audit]
    state, more = hand_over(state, person, role, f"service changed by {ev.sender}")
    return state, [audit, *more]


def _escalate(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    if not state.is_case or state.stage is None:
        raise Refused("this contact is not at a stage of the complaints procedure")
    return escalate(policy, state, ev.received_at, f"escalated by {ev.sender}")


def _close(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    if state.status == "closed":
        raise Refused("the case is already closed")
    deadlines = tuple(
        replace(d, status="cancelled") if d.status in ("open", "paused") else d
        for d in state.deadlines
    )
    state = replace(state, status="closed", closed_at=ev.received_at, deadlines=deadlines)
    return state, [Audit(event="closed", detail={"by": ev.sender})]


def _await(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    question = f"{c.argument}\n\n{ev.text}".strip() if ev.text.strip() else c.argument
    try:
        return ask_customer(policy, state, question, by=ev.sender, at=ev.received_at)
    except NoPause as exc:
        raise Refused(str(exc)) from None


def _hold(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    """A legal hold (litigation, an Ombudsman or police inquiry) stops retention and erasure."""
    if state.legal_hold:
        raise Refused(f"the case is already under legal hold ({state.legal_hold_reason or '-'})")
    state = replace(state, legal_hold=True, legal_hold_reason=c.argument)
    return state, [Audit(event="legal_hold_set", detail={"reason": c.argument, "by": ev.sender})]


def _release(
    policy: CouncilPolicy, state: CaseState, c: Command, ev: OfficerReplied
) -> tuple[CaseState, list[Action]]:
    if not state.legal_hold:
        raise Refused("the case is not under legal hold")
    detail = {"reason": state.legal_hold_reason, "by": ev.sender}
    state = replace(state, legal_hold=False, legal_hold_reason=None)
    return state, [Audit(event="legal_hold_released", detail=detail)]


APPLY: dict[str, Apply] = {
    "outcome": _outcome,
    "extend": _extend,
    "assign": _assign,
    "note": _note,
    "kind": _kind,
    "service": _service,
    "escalate": _escalate,
    "close": _close,
    "action": _action,
    "await": _await,
    "hold": _hold,
    "release": _release,
}
