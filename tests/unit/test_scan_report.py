"""Reports: SARIF within GitHub's limits, JSON, the summary (golden), the comment size, annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_actions.comment import COMMENT_LIMIT, fit_body, github_length, marker
from idp_actions.findings import FINGERPRINT_KEY, Finding, Severity, ToolInfo
from idp_actions.scan import gate, report, semgrep, trivy
from idp_actions.scan.outcome import ToolRun
from idp_actions.scan.report import ScanResult
from tests.conftest import assert_golden
from tests.fixtures.scan.repos import HERE, materialize

GOLDEN = Path(__file__).parent / "golden" / "scan"


def _golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    """The captured real outputs over the vulnerable fixture, through the gate."""
    root = materialize("vulnerable", tmp_path_factory.mktemp("scan") / "repo")
    output = HERE / "output"
    sg, inline = semgrep.parse(json.loads((output / "semgrep.json").read_text(encoding="utf-8")), root=root)
    tv = trivy.parse(json.loads((output / "trivy-fs.json").read_text(encoding="utf-8")))
    runs = (
        ToolRun(tool="semgrep", info=ToolInfo("Semgrep", "1.185.0", semgrep.INFO_URI), findings=tuple(sg),
                inline_suppressed=frozenset(inline), notes=("semgrep scanned 3 file(s)",)),
        ToolRun(tool="trivy", info=ToolInfo("Trivy", "0.74.0", trivy.INFO_URI), findings=tuple(tv)),
        ToolRun(tool="trivy-image", info=ToolInfo("Trivy", "0.74.0", trivy.INFO_URI), findings=()),
    )
    findings = gate.mark_unfixed([*sg, *tv], ignore_unfixed=True)
    verdict = gate.decide(findings, threshold=Severity.HIGH)
    return ScanResult(runs=runs, findings=tuple(findings), verdict=verdict, category="idp-scan")


def test_sarif_has_one_run_per_tool_each_with_its_own_category(result: ScanResult) -> None:
    log = report.sarif(result)

    assert log["version"] == "2.1.0"
    categories = [run["automationDetails"]["id"] for run in log["runs"]]
    assert categories == ["idp-scan/semgrep/", "idp-scan/trivy/", "idp-scan/trivy-image/"]
    # a tool without findings still gets a run, so code scanning closes its old alerts
    assert log["runs"][2]["results"] == []
    for run in log["runs"]:
        for item in run["results"]:
            assert len(item["partialFingerprints"][FINGERPRINT_KEY]) == 32
    semgrep_results = log["runs"][0]["results"]
    silenced = [r for r in semgrep_results if r.get("suppressions")]
    assert [s["suppressions"][0]["kind"] for s in silenced] == ["inSource"]
    unfixed = [r for r in log["runs"][1]["results"] if r.get("suppressions")]
    assert [(r["ruleId"], r["suppressions"][0]["kind"]) for r in unfixed] == [("CVE-2099-0002", "external")]
    pyyaml = next(r for r in log["runs"][1]["results"] if r["ruleId"] == "CVE-2099-0001")
    assert pyyaml["properties"] == {"severity": "CRITICAL", "package": "pyyaml", "installedVersion": "5.3",
                                    "fixedVersion": "5.4"}
    assert pyyaml["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_sarif_keeps_within_the_results_limit() -> None:
    many = tuple(
        Finding(tool="semgrep", rule_id="r", severity=Severity.LOW if i else Severity.CRITICAL, title="t",
                message=f"m{i}", path=f"f{i}.py", start_line=1)
        for i in range(25_010)
    )
    run = ToolRun(tool="semgrep", info=ToolInfo("Semgrep"), findings=many)
    verdict = gate.decide(many, threshold=Severity.HIGH)
    log = report.sarif(ScanResult(runs=(run,), findings=many, verdict=verdict, category="idp-scan"))
    (sarif_run,) = log["runs"]
    assert len(sarif_run["results"]) == 25_000
    assert sarif_run["results"][0]["level"] == "error"  # the most severe are kept
    assert sarif_run["properties"]["idp/omittedResults"] == 10


def test_json_report(result: ScanResult) -> None:
    data = report.json_report(result)
    assert data["passed"] is False and data["threshold"] == "HIGH" and data["mode"] == "full"
    assert [t["tool"] for t in data["tools"]] == ["semgrep", "trivy", "trivy-image"]
    pyyaml = next(f for f in data["findings"] if f["rule_id"] == "CVE-2099-0001")
    assert pyyaml["failing"] is True and pyyaml["fixed_version"] == "5.4" and pyyaml["new"] is None
    assert data["counts"]["CRITICAL"] == 2


def test_summary_golden(result: ScanResult) -> None:
    _golden("summary.md", report.markdown(result, run_url="https://github.com/acme/web/actions/runs/7"))


def test_text_output_golden(result: ScanResult) -> None:
    _golden("text.out", report.text(result))


def test_the_comment_fits_github_limit_however_many_findings() -> None:
    many = tuple(
        Finding(tool="trivy", rule_id=f"CVE-2099-{i:05d}", severity=Severity.CRITICAL, title="x" * 150,
                message="y" * 300, path=f"services/s{i}/package-lock.json", start_line=i + 1,
                package=f"p{i}", installed_version="1", fixed_version="2")
        for i in range(3000)
    )
    run = ToolRun(tool="trivy", info=ToolInfo("Trivy", "0.74.0"), findings=many)
    result = ScanResult(runs=(run,), findings=many, verdict=gate.decide(many, threshold=Severity.HIGH),
                        category="idp-scan")
    body = report.markdown(result, detail=20)
    fitted = fit_body(body, marker(report.COMMENT_PURPOSE, "idp-scan:."))
    assert github_length(fitted) <= COMMENT_LIMIT
    assert "…and 2980 more in the SARIF and JSON reports." in fitted


def test_annotations_in_pull_request_mode_only_on_changed_lines(result: ScanResult) -> None:
    everywhere = report.annotation_list(result)
    assert everywhere[0]["level"] == "error"
    assert {a["file"] for a in everywhere} >= {"src/app.py", "requirements.txt", "infra/main.tf"}
    assert all(a["level"] == "warning" for a in everywhere if a["title"].startswith("Medium"))

    changed = report.annotation_list(result, {"src/app.py": {5}, "requirements.txt": {1}})
    assert sorted((a["file"], a["line"]) for a in changed) == [("requirements.txt", 1), ("src/app.py", 5)]
