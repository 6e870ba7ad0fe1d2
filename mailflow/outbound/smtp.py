"""``SmtpBackend``: sends through the council's submission server with aiosmtplib.

One connection per round of the outbox worker: the first mail opens it, the next ones reuse
it, and ``close`` (the worker calls it at the end of each round) says QUIT. After any failure
the connection is dropped, so the next mail starts on a fresh one and is never sent over a
connection the last failure left half-broken. Security is the config's: ``tls`` (implicit
TLS, port 465), ``starttls`` (required, never opportunistic: a server that does not offer it
is an error) or ``none`` (loopback relays only); AUTH when a user is configured, with
XOAUTH2 and the provider's token when ``auth = "oauth2"``.

aiosmtplib's errors become mailflow's at this boundary (RFC 5321 section 4.2.1): a 5yz reply
is permanent; a 4yz reply, a refused or lost connection, a timeout and a refused login are
temporary (the mail is not at fault; a person fixes the server or the password and the next
attempt goes through). Messages are one line and never hold the password.
"""

from __future__ import annotations

import logging
import ssl

import aiosmtplib

from mailflow.auth import TokenError, TokenProvider
from mailflow.auth.sasl import smtp_xoauth2
from mailflow.config import SmtpConfig
from mailflow.errors import (
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from mailflow.outbound.backends import MailBackend, OutgoingMail

log = logging.getLogger(__name__)


class SmtpBackend(MailBackend):
    """Mail submitted to the server in ``SmtpConfig``."""

    name = "smtp"

    def __init__(
        self,
        cfg: SmtpConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self._cfg = cfg
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        self.where = f"SMTP {cfg.host}:{cfg.port}"
        oauth2 = cfg.oauth2 if cfg.auth == "oauth2" else None
        self._tokens = oauth2.token_provider() if oauth2 is not None else None
        self._open: aiosmtplib.SMTP | None = None

    def _client(self) -> aiosmtplib.SMTP:
        cfg = self._cfg
        try:
            password = cfg.secret() if cfg.user and self._tokens is None else None
        except ConfigError as exc:
            raise TemporaryDeliveryError(f"{self.where}: cannot read the password: {exc}") from None
        return aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            username=cfg.user if password is not None else None,
            password=password,
            use_tls=cfg.security == "tls",
            start_tls=cfg.security == "starttls",
            timeout=cfg.timeout_seconds,
            tls_context=self._tls_context,
            local_hostname=self._local_hostname,
        )

    async def deliver(self, mail: OutgoingMail) -> None:
        """Send ``mail`` over the open connection, connecting (and logging in) first if none."""
        try:
            client = self._open
            if client is None or not client.is_connected:  # none yet, or the server hung up
                await self._drop()
                client = self._open = await self._connect()
            refused, _ = await client.sendmail(mail.mail_from, list(mail.recipients), mail.data)
        except TokenError as exc:
            await self._drop()
            raise TemporaryDeliveryError(f"{self.where}: {exc}") from None
        except aiosmtplib.SMTPException as exc:
            await self._drop()
            raise self.translate(exc) from None
        except OSError as exc:  # ssl.SSLError and socket errors aiosmtplib lets through
            await self._drop()
            raise TemporaryDeliveryError(f"{self.where}: {_first_line(exc)}") from None
        except BaseException:
            await self._drop()
            raise
        for address, reply in refused.items():
            # Some recipients took it: the mail went; the rest are reported, not retried.
            log.warning("%s refused %s for %s: %s", self.where, address, mail.message_id, reply)

    async def _connect(self) -> aiosmtplib.SMTP:
        """A new connection: connected, secured and logged in."""
        client = self._client()
        try:
            await client.connect()
            if self._tokens is not None:
                await self._token_login(client, self._tokens)
        except BaseException:
            client.close()
            raise
        return client

    async def close(self) -> None:
        """QUIT the open connection, if there is one; the next mail opens a new one."""
        client, self._open = self._open, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            pass  # the server went away first: nothing left to close politely
        finally:
            client.close()

    async def _drop(self) -> None:
        """Forget the connection without QUIT (it failed): the next mail reconnects."""
        client, self._open = self._open, None
        if client is not None:
            client.close()

    async def _token_login(self, client: aiosmtplib.SMTP, tokens: TokenProvider) -> None:
        """AUTH XOAUTH2 with the provider's token; a refused token is forgotten."""
        try:
            await smtp_xoauth2(client, self._cfg.user, tokens.token)
        except aiosmtplib.SMTPAuthenticationError:
            tokens.forget()
            raise

    def translate(self, exc: aiosmtplib.SMTPException) -> DeliveryError:
        """The mailflow error for an aiosmtplib error (see the module docstring)."""
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            codes = [r.code for r in exc.recipients]
            text = "; ".join(
                f"{r.recipient}: {r.code} {_first_line(r.message)}" for r in exc.recipients
            )
            permanent = bool(codes) and all(code >= 500 for code in codes)
            return _error(permanent, f"{self.where}: recipients refused: {text}")
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return TemporaryDeliveryError(f"{self.where}: login refused: {exc.code}")
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            message = f"{self.where}: {exc.code} {_first_line(exc.message)}"
            return _error(exc.code >= 500, message)
        return TemporaryDeliveryError(f"{self.where}: {_first_line(exc)}")


def _error(permanent: bool, message: str) -> DeliveryError:
    return PermanentDeliveryError(message) if permanent else TemporaryDeliveryError(message)


def _first_line(value: object) -> str:
    """The first non-empty line of an error or reply, shortened for a log line."""
    text = str(value).strip() or type(value).__name__
    return text.splitlines()[0][:300]
