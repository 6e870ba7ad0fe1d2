"""Whom to answer when a message's From is no use: Reply-To, then Sender, else nobody.

RFC 5322 section 3.6.2 makes From the author and Sender the agent who sent it for them; section
3.6.2 also lets Reply-To name where replies go. mailflow answers the author, so From comes first
(``parse.py`` accepts it only when it holds one unambiguous address). Without one, a
customer's mail is still a contact: if Reply-To, or else Sender, holds one usable address that
is not the council's own mailbox, replies go there and the choice is recorded in the message's
defects; otherwise there is nobody to acknowledge, and the message is quarantined with a reason
customer services can act on (``no_answer_reason``), never opened as a contact with no address.

Officers are never authenticated this way: their replies are recognised on From alone before
this is consulted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from mailflow.mail.headers import parse_address_strict
from mailflow.mail.parse import ParsedMessage

FROM_PROBLEMS = {
    "missing From": "it has no From header",
    "several From headers": "it has several From headers",
    "ambiguous or invalid From address": "its From header holds no single valid address",
}


@dataclass(frozen=True, kw_only=True)
class Answerable:
    """The message to process with the address to answer, or why there is none."""

    parsed: ParsedMessage
    used: str | None = None
    """The header the address came from when it was not From (``reply-to`` or ``sender``)."""
    reason: str | None = None
    """Set when nobody can be answered: the one-line reason the message is quarantined."""


def answerable(parsed: ParsedMessage, own: Collection[str] = ()) -> Answerable:
    """``parsed`` with a usable ``from_address``, taken from Reply-To or Sender if need be."""
    if parsed.from_address is not None:
        return Answerable(parsed=parsed)
    mine = {a.casefold() for a in own}
    sender_name, sender = parse_address_strict(parsed.headers.get("sender"))
    for header, name, address in (
        ("reply-to", None, parsed.reply_to),
        ("sender", sender_name, sender),
    ):
        if address is not None and address.casefold() not in mine:
            note = f"From unusable: answering the {header.title()} address"
            fixed = replace(
                parsed,
                from_address=address,
                from_name=name or parsed.from_name,
                defects=(*parsed.defects, note),
            )
            return Answerable(parsed=fixed, used=header)
    return Answerable(parsed=parsed, reason=no_answer_reason(parsed))


def no_answer_reason(parsed: ParsedMessage) -> str:
    """Why nobody can be answered, in one line: what is wrong with From, and that nothing
    else gives an address."""
    problem = next(
        (FROM_PROBLEMS[d] for d in parsed.defects if d in FROM_PROBLEMS),
        "its From header holds no single valid address",
    )
    raw_from = parsed.headers.get("from", "")
    if raw_from and ":" in raw_from and raw_from.rstrip().endswith(";"):
        problem = "its From header is a group of addresses, not a person"
    return (
        f"no address to answer: {problem}, and no Reply-To or Sender header gives one"
        " (check the raw message and contact the customer another way)"
    )
