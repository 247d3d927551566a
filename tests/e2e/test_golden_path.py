"""The golden path under act, as `scripts/demo` runs it: template → repository → CI → registry → dev.

Nothing is mocked that can run here: the scaffold and its self-checks, act running the
scaffolded ci.yml with our service-ci and self-check reusable workflows, Semgrep, Trivy,
OPA, the daemonless image build, a real OCI registry on 127.0.0.1 and idp promote.
GitHub's and Argo CD's APIs are the stateful fakes, checked against their published API
descriptions when the demo stops them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo.golden_path import GoldenPath
from demo.report import PASSED, terminal

pytestmark = pytest.mark.e2e


def test_the_golden_path_takes_a_new_service_from_template_to_dev(tmp_path: Path) -> None:
    lines: list[str] = []
    path = GoldenPath(tmp_path / "work", tmp_path / "out", service="hello-api", say=lines.append)
    outcome = path.run()
    markdown, page = path.write_report()

    assert outcome.succeeded, terminal(outcome) + "\n" + "\n".join(lines[-20:])
    assert [s.status for s in outcome.steps] == [PASSED] * len(outcome.steps)
    jobs = {job.name: job.result for job in outcome.jobs}
    assert jobs == {name: "success" for name in
                    ("test", "security scan", "policy check", "image", "promote to dev", "idp self-check")}, jobs

    digest = outcome.digest
    assert digest.startswith("sha256:") and len(digest) == 71
    assert outcome.image.endswith(f"/acme/hello-api@{digest}") and outcome.image.startswith("127.0.0.1:")
    dev = outcome.environments["dev"]
    assert (dev["digest"], dev["sync"], dev["health"]) == (digest, "Synced", "Healthy")
    for later in ("staging", "prod"):  # CI promotes to dev only; the rest waits for promote.yml
        assert outcome.environments[later]["digest"] != digest
    assert outcome.deployment.endswith("in_progress → success")

    image_job = next(job for job in outcome.jobs if job.name == "image")
    assert "CVE-2099-0003" in image_job.summary, "the base image's MEDIUM finding is reported (below the gate)"
    test_job = next(job for job in outcome.jobs if job.name == "test")
    assert "Tests passed (python)" in test_job.summary

    text = markdown.read_text(encoding="utf-8")
    assert "```mermaid" in text and digest in text and "✅ The golden path ran end to end" in text
    assert "act#2390" in text, "the report says how the scaffolded ci.yml was adapted for act"
    assert "<html" in page.read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out" / "golden-path.json").read_text(encoding="utf-8"))
    assert data["succeeded"] is True and {s["name"] for s in data["steps"]} >= {"scaffold", "ci", "verify"}
    assert all(s["seconds"] > 0 for s in data["steps"])
