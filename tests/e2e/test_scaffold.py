"""Scaffolding under act: scaffold.yml's dry run, and the CI of a generated python-service.

1. A caller runs the scaffold reusable workflow (which runs actions/scaffold, which
   runs actions/setup) for a dry run: the request is validated, the template rendered
   and self-checked inside the job, and the outputs and summary come back.
2. A repository generated from python-service ships the service starter workflow,
   calling our service-ci and self-check reusable workflows; the golden path
   (test_golden_path.py) runs that CI under act.
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


def test_the_generated_service_ci_is_the_service_starter_calling_our_reusable_workflows(tmp_path: Path) -> None:
    """What that CI does under act is the golden path's (tests/e2e/test_golden_path.py): tests, scan,
    policy, image, promotion to dev, and the self-check, run for real on a scaffolded service."""
    rendered = render(find_template("python-service", TEMPLATES), answers_for("python-service"),
                      tmp_path / "payments-api")
    ci = (rendered.root / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    called = sorted(set(re.findall(rf"uses: {re.escape(SELF)}([\w.-]+\.yml)@main", ci)))
    assert called == ["self-check.yml", "service-ci.yml"], "the template calls our reusable workflows, pinned"
    starter = (ROOT / "workflows" / "service.yml").read_text(encoding="utf-8")
    assert ci == starter.replace("$default-branch", "main"), "scaffolding ships the service starter workflow"
    jobs = yaml.safe_load(ci)["jobs"]
    assert jobs["ci"]["secrets"] == {"ARGOCD_AUTH_TOKEN": "${{ secrets.ARGOCD_AUTH_TOKEN }}",
                                     "GITOPS_TOKEN": "${{ secrets.GITOPS_TOKEN }}"}
