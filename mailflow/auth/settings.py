"""The ``[mailbox.oauth2]`` and ``[smtp.oauth2]`` tables: where a login's access token comes from.

Two providers: ``entra`` (Microsoft Entra ID client credentials, for Microsoft 365) and
``command`` (any program that prints a token). The client secret is given inline, in a file or
in an environment variable, like passwords, and is a ``SecretStr`` so no log line shows it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from mailflow.auth.providers import make_provider
from mailflow.auth.tokens import TokenProvider
from mailflow.errors import ConfigError

OFFICE365_SCOPE = "https://outlook.office365.com/.default"


class _ProviderSlot:
    """Where settings keep the provider made from them; a cache, so any two slots are equal."""

    def __init__(self) -> None:
        self.provider: TokenProvider | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ProviderSlot)

    __hash__ = object.__hash__


class OAuth2Config(BaseModel):
    """How one login gets its OAuth2 access token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["entra", "command"]
    mechanism: Literal["xoauth2", "oauthbearer"] = "xoauth2"
    refresh_margin_seconds: int = Field(default=300, ge=0, le=3600)
    # provider = "entra": an app registration's client credentials in a tenant.
    tenant: str = ""
    client_id: str = ""
    client_secret: SecretStr | None = None
    client_secret_file: Path | None = None
    client_secret_env: str | None = None
    scope: str = OFFICE365_SCOPE
    authority_host: str = "https://login.microsoftonline.com"
    # provider = "command": a program printing a token (argv list, or one shell-quoted string).
    token_command: tuple[str, ...] = ()
    token_lifetime_seconds: int = Field(default=3600, ge=60)
    command_timeout_seconds: float = Field(default=30.0, gt=0)

    _slot: _ProviderSlot = PrivateAttr(default_factory=_ProviderSlot)

    @field_validator("token_command", mode="before")
    @classmethod
    def _split_command(cls, value: Any) -> Any:
        return tuple(shlex.split(value)) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _provider_settings_given(self) -> OAuth2Config:
        if self.provider == "entra":
            if not (self.tenant and self.client_id):
                raise ValueError('provider = "entra" needs tenant and client_id')
            sources = [self.client_secret, self.client_secret_file, self.client_secret_env]
            if len([s for s in sources if s]) != 1:
                raise ValueError(
                    "give exactly one of client_secret, client_secret_file, client_secret_env"
                )
        elif not self.token_command:
            raise ValueError('provider = "command" needs token_command')
        elif self.token_lifetime_seconds <= self.refresh_margin_seconds:
            raise ValueError("token_lifetime_seconds must exceed refresh_margin_seconds")
        return self

    def secret(self) -> str:
        """The client secret, read now (a file or variable may be rotated meanwhile)."""
        if self.client_secret is not None:
            return self.client_secret.get_secret_value()
        if self.client_secret_file is not None:
            try:
                return self.client_secret_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                where = str(self.client_secret_file)
                raise ConfigError(where, "", f"cannot read ({exc.strerror})") from None
        name = self.client_secret_env or ""
        value = os.environ.get(name)
        if value is None:
            raise ConfigError("environment", name, "variable is not set")
        return value

    def token_provider(self) -> TokenProvider:
        """The one provider for these settings: every connection made with them shares its
        cached token (mail sources are made afresh for each connection)."""
        if self._slot.provider is None:
            self._slot.provider = make_provider(self)
        return self._slot.provider
