"""A stateful fake of Argo CD's API server on 127.0.0.1, for integration tests.

It reconciles for real against a local bare git repository: a sync resolves the
requested revision with git, reads the overlay at that revision and reports the
image digest it pins in ``status.summary.images``, as Argo CD does for what it
deployed. How the rollout then goes is scripted per digest (or per Application)
with :attr:`FakeArgoCD.behaviour`:

``healthy``                 Running → Succeeded (Progressing) → Healthy
``degraded``                … → Degraded (progress deadline exceeded)
``stuck``                   … → Progressing forever
``missing`` / ``unknown``   … → Missing / Unknown forever
``wrong-revision``          the operation syncs another commit than asked
``healthy-before-reconcile``  Succeeded and *Healthy* with a stale ``reconciledAt``
                            for two looks, then reconciles to Degraded
``sync-failed``             the operation ends Failed

Each ``GET`` of an Application moves its script one step, so tests are
deterministic and need no sleeping. Responses are validated against Argo CD's
swagger.json after each test (:mod:`tests.fakes.argocd_openapi`). Faults:
:meth:`FakeArgoCD.inject` (``server-error`` 503 JSON, ``bad-gateway`` 502 HTML
from a proxy, ``slow`` answers after ``delay`` seconds).
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

TOKEN = "argocd-test-token-0000"
_DIGEST = re.compile(r"digest:\s*[\"']?(sha256:[0-9a-f]{64})")
_IMAGE = re.compile(r"-\s*name:\s*[\"']?([^\s\"'#]+)")

Behaviour = Literal[
    "healthy", "degraded", "stuck", "missing", "unknown", "wrong-revision", "healthy-before-reconcile", "sync-failed"
]
FaultKind = Literal["server-error", "bad-gateway", "slow"]


def utc_now() -> datetime:
    """Now, at Argo CD's one-second resolution."""
    return datetime.now(UTC).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    """``metav1.Time`` as JSON: RFC 3339 in UTC with ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An error answer in grpc-gateway's shape (``runtimeError``)."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, "code": code, "message": message}


@dataclass
class Operation:
    """``status.operationState``."""

    revision: str
    phase: str
    started_at: datetime
    message: str = ""
    finished_at: datetime | None = None
    result_revision: str | None = None


@dataclass
class FakeApp:
    """One Application and its live state."""

    name: str
    path: str
    repo_url: str
    target_revision: str
    namespace: str
    created_at: datetime
    revision: str
    sync_status: str = "Synced"
    health: str = "Healthy"
    health_message: str | None = None
    reconciled_at: datetime | None = None
    operation: Operation | None = None
    running: bool = False
    steps: list[Callable[[FakeApp, datetime], None]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    generation: int = 1


@dataclass(frozen=True)
class Exchange:
    """One recorded request and the answer."""

    method: str
    path: str
    template: str | None
    query: dict[str, str]
    request_body: Any
    status: int
    body: Any
    fault: FaultKind | None = None


@dataclass
class Fault:
    """The next ``remaining`` matching requests answer with ``kind``."""

    kind: FaultKind
    method: str | None
    route: str | None
    remaining: int
    delay: float


GET_APP = "/api/v1/applications/{name}"
SYNC_APP = "/api/v1/applications/{name}/sync"


class FakeArgoCD:
    """The fake server; use as a context manager. ``git_dir`` is the bare GitOps repository."""

    token = TOKEN

    def __init__(
        self, git_dir: Path, *, clock: Callable[[], datetime] = utc_now, tls: tuple[Path, Path] | None = None
    ) -> None:
        self.git_dir = git_dir
        self.tls = tls  # (certificate chain, key): serve https
        self.clock = clock
        self.apps: dict[str, FakeApp] = {}
        self.behaviour: dict[str, Behaviour] = {}  # digest -> behaviour
        self.app_behaviour: dict[str, Behaviour] = {}  # application -> behaviour (wins)
        self.exchanges: list[Exchange] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------- lifecycle

    def __enter__(self) -> FakeArgoCD:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-argocd", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` when serving TLS)."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    # ------------------------------------------------------------- state

    def add_app(self, name: str, *, path: str, target_revision: str = "main", health: str = "Healthy") -> FakeApp:
        """An Application of ``path`` in the GitOps repository, synced to the branch tip and ``health``."""
        with self.lock:
            revision = self._resolve(target_revision)
            app = FakeApp(
                name=name,
                path=path,
                repo_url=str(self.git_dir),
                target_revision=target_revision,
                namespace="argocd",
                created_at=self.clock(),
                revision=revision,
                health=health,
                reconciled_at=self.clock(),
            )
            app.images = self._images(revision, path)
            self.apps[name] = app
            return app

    def inject(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        route: str | None = None,
        times: int = 1,
        delay: float = 1.0,
    ) -> Fault:
        """Make the next ``times`` matching requests fail with ``kind``."""
        fault = Fault(kind, method, route, times, delay)
        with self.lock:
            self.faults.append(fault)
        return fault

    def calls(self, method: str | None = None, route: str | None = None) -> list[Exchange]:
        """Recorded exchanges, optionally filtered."""
        with self.lock:
            return [
                e
                for e in self.exchanges
                if (method is None or e.method == method) and (route is None or e.template == route)
            ]

    def count(self, method: str | None = None, route: str | None = None) -> int:
        """How many requests matched."""
        return len(self.calls(method, route))

    # --------------------------------------------------------------- git

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=self.git_dir,
            capture_output=True,
            text=True,
            check=False,
            env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.git_dir), "PATH": "/usr/bin:/bin:/usr/local/bin"},
        )

    def _resolve(self, revision: str) -> str:
        done = self._git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        if done.returncode != 0:
            raise ApiError(
                400, 3, f"rpc error: code = InvalidArgument desc = unable to resolve '{revision}' to a commit SHA"
            )
        return done.stdout.strip()

    def _overlay(self, revision: str, path: str) -> str:
        for name in ("kustomization.yaml", "kustomization.yml"):
            done = self._git("show", f"{revision}:{path}/{name}")
            if done.returncode == 0:
                return done.stdout
        return ""

    def digest_at(self, revision: str, path: str) -> str | None:
        """The digest the overlay at ``revision`` pins."""
        found = _DIGEST.search(self._overlay(revision, path))
        return found.group(1) if found else None

    def _images(self, revision: str, path: str) -> list[str]:
        text = self._overlay(revision, path)
        name, digest = _IMAGE.search(text), _DIGEST.search(text)
        return [f"{name.group(1)}@{digest.group(1)}"] if name and digest else []

    def _root_commit(self) -> str:
        return self._git("rev-list", "--max-parents=0", "HEAD").stdout.split()[0]

    # ------------------------------------------------------------ routes

    def get_app(self, name: str, query: dict[str, str]) -> tuple[int, Any]:
        app = self._app(name)
        if app.steps:
            app.steps.pop(0)(app, self.clock())
        return 200, self._payload(app)

    def sync_app(self, name: str, body: Any) -> tuple[int, Any]:
        app = self._app(name)
        if not isinstance(body, dict):
            raise ApiError(400, 3, "invalid request body")
        if app.running:
            raise ApiError(400, 9, "another operation is already in progress")
        requested = str(body.get("revision") or app.target_revision)
        resolved = self._resolve(requested)
        digest = self.digest_at(resolved, app.path)
        behaviour = self.app_behaviour.get(name) or self.behaviour.get(digest or "", "healthy")
        now = self.clock()
        app.operation = Operation(revision=requested, phase="Running", started_at=now, message="syncing")
        app.running = True
        app.sync_status = "OutOfSync"
        app.steps = self._script(behaviour, resolved)
        return 200, self._payload(app)

    def _app(self, name: str) -> FakeApp:
        app = self.apps.get(name)
        if app is None:
            raise ApiError(404, 5, f'applications.argoproj.io "{name}" not found')
        return app

    # ----------------------------------------------------------- scripts

    def _script(self, behaviour: Behaviour, resolved: str) -> list[Callable[[FakeApp, datetime], None]]:
        def finish(result: str, phase: str = "Succeeded", message: str = "successfully synced (all tasks run)"):
            def step(app: FakeApp, now: datetime) -> None:
                assert app.operation is not None
                app.operation.phase = phase
                app.operation.message = message
                app.operation.finished_at = now
                app.running = False
                if phase != "Succeeded":
                    app.reconciled_at = now
                    return
                app.operation.result_revision = result
                app.revision = result
                app.sync_status = "Synced"
                app.health, app.health_message = "Progressing", "Waiting for rollout to finish"
                app.reconciled_at = now
                app.images = self._images(result, app.path)
                app.history.append(
                    {
                        "id": len(app.history) + 1,
                        "revision": result,
                        "deployStartedAt": rfc3339(app.operation.started_at),
                        "deployedAt": rfc3339(now),
                        "source": self._source(app),
                    }
                )
                app.generation += 1

            return step

        def health(status: str, message: str | None = None, *, stale: bool = False):
            def step(app: FakeApp, now: datetime) -> None:
                app.health, app.health_message = status, message
                finished = app.operation.finished_at if app.operation else None
                if stale and finished is not None:
                    app.reconciled_at = finished - timedelta(seconds=30)
                else:
                    app.reconciled_at = now

            return step

        degraded = 'Deployment "app" exceeded its progress deadline'
        scripts: dict[str, list[Callable[[FakeApp, datetime], None]]] = {
            "healthy": [finish(resolved), health("Healthy")],
            "degraded": [finish(resolved), health("Degraded", degraded)],
            "stuck": [finish(resolved), health("Progressing", "Waiting for rollout to finish: 1 of 2 updated")],
            "missing": [finish(resolved), health("Missing")],
            "unknown": [finish(resolved), health("Unknown", "health assessment failed")],
            "wrong-revision": [finish(self._root_commit()), health("Healthy")],
            "healthy-before-reconcile": [
                finish(resolved),
                health("Healthy", stale=True),
                health("Healthy", stale=True),
                health("Degraded", degraded),
            ],
            "sync-failed": [finish(resolved, "Failed", "one or more objects failed to apply")],
        }
        return scripts[behaviour]

    # ----------------------------------------------------------- payload

    def _source(self, app: FakeApp) -> dict[str, Any]:
        return {"repoURL": app.repo_url, "path": app.path, "targetRevision": app.target_revision}

    def _payload(self, app: FakeApp) -> dict[str, Any]:
        destination = {"server": "https://kubernetes.default.svc", "namespace": app.name}
        status: dict[str, Any] = {
            "sync": {
                "status": app.sync_status,
                "revision": app.revision,
                "comparedTo": {"source": self._source(app), "destination": destination},
            },
            "health": {"status": app.health},
            "sourceType": "Kustomize",
            "summary": {"images": list(app.images)},
            "history": list(app.history),
            "controllerNamespace": "argocd",
        }
        if app.health_message:
            status["health"]["message"] = app.health_message
        if app.reconciled_at is not None:
            status["reconciledAt"] = rfc3339(app.reconciled_at)
        op = app.operation
        operation = None
        if op is not None:
            sync = {"revision": op.revision, "syncStrategy": {"hook": {}}}
            operation = {"sync": sync, "initiatedBy": {"username": "admin"}, "retry": {}}
            state: dict[str, Any] = {
                "operation": operation,
                "phase": op.phase,
                "message": op.message,
                "startedAt": rfc3339(op.started_at),
            }
            if op.finished_at is not None:
                state["finishedAt"] = rfc3339(op.finished_at)
            if op.result_revision is not None:
                state["syncResult"] = {"revision": op.result_revision, "source": self._source(app)}
            status["operationState"] = state
        payload: dict[str, Any] = {
            "metadata": {
                "name": app.name,
                "namespace": app.namespace,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, app.name)),
                "resourceVersion": str(1000 + app.generation * 7 + len(self.exchanges)),
                "generation": app.generation,
                "creationTimestamp": rfc3339(app.created_at),
                "labels": {"app.kubernetes.io/part-of": "idp"},
            },
            "spec": {
                "project": "default",
                "source": self._source(app),
                "destination": destination,
                "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
            },
            "status": status,
        }
        if app.running and operation is not None:
            payload["operation"] = operation
        return payload

    # ---------------------------------------------------------- dispatch

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes, float]:
        split = urlsplit(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        path = split.path
        template, name = _route(method, path)
        request_body: Any = None
        fault_kind: FaultKind | None = None
        delay = 0.0
        content_type = "application/json"
        try:
            if raw:
                try:
                    request_body = json.loads(raw)
                except ValueError:
                    raise ApiError(400, 3, "invalid JSON") from None
            fault = self._take_fault(method, template)
            if fault is not None:
                fault_kind, delay = fault.kind, fault.delay if fault.kind == "slow" else 0.0
            if fault_kind == "server-error":
                raise ApiError(503, 14, "rpc error: code = Unavailable desc = the server is shutting down")
            if fault_kind == "bad-gateway":
                status, body = 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"
                content_type = "text/html"
            else:
                auth = headers.get("Authorization") or headers.get("authorization") or ""
                if auth != f"Bearer {self.token}":
                    raise ApiError(
                        401, 16, "invalid session: token signature is invalid" if auth else "no session information"
                    )
                if template is None or name is None:
                    raise ApiError(404, 5, "Not Found")
                with self.lock:
                    if template == GET_APP:
                        status, body = self.get_app(name, query)
                    else:
                        status, body = self.sync_app(name, request_body)
        except ApiError as exc:
            status, body = exc.status, exc.body
        with self.lock:
            self.exchanges.append(
                Exchange(
                    method,
                    path,
                    template,
                    query,
                    request_body,
                    status,
                    body if content_type == "application/json" else None,
                    fault_kind,
                )
            )
        payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return status, {"Content-Type": content_type}, payload, delay

    def _take_fault(self, method: str, template: str | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.method in (None, method) and fault.route in (None, template):
                    fault.remaining -= 1
                    return fault
        return None


def _route(method: str, path: str) -> tuple[str | None, str | None]:
    found = re.fullmatch(r"/api/v1/applications/([^/]+)(/sync)?", path)
    if not found:
        return None, None
    name = unquote(found.group(1))
    if found.group(2) and method == "POST":
        return SYNC_APP, name
    if not found.group(2) and method == "GET":
        return GET_APP, name
    return None, None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    wbufsize = -1
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake: FakeArgoCD = self.server.fake  # type: ignore[attr-defined]
        status, headers, payload, delay = fake.handle(self.command, self.path, dict(self.headers.items()), raw)
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.close_connection = True

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@contextmanager
def running_argocd(git_dir: Path, *, tls: tuple[Path, Path] | None = None) -> Iterator[FakeArgoCD]:
    """A running fake; afterwards every exchange is checked against Argo CD's swagger.json."""
    from tests.fakes.argocd_openapi import nonconforming

    with FakeArgoCD(git_dir, tls=tls) as fake:
        yield fake
    problems = nonconforming(fake.exchanges)
    if problems:
        raise AssertionError("the fake Argo CD answered outside swagger.json:\n" + "\n".join(problems[:20]))
