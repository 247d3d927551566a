"""Container image scans from an OCI archive with the real Trivy and the fixture DB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_actions.cli import main
from tests.conftest import require_tool
from tests.fixtures.scan.repos import build_db, fixture_image, materialize

pytestmark = pytest.mark.tools("trivy", "trivy-db")


def test_an_oci_image_archive_is_scanned_for_vulnerabilities_and_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool("trivy")
    cache = build_db(tmp_path / "cache")
    repo = materialize("clean", tmp_path / "repo")
    image = fixture_image(repo / "build" / "app.tar")
    sarif, report = tmp_path / "scan.sarif", tmp_path / "scan.json"

    code = main(["scan", str(repo), "--scanners", "vuln,secret", "--image", str(image), "--trivy-cache-dir",
                 str(cache), "--skip-db-update", "--sarif", str(sarif), "--json", str(report)])

    assert code == 1, capsys.readouterr().err
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    from_image = {(f["tool"], f["rule_id"], f["path"]) for f in findings if f["failing"]}
    assert from_image == {("trivy-image", "CVE-2099-0001", "build/app.tar"),
                          ("trivy-image", "github-pat", "build/app.tar")}
    pyyaml = next(f for f in findings if f["rule_id"] == "CVE-2099-0001")
    assert (pyyaml["package"], pyyaml["installed_version"], pyyaml["fixed_version"]) == ("PyYAML", "5.3", "5.4")
    assert pyyaml["message"] == "PyYAML 5.3 is vulnerable to CVE-2099-0001 in Python; fixed in 5.4"
    token = next(f for f in findings if f["rule_id"] == "github-pat")
    assert "in /app/.env: remove it from the image" in token["message"]
    runs = json.loads(sarif.read_text(encoding="utf-8"))["runs"]
    assert [r["automationDetails"]["id"] for r in runs] == ["idp-scan/trivy/", "idp-scan/trivy-image/"]


def test_a_missing_image_tarball_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = materialize("clean", tmp_path / "repo")
    assert main(["scan", str(repo), "--image", str(tmp_path / "nope.tar")]) == 1
    assert f"image tarball {tmp_path / 'nope.tar'} does not exist" in capsys.readouterr().err
