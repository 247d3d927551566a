"""The security-scan reusable workflow under act: a pull request that adds vulnerable code fails with
SARIF, a summary and one PR comment on the fake GitHub; the fixed re-run passes and updates that comment.

Real Semgrep and Trivy from .tools/bin; Trivy's DB is the fixture DB built by trivy-db.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES, ROOT, default_payload
from tests.fakes.github_server import FakeGitHub
from tests.fixtures.scan.repos import build_db, commit_all, materialize

pytestmark = pytest.mark.e2e

CALLER = FIXTURES / "callers" / "security-scan-caller.yml"
MARKER = "<!-- idp-actions:sticky purpose=security-scan key=idp-scan:. -->"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def _payload(slug: str, number: int, base: str, head: str) -> dict[str, Any]:
    payload = default_payload("pull_request")
    owner, name = slug.split("/")
    payload["number"] = number
    pull = payload["pull_request"]
    pull["number"] = number
    pull["head"]["sha"] = head
    pull["head"]["repo"] = {**pull["head"]["repo"], "fork": False, "full_name": slug, "name": name}
    pull["base"]["sha"] = base
    payload["repository"].update(full_name=slug, name=name, default_branch="main")
    payload["repository"]["owner"]["login"] = owner
    return payload


def _put_tree(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def test_vulnerable_pull_request_fails_then_the_fix_passes_with_one_comment(
    act: Act, fake: FakeGitHub, tmp_path: Path
) -> None:
    clean = materialize("clean", tmp_path / "clean")
    vulnerable = materialize("vulnerable", tmp_path / "vulnerable")
    repo = act.repo(workflows=[CALLER], reusable=["security-scan.yml"],
                    files={str(p.relative_to(clean)): p for p in clean.rglob("*") if p.is_file()})
    base = repo.head
    _put_tree(vulnerable, repo.path)
    head = commit_all(repo.path, "add the cleanup job")

    remote = fake.state.create_repo("acme", "service")
    number = fake.state.open_pull(remote, head="feature", title="Add the cleanup job").number
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    cache = build_db(tmp_path / "trivy-cache")
    options: dict[str, Any] = {
        "event": "pull_request",
        "env": {"GITHUB_API_URL": fake.api_url, "IDP_E2E_ARTIFACTS": str(artifacts),
                # the harness's snapshot of our actions leaves policies/ out: the rule pack is read from here
                "IDP_POLICY_LIBRARY": str(ROOT)},
        "secrets": {"GITHUB_TOKEN": fake.bot_token},
        "variables": {"TRIVY_CACHE_DIR": str(cache)},
        "timeout": 240,
    }

    # --------------------------------------------- the pull request adds vulnerable code
    result = act.run(repo, "security-scan-caller.yml", payload=_payload(repo.slug, number, base, head), **options)

    scan = result.job("scan")
    assert not scan.succeeded, result.tail()
    assert result.returncode != 0
    step = scan.step("Scan with Semgrep and Trivy")
    assert step.result == "failure"
    assert not any("internal error" in e or "did not complete" in e for e in scan.errors), scan.errors
    assert any(e.startswith("[trivy/CVE-2099-0001]") for e in scan.errors), scan.errors  # annotations
    assert "Security scan: failed:" in scan.summary and "new finding(s) at High or above" in scan.summary
    # SARIF: kept as an artifact, and accepted by the code-scanning stand-in from the upload job
    upload = result.job("upload-sarif")
    assert upload.succeeded, result.tail()
    sarif = json.loads((artifacts / "code-scanning" / "results.sarif").read_text(encoding="utf-8"))
    assert [r["automationDetails"]["id"] for r in sarif["runs"]] == ["idp-scan/semgrep/", "idp-scan/trivy/"]
    report = json.loads((artifacts / "idp-security-scan" / "results.json").read_text(encoding="utf-8"))
    failing = {(f["tool"], f["rule_id"]) for f in report["findings"] if f["failing"]}
    assert {("trivy", "CVE-2099-0001"), ("trivy", "github-pat"), ("trivy", "DS-0002"), ("trivy", "AWS-0107"),
            ("semgrep", "idp.python.subprocess-shell-true"), ("semgrep", "idp.dockerfile.curl-pipe-shell")} <= failing
    (comment,) = fake.state.comments_on(remote, number)
    assert comment.body.startswith(MARKER)
    assert "failed:" in comment.body and "CVE-2099-0001" in comment.body
    assert comment.user.login == "github-actions[bot]"

    # ------------------------------------------------------ the fix, run again: passes
    for extra in ("package-lock.json", "infra", "deploy"):
        target = repo.path / extra
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    _put_tree(clean, repo.path)
    fixed = commit_all(repo.path, "use the argument list")
    rerun = tmp_path / "artifacts-rerun"  # artifacts belong to one workflow run
    rerun.mkdir()
    options["env"] = {**options["env"], "IDP_E2E_ARTIFACTS": str(rerun)}
    result = act.run(repo, "security-scan-caller.yml", payload=_payload(repo.slug, number, base, fixed), **options)

    scan = result.job("scan")
    assert scan.succeeded, result.tail()
    assert "Security scan: passed" in scan.summary
    (updated,) = fake.state.comments_on(remote, number)
    assert updated.id == comment.id
    assert "passed: no new findings at High or above" in updated.body
    assert result.job("upload-sarif").succeeded, result.tail()
    assert (rerun / "code-scanning" / "results.sarif").is_file()
