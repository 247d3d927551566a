"""HTTP to one registry: authentication by the registry's challenge, retries, redirects (standard library only).

Plain HTTP is used only for registries on loopback (127.0.0.0/8, ``localhost``,
``::1``); every other registry is HTTPS with verified certificates. Credentials
go through the registry's own challenge: ``Bearer`` (a token from the realm the
registry names, fetched with the credentials as HTTP Basic — the realm must be
HTTPS, or loopback), or ``Basic``. They are sent only to the host they were
given for; a redirect to another host (a blob store) goes without them, and a
redirect from HTTPS to plain HTTP is refused. Server errors (429, 5xx) and
network failures are retried for requests that can be repeated.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urljoin, urlsplit

from idp_actions import __version__
from idp_actions.image.auth import Challenge, Credentials, hint, parse_challenges
from idp_actions.image.errors import RegistryError
from idp_actions.image.reference import host_name
from idp_actions.urls import is_loopback, token_url

USER_AGENT = f"idp-actions/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 1 << 20
SMALL = 16 << 20  # manifests, configurations and error bodies larger than this are refused
_MAX_REDIRECTS = 5


@dataclass(frozen=True, kw_only=True)
class Response:
    """A finished exchange: status, headers and (unless streamed to a file) the body."""

    status: int
    headers: HTTPMessage
    body: bytes
    url: str

    def header(self, name: str) -> str:
        """A header's value, or ""."""
        return str(self.headers.get(name) or "")

    def errors(self) -> str:
        """The registry's error codes and messages (``MANIFEST_UNKNOWN: manifest unknown``), if any."""
        try:
            data = json.loads(self.body.decode("utf-8", "replace"))
            items = data.get("errors") or []
            return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in items if isinstance(e, dict))
        except (ValueError, AttributeError):
            return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by :class:`RegistryClient` itself, which decides what headers go along."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(loopback: bool, ssl_context: ssl.SSLContext | None) -> urllib.request.OpenerDirector:
    handlers: list[Any] = [_NoRedirect()]
    if loopback:
        handlers.append(urllib.request.ProxyHandler({}))  # never send loopback traffic to a proxy
    handlers.append(urllib.request.HTTPSHandler(context=ssl_context or ssl.create_default_context()))
    return urllib.request.build_opener(*handlers)


Body = bytes | Path | None


