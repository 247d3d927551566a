"""The promote reusable workflow, run for real by act: dev → staging → prod against the local fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES
from tests.fakes.github_state import Commit
from tests.fakes.promotion_world import SERVICE_REPO, PromotionWorld, digest, states

pytestmark = pytest.mark.e2e

CALLER = FIXTURES / "callers" / "promote-caller.yml"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[PromotionWorld]:
    with PromotionWorld(tmp_path / "world") as w:
        yield w


def job_env(world: PromotionWorld) -> dict[str, str]:
    env = world.env()
    return {k: env[k] for k in ("GITHUB_API_URL", "GITHUB_SERVER_URL", "IDP_GITOPS_URL")}


def test_promote_workflow_goes_dev_staging_prod(act: Act, world: PromotionWorld) -> None:
    config = (world.service_dir / ".github" / "idp.yaml").read_text()
    repo = act.repo(workflows=[CALLER], reusable=["promote.yml"], files={".github/idp.yaml": config}, slug=SERVICE_REPO)
    with world.github.state.lock:  # the fake GitHub knows the caller's commit (the deployments' ref)
        service = world.github.state.repo(SERVICE_REPO)
        assert service is not None
        head = service.head("main")
        assert head is not None
        service.commits[repo.head] = Commit(
            sha=repo.head,
            tree=dict(head.tree),
            parents=[],
            message="caller fixture",
            author_name="e2e",
            author_email="e2e@example.invalid",
            date=head.date,
        )

    result = act.run(
        repo,
        "promote-caller.yml",
        inputs={"digest": digest(7), "to": "prod"},
        secrets={
            "ARGOCD_AUTH_TOKEN": world.argocd.token,
            "GITOPS_TOKEN": world.github.bot_token,
            "GITHUB_TOKEN": world.github.bot_token,
        },
        env=job_env(world),
        timeout=240,
    )

    report = result.job("report")
    outputs = report.step_outputs.get(("report",), {})
    assert outputs.get("result") == "success", result.tail(120)
    assert outputs["dev"] == "promoted" and outputs["staging"] == "promoted", outputs
    assert outputs["prod"] == "proposed" and "/acme/gitops/pull/" in outputs["pull"], outputs
    assert world.pinned("payments", "dev") == digest(7) and world.pinned("payments", "staging") == digest(7)
    assert world.pinned("payments", "prod") == digest(1)  # waiting for review
    assert [states(d) for d in world.deployments()] == [
        ["in_progress", "success"],
        ["in_progress", "success"],
        ["queued"],
    ]
    assert all(d.sha == repo.head for d in world.deployments())
    assert "```mermaid" in result.summary and "Promotion: `payments` → `dev`" in result.summary


def test_a_tag_fails_the_dev_job_with_an_annotation_and_writes_nothing(act: Act, world: PromotionWorld) -> None:
    config = (world.service_dir / ".github" / "idp.yaml").read_text()
    repo = act.repo(workflows=[CALLER], reusable=["promote.yml"], files={".github/idp.yaml": config}, slug=SERVICE_REPO)
    head = world.remote.head()

    result = act.run(
        repo,
        "promote-caller.yml",
        inputs={"digest": "v1.2.3", "to": "prod"},
        secrets={
            "ARGOCD_AUTH_TOKEN": world.argocd.token,
            "GITOPS_TOKEN": world.github.bot_token,
            "GITHUB_TOKEN": world.github.bot_token,
        },
        env=job_env(world),
        timeout=180,
    )

    dev = result.job("dev")
    assert not dev.succeeded, result.tail()
    assert any("looks like a tag: only image digests are promoted" in e for e in dev.errors), dev.errors
    assert not any("internal error" in e for e in dev.errors)
    assert result.returncode != 0  # act stops at the failed job: staging and prod never start
    assert not any(job.key.endswith(("promote to staging", "promote to prod")) for job in result.jobs.values())
    assert world.remote.head() == head and world.deployments() == []
