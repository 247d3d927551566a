"""Prometheus metrics in the text exposition format, without dependencies.

A request counter by method, route and status, and a latency histogram by
route; ``render()`` is what ``GET /metrics`` returns.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Thread-safe counters and histograms for the HTTP server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sum: dict[str, float] = defaultdict(float)
        self._count: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            counts = self._buckets[route]
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            self._sum[route] += seconds
            self._count[route] += 1

    def render(self) -> str:
        """Every metric in the Prometheus text format."""
        lines = [
            "# HELP http_requests_total HTTP requests served, by method, route and status.",
            "# TYPE http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), value in sorted(self._requests.items()):
                lines.append(
                    f'http_requests_total{{method="{method}",route="{route}",status="{status}"}} {value}'
                )
            lines += [
                "# HELP http_request_duration_seconds Time to serve an HTTP request, by route.",
                "# TYPE http_request_duration_seconds histogram",
            ]
            for route in sorted(self._count):
                for bound, count in zip(BUCKETS, self._buckets[route], strict=True):
                    lines.append(f'http_request_duration_seconds_bucket{{route="{route}",le="{bound}"}} {count}')
                lines.append(
                    f'http_request_duration_seconds_bucket{{route="{route}",le="+Inf"}} {self._count[route]}'
                )
                lines.append(f'http_request_duration_seconds_sum{{route="{route}"}} {self._sum[route]:.6f}')
                lines.append(f'http_request_duration_seconds_count{{route="{route}"}} {self._count[route]}')
        return "\n".join(lines) + "\n"
