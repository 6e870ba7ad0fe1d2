"""An SMTP sink: a real aiosmtpd server in a thread that records what it accepts.

    with SmtpSink(auth=("mailflow", "secret")) as sink:
        ...send to sink.host:sink.port...
        [message] = sink.wait_for(1)
        sink.refuse_temporarily()     # 451 to every RCPT and DATA until sink.accept()

Fault modes answer RCPT (and DATA, should a mode change mid-transaction) so that a client sees
the refusal exactly where a real relay would give it (RFC 5321 section 4.2.5 for 4yz and 5yz).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers._net import free_port

TEMPORARY_REFUSAL = "451 4.3.0 Temporarily refused by the test sink"
PERMANENT_REFUSAL = "550 5.7.1 Refused by the test sink"


@dataclass(frozen=True, kw_only=True)
class ReceivedMessage:
    """One accepted message: the envelope, the bytes as sent, when it arrived, who logged in."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    received_at: datetime
    login: str | None


class Mode(Enum):
    ACCEPT = "accept"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


class _Recorder:
    """The aiosmtpd handler: answers RCPT and DATA according to the mode and records mail."""

    def __init__(self, *, auth_required: bool) -> None:
        self.auth_required = auth_required
        self.mode = Mode.ACCEPT
        self.messages: list[ReceivedMessage] = []
        self.changed = threading.Condition()

    def _refusal(self) -> str | None:
        if self.mode is Mode.TEMPORARY:
            return TEMPORARY_REFUSAL
        if self.mode is Mode.PERMANENT:
            return PERMANENT_REFUSAL
        return None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Enforced here rather than by aiosmtpd's auth_required, which warns on every
        # connection without TLS; a client sees the same 530 (RFC 4954 section 6).
        if self.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self._refusal()
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._refusal()
        if refusal is not None:
            return refusal
        raw = envelope.original_content or envelope.content or b""
        auth_data = session.auth_data
        message = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=raw if isinstance(raw, bytes) else raw.encode(),
            received_at=datetime.now(UTC),
            login=auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None,
        )
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()
        return "250 2.0.0 Accepted by the test sink"


class SmtpSink:
    """aiosmtpd's `Controller` on a free loopback port, with optional AUTH and fault modes."""

    def __init__(
        self, *, auth: tuple[str, str] | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host = host
        self.port = port or free_port(host)  # a port of a stopped sink: "the server is back"
        self.auth = auth
        self._recorder = _Recorder(auth_required=auth is not None)
        options: dict[str, Any] = {}
        if auth is not None:
            # Plain-text AUTH on loopback (no TLS in tests); MAIL is refused until AUTH.
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(
            self._recorder, hostname=host, port=self.port, server_hostname="sink.test", **options
        )
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if not self._started:
            self._controller.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._controller.stop()
            self._started = False

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- fault modes -------------------------------------------------------------------------

    def accept(self) -> None:
        """Accept every recipient and message (the initial mode)."""
        self._recorder.mode = Mode.ACCEPT

    def refuse_temporarily(self) -> None:
        """Answer 451 to every RCPT and DATA, as a relay that is busy or greylisting."""
        self._recorder.mode = Mode.TEMPORARY

    def refuse_permanently(self) -> None:
        """Answer 550 to every RCPT and DATA, as a relay that rejects the mail for good."""
        self._recorder.mode = Mode.PERMANENT

    # -- what arrived ------------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of every message accepted so far, in arrival order."""
        with self._recorder.changed:
            return list(self._recorder.messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least `count` messages arrived; return them all or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._recorder.changed:
            while len(self._recorder.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"SMTP sink got {len(self._recorder.messages)} of {count} messages "
                        f"in {timeout} s"
                    )
                self._recorder.changed.wait(remaining)
            return list(self._recorder.messages)

    def clear(self) -> None:
        """Forget the messages recorded so far."""
        with self._recorder.changed:
            self._recorder.messages.clear()

    # -- AUTH --------------------------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        # A failure must say handled=False so aiosmtpd sends the 535 itself; otherwise the
        # client waits for an answer that never comes (shared/TESTING.md).
        if (
            self.auth is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode(errors="replace") == self.auth[0]
            and auth_data.password.decode(errors="replace") == self.auth[1]
        ):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
