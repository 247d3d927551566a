"""A small client for Argo CD's REST API: read an Application, sync it at a revision.

Built on the standard library (``urllib``) so it adds no dependency. The bearer
token is sent to the configured server only; TLS is verified against the system
store or a CA bundle, never switched off, and plain ``http://`` is refused except
to a loopback address (a local port-forward). Server errors (5xx, 429), refused
connections and timeouts are retried with bounded exponential backoff; anything
else fails at once with Argo CD's own message and what to do about it.

The shapes read here are those of Argo CD's OpenAPI description
(``v1alpha1Application``: ``status.sync``, ``status.health``,
``status.operationState``, ``status.reconciledAt``, ``status.summary.images``).
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from idp_actions import __version__
from idp_actions.errors import IdpError, UsageError
from idp_actions.gitops.backoff import Backoff, Clock
from idp_actions.urls import token_url

API_BACKOFF = Backoff(attempts=5, base=1.0, cap=10.0)
REQUEST_TIMEOUT = 15.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"idp-actions/{__version__}"
IN_PROGRESS = "another operation is already in progress"


class ArgoCDError(IdpError):
    """Argo CD refused a request, or could not be reached within the retries."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp from Argo CD (``2026-01-02T03:04:05Z``) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


@dataclass(frozen=True, kw_only=True)
class OperationState:
    """The Application's last (or running) operation, as far as deciding needs it."""

    phase: str | None
    message: str | None
    started_at: datetime | None
    finished_at: datetime | None
    revision: str | None  # what the operation was asked to sync
    result_revision: str | None  # what it synced

    @property
    def identity(self) -> tuple[object, ...]:
        """What tells one operation from another."""
        return (self.started_at, self.finished_at, self.phase, self.revision, self.result_revision)


@dataclass(frozen=True, kw_only=True)
class AppStatus:
    """The parts of ``v1alpha1Application`` that promotion decides on."""

    name: str
    sync_status: str | None
    revision: str | None
    health: str | None
    health_message: str | None
    reconciled_at: datetime | None
    operation: OperationState | None
    images: tuple[str, ...] = ()
    target_revision: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> AppStatus:
        """Read an Application object; missing parts become None."""
        status = _get(data, "status") or {}
        state = status.get("operationState") if isinstance(status, dict) else None
        operation = None
        if isinstance(state, dict):
            operation = OperationState(
                phase=_get(state, "phase"),
                message=_get(state, "message"),
                started_at=parse_time(_get(state, "startedAt")),
                finished_at=parse_time(_get(state, "finishedAt")),
                revision=_get(state, "operation", "sync", "revision"),
                result_revision=_get(state, "syncResult", "revision"),
            )
        images = _get(status, "summary", "images")
        return cls(
            name=str(_get(data, "metadata", "name") or ""),
            sync_status=_get(status, "sync", "status"),
            revision=_get(status, "sync", "revision"),
            health=_get(status, "health", "status"),
            health_message=_get(status, "health", "message"),
            reconciled_at=parse_time(_get(status, "reconciledAt")),
            operation=operation,
            images=tuple(str(i) for i in images) if isinstance(images, list) else (),
            target_revision=_get(data, "spec", "source", "targetRevision"),
            raw=data if isinstance(data, dict) else {},
        )

    def describe(self) -> str:
        """One line for logs: sync, revision, health and the operation."""
        parts = [
            f"sync {self.sync_status or '?'}",
            f"at {self.revision[:12] if self.revision else '?'}",
            f"health {self.health or '?'}",
        ]
        if self.health_message:
            parts[-1] += f" ({self.health_message})"
        if self.operation is not None:
            parts.append(f"operation {self.operation.phase or '?'}")
        return ", ".join(parts)


def check_server(url: str) -> str:
    """``url`` without a trailing slash; plain HTTP only to loopback."""
    return token_url(
        url,
        what="Argo CD server",
        token="the Argo CD token",
        hint="set gitops.argocd.server (or --argocd-server / ARGOCD_SERVER) to e.g. https://argocd.example.com",
        http_hint="use the server's https:// URL (pass --argocd-ca-bundle for a private CA); "
        "plain http is allowed only to a loopback address such as a kubectl port-forward",
    )


