"""The conftest-shaped policy library (policies/terraform, policies/docker, policies/workflows)
with the real opa, conftest and tofu: strict compilation and formatting, the Rego unit tests
(under `opa test` and `conftest verify`), every sample through plain `conftest test` (so the
policies run unchanged in conftest), a repository's own policy beside them, parameters and
message overrides through conftest's --data, the fixtures' envelope against a plan OpenTofu
really makes, and the library's layout (versions, samples, tests, READMEs).

Golden files: each denied_/warned_ sample case has an expected.out with the conftest results
it must give; regenerate with IDP_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, require_tool

POLICIES = ROOT / "policies"
DOMAINS = ("terraform", "docker", "workflows")
INPUT_NAMES = {"terraform": ("plan.json",), "docker": ("Dockerfile",), "workflows": ("workflow.yml", "composite.yml")}
TOFU_ROOT = POLICIES / "terraform" / "samples" / "tofu"
SEVERITIES = {"low", "medium", "high", "critical"}
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
UPDATE_GOLDEN = os.environ.get("IDP_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Policy:
    domain: str
    name: str

    @property
    def folder(self) -> Path:
        return POLICIES / self.domain / self.name

    @property
    def namespace(self) -> str:
        """The Rego package: the kebab-case folder name in snake_case (packages hold no dashes)."""
        return f"idp.{self.domain}.{self.name.replace('-', '_')}"


@dataclass(frozen=True)
class Sample:
    policy: Policy
    case: str
    path: Path

    @property
    def kind(self) -> str:
        return self.case.split("_", 1)[0]

    @property
    def golden(self) -> Path:
        return self.path.parent / "expected.out"

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    def __str__(self) -> str:
        return f"{self.policy.domain}/{self.policy.name}/{self.case}"


def _policies(domain: str) -> list[Policy]:
    return [
        Policy(domain, folder.name)
        for folder in sorted((POLICIES / domain).iterdir())
        if (folder / "policy.rego").is_file()
    ]


def _samples(policy: Policy) -> list[Sample]:
    found = []
    for case in sorted((policy.folder / "samples").iterdir()):
        inputs = [case / name for name in INPUT_NAMES[policy.domain] if (case / name).is_file()]
        assert len(inputs) == 1, f"{case} must hold exactly one of {INPUT_NAMES[policy.domain]}"
        found.append(Sample(policy, case.name, inputs[0]))
    return found


POLICY_LIST = [policy for domain in DOMAINS for policy in _policies(domain)]
SAMPLE_LIST = [sample for policy in POLICY_LIST for sample in _samples(policy)]


def _run(
    *args: str | Path, cwd: Path = ROOT, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode in ok, f"{args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _conftest_json(*args: str | Path) -> list[dict[str, Any]]:
    """`conftest test -o json` (exit 1 when a policy fails), parsed."""
    result = _run(require_tool("conftest"), "test", "--no-color", "-o", "json", *args, ok=(0, 1))
    parsed: list[dict[str, Any]] = json.loads(result.stdout)
    return parsed


def _lines(entry: dict[str, Any]) -> list[str]:
    """conftest's stdout lines for one (file, namespace) result, without the file name."""
    namespace = entry["namespace"]
    lines = [f"FAIL - {namespace} - {r['msg']}" for r in entry.get("failures") or []]
    lines += [f"WARN - {namespace} - {r['msg']}" for r in entry.get("warnings") or []]
    return sorted(lines)


# ---------------------------------------------------------------------------
# (a) opa check --strict and the Rego unit tests
# ---------------------------------------------------------------------------


def test_policies_compile_in_strict_mode_and_are_formatted() -> None:
    folders = [f"policies/{d}" for d in DOMAINS]
    _run(require_tool("opa"), "check", "--strict", *folders)
    unformatted = _run(require_tool("opa"), "fmt", "--list", "--fail", *folders, ok=(0, 1, 2))
    assert unformatted.returncode == 0, f"run `opa fmt -w {' '.join(folders)}`:\n{unformatted.stdout}"


@pytest.fixture(scope="module")
def unit_tests() -> list[dict[str, Any]]:
    result = _run(require_tool("opa"), "test", "--format", "json", *(f"policies/{d}" for d in DOMAINS), ok=(0, 1, 2))
    results: list[dict[str, Any]] = json.loads(result.stdout)
    failed = [f"{r['package']}.{r['name']}" for r in results if r.get("fail") or r.get("error")]
    assert not failed, f"opa test failures: {failed}\n{result.stderr}"
    assert result.returncode == 0, result.stderr
    return results


def test_unit_tests_pass(unit_tests: list[dict[str, Any]]) -> None:
    assert len(unit_tests) >= 200


