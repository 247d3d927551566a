"""The gate: strict severity names, threshold, ignore-unfixed, new-only in pull-request mode."""

from __future__ import annotations

import pytest

from idp_actions.errors import UsageError
from idp_actions.findings import Finding, Severity
from idp_actions.scan import gate
from idp_actions.scan.settings import parse_scanners, parse_threshold


def _finding(rule: str, severity: Severity, **extra: object) -> Finding:
    return Finding(tool="trivy", rule_id=rule, severity=severity, title=rule, message=rule, path="a.txt",
                   **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [("HIGH", Severity.HIGH), ("critical", Severity.CRITICAL),
                                                 (" Medium ", Severity.MEDIUM), ("info", Severity.INFO)])
def test_thresholds_are_read_in_any_case(text: str, expected: Severity) -> None:
    assert parse_threshold(text) is expected


@pytest.mark.parametrize("text", ["HGIH", "error", "7", "", "UNKNOWN"])
def test_an_unknown_severity_name_is_an_error_that_lists_the_names(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_threshold(text, source="input `severity-threshold`")
    message = str(caught.value)
    assert f"input `severity-threshold`: unknown severity {text!r}" in message
    assert "CRITICAL, HIGH, MEDIUM, LOW, INFO" in message


def test_scanners_are_checked() -> None:
    assert parse_scanners(["vuln,secret", "sast vuln"]) == ("vuln", "secret", "sast")
    with pytest.raises(UsageError, match="unknown scanner 'sca'"):
        parse_scanners(["vuln,sca"])
    with pytest.raises(UsageError, match="no scanner selected"):
        parse_scanners([" , "])


def test_everything_is_reported_but_only_findings_at_the_threshold_fail() -> None:
    findings = [_finding("A", Severity.CRITICAL), _finding("B", Severity.HIGH), _finding("C", Severity.MEDIUM),
                _finding("D", Severity.HIGH, suppressed="accepted")]

    verdict = gate.decide(findings, threshold=Severity.HIGH)

    assert [f.rule_id for f in verdict.failing] == ["A", "B"]
    assert (verdict.total, verdict.suppressed, verdict.below_threshold, verdict.preexisting) == (4, 1, 1, 0)
    assert verdict.headline == "failed: 2 finding(s) at High or above"
    assert gate.decide(findings, threshold=Severity.CRITICAL).headline == "failed: 1 finding(s) at Critical or above"
    assert gate.decide(findings[2:], threshold=Severity.HIGH).passed


def test_ignore_unfixed_suppresses_only_vulnerabilities_without_a_fix() -> None:
    unfixed = _finding("CVE-1", Severity.HIGH, package="lodash", installed_version="4.17.20")
    fixed = _finding("CVE-2", Severity.HIGH, package="pyyaml", installed_version="5.3", fixed_version="5.4")
    misconfig = _finding("DS-0002", Severity.HIGH)

    kept = gate.mark_unfixed([unfixed, fixed, misconfig], ignore_unfixed=True)

    assert [f.suppressed for f in kept] == [gate.UNFIXED_REASON, None, None]
    assert gate.mark_unfixed([unfixed], ignore_unfixed=False)[0].suppressed is None


def test_in_pull_request_mode_only_new_findings_fail() -> None:
    old = _finding("OLD", Severity.CRITICAL)
    new = _finding("NEW", Severity.HIGH)

    verdict = gate.decide([old, new], threshold=Severity.HIGH, preexisting={old.fingerprint})

    assert verdict.failing == (new,)
    assert verdict.preexisting == 1 and verdict.new_only
    assert verdict.headline == "failed: 1 new finding(s) at High or above"
    assert gate.decide([old], threshold=Severity.HIGH, preexisting={old.fingerprint}).passed


def test_the_pull_request_trivy_scope_adds_what_trivy_reads_together() -> None:
    from idp_actions.scan.baseline import scope

    listing = {
        "": ["README.md", "package.json", "package-lock.json", "requirements.txt", "app.py"],
        "infra": ["main.tf", "variables.tf", "terraform.tfvars", "notes.md"],
        "src": ["a.py", "b.py"],
    }
    assert scope(["src/a.py"], listing) == ["src/a.py"]
    assert scope(["package-lock.json", "app.py"], listing) == [
        "app.py", "package-lock.json", "package.json", "requirements.txt"]
    assert scope(["infra/variables.tf"], listing) == ["infra/main.tf", "infra/terraform.tfvars", "infra/variables.tf"]
