"""``idp policy check|test|bundle`` end to end, with real OPA, kustomize, gator and conftest.

The fixture repository (golden/policy/repo) holds manifests (one with invalid YAML),
a kustomize base and overlay, a Terraform plan, Dockerfiles, a workflow, the
caller's own policies (Gatekeeper templates — one legacy Rego v0 — with constraints
of every enforcement action, and conftest-style Rego for the other inputs) and an
exceptions file with a used, an unused and an expired exception.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from idp_actions.cli import main
from tests.conftest import ROOT, require_tool

GOLDEN = Path(__file__).parent / "golden" / "policy"
UPDATE = os.environ.get("IDP_UPDATE_GOLDEN") == "1"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the fixture repository as the working directory."""
    target = tmp_path / "repo"
    shutil.copytree(GOLDEN / "repo", target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("IDP_POLICY_LIBRARY", str(ROOT))
    yield target


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["policy", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"golden file {name} is missing: regenerate with IDP_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"differs from {path} (IDP_UPDATE_GOLDEN=1 to accept)"


# ---------------------------------------------------------------------- check


def test_text_report_matches_golden(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--set", "none")
    assert code == 1
    golden("check.txt", out)


def test_step_summary_and_annotations(
    repo: Path, capsys: pytest.CaptureFixture[str], actions_env: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "check", "--set", "none")
    assert code == 1
    golden("summary.md", actions_env["STEP_SUMMARY"].read_text(encoding="utf-8"))
    assert "::error title=pinned (deny),file=.github/workflows/ci.yml,line=11,endLine=11::" in out
    assert "::warning title=team-label (warn),file=deploy/app.yaml,line=21" in out
    assert "::notice title=legacy-default-namespace (dryrun)" in out
    assert "::error title=policy input error,file=deploy/broken.yaml,line=7" in out
    outputs = actions_env["OUTPUT"].read_text(encoding="utf-8")
    assert "result<<" in outputs and "failed" in outputs


def test_invalid_yaml_is_an_input_error_and_the_rest_is_checked(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    code, _, _ = run(capsys, "check", "--set", "none", "--format", "json", "--output", str(report), "deploy")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert code == 1
    assert data["inputErrors"] == [
        {"path": "deploy/broken.yaml", "line": 7, "message": "invalid YAML: did not find expected ',' or ']'"}
    ]
    assert data["inputs"]["kubernetes"] == 5
    assert {v["path"] for v in data["violations"]} == {"deploy/app.yaml", "deploy/base/deployment.yaml"}


def test_json_report_keeps_enforcement_and_lists_exceptions(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "check", "--set", "none", "--format", "json")
    data = json.loads(out)
    assert code == 1 and not data["passed"]
    assert "checked 5 kubernetes, 1 terraform, 2 docker, 1 workflows" in err
    by_policy = {(v["policy"], v["enforcement"]) for v in data["violations"]}
    assert {("team-label", "deny"), ("team-label", "warn"), ("legacy-default-namespace", "dryrun")} <= by_policy
    excepted = [v for v in data["violations"] if "exception" in v]
    assert [(v["resource"]["name"], v["exception"]["id"]) for v in excepted] == [("worker", "legacy-worker")]
    assert [e["id"] for e in data["exceptions"]["used"]] == ["legacy-worker"]
    assert data["exceptions"]["used"][0]["violations"] == 1
    assert [e["id"] for e in data["exceptions"]["unused"]] == ["old-bucket"]
    assert [e["id"] for e in data["exceptions"]["expired"]] == ["python-latest"]
    plan = next(v for v in data["violations"] if v["policy"] == "buckets" and v["enforcement"] == "deny")
    assert plan["resource"] == {"address": "aws_s3_bucket.public_assets"}
    assert plan["line"] == 6


def test_kustomize_directory_is_rendered_and_traced_to_its_source(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", "--set", "none", "--format", "json", "deploy/overlays/prod")
    [violation] = json.loads(out)["violations"]
    assert code == 1
    assert violation["path"] == "deploy/base/deployment.yaml" and violation["line"] == 1
    assert violation["renderedFrom"] == "deploy/overlays/prod"
    assert violation["resource"] == {"kind": "Deployment", "namespace": "payments-prod", "name": "ledger"}
    assert 'team "nobody"' in violation["message"]  # the overlay's patch was applied


def test_junit_is_xml_with_a_suite_per_policy(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--set", "none", "--format", "junit")
    root = ET.fromstring(out)
    assert code == 1 and root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert {"kubernetes/team-label", "terraform/buckets", "docker/no-latest", "workflows/pinned", "inputs"} <= set(
        suites
    )
    failures = suites["kubernetes/team-label"].findall("testcase/failure")
    assert [f.get("type") for f in failures] == ["deny"]
    assert suites["inputs"].find("testcase/error") is not None
    assert int(root.get("failures", "0")) >= 4


def test_sarif_has_one_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--set", "none", "--format", "sarif")
    sarif = json.loads(out)
    [single] = sarif["runs"]
    assert single["tool"]["driver"]["name"] == "idp-policy"
    assert single["automationDetails"]["id"] == "policy/idp-policy/"
    suppressed = [r for r in single["results"] if r.get("suppressions")]
    assert len(suppressed) == 1
    levels = {r["ruleId"]: r["level"] for r in single["results"] if not r.get("suppressions")}
    assert levels["pinned"] == "error" and levels["legacy-default-namespace"] == "note"


def test_exit_codes(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fresh = tmp_path / "fresh-exceptions.yaml"
    fresh.write_text("exceptions: []\n", encoding="utf-8")
    clean = run(capsys, "check", "--set", "none", "--exceptions", str(fresh), "services/api/Dockerfile")
    assert clean[0] == 0, clean
    warned = run(capsys, "check", "--set", "none", "--exceptions", str(fresh), "infra/plan.json",
                 "--exclude", "nothing")
    assert warned[0] == 1  # the public bucket is denied
    only_warnings = run(capsys, "check", "--set", "none", "--exceptions", str(fresh), "deploy/app.yaml")
    assert only_warnings[0] == 1  # the worker's team is denied without the exception …
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text(
        (repo / "policy-exceptions.yaml").read_text(encoding="utf-8").split("  - id: python-latest")[0],
        encoding="utf-8",
    )
    only_warnings = run(capsys, "check", "--set", "none", "--exceptions", str(accepted), "deploy/app.yaml")
    assert only_warnings[0] == 0, only_warnings  # … and with it only a warning and a dry-run are left
    assert run(capsys, "check", "--set", "nope")[0] == 2
    assert run(capsys, "check", "--format", "yaml")[0] == 2
    assert run(capsys, "bogus")[0] == 2
    assert run(capsys)[0] == 2


def test_an_expired_exception_fails_naming_itself(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--set", "none", "services/api/Dockerfile")
    assert code == 1
    assert "policy-exceptions.yaml:17: error [exception] python-latest (no-latest, owner team-payments, " \
           "expires 2020-01-31) has expired" in out


def test_unknown_policy_set_lists_the_valid_ones(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--set", "prodution")
    assert code == 2
    assert "unknown policy set `prodution`; valid sets: baseline, production" in err


def test_invalid_exceptions_file_is_a_configuration_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "policy-exceptions.yaml").write_text(
        "exceptions:\n  - policy: team-label\n    match: {name: x}\n    reason: r\n    owner: o\n"
        "    expires: next week\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", "--set", "none")
    assert code == 2
    assert "policy-exceptions.yaml:2: exception #1: `expires` must be a date (YYYY-MM-DD), got 'next week'" in err


def test_rego_compile_error_in_a_user_template_names_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = repo / "policies/kubernetes/team-label/template.yaml"
    text = template.read_text(encoding="utf-8")
    lines = text.splitlines()
    broken_line = next(i for i, line in enumerate(lines, 1) if "not teams.known(team)" in line)
    template.write_text(text.replace("not teams.known(team)", "not teams.unknown_function(team)"), encoding="utf-8")
    code, _, err = run(capsys, "check", "--set", "none", "deploy/app.yaml")
    assert code == 2
    assert f"policies/kubernetes/team-label/template.yaml:{broken_line}:" in err
    assert "unknown_function" in err


def test_rego_parse_error_in_a_user_conftest_policy_names_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = repo / "policies/terraform/buckets.rego"
    text = policy.read_text(encoding="utf-8")
    broken = text.replace('rc.type == "aws_s3_bucket"\n\tnot', 'rc.type == \n\tnot', 1)
    policy.write_text(broken, encoding="utf-8")
    line = next(i for i, content in enumerate(broken.splitlines(), 1) if content == "\tnot rc.change.after.tags.team")
    code, _, err = run(capsys, "check", "--set", "none", "infra")
    assert code == 2
    assert f"policies/terraform/buckets.rego:{line}: Rego parse error: unexpected not keyword" in err


def test_a_template_gatekeeper_would_refuse_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = repo / "policies/kubernetes/team-label/template.yaml"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace("import data.lib.teams\n", "import data.lib.teams\n\n              x := data.secrets\n"),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", "--set", "none", "deploy/app.yaml")
    assert code == 2
    assert "reads data.secrets; Gatekeeper allows only data.lib and data.inventory" in err


def test_config_parameters_and_enforcement_ceiling(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = repo / ".github/idp.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("policy:\n", "policy:\n  enforcement: warn\n")
        .replace("teams: [payments, platform]", "teams: [payments, platform, growth, nobody]"),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", "--set", "none", "--format", "json", "deploy", "infra", ".github")
    data = json.loads(out)
    assert {v["enforcement"] for v in data["violations"]} <= {"warn", "dryrun"}
    assert not any("belongs to team" in v["message"] for v in data["violations"])
    assert code == 1  # deploy/broken.yaml and the expired exception still fail the check
    assert data["summary"]["deny"] == 0


def test_library_sets_apply_with_production_extending_baseline(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "prod.yaml"
    manifest.write_text(
        textwrap.dedent(
            """\
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: prod-shop
              labels: {owner: alice, team: shop, app.kubernetes.io/name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  securityContext: {runAsNonRoot: true}
                  containers:
                    - name: web
                      image: ghcr.io/acme/web:1.0.0
                      securityContext:
                        allowPrivilegeEscalation: false
                        readOnlyRootFilesystem: true
                        capabilities: {drop: [ALL]}
                      resources:
                        requests: {cpu: 100m, memory: 128Mi}
                        limits: {cpu: 500m, memory: 256Mi}
                      livenessProbe: {httpGet: {path: /healthz, port: 8080}}
                      readinessProbe: {httpGet: {path: /ready, port: 8080}}
            """
        ),
        encoding="utf-8",
    )
    empty = tmp_path / "none.yaml"
    empty.write_text("exceptions: []\n", encoding="utf-8")
    (repo / ".github/idp.yaml").write_text("version: 1\n", encoding="utf-8")  # the library's policies only
    code, out, _ = run(capsys, "check", "--set", "baseline", "--exceptions", str(empty), "--format", "json",
                       str(manifest))
    baseline = json.loads(out)
    assert code == 0, baseline["violations"]
    assert [(v["policy"], v["enforcement"]) for v in baseline["violations"]] == [("min-replicas", "warn")]
    code, out, _ = run(capsys, "check", "--set", "production", "--exceptions", str(empty), "--format", "json",
                       str(manifest))
    production = json.loads(out)
    assert code == 1
    assert sorted((v["policy"], v["constraint"], v["enforcement"]) for v in production["violations"]) == [
        ("image-digests", "IdpImageDigests/image-digests-production", "deny"),
        ("min-replicas", "IdpMinReplicas/min-replicas", "deny"),
    ]
    assert production["sets"] == ["baseline", "production"]


def test_one_opa_process_per_kind_of_input(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "opa.log"
    wrapper = tmp_path / "opa"
    wrapper.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$1" >> {log}\nexec {require_tool("opa")} "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("IDP_OPA", str(wrapper))
    many = repo / "many"
    for i in range(25):
        (many / f"app{i}").mkdir(parents=True)
        (many / f"app{i}" / "deployment.yaml").write_text(
            (repo / "deploy/app.yaml").read_text(encoding="utf-8").replace("name: api", f"name: api{i}"),
            encoding="utf-8",
        )
        (many / f"app{i}" / "Dockerfile").write_text("FROM python:latest\n", encoding="utf-8")
    for i in range(5):
        shutil.copy(repo / "infra/plan.json", many / f"plan{i}.json")
    code, out, _ = run(capsys, "check", "--set", "baseline", "--format", "json", ".")
    data = json.loads(out)
    assert data["inputs"]["kubernetes"] >= 75 and data["inputs"]["docker"] >= 26
    assert data["inputs"]["terraform"] == 6 and data["inputs"]["workflows"] == 1
    assert code == 1
    calls = log.read_text(encoding="utf-8").split()
    assert calls.count("eval") == 4, calls  # kubernetes, terraform, docker, workflows: one each


def test_helm_charts_are_noted_when_helm_is_missing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = repo / "charts/api"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: api\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "templates/deployment.yaml").write_text("{{ .Values.broken", encoding="utf-8")
    monkeypatch.delenv("IDP_HELM", raising=False)
    monkeypatch.setenv("PATH", str(ROOT / ".tools" / "bin"))
    if shutil.which("helm"):
        pytest.skip("helm is installed here: the note is for runners without it")
    code, out, _ = run(capsys, "check", "--set", "none", "charts")
    assert code == 1  # the expired exception
    assert "charts/api: Helm chart not rendered: no `helm` binary found" in out


def test_sticky_comment(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    fake_github: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from tests.fakes.github_server import FakeGitHub

    assert isinstance(fake_github, FakeGitHub)
    repository = fake_github.state.create_repo("octocat", "payments")
    pull = fake_github.state.open_pull(repository, head="feature", title="Add the ledger")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": pull.number}}), encoding="utf-8")
    for name, value in {**fake_github.env(), "GITHUB_REPOSITORY": repository.full_name,
                        "GITHUB_EVENT_PATH": str(event)}.items():
        monkeypatch.setenv(name, value)
    assert run(capsys, "check", "--set", "none", "--comment", "deploy")[0] == 1
    assert run(capsys, "check", "--set", "none", "--comment", "deploy")[0] == 1
    [stored] = fake_github.state.comments_on(repository, pull.number)
    assert stored.body.startswith("<!-- idp-actions:sticky purpose=policy-check key=deploy -->")
    assert "#### Policies" in stored.body and "team-label" in stored.body


# ----------------------------------------------------------------------- test


def test_policy_test_passes_on_good_policies_and_fails_without_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kube = tmp_path / "kubernetes"
    shutil.copytree(ROOT / "policies/kubernetes/ingress-tls", kube / "ingress-tls")
    shutil.copytree(ROOT / "policies/kubernetes/lib", kube / "lib")
    docker = tmp_path / "docker"
    shutil.copytree(ROOT / "policies/docker", docker)
    code, out, _ = run(capsys, "test", "kubernetes", "docker")
    assert code == 0, out
    for step in ("layout kubernetes", "opa check --strict kubernetes", "opa test kubernetes",
                 "gator verify kubernetes", "samples docker (idp policy engine)"):
        assert f"ok   {step}" in out

    shutil.rmtree(kube / "ingress-tls" / "samples")
    (kube / "ingress-tls" / "suite.yaml").unlink()
    expected = docker / "no-add-url/samples/denied_remote_sources/expected.out"
    expected.write_text(expected.read_text(encoding="utf-8").replace("without verifying", "unverified"), "utf-8")
    code, out, _ = run(capsys, "test", "kubernetes", "docker")
    assert code == 1
    assert "FAIL layout kubernetes" in out and "kubernetes/ingress-tls: no suite.yaml" in out
    assert "kubernetes/ingress-tls: no samples/<case>/ folders" in out
    assert "FAIL samples docker" in out and "results differ from" in out


# --------------------------------------------------------------------- bundle


def test_bundle_is_what_admission_enforces(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "bundle"
    code, out, _ = run(capsys, "bundle", "--set", "production", "--output", str(output))
    assert code == 0, out
    kustomization = yaml.safe_load((output / "kustomization.yaml").read_text(encoding="utf-8"))
    # The library's 14 templates and the caller's 2; baseline's 14 constraints, production's new one (its
    # min-replicas replaces baseline's) and the caller's 3.
    resources = kustomization["resources"]
    assert sum(r.startswith("templates/") for r in resources) == 14 + 2
    assert sum(r.startswith("constraints/") for r in resources) == 14 + 1 + 3
    built = subprocess.run([require_tool("kustomize"), "build", str(output)], capture_output=True, text=True,
                           check=True, timeout=120).stdout
    kinds = [d["kind"] for d in yaml.safe_load_all(built)]
    assert kinds.count("ConstraintTemplate") == 16
    constraint = yaml.safe_load((output / "constraints/idpallowedregistries-allowed-registries.yaml").read_text())
    assert constraint["spec"]["parameters"] == {"registries": ["ghcr.io"]}
    assert constraint["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "1"
    template = (output / "templates/idpprobes.yaml").read_text(encoding="utf-8")
    assert template == (ROOT / "policies/kubernetes/probes/template.yaml").read_text(encoding="utf-8")
    with tarfile.open(output / "policies.tar.gz") as archive:
        names = set(archive.getnames())
    assert "/data.json" in names and "/terraform/s3-encryption/policy.rego" in names
    assert any(n.startswith("/terraform/user/") for n in names)  # the caller's own policies travel too
    description = json.loads((output / "bundle.json").read_text(encoding="utf-8"))
    assert description["sets"] == ["baseline", "production"]
    assert {"kind": "K8sTeamLabel", "name": "workloads-have-a-team", "enforcementAction": "deny"} in description[
        "constraints"
    ]
    # gator, as Gatekeeper would, enforces the bundle: a :latest image in production is denied.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod-shop}\n"
        "spec: {containers: [{name: c, image: ghcr.io/acme/app:latest}]}\n",
        encoding="utf-8",
    )
    gator = subprocess.run(
        [require_tool("gator"), "test", "-f", str(output / "templates"), "-f", str(output / "constraints"),
         "-f", str(bad), "-o", "json"],
        capture_output=True, text=True, check=False, timeout=120,
    )
    verdicts = {(v["constraint"]["metadata"]["name"], v["enforcementAction"]) for v in json.loads(gator.stdout)}
    assert ("image-digests-production", "deny") in verdicts and ("image-digests", "deny") in verdicts

    code, _, err = run(capsys, "bundle", "--set", "production", "--output", str(output))
    assert code == 2 and "already exists and is not an empty directory" in err
    assert run(capsys, "bundle", "--output", str(tmp_path / "other"))[0] == 2


def test_a_policy_failing_on_one_input_spares_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IDP_POLICY_LIBRARY", str(ROOT))
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "conflict.rego").write_text(
        textwrap.dedent(
            """\
            package workflows.conflict

            import rego.v1

            level := "low" if input.env.LEVEL == "low"

            level := "high" if input.env.MODE == "high"

            deny contains sprintf("level is %s", [level]) if level
            """
        ),
        encoding="utf-8",
    )
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name, env in (("a", "LEVEL: low"), ("b", "LEVEL: low\n  MODE: high"), ("c", "MODE: high")):
        (workflows / f"{name}.yml").write_text(f"on: push\nenv:\n  {env}\njobs: {{}}\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", "--set", "none", "--policy-dir", "rules", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert [(v["path"], v["message"]) for v in data["violations"]] == [
        (".github/workflows/a.yml", "level is low"),
        (".github/workflows/c.yml", "level is high"),
    ]
    [problem] = data["inputErrors"]
    assert problem["path"] == ".github/workflows/b.yml"
    assert "rules/conflict.rego:5" in problem["message"] and "eval_conflict_error" in problem["message"]


def test_the_library_passes_policy_test(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`idp policy test` with no arguments is what CI runs over the whole library."""
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "test")
    assert code == 0, out
    for area in ("kubernetes", "terraform", "docker", "workflows"):
        assert f"ok   layout policies/{area}" in out
    assert "ok   gator verify policies/kubernetes" in out
    assert "ok   samples policies/terraform (idp policy engine)" in out


def test_excludes_and_a_default_namespace(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, out, _ = run(capsys, "check", "--set", "none", "--format", "json", "--exclude", "deploy/broken.yaml",
                       "--exclude", "deploy/overlays/*", "deploy")
    data = json.loads(out)
    assert data["inputErrors"] == [] and data["inputs"]["kubernetes"] == 4
    (repo / ".github/idp.yaml").write_text("version: 1\n", encoding="utf-8")
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                        "spec: {containers: [{name: c, image: ghcr.io/acme/app:1.0}]}\n", encoding="utf-8")
    _, out, _ = run(capsys, "check", "--set", "production", "--format", "json", "--namespace", "payments",
                    str(manifest))
    assert not any(v["constraint"] == "IdpImageDigests/image-digests-production" for v in json.loads(out)["violations"])
    _, out, _ = run(capsys, "check", "--set", "production", "--format", "json", "--namespace", "prod-payments",
                    str(manifest))
    found = json.loads(out)["violations"]
    assert any(v["constraint"] == "IdpImageDigests/image-digests-production" for v in found)
    assert {v["resource"]["namespace"] for v in found} == {"prod-payments"}
    code, _, err = run(capsys, "check", "--set", "production", "--namespace", "Prod_Payments", str(manifest))
    assert code == 2 and "--namespace `Prod_Payments` is not a Kubernetes namespace name" in err
