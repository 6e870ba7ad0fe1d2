"""``MemoryBackend``: keeps sent mail in a list; the test double shipped with mailflow.

Like the test SMTP sink, it can be told to refuse (``refuse_temporarily``,
``refuse_permanently``) until ``accept`` is called, so workflow tests can exercise retries and
bounces without a server.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from mailflow.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from mailflow.outbound.backends import MailBackend, OutgoingMail


class MemoryBackend(MailBackend):
    """Delivered mail in ``sent``, in order; refusals on request."""

    name = "memory"

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self._refusal: DeliveryError | None = None

    async def deliver(self, mail: OutgoingMail) -> None:
        """Record ``mail``, unless told to refuse."""
        if self._refusal is not None:
            raise self._refusal
        self.sent.append(mail)

    def accept(self) -> None:
        """Deliver every mail (the initial mode)."""
        self._refusal = None

    def refuse_temporarily(self, reason: str = "451 4.3.0 refused for now") -> None:
        """Fail every send with ``TemporaryDeliveryError`` until ``accept``."""
        self._refusal = TemporaryDeliveryError(f"{self.name}: {reason}")

    def refuse_permanently(self, reason: str = "550 5.1.1 no such user") -> None:
        """Fail every send with ``PermanentDeliveryError`` until ``accept``."""
        self._refusal = PermanentDeliveryError(f"{self.name}: {reason}")

    def messages(self) -> list[EmailMessage]:
        """The delivered mail parsed back, for assertions."""
        return [message_from_bytes(m.data, policy=policy.default) for m in self.sent]
