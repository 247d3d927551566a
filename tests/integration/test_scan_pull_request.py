"""Pull-request mode on a shallow clone: only new findings fail; one sticky comment on the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_actions.cli import main
from idp_actions.comment import COMMENT_LIMIT, marker
from idp_actions.scan import baseline
from idp_actions.scan.report import COMMENT_PURPOSE
from tests.conftest import require_tool
from tests.fakes.github_server import FakeGitHub
from tests.fixtures.scan.repos import build_db, commit_all, git, materialize

pytestmark = pytest.mark.tools("semgrep", "trivy", "trivy-db")

NEW_CODE = """\
import os


def cleanup(name):
    os.system("rm -rf /tmp/cache/" + name)
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("trivy")
    return build_db(tmp_path_factory.mktemp("trivy-cache"))


@pytest.fixture(scope="module")
def shallow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A shallow clone (depth 1, like actions/checkout) of a pull request, and its base commit.

    The base has the vulnerable fixture minus package-lock.json. The pull request adds
    a line at the top of src/app.py (old findings move down), a new Semgrep hit in
    src/new.py and package-lock.json with a vulnerable lodash.
    """
    tmp = tmp_path_factory.mktemp("pr")
    origin = tmp / "origin"
    materialize("vulnerable", origin)
    lockfile = (origin / "package-lock.json").read_text(encoding="utf-8")
    (origin / "package-lock.json").unlink()
    git(origin, "init", "-q", "-b", "main")
    for number in range(3):  # some history below the base
        (origin / "CHANGELOG.md").write_text(f"release {number}\n", encoding="utf-8")
        commit_all(origin, f"release {number}")
    base = commit_all(origin, "base")
    git(origin, "checkout", "-q", "-b", "feature")
    app = origin / "src" / "app.py"
    app.write_text('"""Deployment helpers."""\n' + app.read_text(encoding="utf-8"), encoding="utf-8")
    (origin / "src" / "new.py").write_text(NEW_CODE, encoding="utf-8")
    (origin / "package-lock.json").write_text(lockfile, encoding="utf-8")
    commit_all(origin, "feature")
    clone = tmp / "clone"
    git(tmp, "clone", "-q", "--depth=1", "--branch", "feature", "--no-local", f"file://{origin}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    return clone, base


def _scan(clone: Path, base: str, cache: Path, tmp: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    report = tmp / "report.json"
    code = main(["scan", str(clone), "--base", base, "--trivy-cache-dir", str(cache), "--skip-db-update",
                 "--json", str(report), *extra])
    return code, json.loads(report.read_text(encoding="utf-8"))


def test_only_new_findings_fail_on_a_shallow_clone(
    shallow: tuple[Path, str], cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone, base = shallow
    code, report = _scan(clone, base, cache, tmp_path)
    err = capsys.readouterr().err

    assert code == 1, err
    failing = {(f["tool"], f["rule_id"], f["path"], f["start_line"]) for f in report["findings"] if f["failing"]}
    assert failing == {
        ("semgrep", "idp.python.os-command-injection", "src/new.py", 5),
        ("trivy", "CVE-2099-0002", "package-lock.json", 14),
    }
    assert report["verdict"] == "failed: 2 new finding(s) at High or above"
    assert report["mode"] == "pull-request"
    # old findings are still reported (Trivy) but not failing; Semgrep reports only new ones
    pyyaml = next(f for f in report["findings"] if f["rule_id"] == "CVE-2099-0001")
    assert (pyyaml["failing"], pyyaml["new"]) == (False, False)
    assert not any(f["rule_id"] == "idp.python.subprocess-shell-true" and not f["suppressed"]
                   for f in report["findings"])
    # the shallow clone got what the comparison needed, and says so
    assert any(n.startswith(f"compared with merge base {base[:12]} of {base}") and "fetched:" in n
               for n in report["notes"])
    assert git(clone, "cat-file", "-t", base) == "commit"
    # Trivy read what the pull request touched: 3 changed files and the manifest beside the lockfile
    assert "trivy scanned the 4 file(s) the pull request touched (with their manifests and IaC modules), " \
           "at the head and at the merge base" in report["notes"]


def test_changed_lines_are_those_of_the_pull_request(shallow: tuple[Path, str]) -> None:
    clone, base = shallow
    prepared = baseline.prepare(clone, base)
    assert prepared.merge_base == base
    changed = baseline.changed_lines(clone, prepared.merge_base)
    assert changed["src/app.py"] == {1}
    assert changed["src/new.py"] == {1, 2, 3, 4, 5}
    assert 14 in changed["package-lock.json"]
    assert "requirements.txt" not in changed


def test_an_unknown_base_is_a_clear_error(shallow: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    clone, _ = shallow
    assert main(["scan", str(clone), "--base", "0" * 40, "--scanners", "secret"]) == 1
    err = capsys.readouterr().err
    assert f"the base {'0' * 40!r} is not in this clone and could not be fetched from origin" in err


def test_one_sticky_comment_is_created_then_updated(
    shallow: tuple[Path, str], cache: Path, tmp_path: Path, fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    clone, base = shallow
    repo = fake_github.state.create_repo("octocat", "web")
    pull = fake_github.state.open_pull(repo, head="feature", title="Add cleanup")
    for name, value in fake_github.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_REPOSITORY", repo.full_name)
    monkeypatch.setenv("GITHUB_RUN_ID", "77")
    options = ("--repo", repo.full_name, "--pr", str(pull.number), "--scanners", "vuln,secret,misconfig")

    code, _ = _scan(clone, base, cache, tmp_path, *options)
    assert code == 1
    assert "security-scan comment created:" in capsys.readouterr().err
    (first,) = fake_github.state.comments_on(repo, pull.number)
    assert first.body.startswith(marker(COMMENT_PURPOSE, f"idp-scan:{clone}"))
    assert "failed: 1 new finding(s) at High or above" in first.body
    assert "CVE-2099-0002" in first.body and len(first.body) <= COMMENT_LIMIT
    assert f"{fake_github.base_url}/{repo.full_name}/actions/runs/77" in first.body

    # the re-run after the fix: same comment, now passing
    (clone / "package-lock.json").write_text("{}\n", encoding="utf-8")
    git(clone, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "drop lodash")
    code, _ = _scan(clone, base, cache, tmp_path, *options)
    assert code == 0
    assert "security-scan comment updated:" in capsys.readouterr().err
    (second,) = fake_github.state.comments_on(repo, pull.number)
    assert second.id == first.id
    assert "passed: no new findings at High or above" in second.body