class Transport:
    """Requests to one registry host, with authentication, retries and redirects.

    ``credentials`` are used only for this host. ``sleep`` is the wait between
    retries (tests pass a no-op).
    """

    def __init__(
        self,
        host: str,
        *,
        credentials: Credentials | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.host = host
        self.loopback = is_loopback(host_name(host))
        self.scheme = "http" if self.loopback else "https"
        self.base = f"{self.scheme}://{host}"
        self.credentials = credentials
        self.timeout = timeout
        self.retries = retries
        self.sleep = sleep
        self._opener = _opener(self.loopback, ssl_context)
        self._tokens: dict[str, str] = {}
        self._basic = False

    # ------------------------------------------------------------ requests

    def _authorization(self, scope: str) -> str | None:
        if scope in self._tokens:
            return f"Bearer {self._tokens[scope]}"
        if self._basic and self.credentials is not None:
            return _basic(self.credentials)
        return None

    def request(self, method: str, url: str, *, scope: str, what: str, headers: Mapping[str, str] | None = None,
                body: Body = None, sink: Path | None = None) -> Response:
        """Send one request (authenticating and retrying as needed) and return the final response.

        ``url`` is a path on this registry or an absolute URL (an upload location).
        With ``sink`` a successful body is written there instead of kept in memory.
        Statuses are not judged here, except that a network failure raises.
        """
        target = url if "://" in url else self.base + url
        authenticated = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, target, scope=scope, headers=headers or {}, body=body, sink=sink)
            except OSError as exc:
                if attempt < self.retries and method in ("GET", "HEAD"):
                    self.sleep(min(2.0 ** attempt, 10.0))
                    continue
                raise self._unreachable(exc, what) from None
            if response.status == 401 and not authenticated:
                authenticated = True
                self._authenticate(response, scope=scope, what=what)
                continue
            if response.status in RETRY_STATUSES and attempt < self.retries and (
                method in ("GET", "HEAD") or body is None
            ):
                self.sleep(_retry_after(response) or min(2.0 ** attempt, 10.0))
                continue
            return response

    def _send(self, method: str, url: str, *, scope: str, headers: Mapping[str, str], body: Body,
              sink: Path | None) -> Response:
        for _ in range(_MAX_REDIRECTS + 1):
            request_headers = {"User-Agent": USER_AGENT, **headers}
            same_host = urlsplit(url).netloc == self.host
            authorization = self._authorization(scope) if same_host else None
            if authorization:
                request_headers["Authorization"] = authorization
            handle: IO[bytes] | None = None
            data: bytes | IO[bytes] | None = None
            if isinstance(body, Path):
                handle = body.open("rb")
                data = handle
                request_headers["Content-Length"] = str(body.stat().st_size)
            elif body is not None:
                data = body
            request = urllib.request.Request(url, data=data, method=method, headers=request_headers)
            try:
                raw: Any
                try:
                    raw = self._opener.open(request, timeout=self.timeout)
                except urllib.error.HTTPError as err:
                    raw = err
                status = int(raw.status or raw.getcode() or 0)
                if status in (301, 302, 303, 307, 308) and method in ("GET", "HEAD") and raw.headers.get("Location"):
                    url = self._redirect(url, str(raw.headers["Location"]))
                    raw.close()
                    continue
                if sink is not None and 200 <= status < 300 and method == "GET":
                    with sink.open("wb") as out:
                        while chunk := raw.read(CHUNK):
                            out.write(chunk)
                    content = b""
                else:
                    content = raw.read(SMALL + 1) if method != "HEAD" else b""
                raw.close()
                return Response(status=status, headers=raw.headers, body=content, url=url)
            finally:
                if handle is not None:
                    handle.close()
        raise RegistryError(f"the registry {self.host} redirected more than {_MAX_REDIRECTS} times")

    def _redirect(self, current: str, location: str) -> str:
        target = urljoin(current, location)
        parts = urlsplit(target)
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
            raise RegistryError(f"the registry {self.host} redirected to {parts.scheme}://{parts.hostname}, "
                                "which is not HTTPS; refusing to follow")
        return target

    def _unreachable(self, exc: OSError, what: str) -> RegistryError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return RegistryError(
            f"cannot reach the registry at {self.base} to {what}: {reason}",
            hint="check the registry host and port in the image name, that the registry is running, "
            + ("and that it speaks plain HTTP (loopback registries are used without TLS)" if self.loopback
               else "and that this machine can reach it over HTTPS"),
        )

    # ------------------------------------------------------- authentication

    def _authenticate(self, response: Response, *, scope: str, what: str) -> None:
        challenges = parse_challenges(response.header("WWW-Authenticate"))
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        if bearer is not None and bearer.params.get("realm"):
            self._tokens[scope] = self._token(bearer, scope=scope, what=what)
            return
        if any(c.scheme == "basic" for c in challenges) and self.credentials is not None:
            self._basic = True  # over HTTPS, or to loopback: never in clear text over a network
        # otherwise there is nothing to answer the challenge with: the 401 stands and the caller reports it

    def _token(self, challenge: Challenge, *, scope: str, what: str) -> str:
        realm = challenge.params["realm"]
        fix = "the registry's token service must be an https:// URL (or on loopback)"
        realm = token_url(realm, what="registry token service", token="registry credentials", hint=fix, http_hint=fix)
        query: list[tuple[str, str]] = []
        if challenge.params.get("service"):
            query.append(("service", challenge.params["service"]))
        scopes = [*scope.split(), *challenge.params.get("scope", "").split()]
        query += [("scope", s) for s in dict.fromkeys(scopes)]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        headers = {"User-Agent": USER_AGENT}
        if self.credentials is not None:
            headers["Authorization"] = _basic(self.credentials)
        request = urllib.request.Request(url, method="GET", headers=headers)
        loopback = is_loopback(urlsplit(realm).hostname or "")
        opener = self._opener if loopback == self.loopback else _opener(loopback, None)
        try:
            with opener.open(request, timeout=self.timeout) as raw:
                data = json.loads(raw.read(SMALL))
        except urllib.error.HTTPError as err:
            raise RegistryError(
                f"the registry's token service {realm} refused to {what} (HTTP {err.code})",
                status=err.code, hint=hint("pull from" if scope.endswith(":pull") else "push to",
                                           _repository(scope)),
            ) from None
        except OSError as exc:
            raise self._unreachable(exc, f"get a token to {what}") from None
        except ValueError:
            raise RegistryError(f"the registry's token service {realm} did not answer with JSON") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"the registry's token service {realm} sent no token")
        return token

    def fail(self, response: Response, what: str, *, repository: str, action: str) -> RegistryError:
        """The error for an unexpected response, naming what was attempted and what to do."""
        detail = response.errors()
        suffix = f": {detail}" if detail else ""
        if response.status == 401:
            return RegistryError(f"the registry {self.host} asks for credentials to {what} (HTTP 401){suffix}",
                                 status=401, hint=hint(action, repository))
        if response.status == 403:
            return RegistryError(f"the registry {self.host} refused to {what} (HTTP 403){suffix}", status=403,
                                 hint=hint(action, repository))
        return RegistryError(f"the registry {self.host} could not {what} (HTTP {response.status}){suffix}",
                             status=response.status)


def _repository(scope: str) -> str:
    first = scope.split()[0] if scope.split() else ""
    return first.split(":")[1] if first.count(":") >= 2 else "the repository"


def _basic(credentials: Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _retry_after(response: Response) -> float | None:
    value = response.header("Retry-After")
    try:
        return min(float(value), 30.0) if value else None
    except ValueError:
        return None
