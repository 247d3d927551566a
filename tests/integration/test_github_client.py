"""The PyGithub factory against the fake GitHub: tokens, base URLs, retries and rate limits."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from idp_actions.errors import GitHubError, InputError, UsageError
from idp_actions.github import (
    DEFAULT_API_URL,
    RetrySettings,
    api_errors,
    make_github,
    parse_repository,
    pull_number_from_event,
    resolve_target,
)
from tests.fakes.github_server import FakeGitHub
from tests.integration.conftest import FAST_RETRY

REPO_ROUTE = "/repos/{owner}/{repo}"


@pytest.fixture
def hello(fake_github: FakeGitHub) -> FakeGitHub:
    """The fake with octocat/hello."""
    fake_github.state.create_repo("octocat", "hello")
    return fake_github


def _get_repo(fake: FakeGitHub, retry: RetrySettings = FAST_RETRY) -> str:
    with make_github(token=fake.user_token, base_url=fake.api_url, retry=retry) as gh:
        with api_errors("read octocat/hello"):
            return gh.get_repo("octocat/hello").full_name


# -------------------------------------------------------------- the factory


def test_token_and_base_url_from_arguments(hello: FakeGitHub) -> None:
    assert _get_repo(hello) == "octocat/hello"
    (call,) = hello.calls("GET", REPO_ROUTE)
    assert call.login == "octocat"


def test_token_and_base_url_from_the_environment(hello: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", hello.bot_token)
    monkeypatch.setenv("GITHUB_API_URL", hello.api_url + "/")
    with make_github(retry=FAST_RETRY) as gh:
        assert gh.requester.base_url == hello.api_url
        assert gh.get_repo("octocat/hello").name == "hello"
    assert hello.calls("GET", REPO_ROUTE)[0].login == "github-actions[bot]"


def test_the_argument_wins_over_the_environment(hello: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_this_one")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/api/v3")
    with make_github(token=hello.user_token, base_url=hello.api_url, retry=FAST_RETRY) as gh:
        assert gh.get_user().login == "octocat"


def test_default_base_url_is_github_com() -> None:
    with make_github(token="ghp_x", environ={}) as gh:
        assert gh.requester.base_url == DEFAULT_API_URL


@pytest.mark.parametrize("token", [None, "", "   "])
def test_a_missing_token_names_the_input_and_the_variable(token: str | None) -> None:
    with pytest.raises(InputError) as caught:
        make_github(token=token, environ={"GITHUB_TOKEN": ""})
    text = str(caught.value)
    assert "`github-token` input" in text
    assert "GITHUB_TOKEN" in text
    assert caught.value.hint and "github.token" in caught.value.hint


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://github.example.com", "not an http(s) URL"),
        ("github.example.com/api/v3", "not an http(s) URL"),
        ("http://github.example.com/api/v3", "plain http"),
    ],
)
def test_bad_base_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        make_github(token="ghp_x", base_url=url)


def test_no_client_is_built_and_pygithub_not_imported_at_import_time() -> None:
    import subprocess
    import sys

    code = (
        "import idp_actions.github, idp_actions.comment, idp_actions.commands.comment, sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('github', 'requests', 'urllib3')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_credentials_become_a_clear_error(hello: FakeGitHub) -> None:
    with make_github(token="ghp_revoked", base_url=hello.api_url, retry=FAST_RETRY) as gh:
        with pytest.raises(GitHubError) as caught, api_errors("read octocat/hello"):
            gh.get_repo("octocat/hello")
    assert "HTTP 401 Bad credentials" in str(caught.value)
    assert "github-token" in (caught.value.hint or "")


def test_not_found_names_what_was_missing(hello: FakeGitHub) -> None:
    with make_github(token=hello.user_token, base_url=hello.api_url, retry=FAST_RETRY) as gh:
        with pytest.raises(GitHubError) as caught, api_errors("read octocat/missing"):
            gh.get_repo("octocat/missing")
    assert "refused to read octocat/missing: HTTP 404" in str(caught.value)
    assert "cannot see it" in (caught.value.hint or "")


def test_forbidden_names_the_permission(fake_github: FakeGitHub, bot_client: object) -> None:
    from github import Github

    assert isinstance(bot_client, Github)
    with pytest.raises(GitHubError) as caught, api_errors("create a repository", permission="administration: write"):
        bot_client.get_user().create_repo("nope")
    assert "Resource not accessible by integration" in str(caught.value)
    assert "administration: write" in (caught.value.hint or "")


# ------------------------------------------------------- retries and limits


def test_secondary_rate_limit_honours_retry_after(hello: FakeGitHub) -> None:
    hello.inject("secondary-rate-limit", method="GET", route=REPO_ROUTE, retry_after=1)
    started = time.monotonic()
    assert _get_repo(hello) == "octocat/hello"
    assert time.monotonic() - started >= 1.0
    calls = hello.calls("GET", REPO_ROUTE)
    assert [c.status for c in calls] == [403, 200]
    assert calls[0].headers["Retry-After"] == "1"


def test_secondary_rate_limit_without_retry_after_waits_the_configured_time(hello: FakeGitHub) -> None:
    hello.inject("secondary-rate-limit", route=REPO_ROUTE, times=2)
    started = time.monotonic()
    assert _get_repo(hello, replace(FAST_RETRY, secondary_rate_wait=0.3)) == "octocat/hello"
    assert time.monotonic() - started >= 0.6
    assert [c.status for c in hello.calls("GET", REPO_ROUTE)] == [403, 403, 200]


def test_429_with_retry_after_is_retried(hello: FakeGitHub) -> None:
    hello.inject("too-many-requests", route=REPO_ROUTE, retry_after=1)
    started = time.monotonic()
    assert _get_repo(hello) == "octocat/hello"
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in hello.calls("GET", REPO_ROUTE)] == [429, 200]


def test_primary_rate_limit_waits_for_the_reset(hello: FakeGitHub) -> None:
    hello.inject("primary-rate-limit", route=REPO_ROUTE, reset_in=1)
    started = time.monotonic()
    assert _get_repo(hello) == "octocat/hello"
    assert time.monotonic() - started >= 0.9  # until x-ratelimit-reset (whole seconds), plus GitHub's 1s
    first, second = hello.calls("GET", REPO_ROUTE)
    assert (first.status, first.headers["x-ratelimit-remaining"]) == (403, "0")
    assert second.status == 200


def test_a_reset_beyond_the_maximum_wait_fails_at_once(hello: FakeGitHub) -> None:
    hello.inject("primary-rate-limit", route=REPO_ROUTE, reset_in=3600)
    started = time.monotonic()
    with pytest.raises(GitHubError, match="longer than the configured maximum"):
        _get_repo(hello)
    assert time.monotonic() - started < 2
    assert hello.count("GET", REPO_ROUTE) == 1


def test_a_retry_after_beyond_the_maximum_wait_fails_at_once(hello: FakeGitHub) -> None:
    hello.inject("secondary-rate-limit", route=REPO_ROUTE, retry_after=3600)
    started = time.monotonic()
    with pytest.raises(GitHubError, match="asks to wait 3600s"):
        _get_repo(hello)
    assert time.monotonic() - started < 2
    assert hello.count("GET", REPO_ROUTE) == 1


def test_retries_are_bounded_and_end_in_a_clear_error(hello: FakeGitHub) -> None:
    hello.inject("secondary-rate-limit", route=REPO_ROUTE, times=100)
    with pytest.raises(GitHubError) as caught:
        _get_repo(hello, replace(FAST_RETRY, total=2))
    assert hello.count("GET", REPO_ROUTE) == 3  # the first attempt and two retries
    assert "kept refusing to read octocat/hello after retrying: rate limited, HTTP 403" in str(caught.value)


def test_server_errors_are_retried_with_backoff(hello: FakeGitHub) -> None:
    hello.inject("server-error", route=REPO_ROUTE, times=2)
    assert _get_repo(hello) == "octocat/hello"
    assert [c.status for c in hello.calls("GET", REPO_ROUTE)] == [502, 502, 200]


def test_persistent_server_errors_end_in_a_clear_error(hello: FakeGitHub) -> None:
    hello.inject("server-error", route=REPO_ROUTE, times=100)
    with pytest.raises(GitHubError, match="after retrying: HTTP 502 every time"):
        _get_repo(hello, replace(FAST_RETRY, total=1))
    assert hello.count("GET", REPO_ROUTE) == 2


def test_an_unreachable_server_is_a_clear_error() -> None:
    settings = replace(FAST_RETRY, total=1)
    with make_github(token="ghp_x", base_url="http://127.0.0.1:9/api/v3", retry=settings, timeout=2) as gh:
        with pytest.raises(GitHubError, match="could not reach GitHub"):
            with api_errors("read o/r"):
                gh.get_repo("o/r")


def test_retry_settings_reject_negative_values() -> None:
    with pytest.raises(ValueError, match="max_wait"):
        RetrySettings(max_wait=-1)


# -------------------------------------------------- the Actions context


def _event(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def test_target_from_the_actions_environment(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "octo-org/payments-api",
        "GITHUB_EVENT_PATH": _event(tmp_path, {"number": 7, "pull_request": {"number": 7}}),
    }
    target = resolve_target(environ=env)
    assert (target.owner, target.repo, target.number, target.full_name) == (
        "octo-org",
        "payments-api",
        7,
        "octo-org/payments-api",
    )


def test_explicit_values_win_over_the_environment(tmp_path: Path) -> None:
    env = {"GITHUB_REPOSITORY": "a/b", "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {"number": 7}})}
    target = resolve_target(repository="c/d", number=9, environ=env)
    assert (target.full_name, target.number) == ("c/d", 9)


def test_issue_comment_events_on_pull_requests(tmp_path: Path) -> None:
    on_pr = _event(tmp_path, {"issue": {"number": 12, "pull_request": {"url": "x"}}})
    assert pull_number_from_event(on_pr) == 12
    on_issue = _event(tmp_path, {"issue": {"number": 12}})
    assert pull_number_from_event(on_issue) is None


def test_no_pull_request_is_a_clear_error(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "a/b",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": _event(tmp_path, {"ref": "refs/heads/main"}),
    }
    with pytest.raises(UsageError, match="push is not a pull_request event") as caught:
        resolve_target(environ=env)
    assert "--pr" in (caught.value.hint or "")
    assert resolve_target(environ=env, need_number=False).number is None


def test_no_repository_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="pass --repo owner/name"):
        resolve_target(environ={})


@pytest.mark.parametrize("value", ["nope", "a/", "/b", "a/b/c", "a b/c", "-a/b", "a/..", "a/b c"])
def test_bad_repository_names_are_refused(value: str) -> None:
    with pytest.raises(UsageError, match="must look like `owner/name`"):
        parse_repository(value)


def test_an_unreadable_event_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the workflow event payload"):
        pull_number_from_event(tmp_path / "missing.json")
