"""The one exception tree of mailflow; library errors are translated into these at the boundary.

    MailflowError                 every error mailflow raises on purpose
    ├── ConfigError               a config or rules file is unusable (file, key path, problem)
    │   └── RulesError            a rules file fails to load or validate
    ├── CalendarError             a date cannot be placed on a working-day calendar
    ├── PolicyError               the policy has no answer for the request (no such stage, kind)
    ├── StoreError                the database refused or is unreachable
    │   └── NotFound              a reference or id names nothing
    ├── MailError                 a message could not be parsed or composed
    │   └── MessageTooLarge       a message exceeds the configured limits (size, parts, depth)
    └── DeliveryError             a mail server refused or failed
        ├── TemporaryDeliveryError    retry later (4xx, connection lost)
        └── PermanentDeliveryError    give up and tell a person (5xx)

Every message is one line that says what went wrong and where, because administrators read
these in a terminal or a log, and the CLI prints exactly ``str(error)``.
"""

from __future__ import annotations


class MailflowError(Exception):
    """Base of every error mailflow raises on purpose."""


class ConfigError(MailflowError):
    """A configuration file is unusable; the message names the file, the key path and why."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {problem}")


class RulesError(ConfigError):
    """A council rules file fails to load or validate."""


class CalendarError(MailflowError):
    """A date or instant cannot be placed on a working-day calendar."""


class PolicyError(MailflowError):
    """A request the council's policy cannot answer, such as a stage the procedure lacks."""


class StoreError(MailflowError):
    """The database refused an operation or could not be reached."""


class NotFound(StoreError):
    """A reference or id names no record."""


class MailError(MailflowError):
    """A message could not be parsed or composed."""


class MessageTooLarge(MailError):
    """A message exceeds the configured limits on size, part count or nesting depth."""


class DeliveryError(MailflowError):
    """A mail server refused a message or could not be reached."""


class TemporaryDeliveryError(DeliveryError):
    """Delivery failed in a way worth retrying later (4xx reply, connection lost)."""


class PermanentDeliveryError(DeliveryError):
    """Delivery failed for good (5xx reply); a person must be told."""
