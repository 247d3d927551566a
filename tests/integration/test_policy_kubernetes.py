"""The Kubernetes policy library (policies/kubernetes) with the real opa and gator: every
policy compiles strictly, passes its unit tests and its gator suite, is complete (template,
Rego, tests, suite, allowed and disallowed samples), carries a semver version, and its
template is exactly what scripts/gen-policy-templates makes of its Rego — and each of these
gates can fail."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, require_tool

POLICIES = ROOT / "policies" / "kubernetes"
GENERATOR = ROOT / "scripts" / "gen-policy-templates"
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
# opa test reads every .yaml under its paths as data, and the samples cannot merge into one
# document (they all have apiVersion, kind …): the unit tests need only the Rego.
OPA_TEST_IGNORE = ["--ignore", "*.yaml", "--ignore", "*.yml"]


def _run(args: list[str], *, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"


def _policy_dirs(root: Path = POLICIES) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name != "lib")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def opa() -> str:
    return require_tool("opa")


@pytest.fixture(scope="module")
def gator() -> str:
    return require_tool("gator")


# --- the library as a whole, with the real tools ---------------------------------------


def test_opa_check_strict(opa: str) -> None:
    result = _run([opa, "check", "--strict", str(POLICIES)])
    assert result.returncode == 0, _explain(result)


def test_rego_is_opa_fmt_formatted(opa: str) -> None:
    result = _run([opa, "fmt", "--list", "--fail", str(POLICIES)])
    assert result.returncode == 0, "run `opa fmt -w policies/kubernetes`:\n" + _explain(result)


def test_opa_unit_tests_pass_for_every_policy(opa: str) -> None:
    result = _run([opa, "test", str(POLICIES), *OPA_TEST_IGNORE, "--format", "json"])
    assert result.returncode == 0, _explain(result)
    outcomes = json.loads(result.stdout)
    failed = [f"{t['package']}.{t['name']}" for t in outcomes if t.get("fail") or t.get("error")]
    assert not failed, failed
    tests_per_package: dict[str, int] = {}
    for t in outcomes:
        package = t["package"].removeprefix("data.").removesuffix("_test")
        tests_per_package[package] = tests_per_package.get(package, 0) + 1
    for folder in _policy_dirs():
        package = _load(folder / "template.yaml")["metadata"]["name"]
        assert tests_per_package.get(package, 0) >= 3, f"{folder.name}: too few unit tests"


def test_gator_verify_passes_every_suite(gator: str) -> None:
    result = _run([gator, "verify", "policies/kubernetes/..."])
    assert result.returncode == 0, _explain(result)
    ran = set(re.findall(r"^ok\s+(\S+/suite\.yaml)\s", result.stdout, re.MULTILINE))
    expected = {f"policies/kubernetes/{folder.name}/suite.yaml" for folder in _policy_dirs()}
    assert ran == expected, f"suites gator did not run or pass: {sorted(expected - ran)}"


def test_generated_templates_are_up_to_date() -> None:
    result = _run([sys.executable, str(GENERATOR), "--check"])
    assert result.returncode == 0, "run scripts/gen-policy-templates:\n" + _explain(result)


# --- what every policy folder must hold ---------------------------------------------------


def test_at_least_twelve_policies() -> None:
    assert len(_policy_dirs()) >= 12, [p.name for p in _policy_dirs()]


@pytest.mark.parametrize("folder", _policy_dirs(), ids=lambda p: p.name)
def test_policy_folder_is_complete(folder: Path) -> None:
    for name in ("template.yaml", "src.rego", "src_test.rego", "suite.yaml", "README.md"):
        assert (folder / name).is_file(), f"{folder.name}: {name} is missing"
    samples = list((folder / "samples").glob("*/*.yaml"))
    allowed = [p for p in samples if p.name.startswith("example_allowed")]
    disallowed = [p for p in samples if p.name.startswith("example_disallowed")]
    assert allowed, f"{folder.name}: no samples/<case>/example_allowed*.yaml"
    assert disallowed, f"{folder.name}: no samples/<case>/example_disallowed*.yaml"
    for case in (folder / "samples").iterdir():
        assert (case / "constraint.yaml").is_file(), f"{case}: constraint.yaml is missing"
    assert "test_message_override" in (folder / "src_test.rego").read_text(encoding="utf-8"), (
        f"{folder.name}: the unit tests must cover the message parameter"
    )


@pytest.mark.parametrize("folder", _policy_dirs(), ids=lambda p: p.name)
def test_template_carries_version_title_and_rego_v1(folder: Path) -> None:
    template = _load(folder / "template.yaml")
    annotations = template["metadata"]["annotations"]
    version = annotations.get("metadata.gatekeeper.sh/version")
    assert isinstance(version, str), f"{folder.name}: no metadata.gatekeeper.sh/version"
    assert SEMVER.match(version), f"{folder.name}: version {version!r} is not semver"
    assert annotations.get("metadata.gatekeeper.sh/title")
    assert annotations.get("description")
    kind = template["spec"]["crd"]["spec"]["names"]["kind"]
    assert kind == "Idp" + "".join(part.capitalize() for part in folder.name.split("-")), kind
    assert template["metadata"]["name"] == kind.lower()
    properties = template["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"]["properties"]
    assert properties["message"]["type"] == "string", f"{folder.name}: no `message` parameter"
    [target] = template["spec"]["targets"]
    assert target["target"] == "admission.k8s.gatekeeper.sh"
    assert "rego" not in target, "the legacy `rego:` field is always parsed as Rego v0"
    [code] = target["code"]
    assert code["engine"] == "Rego"
    assert code["source"]["version"] == "v1"
    assert code["source"]["rego"] == (folder / "src.rego").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", _policy_dirs(), ids=lambda p: p.name)
def test_suite_covers_every_sample_with_the_right_expectation(folder: Path) -> None:
    suite = _load(folder / "suite.yaml")
    assert suite["apiVersion"] == "test.gatekeeper.sh/v1alpha1" and suite["kind"] == "Suite"
    covered: set[Path] = set()
    for test in suite["tests"]:
        assert (folder / test["template"]).resolve() == (folder / "template.yaml").resolve()
        assert (folder / test["constraint"]).is_file(), test["constraint"]
        for case in test.get("cases", []):
            obj = folder / case["object"]
            assert obj.is_file(), case["object"]
            covered.add(obj.resolve())
            counts = [a.get("violations", "yes") for a in case["assertions"]]
            if obj.name.startswith("example_allowed"):
                assert 0 in counts or "no" in counts, f"{case['name']}: an allowed sample must assert no violations"
            elif obj.name.startswith("example_disallowed"):
                assert any(c not in (0, "no") for c in counts), f"{case['name']}: must assert violations"
    examples = {p.resolve() for p in (folder / "samples").glob("*/example_*.yaml")}
    assert examples <= covered, f"samples no suite case runs: {sorted(str(p) for p in examples - covered)}"


# --- the gates can fail ------------------------------------------------------------------


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "kubernetes"
    shutil.copytree(POLICIES, copy)
    return copy


def test_check_mode_catches_a_stale_template_and_regeneration_fixes_it(library_copy: Path) -> None:
    src = library_copy / "min-replicas" / "src.rego"
    src.write_text(src.read_text(encoding="utf-8").replace("2)", "3)"), encoding="utf-8")
    lib = library_copy / "lib" / "core.rego"
    lib.write_text(lib.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")

    stale = _run([sys.executable, str(GENERATOR), "--check", "--policies", str(library_copy)])
    assert stale.returncode == 1, _explain(stale)
    assert "min-replicas/template.yaml" in stale.stderr
    assert "probes/template.yaml" in stale.stderr  # every template embedding lib.idp.core

    fixed = _run([sys.executable, str(GENERATOR), "--policies", str(library_copy)])
    assert fixed.returncode == 0, _explain(fixed)
    again = _run([sys.executable, str(GENERATOR), "--check", "--policies", str(library_copy)])
    assert again.returncode == 0, _explain(again)
    assert _load(library_copy / "min-replicas" / "template.yaml")["spec"]["targets"][0]["code"][0]["source"][
        "rego"
    ] == src.read_text(encoding="utf-8")


def test_generator_refuses_a_template_without_a_semver_version(library_copy: Path) -> None:
    template = library_copy / "probes" / "template.yaml"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "metadata.gatekeeper.sh/version: 1.0.0", "metadata.gatekeeper.sh/version: v1"
        ),
        encoding="utf-8",
    )
    result = _run([sys.executable, str(GENERATOR), "--check", "--policies", str(library_copy)])
    assert result.returncode == 1
    assert "semver" in result.stderr


def test_gator_fails_a_policy_that_lets_a_disallowed_sample_through(gator: str, library_copy: Path) -> None:
    folder = library_copy / "host-namespaces"
    src = folder / "src.rego"
    src.write_text(
        src.read_text(encoding="utf-8").replace("spec[setting] == true", "spec[setting] == 42"), encoding="utf-8"
    )
    assert _run([sys.executable, str(GENERATOR), "--policies", str(library_copy)]).returncode == 0
    result = _run([gator, "verify", f"{folder}/..."])
    assert result.returncode != 0, _explain(result)
    assert "FAIL" in result.stdout
