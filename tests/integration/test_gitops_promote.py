"""`idp promote` and `idp rollback` end to end: real git, fake Argo CD and fake GitHub (both contract-checked)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from idp_actions import cli
from idp_actions.gitops import argocd as argocd_module
from idp_actions.gitops import promotion as promotion_module
from idp_actions.gitops.backoff import Backoff
from idp_actions.gitops.message import parse_trailers
from idp_actions.gitops.repo import GitRepo
from tests.fakes.argocd_server import GET_APP, SYNC_APP
from tests.fakes.promotion_world import SERVICE_REPO, PromotionWorld, digest, states
from tests.integration.conftest import FAST_RETRY

POLL = ["--poll-interval", "0.005"]


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real retries and backoff, waits of milliseconds."""
    import idp_actions.github as github_module

    monkeypatch.setattr(github_module, "make_github", functools.partial(github_module.make_github, retry=FAST_RETRY))
    monkeypatch.setattr(promotion_module, "PUSH_BACKOFF", Backoff(attempts=15, base=0.01, cap=0.05))
    monkeypatch.setattr(argocd_module, "API_BACKOFF", Backoff(attempts=3, base=0.01, cap=0.02))
    monkeypatch.setattr(argocd_module, "REQUEST_TIMEOUT", 2.0)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PromotionWorld]:
    with PromotionWorld(tmp_path, services=["payments", "orders"]) as w:
        monkeypatch.chdir(w.service_dir)
        for key, value in w.env().items():
            monkeypatch.setenv(key, value)
        yield w


