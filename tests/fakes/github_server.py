"""A stateful fake of GitHub's REST API on 127.0.0.1, for integration tests.

Start it with the ``fake_github`` fixture (tests/integration/conftest.py) or::

    with FakeGitHub() as fake:
        gh = make_github(token=fake.user_token, base_url=fake.api_url, ...)

It serves the API under ``/api/v3`` like GitHub Enterprise Server, so clients
also exercise a base URL with a path. Pieces:

- :class:`~tests.fakes.github_state.FakeState`: the data (seed it directly in tests).
- :class:`Router`: ``(method, path template) -> handler(state, request)``; the
  templates are those of GitHub's OpenAPI description, and each exchange records
  its template so the contract test can look the operation up. New capabilities
  (deployments, rulesets, workflow dispatch …) add a module with a
  ``register(router)`` function and pass it to :class:`FakeGitHub`.
- Fault injection: :meth:`FakeGitHub.inject` makes the next N matching requests
  answer with a rate limit (secondary with or without ``Retry-After``, 429,
  primary with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``) or a 5xx.
- A record of every exchange (:attr:`FakeGitHub.exchanges`, :meth:`FakeGitHub.count`).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.fakes.github_state import Account, FakeState

API_PREFIX = "/api/v3"
DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
PRIMARY_MESSAGE = (
    "API rate limit exceeded for installation ID 1. Check out the documentation for more details."
)

USER_TOKEN = "ghp_fakeUserToken0000000000000000000000"
BOT_TOKEN = "ghs_fakeInstallationToken000000000000000"
OTHER_USER_TOKEN = "ghp_fakeOtherUserToken00000000000000000"


# ------------------------------------------------------------ request/response


@dataclass(frozen=True)
class Urls:
    """Where the fake's API and web pages live."""

    api: str  # http://127.0.0.1:PORT/api/v3
    web: str  # http://127.0.0.1:PORT


@dataclass
class Request:
    """One parsed API request, as a handler sees it."""

    method: str
    path: str  # without the /api/v3 prefix, percent-decoded per segment by the router
    template: str
    params: dict[str, str]
    query: dict[str, str]
    headers: Mapping[str, str]
    body: Any
    identity: Account | None
    token: str | None
    urls: Urls

    def int_param(self, name: str) -> int:
        """A numeric path parameter."""
        return int(self.params[name])


@dataclass
class Response:
    """What a handler returns: status, JSON body (None for no body) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with an error response."""

    def __init__(self, status: int, message: str, *, docs: str = DOCS, **extra: Any) -> None:
        super().__init__(message)
        body: dict[str, Any] = {"message": message, "documentation_url": docs, **extra}
        if status != 422:  # GitHub's schema for 422 (Validation Error) has no status field
            body["status"] = str(status)
        self.response = Response(status, body)


def not_found() -> ApiError:
    """GitHub's 404 for anything unknown or invisible to the token."""
    return ApiError(404, "Not Found")


def validation_failed(
    message: str, *, resource: str, field_name: str | None = None, code: str = "custom"
) -> ApiError:
    """GitHub's 422 Validation Failed with one error entry."""
    entry: dict[str, Any] = {"resource": resource, "code": code, "message": message}
    if field_name:
        entry["field"] = field_name
    return ApiError(422, "Validation Failed", errors=[entry])


Handler = Callable[[FakeState, Request], Response]


@dataclass(frozen=True)
class Route:
    """One operation: method, OpenAPI path template, handler."""

    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


# Parameters that may span several path segments.
_GREEDY = {"path", "ref"}


