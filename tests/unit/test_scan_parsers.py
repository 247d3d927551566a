"""The Semgrep and Trivy adapters' parsers, over output captured from the real tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_actions.findings import Severity
from idp_actions.scan import semgrep, trivy
from tests.fixtures.scan.repos import HERE, materialize

OUTPUT = HERE / "output"


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialize("vulnerable", tmp_path_factory.mktemp("scan") / "repo")


def _load(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((OUTPUT / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------ semgrep


def test_semgrep_results_become_findings_with_snippets_from_the_files(vulnerable: Path) -> None:
    findings, inline = semgrep.parse(_load("semgrep.json"), root=vulnerable)

    by_line = {(f.path, f.start_line): f for f in findings}
    shell = by_line[("src/app.py", 5)]
    assert shell.tool == "semgrep"
    assert shell.rule_id == "idp.python.subprocess-shell-true"
    assert shell.severity is Severity.HIGH  # ERROR
    assert shell.snippet == '    subprocess.run(f"git checkout {branch}", shell=True, check=True)'
    assert shell.help_uri == "https://docs.python.org/3/library/subprocess.html#security-considerations"
    assert shell.title.startswith("`subprocess` runs this command through a shell")
    assert shell.suppressed is None
    docker = by_line[("Dockerfile", 2)]
    assert docker.rule_id == "idp.dockerfile.curl-pipe-shell"
    # the line silenced with `# nosemgrep: <rule>` is listed, marked, not dropped
    silenced = by_line[("src/app.py", 10)]
    assert silenced.suppressed == "nosemgrep comment on line 10"
    assert inline == {silenced.fingerprint}


def test_semgrep_fingerprints_follow_the_code_not_its_line_numbers(vulnerable: Path) -> None:
    data = _load("semgrep.json")
    before = {f.fingerprint for f in semgrep.parse(data, root=vulnerable)[0]}
    app = vulnerable / "src" / "app.py"
    app.write_text("# a new first line\n" + app.read_text(encoding="utf-8"), encoding="utf-8")
    moved = json.loads(json.dumps(data))
    for item in moved["results"]:
        if item["path"] == "src/app.py":
            item["start"]["line"] += 1
            item["end"]["line"] += 1
    try:
        after = {f.fingerprint for f in semgrep.parse(moved, root=vulnerable)[0]}
    finally:
        app.write_text(app.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    assert before == after


@pytest.mark.parametrize(
    ("lines", "start", "rule", "expected"),
    [
        (["x = run(cmd)  # nosemgrep"], 1, "idp.python.a", "nosemgrep comment on line 1"),
        (["x = run(cmd)  // nosem: idp.python.a"], 1, "idp.python.a", "nosemgrep comment on line 1"),
        (["x = run(cmd)  # nosemgrep: other.rule"], 1, "idp.python.a", None),
        (["x = run(cmd)  # NOSEMGREP: a, b"], 1, "idp.python.b", "nosemgrep comment on line 1"),
        (["# nosemgrep: idp.python.a", "x = run(cmd)"], 2, "idp.python.a", "nosemgrep comment on line 1"),
        # a comment that is not alone on the line before does not count (Semgrep's rule)
        (["y = 1  # nosemgrep", "x = run(cmd)"], 2, "idp.python.a", None),
        (["x = 'nosemgrep is a word here'"], 1, "idp.python.a", None),
        ([], 1, "idp.python.a", None),
    ],
)
def test_nosemgrep_comments_are_recognised_as_semgrep_does(
    lines: list[str], start: int, rule: str, expected: str | None
) -> None:
    assert semgrep.nosem_comment(lines, start, rule) == expected


# -------------------------------------------------------------------- trivy


def test_trivy_vulnerabilities_carry_package_versions_lines_and_fix() -> None:
    findings = trivy.parse(_load("trivy-fs.json"))
    vulns = {f.rule_id: f for f in findings if f.package}

    pyyaml = vulns["CVE-2099-0001"]
    assert (pyyaml.path, pyyaml.start_line) == ("requirements.txt", 1)
    assert (pyyaml.package, pyyaml.installed_version, pyyaml.fixed_version) == ("pyyaml", "5.3", "5.4")
    assert pyyaml.severity is Severity.CRITICAL
    assert pyyaml.help_uri == "https://avd.aquasec.com/nvd/cve-2099-0001"
    lodash = vulns["CVE-2099-0002"]
    assert (lodash.path, lodash.start_line, lodash.fixed_version) == ("package-lock.json", 14, None)
    assert "no fixed version yet" in lodash.message
    assert vulns["CVE-2099-0003"].severity is Severity.MEDIUM


def test_trivy_misconfigurations_and_secrets() -> None:
    findings = trivy.parse(_load("trivy-fs.json"))

    root_user = next(f for f in findings if f.rule_id == "DS-0002")
    assert root_user.path == "Dockerfile" and root_user.severity is Severity.HIGH
    assert "USER" in root_user.message
    ssh = next(f for f in findings if f.rule_id == "AWS-0107")
    assert (ssh.path, ssh.start_line) == ("infra/main.tf", 11)
    secret = next(f for f in findings if f.rule_id == "github-pat")
    assert (secret.path, secret.start_line, secret.severity) == ("deploy/settings.env", 2, Severity.CRITICAL)
    # the masked match is kept; the token itself never reaches a report
    assert "****" in secret.snippet and "ghp_" not in secret.snippet


def test_trivy_fingerprints_ignore_the_installed_version() -> None:
    data = _load("trivy-fs.json")
    before = {f.rule_id: f.fingerprint for f in trivy.parse(data) if f.package}
    bumped = json.loads(json.dumps(data).replace('"InstalledVersion": "5.3"', '"InstalledVersion": "5.3.1"'))
    after = {f.rule_id: f.fingerprint for f in trivy.parse(bumped) if f.package}
    assert before == after


def test_trivy_image_findings_point_at_the_image() -> None:
    data = {
        "SchemaVersion": 2,
        "Results": [
            {
                "Target": "Python",
                "Class": "lang-pkgs",
                "Vulnerabilities": [
                    {"VulnerabilityID": "CVE-2099-0001", "PkgName": "pyyaml", "InstalledVersion": "5.3",
                     "FixedVersion": "5.4", "Severity": "CRITICAL", "Title": "t",
                     "PkgIdentifier": {"UID": "1"}}
                ],
            }
        ],
    }
    (finding,) = trivy.parse(data, tool="trivy-image", image="build/app.tar")
    assert (finding.tool, finding.path, finding.start_line) == ("trivy-image", "build/app.tar", None)
    assert "in Python" in finding.message
