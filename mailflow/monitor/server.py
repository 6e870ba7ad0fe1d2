"""The optional HTTP listener: ``/healthz`` (200 or 503, JSON) and ``/metrics`` (Prometheus).

A stdlib WSGI server in a daemon thread: scrapes and health probes never wait on the asyncio
loop that handles mail, and the loop never waits on them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from mailflow.monitor.health import Check, verdict

Start = Callable[[str, list[tuple[str, str]]], Any]


class Quiet(WSGIRequestHandler):
    """No access log on stderr: probes every few seconds would drown the daemon's own log."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def app(
    registry: CollectorRegistry, checks: Callable[[], list[Check]]
) -> Callable[..., Iterable[bytes]]:
    """The WSGI application serving both paths."""

    def wsgi(environ: dict[str, Any], start: Start) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(registry)]
        if path == "/healthz":
            ok, lines = verdict(checks())
            body = json.dumps({"healthy": ok, "checks": lines}).encode()
            start(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json")],
            )
            return [body]
        start("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /healthz or /metrics\n"]

    return wsgi


def serve(
    listen: str, registry: CollectorRegistry, checks: Callable[[], list[Check]]
) -> WSGIServer:
    """Start the listener on ``host:port`` in a daemon thread; returns the server to shut down."""
    host, _, port = listen.rpartition(":")
    server = make_server(host or "127.0.0.1", int(port), app(registry, checks), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="mailflow-monitor", daemon=True).start()
    return server
