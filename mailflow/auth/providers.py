"""The token provider a login's ``oauth2`` settings describe."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from mailflow.auth.command import CommandTokenSource
from mailflow.auth.entra import EntraTokenSource
from mailflow.auth.tokens import TokenProvider, TokenSource

if TYPE_CHECKING:  # settings.py imports this module
    from mailflow.auth.settings import OAuth2Config


def make_source(settings: OAuth2Config) -> TokenSource:
    """The source the settings name: Microsoft Entra ID or a command."""
    if settings.provider == "entra":
        return EntraTokenSource(
            tenant=settings.tenant,
            client_id=settings.client_id,
            secret=settings.secret,
            scope=settings.scope,
            authority_host=settings.authority_host,
        )
    return CommandTokenSource(
        settings.token_command,
        lifetime=timedelta(seconds=settings.token_lifetime_seconds),
        timeout=settings.command_timeout_seconds,
    )


def make_provider(settings: OAuth2Config) -> TokenProvider:
    """A caching provider over the settings' source, refreshing ``refresh_margin_seconds`` early."""
    margin = timedelta(seconds=settings.refresh_margin_seconds)
    return TokenProvider(make_source(settings), margin=margin)
