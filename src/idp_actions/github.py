"""The one PyGithub factory, its retry policy, and the Actions context a command needs.

Clients are built by :func:`make_github` in a command's ``run()`` and passed down;
nothing here builds one at import time. PyGithub (and with it ``requests``) is
imported inside functions only: ``idp --version`` must not pay for it.

Rate limits follow GitHub's guidance for the REST API: a ``Retry-After`` header
is waited out; a primary limit (``x-ratelimit-remaining: 0``) is waited out until
``x-ratelimit-reset``; a secondary limit without either waits
``secondary_rate_wait``; mutating requests are spaced out. Every wait is bounded
by :attr:`RetrySettings.max_wait` and the number of retries by
:attr:`RetrySettings.total`; past either bound the request fails with a
:class:`~idp_actions.errors.GitHubError` that says so (see :func:`api_errors`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idp_actions import __version__
from idp_actions.errors import GitHubError, InputError, UsageError
from idp_actions.urls import token_url

if TYPE_CHECKING:
    import github
    from github.GithubRetry import GithubRetry
    from urllib3 import Retry

DEFAULT_API_URL = "https://api.github.com"
TOKEN_INPUT = "github-token"
USER_AGENT = f"idp-actions/{__version__}"

# Owners: GitHub logins (letters, digits, hyphens) and managed-user logins (`_shortcode`).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")


@dataclass(frozen=True, kw_only=True)
class RetrySettings:
    """How the client retries and paces requests under GitHub's rate limits.

    ``total`` bounds the retries of one request (not counting the first attempt).
    ``backoff_factor`` and ``backoff_max`` shape the exponential backoff of server
    errors and 429s that carry no ``Retry-After``. ``secondary_rate_wait`` is the
    wait after a secondary rate limit that names no time (GitHub asks for at least
    a minute). ``max_wait`` is the longest single wait accepted: a ``Retry-After``
    or rate-limit reset further away fails at once instead of stalling the job.
    ``seconds_between_writes`` spaces mutating requests as GitHub recommends;
    ``seconds_between_requests`` spaces every request (off by default: commands
    make their requests one after another, which GitHub's guidance accepts).
    """

    total: int = 5
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    secondary_rate_wait: float = 60.0
    max_wait: float = 600.0
    seconds_between_requests: float | None = None
    seconds_between_writes: float | None = 1.0

    def __post_init__(self) -> None:
        numbers = {
            "total": self.total,
            "backoff_factor": self.backoff_factor,
            "backoff_max": self.backoff_max,
            "secondary_rate_wait": self.secondary_rate_wait,
            "max_wait": self.max_wait,
            "seconds_between_requests": self.seconds_between_requests or 0,
            "seconds_between_writes": self.seconds_between_writes or 0,
        }
        for name, value in numbers.items():
            if value < 0:
                raise ValueError(f"RetrySettings.{name} must not be negative, got {value}")


def make_github(
    *,
    token: str | None = None,
    base_url: str | None = None,
    retry: RetrySettings | None = None,
    timeout: float = 30,
    environ: Mapping[str, str] | None = None,
) -> github.Github:
    """A PyGithub client for ``token`` at ``base_url`` with bounded retries.

    The token is ``token``, else ``GITHUB_TOKEN``; the API URL is ``base_url``,
    else ``GITHUB_API_URL`` (set by GitHub Enterprise Server runners), else
    https://api.github.com. ``environ`` replaces ``os.environ`` (for tests).
    """
    env = os.environ if environ is None else environ
    token = token or env.get("GITHUB_TOKEN", "")
    if not token.strip():
        raise InputError(
            "no GitHub token: the `github-token` input is empty and GITHUB_TOKEN is not set",
            hint="pass `with: github-token: ${{ github.token }}` (or a GitHub App token) to the step, "
            "or export GITHUB_TOKEN locally (e.g. `export GITHUB_TOKEN=$(gh auth token)`)",
        )
    url = _api_url(base_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL)
    settings = retry or RetrySettings()

    import github as pygithub

    return pygithub.Github(
        auth=pygithub.Auth.Token(token.strip()),
        base_url=url,
        timeout=max(1, math.ceil(timeout)),
        user_agent=USER_AGENT,
        per_page=100,
        retry=_make_retry(settings),
        seconds_between_requests=settings.seconds_between_requests,
        seconds_between_writes=settings.seconds_between_writes,
    )


def _api_url(raw: str) -> str:
    return token_url(
        raw,
        what="GitHub API URL",
        token="a GitHub token",
        hint="use https://api.github.com or, for GitHub Enterprise Server, https://HOST/api/v3",
        http_hint="use an https:// API URL (plain http is accepted for localhost only)",
    )


def _make_retry(settings: RetrySettings) -> GithubRetry:
    retry_class = _bounded_retry_class()
    return retry_class(
        total=settings.total,
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.backoff_max,
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=settings.max_wait,
        # 429 is how GitHub signals some secondary limits; 5xx are transient.
        status_forcelist=[429, 500, 502, 503, 504],
        # When retries run out urllib3 raises (requests: RetryError); api_errors
        # words it. Returning the last response instead would hand PyGithub a body
        # GithubRetry has already read.
        raise_on_status=True,
    )


@cache
def _bounded_retry_class() -> type[GithubRetry]:
    """``GithubRetry`` that also refuses a ``Retry-After`` longer than ``max_rate_limit_wait``.

    ``GithubRetry`` bounds the waits it computes itself (rate-limit resets) but
    sleeps whatever ``Retry-After`` says; a server asking for an hour would stall
    the job. Defined lazily because importing PyGithub is slow.
    """
    from github import GithubRetry
    from github.GithubException import RateLimitExceededExceedsMaxWait

    class BoundedGithubRetry(GithubRetry):
        def increment(  # type: ignore[override]
            self,
            method: str | None = None,
            url: str | None = None,
            response: Any = None,
            error: Exception | None = None,
            _pool: Any = None,
            _stacktrace: Any = None,
        ) -> Retry:
            if response is not None and self.max_rate_limit_wait is not None:
                wait = _retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > self.max_rate_limit_wait:
                    raise RateLimitExceededExceedsMaxWait(
                        response.status,
                        _error_body(self, response, url),
                        dict(response.headers),
                        wait=wait,
                    )
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return BoundedGithubRetry


def _retry_after_seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None  # HTTP-dates are left to urllib3; GitHub sends seconds
    return float(value.strip())


def _error_body(retry: Any, response: Any, url: str | None) -> Any:
    try:
        return json.loads(retry.get_content(response, url))
    except (ValueError, TypeError, OSError):
        return {"message": str(response.reason)}


# ------------------------------------------------------------------ errors


@contextmanager
def api_errors(action: str, *, permission: str | None = None) -> Iterator[None]:
    """Turn PyGithub and transport failures inside the block into :class:`GitHubError`.

    ``action`` says what was being done ("list the comments of owner/repo#12");
    ``permission`` names the job permission the call needs
    (``pull-requests: write``) and goes into the hint of a 403.
    """
    from github.GithubException import (
        GithubException,
        RateLimitExceededExceedsMaxWait,
        RateLimitExceededException,
    )
    from requests import RequestException
    from requests.exceptions import RetryError

    try:
        yield
    except RateLimitExceededExceedsMaxWait as exc:
        raise GitHubError(
            f"GitHub rate limit while trying to {action}: it asks to wait {exc.wait:.0f}s, "
            "longer than the configured maximum",
            hint="run again later, or spread the work over fewer requests "
            "(a GitHub App token has a higher limit than GITHUB_TOKEN)",
        ) from exc
    except RateLimitExceededException as exc:
        raise GitHubError(
            f"GitHub rate limit while trying to {action}: {_message(exc)}",
            hint="run again later; if this happens often, make fewer requests per job",
        ) from exc
    except GithubException as exc:
        raise GitHubError(
            f"GitHub refused to {action}: HTTP {exc.status} {_message(exc)}",
            hint=_hint(exc.status, permission),
        ) from exc
    except RetryError as exc:
        reason = str(getattr(exc.args[0] if exc.args else None, "reason", None) or exc)
        status = re.search(r"too many (\d{3}) error responses", reason)
        limited = status is not None and status.group(1) in ("403", "429")
        raise GitHubError(
            f"GitHub kept refusing to {action} after retrying: "
            + ("rate limited, " if limited else "")
            + (f"HTTP {status.group(1)} every time" if status else reason),
            hint="run again later"
            + ("; if this happens often, make fewer requests per job" if limited else "")
            + " (https://www.githubstatus.com shows incidents)",
        ) from exc
    except RequestException as exc:
        raise GitHubError(
            f"could not reach GitHub to {action}: {type(exc).__name__}: {exc}",
            hint="check GITHUB_API_URL and the runner's network; the request was retried",
        ) from exc


def _message(exc: Any) -> str:
    data = exc.data
    if isinstance(data, dict):
        message = str(data.get("message") or "").strip()
        details = [
            str(item.get("message") or item.get("code"))
            for item in data.get("errors") or []
            if isinstance(item, dict)
        ]
        if details:
            message += f" ({'; '.join(details)})"
        return message or "(no message)"
    return str(data or "(no message)")


def _hint(status: int, permission: str | None) -> str | None:
    if status == 401:
        return (
            f"the token was rejected: check the `{TOKEN_INPUT}` input / GITHUB_TOKEN "
            "(expired, revoked, or for another GitHub host?)"
        )
    if status == 403:
        need = f"`permissions: {permission}`" if permission else "the needed permission"
        return f"the token lacks access: grant the job {need}, or use a token that has it"
    if status == 404:
        return "it does not exist, or the token cannot see it (private repository? wrong owner/name?)"
    if status == 422:
        return "GitHub rejected the request's content; the message above says which field"
    return None


# ------------------------------------------------------ Actions context


@dataclass(frozen=True, kw_only=True)
class Target:
    """A repository (``owner/name``) and, when known, a pull-request number."""

    owner: str
    repo: str
    number: int | None = None

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.repo}"


def parse_repository(value: str, *, source: str = "repository") -> tuple[str, str]:
    """Split and check ``owner/name``; the error names ``source`` (an input or variable)."""
    owner, sep, name = value.strip().partition("/")
    if not sep or not _NAME.fullmatch(owner) or not _REPO.fullmatch(name) or name in (".", ".."):
        raise UsageError(
            f"{source} must look like `owner/name`, got {value!r}",
            hint="for example `octo-org/payments-api`",
        )
    return owner, name


def pull_number_from_event(event_path: str | os.PathLike[str]) -> int | None:
    """The pull-request number in a workflow's event payload, or None for other events.

    ``pull_request``/``pull_request_target`` carry ``pull_request.number``; an
    ``issue_comment`` on a pull request carries ``issue.number`` with
    ``issue.pull_request`` present.
    """
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the workflow event payload {event_path}: {exc}") from exc
    if not isinstance(payload, dict):
        return None
    pull = payload.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("number"), int):
        return int(pull["number"])
    issue = payload.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request") and isinstance(issue.get("number"), int):
        return int(issue["number"])
    return None


def resolve_target(
    *,
    repository: str | None = None,
    number: int | None = None,
    environ: Mapping[str, str] | None = None,
    need_number: bool = True,
) -> Target:
    """The repository and pull request to act on: explicit values first, else the Actions context.

    ``repository`` falls back to ``GITHUB_REPOSITORY``; ``number`` to the pull
    request of the event in ``GITHUB_EVENT_PATH``. Missing values raise
    :class:`UsageError` that says how to supply them.
    """
    env = os.environ if environ is None else environ
    source = "--repo"
    if not repository:
        repository = env.get("GITHUB_REPOSITORY", "")
        source = "GITHUB_REPOSITORY"
    if not repository:
        raise UsageError(
            "no repository: pass --repo owner/name (GITHUB_REPOSITORY is not set outside Actions)"
        )
    owner, name = parse_repository(repository, source=source)
    if number is None and env.get("GITHUB_EVENT_PATH"):
        number = pull_number_from_event(env["GITHUB_EVENT_PATH"])
    if number is not None and number < 1:
        raise UsageError(f"pull-request number must be positive, got {number}")
    if number is None and need_number:
        event = env.get("GITHUB_EVENT_NAME") or "this context"
        raise UsageError(
            f"no pull request: {event} is not a pull_request event and no number was given",
            hint="pass --pr N (input `pr-number`), or run the step on `pull_request` events",
        )
    return Target(owner=owner, repo=name, number=number)
