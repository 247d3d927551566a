"""service-ci under act beyond the golden path: a pull request builds and scans but pushes nothing,
a Dockerfile the daemonless builder cannot build stops CI before anything is promoted, and
a Go project's tests are detected and run.

The golden path (test_golden_path.py) covers a push to main end to end; these use the
same scaffolded python-service with a base image in a real registry on 127.0.0.1.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo.golden_path import base_context

from idp_actions.image.build import build_and_push
from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.render import render
from idp_actions.scaffold.starters import for_repository
from tests.conftest import ROOT, require_tool
from tests.e2e.conftest import Act
from tests.e2e.harness import CallerRepo, _git, default_payload
from tests.fakes.github_server import FakeGitHub
from tests.fixtures.scan.repos import build_db
from tests.registry import Registry, running_registry
from tests.unit.test_scaffold_render import answers_for

pytestmark = pytest.mark.e2e

SELF_CALL = re.compile(r"uses: idp-actions/idp-actions/\.github/workflows/([\w.-]+\.yml)@main")
OFFLINE = ('    with:\n      install-tools: false\n      trivy-cache-dir: ${{ vars.TRIVY_CACHE_DIR }}\n'
           '      skip-db-update: true\n      test-command: python -m unittest discover -s tests -v\n')


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with running_registry(tmp_path / "registry", require_tool("registry")) as running:
        yield running


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def caller_ci() -> str:
    """The service starter as a repository holds it, calling our reusable workflows by local path, offline."""
    text = SELF_CALL.sub(r"uses: ./.github/workflows/\1 # zizmor: ignore[self-repository]",
                         for_repository((ROOT / "workflows" / "service.yml").read_text(encoding="utf-8")))
    marker = "      deployments: write # record the promotion to dev as a GitHub deployment\n"
    return text.replace(marker, marker + OFFLINE, 1)


def service(act: Act, registry: Registry, tmp_path: Path, *, dockerfile_extra: str = "") -> CallerRepo:
    base = build_and_push(context=base_context(tmp_path / "base"), image=f"{registry.host}/library/python",
                          tags=["3.12-demo"])
    answers = answers_for("python-service", name="payments-api", base_image=f"{registry.host}/library/python@"
                          f"{base.digest}", registry=f"{registry.host}/acme",
                          python_version=f"{sys.version_info.major}.{sys.version_info.minor}")
    rendered = render(find_template("python-service", ROOT / "templates"), answers, tmp_path / "rendered")
    files: dict[str, str | Path] = {p: rendered.root / p for p in rendered.files if p != ".github/workflows/ci.yml"}
    if dockerfile_extra:
        files["Dockerfile"] = (rendered.root / "Dockerfile").read_text(encoding="utf-8") + dockerfile_extra
    return act.repo(workflows={"ci.yml": caller_ci()}, reusable=["service-ci.yml", "self-check.yml"], files=files,
                    slug="acme/payments-api")


def pr_payload(repo: CallerRepo, number: int, base: str, head: str) -> dict[str, Any]:
    payload = default_payload("pull_request")
    payload["number"] = number
    pull = payload["pull_request"]
    pull.update(number=number, title="Greet in French")
    pull["head"].update(sha=head, ref="feature")
    pull["head"]["repo"] = {**pull["head"]["repo"], "fork": False, "full_name": repo.slug, "name": "payments-api"}
    pull["base"]["sha"] = base
    payload["repository"].update(full_name=repo.slug, name="payments-api", default_branch="main")
    payload["repository"]["owner"]["login"] = "acme"
    return payload


def test_a_pull_request_builds_and_scans_the_image_but_pushes_and_promotes_nothing(
        act: Act, registry: Registry, fake: FakeGitHub, tmp_path: Path) -> None:
    repo = service(act, registry, tmp_path)
    app = repo.path / "src" / "payments_api" / "app.py"
    app.write_text(app.read_text(encoding="utf-8") + "\n# Bonjour\n", encoding="utf-8")
    _git(repo.path, "commit", "-q", "-a", "--no-gpg-sign", "-m", "Greet in French")
    head = _git(repo.path, "rev-parse", "HEAD")
    remote = fake.state.create_repo("acme", "payments-api")
    number = fake.state.open_pull(remote, head="feature", title="Greet in French").number

    result = act.run(repo, "ci.yml", event="pull_request", payload=pr_payload(repo, number, repo.head, head),
                     secrets={"GITHUB_TOKEN": fake.bot_token}, env={"GITHUB_API_URL": fake.api_url},
                     variables={"TRIVY_CACHE_DIR": str(build_db(tmp_path / "trivy-cache"))}, timeout=420)

    for name in ("test", "security-scan", "policy-check", "image", "self-check"):
        assert result.job(name).succeeded, f"{name}: {result.job(name).errors}\n{result.tail(80)}"
    image = result.job("image")
    digests = {values["digest"] for values in image.step_outputs.values() if values.get("digest")}
    assert len(digests) == 1 and re.fullmatch(r"sha256:[0-9a-f]{64}", digests.pop()), image.step_outputs
    assert image.step("Build and push without a Docker engine").result == "success"
    assert not any("needs a Docker engine" in error for error in image.errors), "docker steps were skipped"
    assert registry.tags("acme/payments-api") == [], "a pull request pushes nothing"
    assert "CVE-2099-0003" in image.summary and "image.tar" in image.summary, "the archive was scanned"
    assert not any(job.job_id == "promote" and job.result == "success" for job in result.jobs.values())


def test_a_dockerfile_with_run_stops_ci_at_the_image_with_the_line_and_the_fix(
        act: Act, registry: Registry, tmp_path: Path) -> None:
    repo = service(act, registry, tmp_path, dockerfile_extra="RUN pip install flask\n")

    result = act.run(repo, "ci.yml", event="push", timeout=420,
                     variables={"TRIVY_CACHE_DIR": str(build_db(tmp_path / "trivy-cache"))})

    image = result.job("image")
    assert not image.succeeded
    message = " ".join(image.errors)
    assert "RUN" in message and "Dockerfile" in message and "build-push-action" in message, image.errors
    assert not any("internal error" in error for error in image.errors)
    assert registry.tags("acme/payments-api") == []
    assert all(job.job_id != "promote" for job in result.jobs.values()), "nothing is promoted"


PROJECTS: dict[str, tuple[dict[str, str | Path], dict[str, str], tuple[str, ...]]] = {
    "go": (
        {"go.mod": "module example.com/greet\n\ngo 1.22\n",
         "greet.go": "package greet\n\n// Hello greets.\nfunc Hello(name string) string { return \"hello \" + name }\n",
         "greet_test.go": "package greet\n\nimport \"testing\"\n\nfunc TestHello(t *testing.T) {\n"
                          "\tif Hello(\"go\") != \"hello go\" {\n\t\tt.Fatal(\"wrong greeting\")\n\t}\n}\n"},
        {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local"},
        ("is a go project (go.mod)", "go vet ./...", "go test ./...", "example.com/greet"),
    ),
    "node": (
        {"package.json": '{"name": "greet", "version": "1.0.0", "private": true, "scripts": {"test": "node --test"}}\n',
         "package-lock.json": '{"name": "greet", "version": "1.0.0", "lockfileVersion": 3, "requires": true, '
                              '"packages": {"": {"name": "greet", "version": "1.0.0"}}}\n',
         ".nvmrc": "20\n",
         "test/greet.test.js": 'const test = require("node:test");\nconst assert = require("node:assert");\n'
                               'test("greets", () => assert.strictEqual(`hello ${"node"}`, "hello node"));\n'},
        # npm reaches for nothing with no dependencies; offline makes sure of it (and no update notice)
        {"npm_config_offline": "true", "npm_config_update_notifier": "false"},
        ("is a node project (package.json)", "npm ci --no-audit --no-fund", "npm test", "pass 1"),
    ),
}


@pytest.mark.parametrize("language", sorted(PROJECTS))
def test_a_go_or_node_project_is_detected_and_its_tests_run(act: Act, tmp_path: Path, language: str) -> None:
    files, extra_env, expected = PROJECTS[language]
    # service-ci's test job is this one action; act cannot pick one job of a called workflow.
    caller = """\
name: test
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read # check out the code
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: idp-actions/idp-actions/actions/test@main
"""
    repo = act.repo(workflows={"test.yml": caller}, files=files, slug="acme/greet")

    home = tmp_path / "home"
    result = act.run(repo, "test.yml", event="push", timeout=300,
                     env={**extra_env, "GOCACHE": str(home / "go-cache"), "GOPATH": str(home / "go"),
                          "npm_config_cache": str(home / "npm-cache")})

    test = result.job("test")
    assert test.succeeded, f"{test.errors}\n{result.tail(60)}"
    log = test.text()
    for text in expected:
        assert text in log, (text, result.tail(40))
    assert f"Tests passed ({language})" in test.summary
