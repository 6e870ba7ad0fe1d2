"""OAuth2 access tokens for IMAP and SMTP logins (Microsoft 365 accepts no passwords for IMAP).

    settings.OAuth2Config      the ``oauth2`` table of a mailbox or of smtp; ``token_provider()``
    tokens.TokenProvider       caches a token, refreshes it five minutes before expiry
    entra.EntraTokenSource     Microsoft Entra ID client credentials, via msal
    command.CommandTokenSource any program printing a token
    sasl                       XOAUTH2 / OAUTHBEARER exchanges over aioimaplib and aiosmtplib
    errors.TokenError          no token could be had (one line, never the token)

Mail sources and the SMTP backend ask ``OAuth2Config.token_provider()`` for a token per login.
"""

from mailflow.auth.errors import TokenError
from mailflow.auth.settings import OAuth2Config
from mailflow.auth.tokens import Token, TokenProvider, TokenSource

__all__ = ["OAuth2Config", "Token", "TokenError", "TokenProvider", "TokenSource"]
