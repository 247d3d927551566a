"""The HTTP service: health, readiness, metrics and the service's own routes.

``GET /healthz`` answers 200 while the process can serve at all (the liveness
probe); ``GET /readyz`` answers 200 only while the service wants traffic (the
readiness probe: false before start-up completes and from the moment shutdown
begins); ``GET /metrics`` is scraped by Prometheus. Every request is logged as
one JSON line with its method, route, status and duration.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)
access = logging.getLogger(f"{__package__}.access")


@dataclass
class Service:
    """The service's state, shared by every request."""

    name: str
    version: str
    ready: bool = False
    metrics: Metrics = field(default_factory=Metrics)

    def route(self, path: str) -> tuple[HTTPStatus, dict[str, Any]] | None:
        """The answer for ``GET path`` (None: not a route of this service)."""
        if path == "/healthz":
            return HTTPStatus.OK, {"status": "ok"}
        if path == "/readyz":
            if self.ready:
                return HTTPStatus.OK, {"status": "ready"}
            return HTTPStatus.SERVICE_UNAVAILABLE, {"status": "not ready"}
        if path == "/":
            return HTTPStatus.OK, {"service": self.name, "version": self.version}
        return None


class Handler(BaseHTTPRequestHandler):
    """Serves one request; ``service`` is set on the subclass :func:`make_server` makes."""

    service: Service
    server_version = "service"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """Answer a GET request.

        The request is counted and logged before the answer is sent, so a client that
        has its answer also finds it in the metrics and the log.
        """
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            status, route = HTTPStatus.OK, "/metrics"
            body, content_type = self.service.metrics.render().encode(), CONTENT_TYPE
        else:
            answer = self.service.route(path)
            route = path if answer is not None else "unmatched"
            status, data = answer or (HTTPStatus.NOT_FOUND, {"error": "not found"})
            body, content_type = json.dumps(data).encode(), "application/json"
        elapsed = time.perf_counter() - started
        self.service.metrics.observe("GET", route, int(status), elapsed)
        access.info(
            "request",
            extra={"http.method": "GET", "url.path": path, "http.status": int(status),
                   "duration_ms": round(elapsed * 1000, 3)},
        )
        self._send(status, body, content_type)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Silence http.server's own stderr lines: requests are logged as JSON above."""


def make_server(service: Service, *, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A threaded HTTP server for ``service`` (port 0 picks a free port)."""
    handler = type("ServiceHandler", (Handler,), {"service": service})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
