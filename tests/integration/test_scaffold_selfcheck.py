"""The self-check with the real tools: generated projects pass it, and each check fails on what it guards.

``idp scaffold new --dry-run --output DIR`` end to end for every template, then
one deliberate defect per check in a copy of a rendered service, to prove the
check really runs (a check that cannot fail checks nothing).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from idp_actions import cli
from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.render import render
from idp_actions.scaffold.selfcheck import baseline_constraints, selfcheck
from tests.conftest import ROOT, require_tool
from tests.unit.test_scaffold_render import answers_for

TEMPLATES = ROOT / "templates"


def offline_scan_args(cache: Path) -> list[str]:
    """`idp scan` arguments for a run without network: the fixture vulnerability DB, never downloaded."""
    from tests.fixtures.scan.repos import build_db

    require_tool("trivy")
    require_tool("semgrep")
    build_db(cache)
    return ["--trivy-cache-dir", str(cache), "--skip-db-update"]


@pytest.fixture(scope="module")
def scan_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    if "scan" not in cli.COMMANDS:
        return []
    return offline_scan_args(tmp_path_factory.mktemp("trivy-cache"))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for tool in ("kustomize", "gator", "conftest", "tofu", "zizmor", "actionlint"):
        require_tool(tool)
    out = tmp_path_factory.mktemp("service") / "payments-api"
    render(find_template("python-service", TEMPLATES), answers_for("python-service"), out)
    yield out


@pytest.fixture
def copy(service: Path, tmp_path: Path) -> Path:
    target = tmp_path / "payments-api"
    shutil.copytree(service, target)
    return target


@pytest.mark.parametrize(
    ("template", "name"), [("python-service", "orders"), ("terraform-module", "terraform-aws-tags")]
)
def test_dry_run_renders_and_passes_every_check(
    template: str, name: str, tmp_path: Path, actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str],
    scan_args: list[str],
) -> None:
    out = tmp_path / "out"
    code = cli.main(["scaffold", "new", template, "-p", f"name={name}", "-p", "owner=team-x", "-p", "org=acme",
                     "--dry-run", "--output", str(out), *scan_args])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (out / ".copier-answers.yml").is_file() and (out / "catalog-info.yaml").is_file()
    assert not list(out.rglob("__pycache__")) and not list(out.rglob(".terraform")), "tests ran in a copy"
    summary = actions_env["STEP_SUMMARY"].read_text()
    assert f"Dry run: `{name}` from the `{template}` template" in summary
    assert "| `workflows` | ✅ passed |" in summary and "| `tests` | ✅ passed |" in summary
    outputs = actions_env["OUTPUT"].read_text()
    assert "status" in outputs and "dry-run" in outputs and f"component:default/{name}" in outputs
    assert "failed" not in re.findall(r"^\s*(\w+)\s", err, re.MULTILINE)
    # `idp policy check` and `idp scan` run for real when this build has them, else say they were skipped
    for command in ("policy", "scan"):
        expected = "✅ passed" if command in cli.COMMANDS else "⏭️ skipped"
        assert f"| `{command}` | {expected} |" in summary, summary


def only(root: Path, name: str) -> tuple[str, str]:
    report = selfcheck(root, find_template("python-service", TEMPLATES), only=[name])
    (check,) = report.checks
    return check.status, check.details


def test_docker_check_fails_on_a_root_image(copy: Path) -> None:
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("USER 10001:10001\n", ""))
    status, details = only(copy, "docker")
    assert status == "failed" and "Dockerfile" in details


def test_docker_check_fails_on_a_tagged_base_image(copy: Path) -> None:
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(re.sub(r"FROM \S+", "FROM python:3.12-slim", dockerfile.read_text()))
    status, details = only(copy, "docker")
    assert status == "failed" and "digest" in details


def test_kubernetes_check_fails_on_a_privileged_container_without_probes(copy: Path) -> None:
    path = copy / "deploy/base/deployment.yaml"
    deployment = yaml.safe_load(path.read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    del container["readinessProbe"]
    container["securityContext"]["privileged"] = True
    path.write_text(yaml.safe_dump(deployment))
    status, details = only(copy, "kubernetes")
    assert status == "failed"
    assert "IdpProbes" in details and "IdpPrivilegedContainers" in details
    assert "deploy/overlays/prod" in details


def test_kubernetes_check_fails_on_one_replica_in_prod(copy: Path) -> None:
    path = copy / "deploy/overlays/prod/kustomization.yaml"
    path.write_text(path.read_text().replace("count: 3", "count: 1"))
    status, details = only(copy, "kubernetes")
    assert status == "failed" and "IdpMinReplicas" in details and "prod-payments-api" in details


def test_kubernetes_check_fails_when_an_overlay_does_not_build(copy: Path) -> None:
    (copy / "deploy/overlays/dev/kustomization.yaml").write_text("resources:\n  - ../missing\n")
    status, details = only(copy, "kubernetes")
    assert status == "failed" and "deploy/overlays/dev: kustomize build failed" in details


def test_workflows_check_fails_on_an_unpinned_action(copy: Path) -> None:
    workflow = copy / ".github/workflows/ci.yml"
    text = workflow.read_text()
    assert "idp-actions/idp-actions/.github/workflows/self-check.yml@main" in text
    text = text.replace("idp-actions/idp-actions/.github/workflows/self-check.yml@main",
                        "octo-org/ci/.github/workflows/check.yml@v4")
    workflow.write_text(text)
    status, details = only(copy, "workflows")
    assert status == "failed" and "octo-org/ci/.github/workflows/check.yml@v4" in details


def test_workflows_check_fails_on_an_invalid_idp_config(copy: Path) -> None:
    (copy / ".github/idp.yaml").write_text("version: 1\nscan:\n  severity-threshold: NOPE\n")
    status, details = only(copy, "workflows")
    assert status == "failed" and "severity-threshold" in details


def test_tests_check_fails_when_the_service_is_broken(copy: Path) -> None:
    app = copy / "src/payments_api/app.py"
    app.write_text(app.read_text().replace('{"status": "ok"}', '{"status": "broken"}'))
    status, details = only(copy, "tests")
    assert status == "failed" and "test_liveness" in details


def test_terraform_check_fails_when_not_formatted(copy: Path) -> None:
    main = copy / "terraform/main.tf"
    main.write_text(main.read_text().replace("  region = var.region", "region=var.region"))
    status, details = only(copy, "terraform")
    assert status == "failed" and "not formatted" in details


def test_catalog_check_fails_without_an_owner(copy: Path) -> None:
    path = copy / "catalog-info.yaml"
    entity = yaml.safe_load(path.read_text())
    del entity["spec"]["owner"]
    path.write_text(yaml.safe_dump(entity))
    status, details = only(copy, "catalog")
    assert status == "failed" and "spec.owner is missing" in details


def test_every_baseline_constraint_has_a_template_in_the_library() -> None:
    kinds = {yaml.safe_load(p.read_text())["spec"]["crd"]["spec"]["names"]["kind"]
             for p in (ROOT / "policies/kubernetes").glob("*/template.yaml")}
    assert {c["kind"] for c in baseline_constraints()} <= kinds


def test_an_unknown_check_to_skip_is_refused_before_anything_is_rendered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from idp_actions.cli import main

    out = tmp_path / "out"
    code = main(["scaffold", "new", "python-service", "--dry-run", "--output", str(out), "-p", "name=payments-api",
                 "-p", "owner=team-payments", "-p", "org=acme", "--skip-check", "tests", "--skip-check", "lint"])
    assert code == 1
    err = capsys.readouterr().err
    assert "unknown self-check(s) to skip: lint" in err and "the self-checks are workflows, tests" in err
    assert not out.exists()