class Router:
    """Maps ``(method, path)`` to a handler through GitHub's OpenAPI path templates."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        """Decorator: register ``handler`` for ``method`` + ``template``."""

        def register(handler: Handler) -> Handler:
            self.add(method, template, handler, auth=auth)
            return handler

        return register

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Register ``handler``; a later registration of the same operation replaces it."""
        regex = ""
        for part in re.split(r"(\{[a-z_]+\})", template):
            if part.startswith("{"):
                name = part[1:-1]
                if name in _GREEDY:
                    regex += f"(?P<{name}>.+)"
                elif name.endswith(("_number", "_id")):
                    regex += f"(?P<{name}>[0-9]+)"
                else:
                    regex += f"(?P<{name}>[^/]+)"
            else:
                regex += re.escape(part)
        self.routes = [r for r in self.routes if (r.method, r.template) != (method, template)]
        self.routes.append(Route(method, template, re.compile(regex + r"\Z"), handler, auth))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for ``method`` and ``path`` (fixed segments beat parameters)."""
        found = []
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                fixed = len(re.sub(r"\{[a-z_]+\}", "", route.template))
                found.append((fixed, route, {k: unquote(v) for k, v in m.groupdict().items()}))
        if not found:
            return None
        found.sort(key=lambda item: -item[0])
        return found[0][1], found[0][2]

    def operations(self) -> list[tuple[str, str]]:
        """Every registered ``(method, template)``."""
        return [(r.method, r.template) for r in self.routes]


# ------------------------------------------------------------------- faults

FaultKind = Literal[
    "secondary-rate-limit",  # 403 + secondary message, Retry-After when retry_after is set
    "too-many-requests",  # 429 + secondary message + Retry-After
    "primary-rate-limit",  # 403 + x-ratelimit-remaining: 0 + x-ratelimit-reset
    "server-error",  # 502
]


@dataclass
class Fault:
    """The next ``remaining`` requests matching ``method``/``route`` fail with ``kind``."""

    kind: FaultKind
    method: str | None
    route: str | None
    remaining: int
    retry_after: int | None
    reset_in: int

    def matches(self, method: str, template: str | None) -> bool:
        """Whether this fault applies to a request."""
        return (
            self.remaining > 0
            and (self.method is None or self.method == method)
            and (self.route is None or self.route == template)
        )


@dataclass(frozen=True)
class Exchange:
    """One recorded request and the fake's answer."""

    method: str
    path: str
    template: str | None
    query: dict[str, str]
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or None for an empty body
    login: str | None
    fault: FaultKind | None = None


# --------------------------------------------------------------------- server


