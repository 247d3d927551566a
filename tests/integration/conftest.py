"""Fixtures for integration tests: the fake GitHub and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from idp_actions.github import RetrySettings, make_github
from tests.conftest import require_tool
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openapi import nonconforming
from tests.registry import Registry, running_registry

if TYPE_CHECKING:
    from github import Github

#: Retry settings for tests: real retries and rate-limit handling, waits of milliseconds.
FAST_RETRY = RetrySettings(
    total=3,
    backoff_factor=0.01,
    backoff_max=0.05,
    secondary_rate_wait=0.05,
    max_wait=5,
    seconds_between_requests=None,
    seconds_between_writes=None,
)


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running fake GitHub; afterwards every response it gave is checked against GitHub's OpenAPI."""
    with FakeGitHub() as fake:
        yield fake
    problems = nonconforming(fake.exchanges)
    if problems:
        pytest.fail("the fake GitHub answered outside GitHub's OpenAPI description:\n" + "\n".join(problems))


@pytest.fixture
def github_client(fake_github: FakeGitHub) -> Iterator[Github]:
    """A PyGithub client from ``make_github`` for the fake's user ``octocat`` (fast retries)."""
    with make_github(token=fake_github.user_token, base_url=fake_github.api_url, retry=FAST_RETRY) as gh:
        yield gh


@pytest.fixture
def bot_client(fake_github: FakeGitHub) -> Iterator[Github]:
    """A client with the fake's GITHUB_TOKEN-like integration token (``github-actions[bot]``)."""
    with make_github(token=fake_github.bot_token, base_url=fake_github.api_url, retry=FAST_RETRY) as gh:
        yield gh


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """A real OCI registry (CNCF distribution, scripts/setup builds it) on 127.0.0.1, storage under tmp_path."""
    with running_registry(tmp_path / "registry", require_tool("registry")) as running:
        yield running
