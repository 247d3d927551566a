"""Differential: the engine's conftest-style inputs and verdicts equal real conftest's.

* Dockerfiles: our parser gives exactly ``conftest parse``'s input on a corpus of
  valid Dockerfiles (continuations, directives, heredocs, JSON forms, CRLF, BOM …)
  and refuses the files conftest refuses.
* YAML: workflows (and every YAML input) read as conftest reads them (go-yaml v2 rules).
* Verdicts: for every sample of the Terraform, Dockerfile and workflow libraries
  and for the caller-policy fixtures, our deny/warn messages equal
  ``conftest test --all-namespaces --output json``'s.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from idp_actions.policy import conftest_style, documents
from idp_actions.policy.dockerfile import DockerfileError, parse
from idp_actions.policy.inputs import FileInput
from idp_actions.policy.library import read_rego
from tests.conftest import ROOT, require_tool

GOLDEN = Path(__file__).parent / "golden" / "policy"
VALID = sorted((GOLDEN / "dockerfiles" / "valid").glob("*.Dockerfile"))
INVALID = sorted((GOLDEN / "dockerfiles" / "invalid").glob("*.Dockerfile"))
AREAS = ("terraform", "docker", "workflows")


def _conftest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("conftest"), *args], capture_output=True, text=True, timeout=120,
                          check=False)


def _library_samples(area: str) -> list[Path]:
    return sorted(
        p for p in (ROOT / "policies" / area).glob("*/samples/*/*") if p.is_file() and p.name != "expected.out"
    )


def test_dockerfiles_parse_exactly_as_conftest_parses_them() -> None:
    files = VALID + _library_samples("docker")
    assert len(files) >= 20
    result = _conftest("parse", "--parser", "dockerfile", *map(str, files))
    assert result.returncode == 0, result.stderr
    theirs = json.loads(result.stdout)
    for file in files:
        ours = parse(file.read_text(encoding="utf-8")).conftest_input
        assert ours == theirs[str(file)], f"{file.name} parses differently"


@pytest.mark.parametrize("file", INVALID, ids=lambda p: p.stem)
def test_dockerfiles_conftest_refuses_are_refused(file: Path) -> None:
    result = _conftest("parse", "--parser", "dockerfile", str(file))
    assert result.returncode != 0, "conftest accepts it: move it to valid/"
    with pytest.raises(DockerfileError):
        parse(file.read_text(encoding="utf-8"))


def test_yaml_reads_as_conftest_reads_it() -> None:
    files = sorted((GOLDEN / "yaml").glob("*.y*ml")) + _library_samples("workflows")
    result = _conftest("parse", *map(str, files))
    assert result.returncode == 0, result.stderr
    theirs = json.loads(result.stdout)
    for file in files:
        docs = documents.load_yaml(file.read_text(encoding="utf-8"), expand_lists=False)
        ours = docs[0].data if len(docs) == 1 else [d.data for d in docs]
        assert ours == theirs[str(file)], f"{file.name} reads differently"


def _input(area: str, file: Path) -> FileInput:
    text = file.read_text(encoding="utf-8")
    if area == "docker":
        parsed = parse(text)
        return FileInput(area=area, path=str(file), data=parsed.conftest_input, text=text, lines=tuple(parsed.lines))
    if area == "terraform":
        return FileInput(area=area, path=str(file), data=documents.load_json(text), text=text)
    docs = documents.load_yaml(text, expand_lists=False)
    return FileInput(area=area, path=str(file), data=docs[0].data if len(docs) == 1 else [d.data for d in docs],
                     text=text)


Verdict = tuple[str, str, str, str]


def _theirs(policy_dir: Path, files: list[Path], area: str) -> Counter[Verdict]:
    args = ["test", "--all-namespaces", "--no-color", "--output", "json", "--policy", str(policy_dir)]
    if area == "docker":
        args += ["--parser", "dockerfile"]
    result = _conftest(*args, *map(str, files))
    assert result.returncode in (0, 1, 2), result.stderr
    verdicts: Counter[Verdict] = Counter()
    for entry in json.loads(result.stdout):
        for kind, key in (("FAIL", "failures"), ("WARN", "warnings")):
            for item in entry.get(key) or []:
                verdicts[(entry["filename"], entry["namespace"], kind, item["msg"])] += 1
    return verdicts


def _ours(policy_dir: Path, files: list[Path], area: str) -> Counter[Verdict]:
    modules = [
        read_rego(p, shown=str(p), areas=(area,))
        for p in sorted(policy_dir.rglob("*.rego"))
        if not p.name.endswith("_test.rego")
    ]
    found = conftest_style.check(area, modules, [_input(area, f) for f in files], parameters={}, ceilings={})
    return Counter(
        (v.path, v.constraint.rsplit(".", 1)[0], "FAIL" if v.enforcement == "deny" else "WARN", v.message)
        for v in found
    )


@pytest.mark.parametrize("area", AREAS)
def test_library_samples_give_conftests_verdicts(area: str) -> None:
    files = _library_samples(area)
    assert files, f"no samples under policies/{area}"
    theirs = _theirs(ROOT / "policies" / area, files, area)
    ours = _ours(ROOT / "policies" / area, files, area)
    assert theirs, "conftest found nothing at all: the comparison would prove nothing"
    assert ours == theirs, (sorted(theirs - ours), sorted(ours - theirs))


@pytest.mark.parametrize(
    ("area", "inputs"),
    [
        ("docker", ["Dockerfile", "services/api/Dockerfile"]),
        ("terraform", ["infra/plan.json"]),
        ("workflows", [".github/workflows/ci.yml"]),
    ],
)
def test_caller_policies_run_unchanged(area: str, inputs: list[str]) -> None:
    repo = GOLDEN / "repo"
    files = [repo / name for name in inputs]
    policy_dir = repo / "policies" / area
    theirs = _theirs(policy_dir, files, area)
    ours = _ours(policy_dir, files, area)
    assert theirs and ours == theirs, (sorted(theirs - ours), sorted(ours - theirs))
