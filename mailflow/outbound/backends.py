"""Delivery backends: one small base class, one module per way of sending (as Django's mail).

    MailBackend          the contract: ``await send(mail)`` delivers or raises
    ├── SmtpBackend      smtp.py: a submission server through aiosmtplib (production)
    ├── CaptureBackend   capture.py: each mail as a .eml file in a folder (``mailflow demo``)
    └── MemoryBackend    memory.py: an in-memory list, the test double shipped in the package

``send`` raises only ``TemporaryDeliveryError`` (try again later: 4xx, connection lost) or
``PermanentDeliveryError`` (give up and tell a person: 5xx), each with a one-line message that
never holds a password; the outbox worker decides what each means for the row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from mailflow.errors import PermanentDeliveryError


@dataclass(frozen=True, kw_only=True)
class OutgoingMail:
    """One mail ready to go: its Message-ID, the SMTP envelope and the exact bytes (CRLF)."""

    message_id: str
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes


class MailBackend(ABC):
    """Delivers composed mail; subclasses implement ``deliver`` and, if they hold one, ``close``.

    A backend is used from one event loop; ``send`` may be called again after any error.
    """

    name: str = "backend"

    async def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` to every envelope recipient, or raise a ``DeliveryError``.

        A mail with no recipients is refused for good: no later attempt can deliver it.
        """
        if not mail.recipients:
            raise PermanentDeliveryError(f"{self.name}: {mail.message_id} has no recipients")
        await self.deliver(mail)

    @abstractmethod
    async def deliver(self, mail: OutgoingMail) -> None:
        """Hand ``mail`` on (its recipients are checked); raise a ``DeliveryError`` if it fails."""

    async def close(self) -> None:
        """Release what the backend holds open; sending again reopens it."""
        return None
