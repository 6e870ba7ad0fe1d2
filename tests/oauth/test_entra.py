"""Microsoft Entra ID client credentials through the real msal, over a fake HTTP transport."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mailflow.auth import TokenError
from mailflow.auth.entra import EntraTokenSource
from mailflow.auth.settings import OAuth2Config
from mailflow.config import MailboxConfig

TENANT = "stafford.onmicrosoft.com"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
TOKEN_URL = f"{AUTHORITY}/oauth2/v2.0/token"
SECRET = "client-secret-value"


class Reply:
    """What msal reads of an HTTP response."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status_code = status
        self.text = json.dumps(body)
        self.headers: dict[str, str] = {}

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class FakeEntra:
    """msal's ``http_client``: the tenant's discovery document and token endpoint."""

    def __init__(self, token_reply: Reply) -> None:
        self.token_reply = token_reply
        self.posted: list[dict[str, Any]] = []
        self.got: list[str] = []

    def get(self, url: str, **_: Any) -> Reply:
        self.got.append(url)
        if not url.endswith("/.well-known/openid-configuration"):
            # msal's instance discovery, which it asks about after a refusal.
            discovery = f"{AUTHORITY}/v2.0/.well-known/openid-configuration"
            return Reply(200, {"tenant_discovery_endpoint": discovery, "metadata": []})
        return Reply(
            200,
            {
                "token_endpoint": TOKEN_URL,
                "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
                "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            },
        )

    def post(self, url: str, data: dict[str, Any] | None = None, **_: Any) -> Reply:
        assert url == TOKEN_URL
        self.posted.append(dict(data or {}))
        return self.token_reply

    def close(self) -> None:
        pass


def source(http: FakeEntra) -> EntraTokenSource:
    """A source for the test tenant, its secret read as configured."""
    return EntraTokenSource(
        tenant=TENANT,
        client_id="0f1e2d3c-app",
        secret=lambda: SECRET,
        scope="https://outlook.office365.com/.default",
        authority_host="https://login.microsoftonline.com",
        http_client=http,
    )


async def test_client_credentials_give_a_token_for_the_office365_scope() -> None:
    """msal posts a client_credentials grant for the Office 365 scope; its expires_in counts."""
    http = FakeEntra(
        Reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "ey.J"})
    )
    token = await source(http).fetch()
    assert (token.value, token.lifetime) == ("ey.J", timedelta(seconds=3599))
    [grant] = http.posted
    assert grant["grant_type"] == "client_credentials"
    assert grant["scope"] == "https://outlook.office365.com/.default"
    assert (grant["client_id"], grant["client_secret"]) == ("0f1e2d3c-app", SECRET)


async def test_a_refusal_names_the_entra_error_but_not_the_secret() -> None:
    """A wrong client secret gives a one-line TokenError with Entra's code, never the secret."""
    description = "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\n"
    http = FakeEntra(Reply(401, {"error": "invalid_client", "error_description": description}))
    with pytest.raises(TokenError) as refused:
        await source(http).fetch()
    assert str(refused.value) == (
        f"Entra ID {TENANT}: refused the client credentials: invalid_client: "
        "AADSTS7000215: Invalid client secret provided."
    )
    assert SECRET not in str(refused.value)


def test_microsoft_365_settings_make_an_entra_provider(tmp_path: Path) -> None:
    """The documented Microsoft 365 mailbox settings load and wire an Entra ID source."""
    secret = tmp_path / "entra-secret"
    secret.write_text(SECRET + "\n")
    cfg = MailboxConfig.model_validate(
        {
            "name": "complaints",
            "address": "complaints@stafford.gov.uk",
            "host": "outlook.office365.com",
            "user": "complaints@stafford.gov.uk",
            "auth": "oauth2",
            "oauth2": {
                "provider": "entra",
                "tenant": TENANT,
                "client_id": "0f1e2d3c-app",
                "client_secret_file": str(secret),
            },
        }
    )
    assert cfg.oauth2 is not None
    provider = cfg.oauth2.token_provider()
    assert provider is cfg.oauth2.token_provider()
    entra = provider.source
    assert isinstance(entra, EntraTokenSource)
    assert (entra.authority, entra.scope) == (AUTHORITY, "https://outlook.office365.com/.default")
    assert cfg.oauth2.secret() == SECRET
    assert SECRET not in repr(cfg)


async def test_an_unreadable_secret_file_is_named_in_the_error(tmp_path: Path) -> None:
    """A client_secret_file that cannot be read fails the fetch naming the file."""
    missing = tmp_path / "no-such-secret"
    settings = OAuth2Config(
        provider="entra", tenant=TENANT, client_id="c", client_secret_file=missing
    )
    entra = EntraTokenSource(
        tenant=TENANT,
        client_id="0f1e2d3c-app",
        secret=settings.secret,
        scope="https://outlook.office365.com/.default",
        authority_host="https://login.microsoftonline.com",
        http_client=FakeEntra(Reply(200, {})),
    )
    with pytest.raises(TokenError) as failed:
        await entra.fetch()
    assert str(failed.value) == (
        f"Entra ID {TENANT}: {missing}: cannot read (No such file or directory)"
    )