def idp(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = cli.main([*args, *POLL])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def promote(capsys: pytest.CaptureFixture[str], service: str, env: str, *args: str) -> Run:
    return idp(capsys, "promote", "--service", service, "--to", env, *args)


def healthy_everywhere(world: PromotionWorld, service: str, n: int) -> None:
    """Seed: ``digest(n)`` in every overlay and Argo CD synced to it (a steady state to start from)."""
    files = {
        world.remote.overlay(service, env): world.remote.show(world.remote.overlay(service, env)).replace(
            digest(1), digest(n)
        )
        for env in ("dev", "staging", "prod")
    }
    world.remote.commit(files, f"steady state {n}")
    for env in ("dev", "staging", "prod"):
        world.argocd.add_app(f"{service}-{env}", path=f"apps/{service}/overlays/{env}")


# ---------------------------------------------------------------- happy path


def test_dev_to_staging_to_prod(world: PromotionWorld, capsys: pytest.CaptureFixture[str]) -> None:
    start = world.remote.count()

    dev = promote(capsys, "payments", "dev", "--digest", digest(2))
    assert dev.code == 0, dev.err
    assert dev.out.startswith(f"promoted: payments in dev -> {digest(2)[:19]}: Synced and Healthy at ")
    assert world.pinned("payments", "dev") == digest(2)
    trailers = parse_trailers(world.remote.messages()[0])
    assert trailers["Idp-Service"] == "payments" and trailers["Idp-Environment"] == "dev"
    assert trailers["Idp-Digest"] == digest(2) and trailers["Idp-Previous-Digest"] == digest(1)
    assert trailers["Idp-Source-Run"] == world.run_url
    assert trailers["Idp-Source-Commit"] == world.source_sha
    (deployment,) = world.deployments("dev")
    assert states(deployment) == ["in_progress", "success"]
    assert deployment.payload["digest"] == digest(2) and deployment.payload["gitops_commit"] == world.remote.head()
    assert deployment.statuses[-1].environment_url == "https://payments.dev.example.com"
    assert deployment.statuses[-1].target_url == world.run_url

    staging = promote(capsys, "payments", "staging", "--from", "dev")
    assert staging.code == 0, staging.err
    assert world.pinned("payments", "staging") == digest(2)
    assert "checking that dev (payments-dev) runs" in staging.err

    prod = promote(capsys, "payments", "prod", "--digest", digest(2))
    assert prod.code == 0, prod.err
    assert prod.out.startswith("proposed: payments in prod")
    assert world.pinned("payments", "prod") == digest(1)  # nothing on the branch until the PR is merged
    assert world.remote.count() == start + 2
    branch = f"idp/promote/payments/prod/{digest(2)[7:19]}"
    assert branch in world.remote.branches()
    (pull,) = [i for i in world.github.state.repo("acme/gitops").issues.values() if i.pull]
    assert pull.pull is not None and pull.pull.head_ref == branch and pull.pull.base_ref == "main"
    assert pull.title == f"promote(payments): prod to {digest(2)[:19]}"
    assert "```mermaid" in (pull.body or "") and "- **staging**: runs" in (pull.body or "")
    assert f"+    digest: {digest(2)}  # promoted by idp" in (pull.body or "")
    assert world.ext.labels_of("acme/gitops", pull.number) == ["promotion", "env:prod", "service:payments"]
    (prod_deployment,) = world.deployments("prod")
    assert states(prod_deployment) == ["queued"] and prod_deployment.production

    world.remote.merge(branch)  # a reviewer merges the pull request
    after_merge = promote(capsys, "payments", "prod", "--digest", digest(2))
    assert after_merge.code == 0, after_merge.err
    assert "completing deployment" in after_merge.err
    assert states(prod_deployment) == ["queued", "in_progress", "success"]
    assert world.pinned("payments", "prod") == digest(2)
    assert len(world.deployments()) == 3


def test_rerunning_a_promotion_makes_exactly_one_commit(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    start = world.remote.count()
    assert promote(capsys, "payments", "dev", "--digest", digest(2)).code == 0
    syncs = world.argocd.count("POST", SYNC_APP)

    again = promote(capsys, "payments", "dev", "--digest", digest(2))

    assert again.code == 0 and again.out.startswith("already-promoted: payments in dev")
    assert world.remote.count() == start + 1
    assert len(world.deployments("dev")) == 1
    assert world.argocd.count("POST", SYNC_APP) == syncs


def test_ten_concurrent_promotions_of_different_services_all_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services = [f"svc{i}" for i in range(10)]
    with PromotionWorld(tmp_path, services=services) as world:
        monkeypatch.chdir(world.service_dir)
        for key, value in world.env().items():
            monkeypatch.setenv(key, value)
        start = world.remote.head()
        codes: dict[str, int] = {}
        barrier = threading.Barrier(len(services))

        def one(service: str, n: int) -> None:
            barrier.wait()
            codes[service] = cli.main(["promote", "--service", service, "--to", "dev", "--digest", digest(n), *POLL])

        threads = [threading.Thread(target=one, args=(s, 10 + i)) for i, s in enumerate(services)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert codes == dict.fromkeys(services, 0), capsys.readouterr().err[-3000:]
        assert world.remote.contains(start)
        assert world.remote.count() == 1 + len(services)  # the seed, then one commit each
        for i, service in enumerate(services):
            assert world.pinned(service, "dev") == digest(10 + i)
        # each succeeded; GitHub's auto_inactive then retired all but the newest in the environment
        done = [states(d) for d in world.deployments("dev")]
        assert done == [["in_progress", "success", "inactive"]] * 9 + [["in_progress", "success"]]


def test_two_promotions_of_the_same_file_end_in_one_clean_conflict(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_push = GitRepo.push
    landed: list[str] = []

    def push_after_the_other_one(self: GitRepo, **kwargs: object) -> object:
        if not landed:  # the other promotion lands between our commit and our push
            landed.append("running")
            other = promote(capsys, "payments", "dev", "--digest", digest(3))
            assert other.code == 0, other.err
            landed.append(world.remote.head())
        return real_push(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(GitRepo, "push", push_after_the_other_one)
    mine = promote(capsys, "payments", "dev", "--digest", digest(2))

    assert mine.code == 1
    assert "conflicts with this one; nothing was pushed" in mine.err
    assert "apps/payments/overlays/dev/kustomization.yaml" in mine.err
    assert world.remote.head() == landed[1] and world.pinned("payments", "dev") == digest(3)
    assert [states(d) for d in world.deployments("dev")] == [["in_progress", "success"]]


# ----------------------------------------------------- verification failures


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("degraded", "the Application is Degraded"),
        ("stuck", "not Synced and Healthy at"),
        ("wrong-revision", "the Application follows another revision"),
        ("healthy-before-reconcile", "the Application is Degraded"),
    ],
)
def test_failed_verification_blocks_and_auto_rollback_restores_the_previous_digest(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str], behaviour: str, reason: str
) -> None:
    world.write_config(rollback="auto", timeout=10)
    world.argocd.behaviour[digest(3)] = behaviour  # type: ignore[assignment]
    start = world.remote.count()

    run = promote(capsys, "payments", "dev", "--digest", digest(3), "--timeout", "0.5")

    assert run.code == 1
    assert reason in run.err
    assert f"dev runs {digest(1)[:19]} again" in run.err
    assert world.pinned("payments", "dev") == digest(1)
    assert world.remote.count() == start + 2
    rollback = parse_trailers(world.remote.messages()[0])
    assert rollback["Idp-Digest"] == digest(1) and rollback["Idp-Rollback-Of"] == digest(3)
    assert reason in rollback["Idp-Rollback-Reason"]
    failed, restored = world.deployments("dev")
    assert states(failed) == ["in_progress", "failure"] and states(restored) == ["in_progress", "success"]
    assert restored.payload["rollback_of"] == digest(3)
    app = world.argocd.apps["payments-dev"]
    assert app.images == [f"ghcr.io/acme/payments@{digest(1)}"] and app.health == "Healthy"


def test_without_auto_rollback_a_degraded_promotion_fails_and_says_how_to_roll_back(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.argocd.behaviour[digest(3)] = "degraded"

    run = promote(capsys, "payments", "dev", "--digest", digest(3))

    assert run.code == 1 and "Degraded" in run.err
    assert "idp rollback --service payments --env dev" in run.err
    assert world.pinned("payments", "dev") == digest(3)

    back = idp(capsys, "rollback", "--service", "payments", "--env", "dev", "--reason", "Degraded after deploy")

    assert back.code == 0, back.err
    assert world.pinned("payments", "dev") == digest(1)
    trailers = parse_trailers(world.remote.messages()[0])
    assert trailers["Idp-Rollback-Of"] == digest(3) and trailers["Idp-Rollback-Reason"] == "Degraded after deploy"
    assert world.deployments("dev")[-1].payload["rollback_reason"] == "Degraded after deploy"


# ------------------------------------------------------------- Argo CD faults


def test_argo_server_errors_are_retried(world: PromotionWorld, capsys: pytest.CaptureFixture[str]) -> None:
    world.argocd.inject("server-error", times=1)
    world.argocd.inject("bad-gateway", method="GET", times=1)
    world.argocd.inject("server-error", method="POST", times=2)

    run = promote(capsys, "payments", "dev", "--digest", digest(2))

    assert run.code == 0, run.err
    assert [e.status for e in world.argocd.exchanges[:6]] == [503, 502, 200, 503, 503, 200]


def test_argo_unreachable_after_the_push_fails_clearly_and_a_rerun_verifies(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.argocd.inject("slow", times=3, delay=0.3)
    argocd_module.REQUEST_TIMEOUT = 0.1  # restored by the autouse fixture's monkeypatch

    run = promote(capsys, "payments", "dev", "--digest", digest(2))

    assert run.code == 1
    assert "was pushed to dev" in run.err and "failed 3 times; last: no answer within 0.1s" in run.err
    (deployment,) = world.deployments("dev")
    assert states(deployment) == ["in_progress", "error"]

    again = promote(capsys, "payments", "dev", "--digest", digest(2))

    assert again.code == 0, again.err
    assert states(deployment) == ["in_progress", "error", "in_progress", "success"]
    assert len(world.deployments("dev")) == 1


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "payments", "--to", "dev", "--digest", "v1.2.3"], "looks like a tag: only image digests"),
        (["--service", "payments", "--to", "dev", "--digest", "ghcr.io/acme/payments:1.0"], "looks like a tag"),
        (["--service", "billing", "--to", "dev", "--digest", digest(2)], "unknown service `billing`"),
        (["--service", "payments", "--to", "qa", "--digest", digest(2)], "unknown environment `qa`"),
        (["--service", "Payments!", "--to", "dev", "--digest", digest(2)], "is not valid"),
        (["--service", "payments", "--to", "dev"], "say what to promote"),
        (["--service", "payments", "--to", "staging", "--digest", digest(2), "--force"], "--force needs --reason"),
        (["--service", "payments", "--to", "staging", "--digest", digest(2)], "cannot promote payments to `staging`"),
        (["--service", "payments", "--to", "prod", "--digest", digest(2)], "cannot promote payments to `prod`"),
        (["--service", "payments", "--to", "prod", "--from", "qa"], "unknown environment `qa`"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    head = world.remote.head()
    branches = world.remote.branches()

    run = idp(capsys, "promote", *args)

    assert run.code == 1 and message in run.err, run.err
    assert "internal error" not in run.err
    assert world.remote.head() == head and world.remote.branches() == branches
    assert world.deployments() == []
    assert world.argocd.count("POST", SYNC_APP) == 0


def test_a_missing_overlay_is_refused(world: PromotionWorld, capsys: pytest.CaptureFixture[str]) -> None:
    world.remote.commit({world.remote.overlay("orders", "dev"): None}, "drop the dev overlay of orders")
    head = world.remote.head()

    run = promote(capsys, "orders", "dev", "--digest", digest(2))

    assert run.code == 1
    assert "no overlay for `orders` in `dev`: apps/orders/overlays/dev/kustomization.yaml does not exist" in run.err
    assert world.remote.head() == head


def test_the_order_check_names_what_the_previous_environment_runs(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert promote(capsys, "payments", "dev", "--digest", digest(2)).code == 0

    run = promote(capsys, "payments", "staging", "--digest", digest(9))

    assert run.code == 1
    assert f"`dev` runs {digest(2)[:19]} (it must run {digest(9)[:19]}, Synced and Healthy, first)" in run.err
    assert "--force --reason TEXT" in run.err


def test_force_with_a_reason_skips_the_order_and_records_why(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    run = promote(capsys, "payments", "staging", "--digest", digest(5), "--force", "--reason", "hotfix INC-42")

    assert run.code == 0, run.err
    assert parse_trailers(world.remote.messages()[0])["Idp-Force-Reason"] == "hotfix INC-42"
    assert world.deployments("staging")[0].payload["force_reason"] == "hotfix INC-42"


def test_no_wait_requests_the_sync_and_returns(world: PromotionWorld, capsys: pytest.CaptureFixture[str]) -> None:
    run = promote(capsys, "payments", "dev", "--digest", digest(2), "--no-wait")

    assert run.code == 0, run.err
    assert "not waited for" in run.out
    assert world.argocd.count("POST", SYNC_APP) == 1 and world.argocd.count("GET", GET_APP) == 1
    assert states(world.deployments("dev")[0]) == ["in_progress"]


def test_outputs_and_step_summary_in_actions(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str], actions_env: dict[str, Path]
) -> None:
    run = promote(capsys, "payments", "dev", "--digest", digest(2))

    assert run.code == 0, run.err
    outputs = actions_env["OUTPUT"].read_text()
    assert "status<<" in outputs and "promoted" in outputs and digest(2) in outputs
    summary = actions_env["STEP_SUMMARY"].read_text()
    assert "## ✅ Promotion: `payments` → `dev`" in summary
    assert "```mermaid\nflowchart LR" in summary and "Synced / Healthy" in summary
    assert SERVICE_REPO


def test_a_pull_request_promotion_makes_at_most_six_github_api_calls(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    for env in ("dev", "staging"):
        assert promote(capsys, "payments", env, "--digest", digest(2)).code == 0
    before = len(world.github.exchanges)

    assert promote(capsys, "payments", "prod", "--digest", digest(2)).code == 0

    calls = [f"{e.method} {e.template}" for e in world.github.exchanges[before:]]
    assert len(calls) <= 6, calls
    assert "POST /repos/{owner}/{repo}/pulls" in calls

    rerun_before = len(world.github.exchanges)
    rerun = promote(capsys, "payments", "prod", "--digest", digest(2))
    assert rerun.code == 0 and rerun.out.startswith("already-proposed: payments in prod")
    assert len(world.github.exchanges) - rerun_before <= 2  # one lookup of the open pull request


def test_a_new_production_deployment_retires_the_previous_one(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.write_config(prod_mode="direct")
    for n in (2, 3):
        run = promote(capsys, "payments", "prod", "--digest", digest(n), "--force", "--reason", f"drill {n}")
        assert run.code == 0, run.err

    first, second = world.deployments("prod")
    assert first.production and second.production
    # GitHub leaves production deployments alone (auto_inactive skips them): idp retires the superseded one
    assert states(first) == ["in_progress", "success", "inactive"]
    assert states(second) == ["in_progress", "success"]