class FakeGitHub:
    """The fake server. Use as a context manager, or :meth:`start` / :meth:`stop`.

    Tokens: :attr:`user_token` is ``octocat`` (a person, owner of org ``acme``);
    :attr:`bot_token` is ``github-actions[bot]``, an integration token like
    GITHUB_TOKEN (``GET /user`` answers 403); :attr:`other_token` is ``mallory``.
    """

    user_token = USER_TOKEN
    bot_token = BOT_TOKEN
    other_token = OTHER_USER_TOKEN

    def __init__(
        self,
        *,
        state: FakeState | None = None,
        extensions: Iterable[Callable[[Router], None]] = (),
    ) -> None:
        from tests.fakes import github_routes

        self.state = state or FakeState()
        if state is None:
            self.state.add_account("octocat", token=USER_TOKEN, id=583231, name="The Octocat")
            self.state.add_account(
                "github-actions[bot]", type="Bot", token=BOT_TOKEN, integration=True, id=41898282
            )
            self.state.add_account("mallory", token=OTHER_USER_TOKEN, id=9001)
            org = self.state.add_account("acme", type="Organization", id=7000001, name="ACME Corp")
            org.members.add("octocat")
        self.router = Router()
        github_routes.register(self.router)
        for extend in extensions:
            extend(self.router)
        self.exchanges: list[Exchange] = []
        self.faults: list[Fault] = []
        self._used: dict[str, int] = {}  # requests per login, for x-ratelimit-used
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------- lifecycle

    def start(self) -> FakeGitHub:
        """Listen on 127.0.0.1 on a free port and serve in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (web pages: html_url values point here)."""
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The REST API root, for ``GITHUB_API_URL`` / ``base_url``."""
        return self.base_url + API_PREFIX

    @property
    def urls(self) -> Urls:
        """API and web roots."""
        return Urls(api=self.api_url, web=self.base_url)

    def env(self, *, token: str | None = None) -> dict[str, str]:
        """Environment variables that point clients (``make_github``, ``idp``) at the fake."""
        return {
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": self.base_url,
            "GITHUB_TOKEN": token or self.user_token,
        }

    # ------------------------------------------------------ fault injection

    def inject(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        route: str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        reset_in: int = 60,
    ) -> Fault:
        """Make the next ``times`` requests matching ``method`` and ``route`` fail with ``kind``.

        ``route`` is an OpenAPI path template (``/repos/{owner}/{repo}``); None
        matches every route. ``retry_after`` adds a ``Retry-After`` header
        (always present for ``too-many-requests``, default 1). ``reset_in`` puts
        ``x-ratelimit-reset`` that many seconds ahead for ``primary-rate-limit``.
        """
        if kind == "too-many-requests" and retry_after is None:
            retry_after = 1
        fault = Fault(kind, method, route, times, retry_after, reset_in)
        with self._lock:
            self.faults.append(fault)
        return fault

    # ----------------------------------------------------------- recording

    def calls(self, method: str | None = None, route: str | None = None) -> list[Exchange]:
        """Recorded exchanges, optionally only those for ``method`` and/or ``route`` (a template)."""
        with self._lock:
            return [
                e
                for e in self.exchanges
                if (method is None or e.method == method) and (route is None or e.template == route)
            ]

    def count(self, method: str | None = None, route: str | None = None) -> int:
        """How many requests matched ``method`` and/or ``route``."""
        return len(self.calls(method, route))

    def clear_record(self) -> None:
        """Forget recorded exchanges (not the state)."""
        with self._lock:
            self.exchanges.clear()

    # ------------------------------------------------------------ dispatch

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request; returns status, headers and body bytes."""
        split = urlsplit(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        request_id = f"{uuid.uuid4().hex[:4].upper()}:{uuid.uuid4().hex[:6].upper()}"
        path = split.path
        template: str | None = None
        fault_kind: FaultKind | None = None
        token = _token(headers)
        identity = self.state.tokens.get(token) if token else None
        request_body: Any = None
        if path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX) :]
            found = self.router.match(method, path)
        else:
            found = None
        try:
            if raw_body:
                try:
                    request_body = json.loads(raw_body)
                except ValueError:
                    raise ApiError(400, "Problems parsing JSON") from None
            if found is None:
                raise not_found()
            route, params = found
            template = route.template
            fault = self._take_fault(method, template)
            if fault is not None:
                fault_kind = fault.kind
                response = self._fault_response(fault, request_id)
            elif route.auth and token is None:
                raise ApiError(401, "Requires authentication")
            elif route.auth and identity is None:
                raise ApiError(401, "Bad credentials")
            else:
                request = Request(
                    method=method,
                    path=path,
                    template=template,
                    params=params,
                    query=query,
                    headers=headers,
                    body=request_body,
                    identity=identity,
                    token=token,
                    urls=self.urls,
                )
                with self.state.lock:
                    response = route.handler(self.state, request)
        except ApiError as exc:
            response = exc.response
        out_headers = self._headers(request_id, identity)
        if response.body is not None:
            out_headers["Content-Type"] = "application/json; charset=utf-8"
        out_headers.update(response.headers)
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        exchange = Exchange(
            method=method,
            path=path,
            template=template,
            query=query,
            request_body=request_body,
            status=response.status,
            headers=out_headers,
            body=response.body,
            login=identity.login if identity else None,
            fault=fault_kind,
        )
        with self._lock:
            self.exchanges.append(exchange)
        return response.status, out_headers, payload

    def _take_fault(self, method: str, template: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, template):
                    fault.remaining -= 1
                    return fault
        return None

    def _fault_response(self, fault: Fault, request_id: str) -> Response:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.kind == "server-error":
            return Response(502, {"message": "Server Error", "documentation_url": DOCS, "status": "502"})
        if fault.kind == "primary-rate-limit":
            reset = int(self.state.now().timestamp()) + fault.reset_in
            headers.update(
                {
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "5000",
                    "x-ratelimit-reset": str(reset),
                    "x-ratelimit-resource": "core",
                }
            )
            body = {
                "message": PRIMARY_MESSAGE,
                "documentation_url": RATE_LIMIT_DOCS + "#about-primary-rate-limits",
                "status": "403",
            }
            return Response(403, body, headers)
        status = 429 if fault.kind == "too-many-requests" else 403
        body = {
            "message": SECONDARY_MESSAGE.format(request_id=request_id),
            "documentation_url": RATE_LIMIT_DOCS + "#about-secondary-rate-limits",
            "status": str(status),
        }
        return Response(status, body, headers)

    def _headers(self, request_id: str, identity: Account | None) -> dict[str, str]:
        reset = int(self.state.now().timestamp()) + 3600
        with self._lock:
            key = identity.login if identity else ""
            used = self._used[key] = self._used.get(key, 0) + 1
        return {
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": request_id,
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(0, 5000 - used)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }


def _token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() in ("token", "bearer") and token.strip():
        return token.strip()
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # close idle keep-alive connections
    # Headers and body in one write, sent at once: otherwise Nagle's algorithm and
    # the client's delayed ACK add 40 ms to every response.
    wbufsize = -1
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        status, headers, payload = fake.handle(self.command, self.path, dict(self.headers.items()), raw)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and status != 204:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


def paginate(request: Request, items: list[Any]) -> Response:
    """A page of ``items`` per ``per_page``/``page`` (default 30, max 100) with a ``Link`` header."""
    try:
        per_page = min(100, max(1, int(request.query.get("per_page", "30"))))
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        raise validation_failed("per_page and page must be numbers", resource="Search") from None
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []

    def link(number: int, rel: str) -> str:
        query = {**request.query, "per_page": str(per_page), "page": str(number)}
        return f'<{request.urls.api}{request.path}?{urlencode(query)}>; rel="{rel}"'

    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    return Response(200, chunk, {"Link": ", ".join(links)} if links else {})
