"""``mailflow health``: ask the running daemon, or at least check the database.

With ``[monitor] listen`` set, the daemon's own ``/healthz`` knows the mailbox connections; a
daemon that does not answer is unhealthy. Without it, only the database checks can be made.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

from mailflow.config import Config
from mailflow.monitor.health import database_checks, verdict
from mailflow.store.db import make_engine


def probe(config: Config, timeout: float = 10.0) -> tuple[bool, list[str]]:
    """(healthy, one line per check)."""
    listen = config.monitor.listen
    if not listen:
        url = config.database_url()
        checks = database_checks(make_engine(url), url, datetime.now(UTC))
        ok, lines = verdict(checks)
        return ok, [*lines, "note: set [monitor] listen to include the mailbox connections"]
    try:
        with urllib.request.urlopen(f"http://{listen}/healthz", timeout=timeout) as reply:
            body = json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError) as exc:
        return False, [f"FAIL daemon: not answering on {listen} ({exc})"]
    return bool(body.get("healthy")), [str(line) for line in body.get("checks", [])]