class ArgoCD:
    """Argo CD's API server at ``server``, authenticated by a bearer ``token``."""

    def __init__(
        self,
        server: str,
        token: str,
        *,
        ca_bundle: str | None = None,
        timeout: float | None = None,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        app_namespace: str | None = None,
    ) -> None:
        if not token.strip():
            raise UsageError(
                "no Argo CD token: ARGOCD_AUTH_TOKEN is empty",
                hint="create a token for a project role or account allowed to get and sync the applications "
                "(`argocd account generate-token`) and pass it as the `argocd-token` secret",
            )
        self.server = check_server(server)
        self._token = token.strip()
        self.timeout = REQUEST_TIMEOUT if timeout is None else timeout
        self.backoff = API_BACKOFF if backoff is None else backoff
        self.clock = clock or Clock()
        self.app_namespace = app_namespace
        self.requests = 0  # every HTTP request made, retries included
        self._context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()

    def __repr__(self) -> str:
        return f"ArgoCD({self.server!r})"

    # --------------------------------------------------------------- API

    def application(self, name: str, *, refresh: str | None = None) -> AppStatus:
        """``GET /api/v1/applications/{name}``."""
        query: dict[str, str] = {}
        if refresh:
            query["refresh"] = refresh
        if self.app_namespace:
            query["appNamespace"] = self.app_namespace
        data = self._request("GET", f"/api/v1/applications/{quote(name, safe='')}", query=query, what=f"read `{name}`")
        return AppStatus.from_json(data)

    def sync(self, name: str, revision: str, *, prune: bool = False) -> AppStatus:
        """``POST /api/v1/applications/{name}/sync`` at ``revision``."""
        body: dict[str, Any] = {"name": name, "revision": revision, "prune": prune}
        if self.app_namespace:
            body["appNamespace"] = self.app_namespace
        data = self._request(
            "POST", f"/api/v1/applications/{quote(name, safe='')}/sync", body=body, what=f"sync `{name}`"
        )
        return AppStatus.from_json(data)

    def app_url(self, name: str) -> str:
        """The Application's page in Argo CD's web UI."""
        return f"{self.server}/applications/{quote(name, safe='')}"

    # ----------------------------------------------------------- transport

    def _request(
        self, method: str, path: str, *, what: str, query: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        url = self.server + path + (f"?{urlencode(query)}" if query else "")
        payload = None if body is None else json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        problem = ""
        for attempt in range(self.backoff.attempts):
            if attempt:
                self.clock.sleep(self.backoff.delay(attempt - 1, self.clock.rng))
            self.requests += 1
            request = urllib.request.Request(url, data=payload, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout, context=self._context) as response:
                    text = response.read().decode("utf-8", "replace")
                    return json.loads(text) if text.strip() else {}
            except urllib.error.HTTPError as exc:
                status = exc.code
                detail = _error_message(exc)
                if status in RETRY_STATUSES:
                    problem = f"HTTP {status}: {detail}"
                    continue
                raise self._refused(status, detail, what) from None
            except TimeoutError:
                problem = f"no answer within {self.timeout:g}s"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, ssl.SSLError):
                    raise ArgoCDError(
                        f"cannot {what}: TLS verification of {self.server} failed ({exc.reason})",
                        hint="pass the server's CA with --argocd-ca-bundle (input `argocd-ca-bundle`); "
                        "verification is never turned off",
                    ) from None
                problem = f"cannot connect ({exc.reason})"
            except ValueError as exc:  # a 200 that is not JSON: a proxy's page, not Argo CD
                raise ArgoCDError(f"cannot {what}: {self.server} did not answer with JSON ({exc})") from None
        raise ArgoCDError(
            f"cannot {what}: Argo CD at {self.server} failed {self.backoff.attempts} times; last: {problem}",
            hint="check that the server is up and reachable from the runner; the promotion was not verified",
        )

    def _refused(self, status: int, detail: str, what: str) -> ArgoCDError:
        hints = {
            401: "the Argo CD token is missing, invalid or expired: renew the `argocd-token` secret",
            403: "the token's role may not do this (it needs `applications, get` and `applications, sync` on the "
            "project), or the Application does not exist",
            404: "no such Application: check `argocd-app` of the environment in .github/idp.yaml",
        }
        return ArgoCDError(f"cannot {what}: Argo CD answered {status}: {detail}", status=status, hint=hints.get(status))


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read().decode("utf-8", "replace")
    except OSError:
        return exc.reason if isinstance(exc.reason, str) else "no details"
    try:
        data = json.loads(raw)
    except ValueError:  # a proxy's page: its words without the markup
        text = " ".join(re.sub(r"<[^>]*>", " ", raw).split())
        return text[:200] or str(exc.reason)
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or raw)[:500]
    return raw[:200]
