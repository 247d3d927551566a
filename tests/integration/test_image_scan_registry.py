"""An image built and pushed to the loopback registry, scanned by digest with the real Trivy and the fixture DB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_actions.cli import main
from idp_actions.image.build import build_and_push
from idp_actions.scan.trivy import registry_flags
from tests.conftest import require_tool
from tests.fixtures.scan.repos import build_db, materialize
from tests.registry import Registry

pytestmark = pytest.mark.tools("registry", "trivy", "trivy-db")

METADATA = "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\nSummary: YAML parser and emitter\n"


def test_a_pushed_image_is_scanned_in_the_registry_by_digest(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool("trivy")
    cache = build_db(tmp_path / "cache")
    repo = materialize("clean", tmp_path / "repo")
    context = tmp_path / "ctx"
    files = {
        "site-packages/PyYAML-5.3.dist-info/METADATA": METADATA,
        "app/app.py": "import yaml\nprint(yaml.__version__)\n",
        "Dockerfile": "FROM scratch\nCOPY site-packages/ /usr/local/lib/python3.12/site-packages/\n"
                      "COPY app/ /app/\nUSER 10001:10001\nCMD [\"python3\", \"/app/app.py\"]\n",
    }
    for name, text in files.items():
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(text, encoding="utf-8")
    pushed = build_and_push(context=context, image=f"{registry.host}/acme/payments-api", tags=["v1"])
    reference = pushed.pinned
    assert registry_flags(reference) == ["--image-src", "remote", "--insecure"]
    report = tmp_path / "scan.json"

    code = main(["scan", str(repo), "--scanners", "vuln", "--image", reference, "--trivy-cache-dir", str(cache),
                 "--skip-db-update", "--json", str(report), "--comment", "never"])

    assert code == 1, capsys.readouterr().err
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    failing = {(f["tool"], f["rule_id"]) for f in findings if f["failing"]}
    assert failing == {("trivy-image", "CVE-2099-0001")}
    pyyaml = next(f for f in findings if f["rule_id"] == "CVE-2099-0001")
    assert (pyyaml["package"], pyyaml["installed_version"], pyyaml["fixed_version"]) == ("PyYAML", "5.3", "5.4")
    assert pyyaml["message"] == "PyYAML 5.3 is vulnerable to CVE-2099-0001 in Python; fixed in 5.4"


def test_only_loopback_registries_get_insecure_and_tags_keep_trivys_order() -> None:
    digest = "sha256:" + "a" * 64
    assert registry_flags(f"ghcr.io/acme/app@{digest}") == ["--image-src", "remote"]
    assert registry_flags("ghcr.io/acme/app:v1") == []
    assert registry_flags("localhost:5000/acme/app:v1") == ["--image-src", "remote", "--insecure"]
    assert registry_flags("not a reference") == []
