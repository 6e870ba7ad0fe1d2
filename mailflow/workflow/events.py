"""What can happen to a case: the inputs of ``decide``.

Each event carries only facts the shell has established (parsed, classified, authenticated),
so the core never needs to look anything up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class Classified:
    """What the classifier said about a message (see the ``mailflow classify`` contract)."""

    kind: str
    service: str | None = None
    signpost: str | None = None
    topics: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    anonymous: bool = False
    escalation_request: bool = False
    avoidable: str | None = None
    confidence: float = 1.0
    triage: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SenderHistory:
    """What the store knows of the sender, for persistence flags and send caps."""

    recent_contacts: int = 0
    acknowledgements_today: int = 0
    undeliverable: bool = False


@dataclass(frozen=True, kw_only=True)
class ContactReceived:
    """A new contact: a message that joined no existing case."""

    reference: str
    message_id: str
    sender: str
    sender_name: str
    subject: str
    channel: str
    received_at: datetime
    classified: Classified
    history: SenderHistory = SenderHistory()


@dataclass(frozen=True, kw_only=True)
class CustomerReplied:
    """The customer wrote again on an existing case (threaded by reference or Message-ID)."""

    message_id: str
    received_at: datetime
    escalation_request: bool = False
    avoidable: str | None = None


@dataclass(frozen=True, kw_only=True)
class MailSent:
    """The outbox delivered a mail the workflow asked for (acknowledgements meet deadlines)."""

    purpose: str
    stage: int | None
    sent_at: datetime


@dataclass(frozen=True, kw_only=True)
class OfficerReplied:
    """An authenticated officer replied on a case: command lines from the top, words to relay.

    ``commands`` are the raw ``#command`` lines as written (``workflow.commands`` parses them);
    ``text`` is what follows, with quoted history and the officer's signature removed.
    """

    sender: str
    message_id: str
    received_at: datetime
    commands: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class AwaitingCustomer:
    """The council asked the customer for information (a clock may pause: Stafford 8)."""

    requested_at: datetime
    what: str = ""


Event = ContactReceived | CustomerReplied | MailSent | OfficerReplied | AwaitingCustomer
