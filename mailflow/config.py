"""The daemon's configuration file (TOML): rules, database, mailboxes, SMTP, limits, logging.

Typed with pydantic so a mistake is reported as ``mailflow.toml: mailbox[0].port: ...`` on
one line. Passwords may be given inline, in a file or in an environment variable; they are
``SecretStr`` so they never appear in a log line or an error message.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from mailflow.auth.settings import OAuth2Config
from mailflow.errors import ConfigError
from mailflow.policy.loader import dotted

if TYPE_CHECKING:
    from mailflow.store.blobs import BlobStore

Security = Literal["tls", "starttls", "none"]


class Strict(BaseModel):
    """Unknown keys are errors; loaded settings never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Credentials(Strict):
    """A login whose password comes from one of three places (never logged), or, with
    ``auth = "oauth2"``, whose OAuth2 token comes from the ``oauth2`` table's provider."""

    user: str = ""
    password: SecretStr | None = None
    password_file: Path | None = None
    password_env: str | None = None
    auth: Literal["password", "oauth2"] = "password"
    oauth2: OAuth2Config | None = None

    @model_validator(mode="after")
    def _oauth2_settings_given(self) -> Credentials:
        if self.auth == "oauth2" and (self.oauth2 is None or not self.user):
            raise ValueError('auth = "oauth2" needs user and an oauth2 table')
        if self.auth == "oauth2" and (self.password or self.password_file or self.password_env):
            raise ValueError('auth = "oauth2" takes no password')
        return self

    @model_validator(mode="after")
    def _one_password_source(self) -> Credentials:
        given = [x for x in (self.password, self.password_file, self.password_env) if x]
        if len(given) > 1:
            raise ValueError("give only one of password, password_file, password_env")
        return self

    def secret(self) -> str:
        """The password, read now (a file or variable may be rotated between connections)."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    str(self.password_file), "", f"cannot read ({exc.strerror})"
                ) from None
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError("environment", self.password_env, "variable is not set")
            return value
        return ""


class Folders(Strict):
    """Where processed mail is filed, so an officer opening the mailbox sees what happened."""

    processed: str = "Processed"
    automatic: str = "Automatic"
    quarantine: str = "Quarantine"
    sent: str = "Sent"


class MailboxConfig(Credentials):
    """One shared mailbox mailflow watches (and whose Sent folder it appends to)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    address: str
    host: str = "127.0.0.1"
    port: int = Field(default=993, ge=1, le=65535)
    security: Security = "tls"
    folder: str = "INBOX"
    idle: bool = True
    idle_seconds: int = Field(default=600, ge=10, le=1500)  # re-issue well inside 29 min
    poll_seconds: int = Field(default=60, ge=1)
    folders: Folders = Folders()


class SmtpConfig(Credentials):
    """The submission server mailflow sends through."""

    host: str = "127.0.0.1"
    port: int = Field(default=587, ge=1, le=65535)
    security: Security = "starttls"
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _smtp_oauth2_is_xoauth2(self) -> SmtpConfig:
        if self.oauth2 is not None and self.oauth2.mechanism != "xoauth2":
            raise ValueError("SMTP logs in with XOAUTH2 only: leave oauth2.mechanism unset")
        return self


class Limits(Strict):
    """Bounds on what one inbound message may cost to parse (TESTING.md: email has none)."""

    max_message_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_parts: int = Field(default=1000, ge=1)
    max_depth: int = Field(default=30, ge=1)
    attachment_cap_bytes: int = Field(default=25 * 1024 * 1024, ge=0)


class LogConfig(Strict):
    """Structured logs: one line per event, the case reference on every line."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class MonitorConfig(Strict):
    """The optional HTTP listener for /healthz and /metrics (off when ``listen`` is empty)."""

    listen: str = Field(default="", pattern=r"^$|^[^\s:]*:\d{1,5}$")


class Config(Strict):
    """The whole ``mailflow.toml``."""

    rules: str
    database: str = ""
    data_dir: Path = Path("/var/lib/mailflow")
    secret: SecretStr | None = None
    secret_file: Path | None = None
    # Encrypt stored raw messages, attachments and letters (AES-256-GCM) with the base64 key in
    # the environment variable named here; empty: stored plain (still 0600 files, 0700 dirs).
    blob_key_env: str = Field(default="", pattern=r"^$|^[A-Za-z_][A-Za-z0-9_]*$")
    # How long a daemon's claim on a mailbox or on an outgoing mail outlives it: another daemon
    # (or this one, restarted) takes it over this long after the holder died. Keep it above
    # smtp.timeout_seconds, or a slow send could be claimed twice.
    lease_seconds: int = Field(default=60, ge=3, le=3600)
    mailbox: list[MailboxConfig] = Field(default_factory=list)
    smtp: SmtpConfig = SmtpConfig()
    limits: Limits = Limits()
    log: LogConfig = LogConfig()
    monitor: MonitorConfig = MonitorConfig()

    def database_url(self) -> str:
        """The database URL; SQLite under the data directory when none is given."""
        return self.database or f"sqlite:///{self.data_dir / 'mailflow.db'}"

    def blob_store(self) -> BlobStore:
        """The store of raw messages, attachments and letters, encrypting if a key is named."""
        from mailflow.store.blobs import BlobStore, load_blob_key

        key = load_blob_key(self.blob_key_env) if self.blob_key_env else None
        return BlobStore(self.data_dir / "blobs", key=key, key_name=self.blob_key_env)

    def hmac_key(self) -> bytes:
        """The key that signs officers' reply addresses; required once officers reply."""
        if self.secret is not None:
            return self.secret.get_secret_value().encode()
        if self.secret_file is not None:
            try:
                return self.secret_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError(
                    str(self.secret_file), "", f"cannot read ({exc.strerror})"
                ) from None
        raise ConfigError("config", "secret", "set secret or secret_file (signs reply addresses)")


def load_config(path: Path) -> Config:
    """Read and validate a config file; every failure is one line naming file and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "", "no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"cannot be read ({exc})") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        problem = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
        raise ConfigError(str(path), dotted(err["loc"]), problem) from None
