"""Scaffolding under act: scaffold.yml's dry run, and the CI of a generated python-service.

1. A caller runs the scaffold reusable workflow (which runs actions/scaffold, which
   runs actions/setup) for a dry run: the request is validated, the template rendered
   and self-checked inside the job, and the outputs and summary come back.
2. A repository generated from python-service runs its own CI — its tests, then the
   platform's self-check and policy-check reusable workflows — as rendered, except
   what this machine needs: the reusable workflows are called by local path
   (act#2390), the policy check installs no tools (act runs offline; they come from
   PATH) and Python is named by version (only 3.11 is here, and the setup-python
   stand-in reads no .python-version).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.render import render
from tests.conftest import ROOT
from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES, ActSession
from tests.unit.test_scaffold_render import answers_for

pytestmark = pytest.mark.e2e

CALLER = FIXTURES / "callers" / "scaffold-caller.yml"
TEMPLATES = ROOT / "templates"
SELF = "idp-actions/idp-actions/.github/workflows/"


def _with_copier(session: ActSession) -> None:
    """Put copier and what it needs into the job's idp venv while requirements/runtime.lock lacks it.

    The harness seeds that venv with exactly the lock; copier is idp scaffold's engine, and the lock
    gains it with this feature. Once the lock pins copier this copies nothing.
    """
    lock = (ROOT / "requirements" / "runtime.lock").read_text(encoding="utf-8").lower()
    if re.search(r"(?m)^copier==", lock):
        return
    venv = session.seed_venv(session.action_cache / "tool_cache")
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    todo, seen = ["copier"], set()
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        dist = importlib.metadata.distribution(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        for entry in dist.files or []:
            relative = Path(str(entry))
            if relative.is_absolute() or ".." in relative.parts or "__pycache__" in relative.parts:
                continue
            target = site / relative
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(str(dist.locate_file(entry))), target)


def _with_templates(session: ActSession) -> None:
    """Add templates/, policies/ and policy-sets/ to the snapshot that stands in for idp-actions@main.

    A real checkout of the actions has them; the harness's snapshot (SNAPSHOT_ITEMS) copies
    only what the earlier actions needed.
    """
    for item in ("templates", "policies", "policy-sets"):
        if not (session.snapshot / item).is_dir():
            shutil.copytree(ROOT / item, session.snapshot / item, ignore=shutil.ignore_patterns("__pycache__"))


def test_the_scaffold_workflow_dry_runs_a_request(act: Act) -> None:
    _with_copier(act.session)
    _with_templates(act.session)
    repo = act.repo(workflows=[CALLER], reusable=["scaffold.yml"], slug="acme/idp-actions")
    request = {"template": "python-service", "id": "backstage-task-7",
               "parameters": {"name": "payments-api", "owner": "group:default/team-payments", "org": "acme",
                              "description": "Takes payments"}}

    result = act.run(repo, "scaffold-caller.yml", inputs={"request": json.dumps(request)}, timeout=300)

    job = result.job("scaffold")
    assert job.succeeded, f"{job.errors}\n{result.tail(120)}"
    assert job.outputs["status"] == "dry-run"
    assert job.outputs["repository"] == "acme/payments-api"
    assert job.outputs["entity-ref"] == "component:default/payments-api"
    assert "Dry run: `payments-api` from the `python-service` template" in job.summary
    for check in ("workflows", "tests", "kubernetes", "docker", "terraform", "catalog"):
        assert f"| `{check}` | ✅ passed |" in job.summary, job.summary
    report = result.job("report")
    assert report.step_outputs[("report",)] == {"status": "dry-run", "repository": "acme/payments-api",
                                                "entity-ref": "component:default/payments-api",
                                                "result": "success"}


def test_a_bad_request_fails_the_run_naming_the_parameter(act: Act) -> None:
    _with_copier(act.session)
    _with_templates(act.session)
    repo = act.repo(workflows=[CALLER], reusable=["scaffold.yml"], slug="acme/idp-actions")
    request = {"template": "python-service", "parameters": {"name": "../etc", "owner": "t", "org": "acme"}}

    result = act.run(repo, "scaffold-caller.yml", inputs={"request": json.dumps(request)}, timeout=300)

    job = result.job("scaffold")
    assert not job.succeeded
    assert any("parameter `name`: '../etc' does not match" in error for error in job.errors), job.errors
    assert not any("internal error" in error for error in job.errors)
    assert "The scaffolding request was refused" in job.summary and "Nothing was created." in job.summary


def test_the_generated_service_ci_runs_against_our_reusable_workflows(act: Act, tmp_path: Path) -> None:
    _with_templates(act.session)
    rendered = render(find_template("python-service", TEMPLATES), answers_for("python-service"),
                      tmp_path / "payments-api")
    ci = (rendered.root / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    called = sorted(set(re.findall(rf"uses: {re.escape(SELF)}([\w.-]+\.yml)@main", ci)))
    assert called == ["policy-check.yml", "self-check.yml"], "the template calls our reusable workflows, pinned"
    local = re.sub(rf"uses: {re.escape(SELF)}([\w.-]+\.yml)@main",
                   r"uses: ./.github/workflows/\1 # zizmor: ignore[self-repository]", ci)
    # This machine has only Python 3.11, and the setup-python stand-in reads no python-version-file:
    # name the version outright (the service runs on 3.11 as well).
    assert "python-version-file: .python-version" in local
    local = local.replace("python-version-file: .python-version", f'python-version: "{sys.version_info.major}.'
                          f'{sys.version_info.minor}"')
    assert local.rstrip().endswith("pull-requests: write # one sticky comment with what the policies found")
    local = local.rstrip() + '\n    with:\n      install-tools: ""  # offline: opa and kustomize come from PATH\n'
    assert "install-tools" in yaml.safe_load(local)["jobs"]["policy"]["with"]
    files: dict[str, str | Path] = {
        path: rendered.root / path for path in rendered.files if path != ".github/workflows/ci.yml"
    }
    repo = act.repo(workflows={"ci.yml": local}, reusable=called, files=files, slug="acme/payments-api")

    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    result = act.run(repo, "ci.yml", event="push", timeout=300, env={"IDP_E2E_ARTIFACTS": str(artifacts)})

    for job_name in ("test", "self-check", "policy-check"):
        job = result.job(job_name)
        assert job.succeeded, f"{job_name}: {job.errors}\n{result.tail(120)}"
    test = result.job("test")
    assert test.step("Run the tests").result == "success"
    assert test.step("No unresolved template conflicts").result == "success"
    assert "Ran 6 tests" in test.text() and "OK" in test.text()
    policy = result.job("policy-check")
    assert "0 denied" in policy.text()
    assert any(artifacts.rglob("*")), "the policy report was uploaded"
