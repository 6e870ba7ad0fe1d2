"""Real servers for tests and benchmarks: a private Dovecot, an SMTP sink, a PostgreSQL probe.

Each helper works on its own (benchmark scripts use them directly) and through the pytest
fixtures in `tests.servers.fixtures`:

    Dovecot(users={...}) .start() .stop() .restart() .cleanup()   IMAP + LMTP on loopback
    SmtpSink(auth=(user, password)) .start() .wait_for(n) .stop()   aiosmtpd in a thread
    postgres_available(url)                                        does PostgreSQL answer?

Errors: `ServerUnavailable` (the software is missing or cannot start) is the one the
fixtures turn into a skip, or into a failure when CI=true.
"""

from tests.servers.dovecot import Dovecot, DovecotUnavailable
from tests.servers.errors import ServerUnavailable
from tests.servers.postgres import postgres_available
from tests.servers.smtp import ReceivedMessage, SmtpSink

__all__ = [
    "Dovecot",
    "DovecotUnavailable",
    "ReceivedMessage",
    "ServerUnavailable",
    "SmtpSink",
    "postgres_available",
]
