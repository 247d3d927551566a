"""Which files are which kind of input."""

from __future__ import annotations

import pytest

from idp_actions.policy.inputs import is_dockerfile, is_plan, is_workflow


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Dockerfile", True), ("Containerfile", True), ("Dockerfile.prod", True), ("api.Dockerfile", True),
     ("dockerfile", True), ("Dockerfile.md", False), ("Dockerfile.dockerignore", False), ("docker-compose.yml", False)],
)
def test_dockerfiles(name: str, expected: bool) -> None:
    assert is_dockerfile(name) is expected


def test_workflows_and_actions() -> None:
    assert is_workflow(".github/workflows/ci.yml")
    assert is_workflow("sub/.github/workflows/ci.yaml")
    assert is_workflow("actions/setup/action.yml")
    assert not is_workflow(".github/dependabot.yml")
    assert not is_workflow("deploy/workflows/x.yml")


def test_plans() -> None:
    assert is_plan({"format_version": "1.2", "resource_changes": []})
    assert is_plan({"format_version": "1.2", "planned_values": {}})
    assert not is_plan({"format_version": "1.2"})
    assert not is_plan([{"format_version": "1.2", "resource_changes": []}])
