"""Fixtures of the e2e tier: real workflows run by `act`, offline (see harness.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from tests.e2e.harness import ActResult, ActSession, CallerRepo


@pytest.fixture(scope="session")
def act_session(tmp_path_factory: pytest.TempPathFactory) -> ActSession:
    """act, a fake HOME, the shared tool cache with idp's venv seeded once, a snapshot of our actions."""
    return ActSession(tmp_path_factory.mktemp("act-session"), act=require_tool("act"))


class Act:
    """Per-test entry point: build caller repositories under ``tmp_path`` and run act there.

    Example::

        repo = act.repo(workflows=[FIXTURES / "callers/self-check-caller.yml"], reusable=["self-check.yml"])
        result = act.run(repo, "self-check-caller.yml")
        assert result.job("self-check").succeeded, result.tail()
    """

    def __init__(self, session: ActSession, tmp_path: Path) -> None:
        self.session = session
        self.tmp_path = tmp_path
        self._runs = 0

    def repo(
        self,
        *,
        workflows: Mapping[str, str | Path] | Sequence[str | Path] = (),
        reusable: Sequence[str] = (),
        files: Mapping[str, str | Path] | None = None,
        slug: str = "acme/service",
        name: str = "caller",
    ) -> CallerRepo:
        """A caller repository (see :meth:`ActSession.caller_repo`)."""
        return self.session.caller_repo(
            self.tmp_path / name, workflows=workflows, reusable=reusable, files=files, slug=slug
        )

    def run(self, repo: CallerRepo, workflow: str, **options: Any) -> ActResult:
        """Run act (see :meth:`ActSession.run` for the options)."""
        self._runs += 1
        return self.session.run(repo, workflow, run_dir=self.tmp_path / f"act-run-{self._runs}", **options)


@pytest.fixture
def act(act_session: ActSession, tmp_path: Path) -> Act:
    """Build caller repositories and run workflows in them under act."""
    return Act(act_session, tmp_path)