@pytest.mark.parametrize("domain", DOMAINS)
def test_unit_tests_pass_under_conftest_verify(domain: str, unit_tests: list[dict[str, Any]]) -> None:
    result = _run(require_tool("conftest"), "verify", "--no-color", "--policy", f"policies/{domain}")
    expected = len([t for t in unit_tests if t["location"]["file"].startswith(f"policies/{domain}/")])
    assert f"{expected} tests, {expected} passed" in result.stdout, result.stdout


# ---------------------------------------------------------------------------
# (b, c) every sample through the real conftest
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conftest_results() -> dict[tuple[str, str], dict[str, Any]]:
    """One conftest run per domain over all of its samples, every namespace at once."""
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for domain in DOMAINS:
        samples = [s.rel for s in SAMPLE_LIST if s.policy.domain == domain]
        for entry in _conftest_json("--policy", f"policies/{domain}", "--all-namespaces", *samples):
            results[(entry["filename"], entry["namespace"])] = entry
    return results


@pytest.mark.parametrize("sample", SAMPLE_LIST, ids=str)
def test_sample_gives_the_expected_conftest_results(
    sample: Sample, conftest_results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    entry = conftest_results.get((sample.rel, sample.policy.namespace))
    assert entry is not None, f"conftest did not evaluate {sample.policy.namespace} on {sample.rel}"
    assert not entry.get("exceptions"), entry
    lines = _lines(entry)
    failures = [line for line in lines if line.startswith("FAIL")]
    warnings = [line for line in lines if line.startswith("WARN")]
    if sample.kind == "allowed":
        assert lines == [], f"{sample} should pass cleanly"
        assert not sample.golden.exists(), f"{sample.golden}: allowed cases have no expected output"
        return
    assert sample.kind in ("denied", "warned"), f"{sample}: case names start with allowed_, denied_ or warned_"
    if sample.kind == "denied":
        assert failures, f"{sample} should fail"
    else:
        assert warnings and not failures, f"{sample} should warn and not fail"
    if UPDATE_GOLDEN:
        sample.golden.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert sample.golden.is_file(), f"{sample.golden} is missing (IDP_UPDATE_GOLDEN=1 writes it)"
    assert lines == sample.golden.read_text(encoding="utf-8").splitlines()
    for line in lines:
        assert sample.policy.namespace in line


def test_namespaces_select_policies_and_exit_codes_follow_conftest(tmp_path: Path) -> None:
    conftest = require_tool("conftest")
    denied = POLICIES / "terraform/stateful-destroy/samples/denied_replace_and_delete/plan.json"
    warned = POLICIES / "docker/no-add-url/samples/warned_local_add/Dockerfile"
    real_plan = TOFU_ROOT / "plan.json"

    namespace = "idp.terraform.stateful_destroy"
    one = _run(conftest, "test", "--no-color", "-p", "policies/terraform", "-n", namespace, denied, ok=(1,))
    assert "FAIL" in one.stdout and "aws_db_instance.orders: the plan replaces" in one.stdout
    # A glob selects the whole library; the real plan (terraform_data only) passes it.
    _run(conftest, "test", "-p", "policies/terraform", "-n", "idp.terraform.*", real_plan)
    _run(conftest, "test", "-p", "policies/docker", "-n", "idp.docker.*", warned)
    _run(conftest, "test", "--fail-on-warn", "-p", "policies/docker", "-n", "idp.docker.*", warned, ok=(1,))

    # A repository's own conftest policy (default namespace `main`) runs next to ours.
    own = tmp_path / "policy"
    own.mkdir()
    (own / "team.rego").write_text(
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome rc in input.resource_changes\n"
        '\trc.type == "aws_db_instance"\n\tmsg := sprintf("%s: databases need a DBA review", [rc.address])\n}\n',
        encoding="utf-8",
    )
    both = _conftest_json("-p", "policies/terraform", "-p", own, "--all-namespaces", denied)
    by_namespace = {e["namespace"]: [r["msg"] for r in e.get("failures") or []] for e in both}
    assert by_namespace["main"] == ["aws_db_instance.orders: databases need a DBA review"]
    assert len(by_namespace["idp.terraform.stateful_destroy"]) == 2


def test_parameters_and_messages_come_from_conftest_data(tmp_path: Path) -> None:
    data = tmp_path / "params.json"
    data.write_text(
        json.dumps(
            {
                "idp": {
                    "parameters": {
                        "s3-public-access": {"messages": {"public_acl": "SEC-7 {address} uses the {acl} ACL"}},
                        "required-tags": {"tags": ["Environment"]},
                        "base-image-digest": {"exempt": ["golang:*", "alpine:*", "nginx:*"]},
                        "approved-reusable-workflows": {
                            "allowed_prefixes": ["idp-actions/idp-actions/", "someone-else/"]
                        },
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    cases = {
        "idp.terraform.s3_public_access": "denied_public_website/plan.json",
        "idp.terraform.required_tags": "denied_missing_owner/plan.json",
        "idp.docker.base_image_digest": "denied_tags/Dockerfile",
        "idp.workflows.approved_reusable_workflows": "denied_foreign_workflow/workflow.yml",
    }
    files = {
        namespace: "/".join(
            ["policies", namespace.split(".")[1], namespace.split(".")[2].replace("_", "-"), "samples", case]
        )
        for namespace, case in cases.items()
    }
    results = {}
    for domain in DOMAINS:
        inputs = [path for namespace, path in files.items() if namespace.split(".")[1] == domain]
        for entry in _conftest_json("-p", f"policies/{domain}", "--data", data, "--all-namespaces", *inputs):
            if files.get(entry["namespace"]) == entry["filename"]:
                results[entry["namespace"]] = sorted(r["msg"] for r in entry.get("failures") or [])
    assert "SEC-7 aws_s3_bucket_acl.website uses the public-read ACL" in results["idp.terraform.s3_public_access"]
    log_group = "aws_cloudwatch_log_group.jobs: missing required tag(s) Environment"
    assert results["idp.terraform.required_tags"] == [log_group]
    assert results["idp.docker.base_image_digest"] == []
    assert results["idp.workflows.approved_reusable_workflows"] == []


# ---------------------------------------------------------------------------
# Fixtures against a plan OpenTofu really makes
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plan of samples/tofu/main.tf, made again: apply one state, plan a change from it."""
    tofu = require_tool("tofu")
    work = tmp_path_factory.mktemp("tofu")
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "plan.json")
    shutil.copytree(TOFU_ROOT, work, dirs_exist_ok=True, ignore=ignore)
    # Hermetic: an empty CLI configuration of its own (a missing one makes tofu print its
    # warning on stdout, ahead of the JSON), no checkpoint calls, built-in resources only.
    config = work / "empty.tofurc"
    config.write_text("", encoding="utf-8")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    first = ("-var", "environment=dev", "-var", "keep_legacy=true")
    second = ("-var", "environment=staging", "-var", "keep_legacy=false")
    _run(tofu, "init", "-input=false", "-no-color", cwd=work, env=env)
    _run(tofu, "apply", "-auto-approve", "-input=false", "-no-color", *first, cwd=work, env=env)
    _run(tofu, "plan", "-input=false", "-no-color", *second, "-out", "p", cwd=work, env=env)
    plan: dict[str, Any] = json.loads(_run(tofu, "show", "-json", "p", cwd=work, env=env).stdout)
    return plan


def test_stored_real_plan_matches_what_tofu_makes(real_plan: dict[str, Any]) -> None:
    stored = json.loads((TOFU_ROOT / "plan.json").read_text(encoding="utf-8"))
    assert set(real_plan) == set(stored)
    assert real_plan["format_version"] == stored["format_version"]

    def changes(plan: dict[str, Any]) -> dict[str, tuple[list[str], set[str], set[str]]]:
        return {rc["address"]: (rc["change"]["actions"], set(rc), set(rc["change"])) for rc in plan["resource_changes"]}

    assert changes(real_plan) == changes(stored)
    assert {tuple(a) for a, _, _ in changes(real_plan).values()} == {("update",), ("delete",), ("delete", "create")}


def _addresses(module: dict[str, Any]) -> Iterator[str]:
    for resource in module.get("resources", []):
        yield resource["address"]
    for child in module.get("child_modules", []):
        yield from _addresses(child)


def _config_addresses(module: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for resource in module.get("resources", []):
        yield prefix + resource["address"]
    for name, call in module.get("module_calls", {}).items():
        yield from _config_addresses(call["module"], f"{prefix}module.{name}.")


TERRAFORM_SAMPLES = [s for s in SAMPLE_LIST if s.policy.domain == "terraform"]


@pytest.mark.parametrize("sample", TERRAFORM_SAMPLES, ids=str)
def test_fixture_plans_keep_the_real_envelope(sample: Sample, real_plan: dict[str, Any]) -> None:
    plan = json.loads(sample.path.read_text(encoding="utf-8"))
    assert plan["format_version"] == real_plan["format_version"]
    assert set(plan) <= set(real_plan), set(plan) - set(real_plan)
    required = {"terraform_version", "planned_values", "resource_changes", "configuration", "timestamp", "errored"}
    assert required <= set(plan), required - set(plan)
    rc_keys = {"address", "mode", "type", "name", "provider_name", "change"}
    change_keys = set(real_plan["resource_changes"][0]["change"]) - {"replace_paths"}
    actions = {"no-op", "create", "read", "update", "delete", "forget"}
    expected_planned = set()
    for rc in plan["resource_changes"]:
        assert rc_keys <= set(rc), (rc["address"], rc_keys - set(rc))
        assert change_keys <= set(rc["change"]), (rc["address"], change_keys - set(rc["change"]))
        assert set(rc["change"]["actions"]) <= actions
        assert rc["address"].endswith(f"{rc['type']}.{rc['name']}") or "[" in rc["address"]
        if rc["change"]["actions"] not in (["delete"], ["forget"]):
            expected_planned.add(rc["address"])
            # Attributes known only after apply are absent from `after`.
            unknown = {k for k, v in rc["change"]["after_unknown"].items() if v is True}
            assert not unknown & set(rc["change"]["after"]), (rc["address"], unknown & set(rc["change"]["after"]))
    assert set(_addresses(plan["planned_values"]["root_module"])) == expected_planned
    in_code = set(_config_addresses(plan["configuration"]["root_module"]))
    for rc in plan["resource_changes"]:
        if rc.get("action_reason") != "delete_because_no_resource_config":
            assert re.sub(r"\[[^\]]*\]", "", rc["address"]) in in_code, rc["address"]


# ---------------------------------------------------------------------------
# (d) the library's layout: policies, versions, tests, samples, READMEs
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def annotations() -> dict[str, dict[str, Any]]:
    """Package METADATA by namespace, as `opa inspect` reads it."""
    found: dict[str, dict[str, Any]] = {}
    opa = require_tool("opa")
    for domain in DOMAINS:
        inspected = json.loads(_run(opa, "inspect", "-a", "--format", "json", f"policies/{domain}").stdout)
        for item in inspected.get("annotations", []):
            if item["annotations"].get("scope") == "package":
                path = ".".join(p["value"] for p in item["path"][1:])
                found[path] = item["annotations"]
    return found


@pytest.fixture(scope="module")
def defaults() -> dict[str, dict[str, Any]]:
    """Each policy's `defaults` (its own parameters), evaluated by opa."""
    found: dict[str, dict[str, Any]] = {}
    opa = require_tool("opa")
    for domain in DOMAINS:
        query = f"{{name: d | some name; d := data.idp.{domain}[name].defaults}}"  # by package name
        out = json.loads(_run(opa, "eval", "--format", "json", "-d", f"policies/{domain}", query).stdout)
        for name, value in out["result"][0]["expressions"][0]["value"].items():
            found[f"idp.{domain}.{name}"] = value
    return found


def test_at_least_ten_terraform_policies() -> None:
    assert len([p for p in POLICY_LIST if p.domain == "terraform"]) >= 10
    assert {p.domain for p in POLICY_LIST} == set(DOMAINS)


@pytest.mark.parametrize("policy", POLICY_LIST, ids=lambda p: f"{p.domain}/{p.name}")
def test_policy_is_complete(
    policy: Policy,
    annotations: dict[str, dict[str, Any]],
    defaults: dict[str, dict[str, Any]],
    unit_tests: list[dict[str, Any]],
) -> None:
    source = (policy.folder / "policy.rego").read_text(encoding="utf-8")
    assert re.search(rf"^package {re.escape(policy.namespace)}$", source, re.M), "package must be idp.<domain>.<folder>"
    assert f'lib.params("{policy.name}"' in source, 'parameters must live at data.idp.parameters["<folder>"]'

    meta = annotations.get(policy.namespace)
    assert meta, f"{policy.namespace} has no package METADATA"
    assert meta.get("title") and meta.get("description")
    assert SEMVER.match(str(meta["custom"]["version"])), meta["custom"]
    assert meta["custom"]["severity"] in SEVERITIES

    test_file = f"policies/{policy.domain}/{policy.name}/policy_test.rego"
    tests = [t for t in unit_tests if t["location"]["file"] == test_file]
    assert len(tests) >= 5, f"{policy.namespace} needs unit tests (found {len(tests)})"
    assert any("message" in t["name"] for t in tests), "a unit test must cover the message override"

    kinds = {s.kind for s in SAMPLE_LIST if s.policy == policy}
    assert {"allowed", "denied"} <= kinds, f"{policy.folder}/samples needs allowed_ and denied_ cases"

    # The README documents what the policy does: its namespace, version, checks and parameters.
    readme = (policy.folder / "README.md").read_text(encoding="utf-8")
    assert f"`{policy.namespace}`" in readme
    assert f"version {meta['custom']['version']}" in readme, "README and METADATA disagree on the version"
    for check in sorted(set(re.findall(r'lib\.message\(p, "([a-z_]+)"', source))):
        assert f"`{check}`" in readme, f"README does not document check {check}"
    for parameter in defaults.get(policy.namespace, {}):
        assert f"`{parameter}`" in readme, f"README does not document parameter {parameter}"
