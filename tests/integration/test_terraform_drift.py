"""Drift issues on the fake GitHub (opened, updated, closed) and changed roots from real git history."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import github_issues
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openapi import nonconforming
from tests.integration.fixtures.terraform.tofu import Infra, make_infra, tofu

PROD = "infra/prod"
MARK = "<!-- idp-actions:sticky purpose=terraform-drift key=infra/prod:default -->"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(extensions=[github_issues.register]) as server:
        yield server
    problems = nonconforming(server.exchanges)
    assert not problems, "\n".join(problems)


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions_env: dict[str, Path], fake: FakeGitHub) -> Infra:
    return make_infra(tmp_path, monkeypatch, actions_env, fake)


def drift_issues(infra: Infra) -> list[github_issues.Issue]:
    return [i for i in infra.repo.issues.values() if i.pull is None]


def test_drift_opens_updates_and_closes_one_issue(infra: Infra) -> None:
    directory = infra.root / PROD
    tofu(["init", "-input=false"], directory, infra.env)
    tofu(["apply", "-auto-approve", "-input=false"], directory, infra.env)

    code, outputs, _ = infra.run("terraform", "drift", "--root", PROD, "--issue")
    assert code == 0 and outputs["drift"] == "false" and outputs["issue-action"] == "none"
    assert drift_issues(infra) == []

    # changed out of band: someone applied other values by hand
    tofu(["apply", "-auto-approve", "-input=false", "-var", "size=1"], directory, infra.env)
    code, outputs, summary = infra.run("terraform", "drift", "--root", PROD, "--issue")
    assert code == 0 and outputs["drift"] == "true" and outputs["issue-action"] == "opened"
    (issue,) = drift_issues(infra)
    assert issue.body is not None and issue.body.startswith(MARK)
    assert issue.title == "Drift: infra/prod (workspace default) differs from its configuration"
    assert "1 to add" in issue.body and "pa55-w0rd-from-default" not in issue.body
    assert github_issues.store(infra.fake.state).issue_labels[issue.id] == ["terraform-drift"]
    assert "## OpenTofu plan" in summary

    # still drifted, differently: the same issue is updated, with a comment saying what changed
    tofu(["apply", "-auto-approve", "-input=false", "-var", "name=renamed"], directory, infra.env)
    code, outputs, _ = infra.run("terraform", "drift", "--root", PROD, "--issue", "--fail-on-drift")
    assert code == 2 and outputs["issue-action"] == "updated"
    assert outputs["issue-number"] == str(issue.number)
    assert len(drift_issues(infra)) == 1
    assert any("The drift changed" in body for body in infra.comments(issue.number))

    # reconciled: the issue is closed with a comment
    tofu(["apply", "-auto-approve", "-input=false"], directory, infra.env)
    code, outputs, _ = infra.run("terraform", "drift", "--root", PROD, "--issue")
    assert code == 0 and outputs["drift"] == "false" and outputs["issue-action"] == "closed"
    assert issue.state == "closed"
    assert github_issues.store(infra.fake.state).state_reasons[issue.id] == "completed"
    assert any("No drift left" in body for body in infra.comments(issue.number))

    # drift again later: a new issue (the closed one stays closed)
    tofu(["apply", "-auto-approve", "-input=false", "-var", "size=3"], directory, infra.env)
    code, outputs, _ = infra.run("terraform", "drift", "--root", PROD, "--issue")
    assert outputs["issue-action"] == "opened" and outputs["issue-number"] != str(issue.number)


def test_an_issue_someone_else_wrote_with_the_marker_is_left_alone(infra: Infra) -> None:
    mallory = infra.fake.state.account("mallory")
    forged = infra.fake.state.open_issue(infra.repo, title="x", body=MARK + "\nforged", user=mallory)
    github_issues.store(infra.fake.state).issue_labels[forged.id] = ["terraform-drift"]
    github_issues.ensure_label(infra.fake.state, infra.repo, "terraform-drift")
    _, outputs, _ = infra.run("terraform", "drift", "--root", PROD, "--issue")
    assert outputs["issue-action"] == "opened" and outputs["issue-number"] != str(forged.number)
    assert forged.state == "open" and forged.body == MARK + "\nforged"


# ----------------------------------------------------------------------- roots


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_roots_from_a_pull_requests_commits(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    repo = infra.root
    (repo / ".github").mkdir()
    (repo / ".github" / "idp.yaml").write_text(
        "version: 1\nterraform:\n  roots:\n    - path: infra/prod\n      workspaces: [staging, prod]\n"
        "    - path: infra/big\n    - path: infra/slow\n",
        encoding="utf-8",
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "modules" / "naming" / "main.tf").write_text("# changed module\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "change the module")

    code, outputs, _ = infra.run("terraform", "roots", "--base", base, "--head", "HEAD")
    assert code == 0
    matrix = json.loads(outputs["matrix"])
    assert [e["key"] for e in matrix["include"]] == ["infra/prod:staging", "infra/prod:prod"]
    assert matrix["include"][0]["slug"] == "infra-prod-staging" and outputs["count"] == "2"

    git(repo, "mv", "infra/slow/main.tf", "infra/slow/slow.tf")  # a rename touches only its root
    git(repo, "commit", "-q", "-m", "rename")
    code, outputs, _ = infra.run("terraform", "roots", "--base", base)
    assert json.loads(outputs["roots"]) == ["infra/prod", "infra/slow"]

    # an unknown base (a new branch's push, a shallow clone) plans every root, with a warning
    code, outputs, _ = infra.run("terraform", "roots", "--base", "0" * 40)
    assert outputs["count"] == "4"
    code, outputs, _ = infra.run("terraform", "roots", "--base", "deadbeef" * 5)
    assert outputs["count"] == "4"
    code, outputs, _ = infra.run("terraform", "roots", "--all", "--root", "infra/big")
    assert json.loads(outputs["roots"]) == ["infra/big"]
    capsys.readouterr()
    code, _, _ = infra.run("terraform", "roots", "--all", "--root", "infra/bigg")  # a typo would plan nothing
    said = capsys.readouterr()
    assert code == 1 and "no Terraform root `infra/bigg` in this repository" in said.out + said.err
