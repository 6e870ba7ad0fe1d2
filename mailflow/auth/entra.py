"""`EntraTokenSource`: Microsoft Entra ID (Microsoft 365) tokens by client credentials, via msal.

The app registration needs the ``IMAP.AccessAsApp`` and/or ``SMTP.SendAsApp`` application
permissions of Office 365 Exchange Online and a service principal granted access to each
mailbox; the scope is ``https://outlook.office365.com/.default`` for IMAP and SMTP alike.
msal is blocking, so it runs in a worker thread; its app (with its own token cache) is made on
the first fetch, and made again after a refusal, so a rotated client secret is read afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from mailflow.auth.errors import TokenError
from mailflow.auth.tokens import Token
from mailflow.errors import MailflowError

HTTP_TIMEOUT = 30.0


class EntraTokenSource:
    """Client-credentials tokens for one app registration in one tenant."""

    def __init__(
        self,
        *,
        tenant: str,
        client_id: str,
        secret: Callable[[], str],
        scope: str,
        authority_host: str,
        http_client: Any = None,
    ) -> None:
        self.authority = f"{authority_host.rstrip('/')}/{tenant}"
        self.client_id = client_id
        self.scope = scope
        self.describe = f"Entra ID {tenant}"
        self._secret = secret
        self._http_client = http_client
        self._app: Any = None

    async def fetch(self) -> Token:
        """A token from msal's cache or from the tenant's token endpoint."""
        return await asyncio.to_thread(self._fetch)

    def _fetch(self) -> Token:
        try:
            if self._app is None:
                self._app = self._make_app()
            answer: dict[str, Any] = self._app.acquire_token_for_client(scopes=[self.scope])
        except MailflowError as exc:  # the client secret's file or variable is unreadable
            raise TokenError(self.describe, str(exc)) from None
        except Exception as exc:  # msal and requests raise many kinds; each is one line here
            self._app = None
            text = str(exc).strip().splitlines()
            raise TokenError(
                self.describe, f"{type(exc).__name__}: {text[0] if text else 'no detail'}"
            ) from None
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            self._app = None
            error = answer.get("error", "no access_token")
            said = str(answer.get("error_description", "")).strip().splitlines()
            detail = f": {said[0]}" if said else ""
            raise TokenError(self.describe, f"refused the client credentials: {error}{detail}")
        return Token(value, timedelta(seconds=float(answer.get("expires_in", 3600))))

    def _make_app(self) -> Any:
        import msal  # type: ignore[import-untyped]  # slow to import: only when used

        options: dict[str, Any] = {"timeout": HTTP_TIMEOUT}
        if self._http_client is not None:
            options["http_client"] = self._http_client
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self._secret(),
            authority=self.authority,
            **options,
        )
