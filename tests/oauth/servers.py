"""An OAuth2 token introspection endpoint (RFC 7662) and a Dovecot that validates tokens there.

    with IntrospectionServer() as endpoint:
        endpoint.issue("token-1", "complaints@council.test")
        dovecot = OAuth2Dovecot(endpoint.url, users={...})   # XOAUTH2 and OAUTHBEARER logins

Dovecot's oauth2 passdb (2.3) POSTs ``token=...`` to the endpoint for each XOAUTH2 or
OAUTHBEARER login and accepts the login when the answer is active for that user; password
logins still go to the passwd-file passdb, so the helpers that seed mail keep working.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from tests.servers.dovecot import Dovecot


class IntrospectionServer:
    """A tiny HTTP introspection endpoint on loopback, in a thread; knows issued tokens only."""

    def __init__(self) -> None:
        self.active: dict[str, str] = {}
        self.asked: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/introspect"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def issue(self, token: str, user: str) -> None:
        """Make ``token`` valid for ``user``."""
        with self._lock:
            self.active[token] = user

    def revoke(self, token: str) -> None:
        """Make ``token`` invalid (expired or revoked)."""
        with self._lock:
            self.active.pop(token, None)

    def answer(self, token: str) -> dict[str, Any]:
        """The introspection answer for ``token`` (RFC 7662 section 2.2)."""
        with self._lock:
            self.asked.append(token)
            user = self.active.get(token)
        return {"active": True, "username": user} if user else {"active": False}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
                body = json.dumps(endpoint.answer(form.get("token", [""])[0])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> IntrospectionServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class OAuth2Dovecot(Dovecot):
    """`Dovecot` also taking XOAUTH2 and OAUTHBEARER logins, checked at ``introspection_url``."""

    def __init__(self, introspection_url: str, **kwargs: Any) -> None:
        self.introspection_url = introspection_url
        super().__init__(**kwargs)

    def _config(self) -> str:
        ext = self.root / "dovecot-oauth2.conf.ext"
        ext.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.introspection_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )
        # A later auth_mechanisms replaces the first; a second passdb is tried after the first.
        return super()._config() + (
            "auth_mechanisms = plain login xoauth2 oauthbearer\n"
            "passdb {\n"
            "  driver = oauth2\n"
            "  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {ext}\n"
            "}\n"
        )
