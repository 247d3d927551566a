"""The self-check reusable workflow, run for real by act on throwaway caller repositories."""

from __future__ import annotations

import pytest

from idp_actions import __version__
from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES

pytestmark = pytest.mark.e2e

CALLER = FIXTURES / "callers" / "self-check-caller.yml"
IDP_CONFIG = "# idp-actions configuration\nversion: 1\n"
LINT_STEP = "Lint workflows, actions and .github/idp.yaml"

# A workflow a service might have written: a third-party action on a moving tag.
UNPINNED = """\
name: build
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version: "22"
      - run: npm test
"""


def test_self_check_installs_idp_and_passes_a_clean_repository(act: Act) -> None:
    repo = act.repo(workflows=[CALLER], reusable=["self-check.yml"], files={".github/idp.yaml": IDP_CONFIG})

    result = act.run(repo, "self-check-caller.yml", timeout=120)

    check = result.job("self-check")
    assert check.succeeded, f"self-check failed: {check.errors}\n{result.tail()}"
    assert check.step(LINT_STEP).result == "success"
    # the job output, and the same value after act carried it through workflow_call to the caller
    assert check.outputs["idp-version"] == __version__
    report = result.job("report")
    assert report.succeeded, result.tail()
    assert report.step_outputs[("report",)] == {"idp-version": __version__, "check-result": "success"}
    assert f"idp-actions self-check ran idp {__version__}" in check.summary
    assert result.returncode == 0, result.tail()


def test_self_check_fails_on_an_unpinned_third_party_action(act: Act) -> None:
    repo = act.repo(
        workflows={"self-check-caller.yml": CALLER, "build.yml": UNPINNED},
        reusable=["self-check.yml"],
        files={".github/idp.yaml": IDP_CONFIG},
    )

    result = act.run(repo, "self-check-caller.yml", timeout=120)

    check = result.job("self-check")
    assert not check.succeeded, result.tail()
    assert result.returncode != 0
    # it failed where it should, for the reason it should: idp ran, and lint found the pin
    assert check.step("Show idp's version").result == "success"
    assert check.step(LINT_STEP).result == "failure"
    assert any("actions/setup-node@v4" in error for error in check.errors), check.errors
    assert not any("internal error" in error for error in check.errors), check.errors
