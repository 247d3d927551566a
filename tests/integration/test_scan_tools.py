"""`idp scan` with the real Semgrep and Trivy (and the fixture Trivy DB built by trivy-db).

Semgrep takes seconds to start, so the full scans run once per module and the tests
read their results; failure cases use only the scanners they need.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from idp_actions.cli import main
from tests.conftest import require_tool
from tests.fixtures.scan.repos import build_db, materialize

pytestmark = pytest.mark.tools("semgrep", "trivy", "trivy-db")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    sarif: dict  # type: ignore[type-arg]
    report: dict  # type: ignore[type-arg]
    summary: str
    outputs: str


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("trivy")
    require_tool("semgrep")
    return build_db(tmp_path_factory.mktemp("trivy-cache"))


def _scan(tmp: Path, repo: Path, cache: Path, *extra: str, mp: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Run:
    files = {}
    for name in ("OUTPUT", "STEP_SUMMARY"):
        files[name] = tmp / f"github_{name.lower()}"
        files[name].write_text("", encoding="utf-8")
        mp.setenv(f"GITHUB_{name}", str(files[name]))
    mp.setenv("GITHUB_ACTIONS", "true")
    sarif, report = tmp / "scan.sarif", tmp / "scan.json"
    code = main(["scan", str(repo), "--trivy-cache-dir", str(cache), "--skip-db-update",
                 "--sarif", str(sarif), "--json", str(report), *extra])
    out = capsys.readouterr()
    return Run(
        code=code,
        stdout=out.out,
        stderr=out.err,
        sarif=json.loads(sarif.read_text(encoding="utf-8")) if sarif.is_file() else {},
        report=json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {},
        summary=files["STEP_SUMMARY"].read_text(encoding="utf-8"),
        outputs=files["OUTPUT"].read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="module")
def vulnerable_run(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> Run:
    tmp = tmp_path_factory.mktemp("vulnerable")
    repo = materialize("vulnerable", tmp / "repo")
    with pytest.MonkeyPatch.context() as mp:
        capture = _Capture()
        with capture:
            return _scan(tmp, repo, cache, mp=mp, capsys=capture)  # type: ignore[arg-type]


class _Capture:
    """capsys for a module-scoped fixture: redirect stdout/stderr around one call."""

    def __enter__(self) -> _Capture:
        import contextlib
        import io

        self._out, self._err = io.StringIO(), io.StringIO()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(self._out))
        self._stack.enter_context(contextlib.redirect_stderr(self._err))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def readouterr(self) -> _Capture:
        self.out, self.err = self._out.getvalue(), self._err.getvalue()
        return self


def _by_rule(run: Run) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f["rule_id"]: f for f in run.report["findings"]}


def test_a_vulnerable_repository_fails_with_every_kind_of_finding(vulnerable_run: Run) -> None:
    run = vulnerable_run
    assert run.code == 1, run.stderr
    found = _by_rule(run)
    # vulnerable lockfile (real Trivy, fixture DB built by trivy-db): package, versions, fix
    pyyaml = found["CVE-2099-0001"]
    assert (pyyaml["package"], pyyaml["installed_version"], pyyaml["fixed_version"]) == ("pyyaml", "5.3", "5.4")
    assert (pyyaml["path"], pyyaml["start_line"], pyyaml["severity"], pyyaml["failing"]) == (
        "requirements.txt", 1, "CRITICAL", True)
    assert found["CVE-2099-0002"]["fixed_version"] is None
    assert found["CVE-2099-0003"]["failing"] is False  # Medium: reported, not failing
    # hard-coded secret, misconfigured Dockerfile and Terraform, Semgrep hits
    assert found["github-pat"]["path"] == "deploy/settings.env" and found["github-pat"]["failing"]
    assert found["DS-0002"]["path"] == "Dockerfile"
    assert found["AWS-0107"]["path"] == "infra/main.tf"
    semgrep_hits = [f for f in run.report["findings"] if f["tool"] == "semgrep"]
    assert {(f["rule_id"], f["start_line"], f["suppressed"]) for f in semgrep_hits} == {
        ("idp.dockerfile.curl-pipe-shell", 2, None),
        ("idp.python.subprocess-shell-true", 5, None),
        ("idp.python.subprocess-shell-true", 10, "nosemgrep comment on line 10"),
    }
    assert run.report["verdict"] == "failed: 13 finding(s) at High or above"
    assert "idp scan: failed: 13 finding(s) at High or above" in run.stderr


def test_sarif_has_a_run_per_tool_with_versions_and_categories(vulnerable_run: Run) -> None:
    runs = vulnerable_run.sarif["runs"]
    assert [(r["tool"]["driver"]["name"], r["automationDetails"]["id"]) for r in runs] == [
        ("Semgrep", "idp-scan/semgrep/"), ("Trivy", "idp-scan/trivy/")]
    assert runs[0]["tool"]["driver"]["version"] == require_version("semgrep")
    assert runs[1]["tool"]["driver"]["version"] == "0.74.0"
    inline = [r for r in runs[0]["results"] if r.get("suppressions")]
    assert [r["suppressions"][0]["kind"] for r in inline] == ["inSource"]


def require_version(tool: str) -> str:
    from idp_actions import tools

    version = tools.detect(tool).version
    assert version
    return version


def test_summary_outputs_and_annotations(vulnerable_run: Run) -> None:
    run = vulnerable_run
    assert run.summary.startswith("## ❌ Security scan: failed: 13 finding(s) at High or above")
    assert "| 🔴 Critical | 0 | 2 | **2** |" in run.summary
    assert "nosemgrep comment on line 10" in run.summary
    assert "trivy: vulnerability DB built" in run.summary
    assert re.search(r"^result<<(\S+)\nfailed\n\1$", run.outputs, re.M)
    assert re.search(r"^failing<<(\S+)\n13\n\1$", run.outputs, re.M)
    # annotations: workflow commands on the findings' lines
    pyyaml = r"^::error title=Critical%3A [^,]*,file=requirements.txt,line=1,endLine=1::\[trivy/CVE-2099-0001\]"
    assert re.search(pyyaml, run.stdout, re.M)
    assert re.search(r"^::error title=High%3A .*,file=src/app.py,line=5,endLine=5::", run.stdout, re.M)
    assert re.search(r"^::warning title=Medium%3A .*,file=requirements.txt,line=2,", run.stdout, re.M)  # not failing


def test_a_clean_repository_passes(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    repo = materialize("clean", tmp_path / "repo")
    run = _scan(tmp_path, repo, cache, mp=monkeypatch, capsys=capsys)
    assert run.code == 0, run.stderr + run.stdout
    assert run.report["passed"] is True
    assert {f["severity"] for f in run.report["findings"]} <= {"LOW", "MEDIUM", "INFO"}
    assert run.summary.startswith("## ✅ Security scan: passed")


def test_ignore_file_and_ignore_unfixed_turn_a_failure_into_a_pass(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = materialize("vulnerable", tmp_path / "repo", secret=False)
    until = (date.today() + timedelta(days=30)).isoformat()
    (repo / ".github").mkdir()
    (repo / ".github" / "idp-scan-ignore.yaml").write_text(
        f"version: 1\nignore:\n  - id: CVE-2099-0001\n    path: requirements.txt\n"
        f"    reason: only used by the offline report generator (SEC-42)\n    expires: {until}\n",
        encoding="utf-8",
    )
    run = _scan(tmp_path, repo, cache, "--scanners", "vuln", "--ignore-unfixed", mp=monkeypatch, capsys=capsys)
    assert run.code == 0, run.stderr
    found = _by_rule(run)
    assert found["CVE-2099-0001"]["suppressed"].startswith(f"accepted until {until}: only used by the offline")
    assert found["CVE-2099-0002"]["suppressed"] == "ignore-unfixed: no fixed version has been released yet"
    assert "Suppressed findings (2)" in run.summary


def test_an_expired_acceptance_fails_before_any_tool_runs(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = materialize("clean", tmp_path / "repo")
    (repo / ".github").mkdir()
    (repo / ".github" / "idp-scan-ignore.yaml").write_text(
        "ignore:\n  - id: DS-0002\n    reason: legacy image\n    expires: 2020-01-31\n", encoding="utf-8")
    run = _scan(tmp_path, repo, cache, mp=monkeypatch, capsys=capsys)
    assert run.code == 1
    assert "::error::.github/idp-scan-ignore.yaml:2: 1 accepted finding(s) have expired: line 2: `DS-0002` " \
           "expired on 2020-01-31 (reason given: legacy image)" in run.stdout
    assert "scanning with" not in run.stderr


def test_a_bad_ignore_file_and_an_unknown_severity_are_clear_errors(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = materialize("clean", tmp_path / "repo")
    (repo / ".github").mkdir()
    (repo / ".github" / "idp-scan-ignore.yaml").write_text("ignore:\n  - id: X\n    reason: r\n", encoding="utf-8")
    assert main(["scan", str(repo)]) == 1
    assert "idp-scan-ignore.yaml:2 at `ignore[0]`: required key `expires` is missing" in capsys.readouterr().err
    assert main(["scan", str(repo), "--severity-threshold", "SEVERE"]) == 1
    err = capsys.readouterr().err
    assert "--severity-threshold: unknown severity 'SEVERE'" in err
    assert "use one of: CRITICAL, HIGH, MEDIUM, LOW, INFO" in err


def _fake_tool(tmp: Path, name: str, script: str) -> Path:
    path = tmp / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_missing_tool_fails_the_scan_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    repo = materialize("clean", tmp_path / "repo")
    monkeypatch.setenv("IDP_SEMGREP", str(tmp_path / "no-such-semgrep"))
    assert main(["scan", str(repo), "--scanners", "sast,secret"]) == 1
    err = capsys.readouterr().err
    assert "the scan did not complete, so it cannot pass — 1 tool(s) failed:" in err
    assert "- semgrep: IDP_SEMGREP is set to" in err


@pytest.mark.parametrize(
    ("tool", "script", "expected"),
    [
        ("trivy", "echo '2030-01-01T00:00:00Z FATAL Fatal error: boom' >&2; exit 2",
         "- trivy fs: trivy fs failed (exit code 2): 2030-01-01T00:00:00Z FATAL Fatal error: boom"),
        ("trivy", "exit 0", "- trivy fs: trivy fs exited 0 but did not write its JSON report"),
        ("semgrep", "echo 'Segmentation fault' >&2; exit 139",
         "- semgrep: semgrep failed (exit code 139) without a report: Segmentation fault"),
        ("semgrep", "exit 0", "- semgrep: semgrep exited 0 but did not write its JSON report"),
    ],
)
def test_a_crashing_tool_fails_the_scan_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tool: str, script: str, expected: str,
) -> None:
    repo = materialize("clean", tmp_path / "repo")
    monkeypatch.setenv(f"IDP_{tool.upper()}", str(_fake_tool(tmp_path, tool, script)))
    scanners = "sast" if tool == "semgrep" else "secret"
    assert main(["scan", str(repo), "--scanners", scanners]) == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert "passed" not in err
