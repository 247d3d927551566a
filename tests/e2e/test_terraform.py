"""The terraform reusable workflow under act: a pull request is planned and commented, the merge applied.

The caller repository holds one root (local backend, built-in resources); tofu comes
from .tools/bin; the fake GitHub on 127.0.0.1 takes the plan comment and answers the
apply's questions (which pull request merged this commit, what did it review).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from idp_actions.terraform.record import decode
from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES, ROOT, default_payload
from tests.fakes import github_issues
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_state import Commit
from tests.integration.fixtures.terraform.tofu import CLI_CONFIG

pytestmark = pytest.mark.e2e

CALLER = FIXTURES / "callers" / "terraform-caller.yml"
ROOT_TF = """\
terraform {
  backend "local" {}
}

variable "password" {
  type      = string
  default   = "e2e-pa55word"
  sensitive = true
}

module "naming" {
  source = "../../modules/naming"
}

resource "terraform_data" "service" {
  count            = 2
  input            = "${module.naming.name}-${count.index}"
  triggers_replace = [var.password]
}
"""
MODULE_TF = 'output "name" {\n  value = "payments"\n}\n'
IDP_YAML = "version: 1\nterraform:\n  comment-mode: per-root\n  roots:\n    - path: infra/prod\n"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(extensions=[github_issues.register]) as server:
        yield server


def pull_request_payload(slug: str, number: int, head: str) -> dict[str, Any]:
    payload = default_payload("pull_request")
    owner, name = slug.split("/")
    payload["number"] = number
    pull = payload["pull_request"]
    pull["number"] = number
    pull["head"]["sha"] = head
    pull["head"]["repo"] = {**pull["head"]["repo"], "fork": False, "full_name": slug, "name": name}
    pull["base"]["sha"] = "0" * 40  # unknown to the clone: every configured root is planned
    payload["repository"].update(full_name=slug, name=name, default_branch="main")
    payload["repository"]["owner"]["login"] = owner
    return payload


def test_pull_request_plan_comment_then_push_apply(act: Act, fake: FakeGitHub, tmp_path: Path) -> None:
    repo = act.repo(
        workflows=[CALLER],
        reusable=["terraform.yml"],
        files={"infra/prod/main.tf": ROOT_TF, "modules/naming/main.tf": MODULE_TF, ".github/idp.yaml": IDP_YAML},
        slug="acme/infra",
    )
    state = fake.state
    remote = state.create_repo("acme", "infra")
    state.commit(remote, "change", {"infra/prod/main.tf": ROOT_TF}, message="add the root")
    number = state.open_pull(remote, head="change", title="Add infra/prod").number

    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    rc = tmp_path / "tofurc"
    rc.write_text(CLI_CONFIG, encoding="utf-8")
    env = {"GITHUB_API_URL": fake.api_url, "IDP_E2E_ARTIFACTS": str(artifacts), "TF_CLI_CONFIG_FILE": str(rc),
           "CHECKPOINT_DISABLE": "1",
           # the harness's snapshot of our actions leaves policies/ out: point the policy engine at ours
           "IDP_POLICY_LIBRARY": str(ROOT)}
    secrets = {"GITHUB_TOKEN": fake.bot_token, "PLAN_HASH_KEY": "e2e-hash-key"}

    # ------------------------------------------------------------ pull request: plan
    result = act.run(
        repo, "terraform-caller.yml", event="pull_request", payload=pull_request_payload(repo.slug, number, repo.head),
        env=env, secrets=secrets, timeout=240,
    )
    roots = result.job("roots")
    assert roots.succeeded, result.tail()
    matrix = json.loads(roots.outputs["matrix"])
    assert [entry["key"] for entry in matrix["include"]] == ["infra/prod:default"]
    assert roots.outputs["mode"] == "plan"
    plans = [job for job in result.jobs.values() if job.job_id == "plan"]
    assert plans and all(job.succeeded for job in plans), result.tail()
    assert "OpenTofu plan: `infra/prod`" in result.summary
    assert "e2e-pa55word" not in result.summary
    comment_job = result.job("comment")
    assert comment_job.succeeded, result.tail()
    (body,) = [c.body for c in state.comments_on(remote, number)]
    assert body.startswith("<!-- idp-actions:sticky purpose=terraform-plan key=infra/prod:default -->")
    (record,) = decode(body)
    assert record.commit == repo.head and record.has_changes
    assert "2 to add" in body and "e2e-pa55word" not in body
    assert "**Policy:** every check passed." in body  # idp policy check ran over the plan
    assert (artifacts / "terraform-plan-infra-prod-default" / "section.json").is_file()
    assert not (artifacts / "terraform-plan-infra-prod-default" / "plan.json").exists()  # secrets stay behind
    roles = (tmp_path / "aws-roles.txt").read_text(encoding="utf-8")
    assert "idp-terraform-plan arn:aws:iam::123456789012:role/infra-plan" in roles

    # ------------------------------------------------------------------ merge: apply
    with state.lock:
        pull = remote.issues[number].pull
        assert pull is not None
        head = remote.head("change")
        assert head is not None
        remote.commits[repo.head] = Commit(
            sha=repo.head, tree=dict(head.tree), parents=[head.sha], message="Merge", author_name="octocat",
            author_email="octocat@example.invalid", date=state.now(),
        )
        remote.refs["refs/heads/main"] = repo.head
        pull.merged_at = state.now()
        pull.merge_commit_sha = repo.head
        remote.issues[number].state = "closed"
    push = default_payload("push")
    push.update(ref="refs/heads/main", before="0" * 40, after=repo.head)
    push["repository"].update(full_name=repo.slug, name="infra", default_branch="main")
    result = act.run(repo, "terraform-caller.yml", event="push", payload=push, env=env, secrets=secrets, timeout=240)
    roots = result.job("roots")
    assert roots.succeeded and roots.outputs["mode"] == "apply", result.tail()
    applies = [job for job in result.jobs.values() if job.job_id == "apply"]
    assert applies and all(job.succeeded for job in applies), result.tail()
    assert "✅ infra/prod:default: applied" in result.summary
    assert f"Applied the reviewed plan `{record.plan_hash}`" in result.summary
    roles = (tmp_path / "aws-roles.txt").read_text(encoding="utf-8")
    assert "idp-terraform-apply arn:aws:iam::123456789012:role/infra-apply" in roles


def test_fork_pull_request_plans_without_credentials_or_comment(act: Act, fake: FakeGitHub, tmp_path: Path) -> None:
    repo = act.repo(
        workflows=[CALLER],
        reusable=["terraform.yml"],
        files={"infra/prod/main.tf": ROOT_TF, "modules/naming/main.tf": MODULE_TF, ".github/idp.yaml": IDP_YAML},
        slug="acme/infra",
    )
    remote = fake.state.create_repo("acme", "infra")
    fake.state.commit(remote, "fork-change", {"x": "y"}, message="from a fork")
    number = fake.state.open_pull(remote, head="fork-change").number
    payload = pull_request_payload(repo.slug, number, repo.head)
    payload["pull_request"]["head"]["repo"]["fork"] = True
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    rc = tmp_path / "tofurc"
    rc.write_text(CLI_CONFIG, encoding="utf-8")
    env = {"GITHUB_API_URL": fake.api_url, "IDP_E2E_ARTIFACTS": str(artifacts), "TF_CLI_CONFIG_FILE": str(rc),
           "CHECKPOINT_DISABLE": "1", "IDP_POLICY_LIBRARY": str(ROOT)}

    result = act.run(repo, "terraform-caller.yml", event="pull_request", payload=payload, env=env,
                     secrets={"GITHUB_TOKEN": fake.bot_token}, timeout=240)

    plans = [job for job in result.jobs.values() if job.job_id == "plan"]
    assert plans and all(job.succeeded for job in plans), result.tail()
    assert "OpenTofu plan: `infra/prod`" in result.summary  # the plan is in the step summary
    assert not (tmp_path / "aws-roles.txt").exists()  # no cloud credentials for a fork
    assert "comment" not in {job.job_id for job in result.jobs.values() if job.result == "success"}
    assert fake.state.comments_on(remote, number) == []
