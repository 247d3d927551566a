"""Publishing through the fake GitHub: the repository is created, pushed to a local bare repository,
protected and registered in the GitOps repository by pull request; a failure after the repository
exists undoes it (or archives and marks it when deletion is refused). Every response the fake gave
is checked against GitHub's OpenAPI description afterwards, and the ruleset request against its
request schema."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions import cli
from idp_actions.config import parse_config
from idp_actions.errors import GitHubError
from idp_actions.github import make_github
from idp_actions.scaffold.hub import Hub, app_token
from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.publish import FAILED_TOPIC, Options, ScaffoldError, prepare, publish
from idp_actions.scaffold.render import Rendered, entity_ref, render
from idp_actions.scaffold.request import Context, RequestError, ScaffoldRequest, check_github, parse_request
from tests.conftest import ROOT, require_tool
from tests.fakes.github_scaffold import GitBacking
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openapi import nonconforming
from tests.integration.conftest import FAST_RETRY

TEMPLATES = ROOT / "templates"
PLATFORM = "version: 1\norg:\n  name: acme\n  default-team: team-payments\ngitops:\n  repository: acme/gitops\n"
SETTINGS = parse_config(PLATFORM).as_dict()


@dataclass
class Platform:
    fake: FakeGitHub
    backing: GitBacking
    hub: Hub
    token: str
    tmp: Path

    def gitops_files(self, ref: str) -> dict[str, str]:
        bare = self.backing.bare("acme/gitops")
        names = git(bare, "ls-tree", "-r", "--name-only", ref).split()
        return {name: git(bare, "show", f"{ref}:{name}") for name in names}

    def branches(self, full_name: str) -> list[str]:
        bare = self.backing.bare(full_name)
        return git(bare, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(cwd),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    require_tool("kustomize")
    backing = GitBacking(tmp_path / "remotes")
    with FakeGitHub(extensions=[backing]) as fake:
        backing.attach(fake)
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(backing.gitconfig))
        backing.add_team(fake.state, "acme", "team-payments")
        backing.add_repo(fake.state, "acme", "gitops")
        seed = tmp_path / "seed"
        git(tmp_path, "clone", "--quiet", str(backing.bare("acme/gitops")), str(seed))
        (seed / "README.md").write_text("# GitOps\n")
        (seed / "apps" / "orders" / "base").mkdir(parents=True)
        (seed / "apps" / "orders" / "base" / "kustomization.yaml").write_text("resources: []\n")
        git(seed, "add", "-A")
        git(seed, "commit", "--quiet", "-m", "seed")
        git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main")
        with make_github(token=fake.bot_token, base_url=fake.api_url, retry=FAST_RETRY) as gh:
            yield Platform(fake=fake, backing=backing, hub=Hub(gh), token=fake.bot_token, tmp=tmp_path)
    problems = nonconforming(fake.exchanges)
    assert not problems, "the fake answered outside GitHub's OpenAPI description:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def rendered_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered") / "payments-api"
    request = make_request()
    render(request.manifest, request.answers, out)
    return out


def make_request(**parameters: Any) -> ScaffoldRequest:
    given = {"name": "payments-api", "description": "Takes payments", **parameters}
    return parse_request({"template": "python-service", "parameters": given, "id": "task-42"}, templates=TEMPLATES,
                         context=Context(org="acme", owner="team-payments", gitops_repository="acme/gitops"))


def rendered_copy(rendered_once: Path, tmp: Path) -> Rendered:
    runs = len(list(tmp.glob("work-*")))
    target = tmp / f"work-{runs}" / "payments-api"
    shutil.copytree(rendered_once, target)
    request = make_request()
    return Rendered(root=target, manifest=request.manifest, answers=request.answers)


def run_publish(platform: Platform, rendered_once: Path, options: Options | None = None) -> Any:
    request = make_request()
    options = options or Options(gitops_repository="acme/gitops")
    rendered = rendered_copy(rendered_once, platform.tmp)
    workdir = rendered.root.parent / "scratch"
    workdir.mkdir()
    plan = prepare(request, rendered, entity_ref(rendered.root), platform.hub, settings=SETTINGS, options=options,
                   token=platform.token, workdir=workdir)
    return publish(plan, platform.hub, options=options, token=platform.token, settings=SETTINGS)


# ------------------------------------------------------------------ the whole command


def test_new_creates_pushes_protects_and_registers(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, backing = platform.fake, platform.backing
    config = tmp_path / "platform"
    (config / ".github").mkdir(parents=True)
    (config / ".github" / "idp.yaml").write_text(PLATFORM)
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", fake.bot_token)
    request = {"template": "python-service", "id": "backstage-task-1",
               "parameters": {"name": "payments-api", "owner": "group:default/team-payments",
                              "description": "Takes payments", "visibility": "internal"}}
    # the self-check runs for real (test_scaffold_selfcheck.py covers policy and scan, which are slower)
    code = cli.main(["scaffold", "new", "--request", json.dumps(request), "--config", str(config),
                     "--skip-check", "scan", "--skip-check", "policy"])
    out, err = capsys.readouterr()
    assert code == 0, err

    # the repository, as asked
    repo = fake.state.repo("acme/payments-api")
    assert repo is not None and repo.description == "Takes payments" and repo.default_branch == "main"
    extras = backing.extras["acme/payments-api"]
    assert extras.visibility == "internal"
    assert extras.topics == ["paved-road", "python", "service", "template-python-service"]
    assert backing.teams[("acme", "team-payments")].repos == {"acme/payments-api": "push"}
    # the first commit, pushed to the bare repository
    bare = backing.bare("acme/payments-api")
    files = git(bare, "ls-tree", "-r", "--name-only", "main").split()
    assert {"catalog-info.yaml", ".copier-answers.yml", "deploy/overlays/prod/kustomization.yaml"} <= set(files)
    message = git(bare, "log", "-1", "--format=%B", "main")
    assert "Scaffold payments-api from python-service 1.1.0" in message
    assert "Scaffold-Request: backstage-task-1" in message
    # protected: code-owner reviews, the template's checks, no force-push or deletion
    (ruleset,) = extras.rulesets
    rules = {rule["type"]: rule.get("parameters") for rule in ruleset["rules"]}
    assert rules["pull_request"]["require_code_owner_review"] is True
    assert rules["pull_request"]["required_approving_review_count"] == 1
    contexts = [c["context"] for c in rules["required_status_checks"]["required_status_checks"]]
    assert contexts == list(find_template("python-service", TEMPLATES).required_checks)
    assert {"deletion", "non_fast_forward"} <= set(rules)
    assert ruleset["conditions"]["ref_name"]["include"] == ["~DEFAULT_BRANCH"]

    # registered in the GitOps repository by pull request
    gitops = fake.state.repo("acme/gitops")
    assert gitops is not None
    (pull,) = [issue for issue in gitops.issues.values() if issue.pull]
    assert pull.pull is not None and (pull.pull.head_ref, pull.pull.base_ref) == ("scaffold/payments-api", "main")
    assert "component:default/payments-api" in (pull.body or "")
    registered = platform.gitops_files("scaffold/payments-api")
    for env in ("dev", "staging", "prod"):
        assert f"apps/payments-api/overlays/{env}/kustomization.yaml" in registered
    assert "apps/payments-api/base/deployment.yaml" in registered
    assert "apps/orders/base/kustomization.yaml" in registered, "nothing else changed"
    applications = list(yaml.safe_load_all(registered["argocd/payments-api.yaml"]))
    assert [a["metadata"]["name"] for a in applications] == ["payments-api-dev", "payments-api-staging",
                                                             "payments-api-prod"]
    prod = applications[2]["spec"]
    assert prod["source"]["path"] == "apps/payments-api/overlays/prod"
    assert prod["source"]["repoURL"].endswith("/acme/gitops.git")
    assert prod["destination"]["namespace"] == "prod-payments-api"
    assert platform.branches("acme/gitops") == ["main", "scaffold/payments-api"]

    # the result, for people and for the workflow
    outputs = actions_env["OUTPUT"].read_text()
    for expected in ("created", "/acme/payments-api", "component:default/payments-api", "/acme/gitops/pull/1"):
        assert expected in outputs
    summary = actions_env["STEP_SUMMARY"].read_text()
    assert "## ✅ Scaffolded `payments-api`" in summary and "```mermaid" in summary
    assert "env_prod" in summary and "GitOps registration" in summary
    assert "created " in out


def test_the_registered_overlays_build_in_the_gitops_repository(platform: Platform, rendered_once: Path) -> None:
    outcome = run_publish(platform, rendered_once)
    assert outcome.gitops_pull_url.endswith("/acme/gitops/pull/1")
    assert dict(outcome.applications) == {"dev": "payments-api-dev", "staging": "payments-api-staging",
                                          "prod": "payments-api-prod"}
    checkout = platform.tmp / "gitops-checkout"
    git(platform.tmp, "clone", "--quiet", "--branch", "scaffold/payments-api",
        str(platform.backing.bare("acme/gitops")), str(checkout))
    built = subprocess.run(["kustomize", "build", str(checkout / "apps/payments-api/overlays/prod")],
                           capture_output=True, text=True, check=True)
    images = [d["spec"]["template"]["spec"]["containers"][0]["image"]
              for d in yaml.safe_load_all(built.stdout) if d and d["kind"] == "Deployment"]
    assert images == ["ghcr.io/acme/payments-api@sha256:" + "0" * 64]


# ------------------------------------------------------------------ all or nothing


def test_a_failure_after_creation_deletes_the_repository(platform: Platform, rendered_once: Path) -> None:
    platform.backing.fail_next("POST", "/repos/{owner}/{repo}/rulesets", times=10)
    with pytest.raises(ScaffoldError) as caught:
        run_publish(platform, rendered_once)
    message = str(caught.value)
    assert "could not protect the default branch" in message
    assert "repository acme/payments-api was deleted" in message
    assert platform.fake.state.repo("acme/payments-api") is None
    assert platform.backing.deleted == ["acme/payments-api"]
    assert not platform.backing.bare("acme/payments-api").exists()
    assert platform.branches("acme/gitops") == ["main"]


def test_a_failed_gitops_pull_request_removes_its_branch_and_the_repository(
    platform: Platform, rendered_once: Path
) -> None:
    platform.backing.fail_next("POST", "/repos/{owner}/{repo}/pulls", times=10)
    with pytest.raises(ScaffoldError) as caught:
        run_publish(platform, rendered_once)
    message = str(caught.value)
    assert "could not register the service in the GitOps repository" in message
    assert "was deleted" in message
    assert platform.branches("acme/gitops") == ["main"]
    assert platform.fake.state.repo("acme/payments-api") is None


def test_when_deletion_is_refused_the_repository_is_archived_and_marked(
    platform: Platform, rendered_once: Path
) -> None:
    platform.backing.deletion_forbidden.add("acme")
    platform.backing.fail_next("PUT", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}", times=10)
    with pytest.raises(ScaffoldError) as caught:
        run_publish(platform, rendered_once)
    message = str(caught.value)
    assert "could not be deleted" in message and f"marked `{FAILED_TOPIC}`" in message
    repo = platform.fake.state.repo("acme/payments-api")
    assert repo is not None and (repo.description or "").startswith("FAILED SCAFFOLD, safe to delete")
    extras = platform.backing.extras["acme/payments-api"]
    assert extras.archived and extras.topics == [FAILED_TOPIC]


def test_on_failure_archive_keeps_the_repository_marked(platform: Platform, rendered_once: Path) -> None:
    platform.backing.fail_next("PATCH", "/repos/{owner}/{repo}", times=10)
    options = Options(gitops_repository="acme/gitops", on_failure="archive")
    with pytest.raises(ScaffoldError, match=r"was kept \(scaffold.on-failure: archive\)"):
        run_publish(platform, rendered_once, options)
    assert platform.backing.deleted == []


def test_nothing_is_created_when_the_service_is_already_registered(
    platform: Platform, rendered_once: Path
) -> None:
    run_publish(platform, rendered_once)
    platform.fake.state.repos.pop("acme/payments-api")  # as if the repository were deleted by hand
    shutil.rmtree(platform.backing.bare("acme/payments-api"))
    with pytest.raises(ScaffoldError, match="branch scaffold/payments-api already exists"):
        run_publish(platform, rendered_once)
    assert platform.fake.state.repo("acme/payments-api") is None


def test_the_request_is_checked_against_github_before_anything_else(platform: Platform) -> None:
    with pytest.raises(RequestError, match="team 'team-nobody' does not exist in acme"):
        check_github(make_request(owner="team-nobody"), platform.hub, gitops_repository="acme/gitops")
    platform.backing.add_repo(platform.fake.state, "acme", "payments-api")
    with pytest.raises(RequestError, match="repository acme/payments-api already exists"):
        check_github(make_request(), platform.hub, gitops_repository="acme/gitops")
    with pytest.raises(RequestError, match="organization 'nowhere' does not exist"):
        check_github(make_request(org="nowhere"), platform.hub)
    assert platform.fake.count("POST") == 0


# ----------------------------------------------------------------------- the App token


def test_an_app_token_is_minted_for_the_organization(platform: Platform) -> None:
    app = platform.backing.add_app(platform.fake.state, "acme")
    token = app_token(str(app.id), app.private_key, "acme", base_url=platform.fake.api_url)
    assert token in app.tokens
    with make_github(token=token, base_url=platform.fake.api_url, retry=FAST_RETRY) as gh:
        assert Hub(gh).org_exists("acme")
    with pytest.raises(GitHubError, match="installation in other"):
        app_token(str(app.id), app.private_key, "other", base_url=platform.fake.api_url)
