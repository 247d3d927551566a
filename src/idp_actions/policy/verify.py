"""``idp policy test``: the checks a policy directory must pass, the same locally and in CI.

For every directory: its layout (each policy has samples, and a gator suite or Rego
tests), ``opa check --strict``, ``opa test``, ``gator verify`` over the Kubernetes
suites, and the conftest-style samples run through the engine: an ``allowed_*``
case gives nothing, a ``denied_*``/``warned_*`` case gives exactly its
``expected.out`` (conftest's ``FAIL - <namespace> - <message>`` lines) or, without
one, at least one deny / one warning and no deny.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from idp_actions import proc, tools
from idp_actions.errors import IdpError
from idp_actions.policy import conftest_style, documents
from idp_actions.policy.dockerfile import DockerfileError
from idp_actions.policy.dockerfile import parse as parse_dockerfile
from idp_actions.policy.inputs import FileInput
from idp_actions.policy.library import AREAS, RegoFile, display, read_rego

_K8S_IGNORE = ("--ignore", "*.yaml", "--ignore", "*.yml")
_NOT_INPUTS = ("expected.out", "README.md")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One check and how it went."""

    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


def _policy_folders(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir() and p.name not in ("lib", "samples"))


def is_kubernetes(directory: Path) -> bool:
    """A directory of Gatekeeper policies (or one of them)."""
    return (directory / "template.yaml").is_file() or any(directory.glob("*/template.yaml"))


def _rego_modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.rego") if not p.name.endswith("_test.rego"))


def layout(directory: Path, base: Path) -> list[str]:
    """What is missing from the policy folders under ``directory``."""
    problems: list[str] = []
    if is_kubernetes(directory):
        folders = [directory] if (directory / "template.yaml").is_file() else [
            p for p in _policy_folders(directory) if (p / "template.yaml").is_file()
        ]
        for folder in folders:
            shown = display(folder, base)
            if not (folder / "suite.yaml").is_file():
                problems.append(f"{shown}: no suite.yaml (the gator verify suite over its samples)")
            cases = [c for c in sorted((folder / "samples").glob("*")) if c.is_dir()]
            if not cases:
                problems.append(f"{shown}: no samples/<case>/ folders")
            for case in cases:
                if not (case / "constraint.yaml").is_file():
                    problems.append(f"{display(case, base)}: no constraint.yaml")
            samples = [p.name for c in cases for p in c.glob("*.yaml")]
            if cases and not any(n.startswith("example_allowed") for n in samples):
                problems.append(f"{shown}: no samples/<case>/example_allowed*.yaml")
            if cases and not any(n.startswith("example_disallowed") for n in samples):
                problems.append(f"{shown}: no samples/<case>/example_disallowed*.yaml")
        return problems
    folders = [directory] if _rego_modules(directory) and directory.name != "lib" else [
        p for p in _policy_folders(directory) if _rego_modules(p)
    ]
    for folder in folders:
        shown = display(folder, base)
        if not list(folder.glob("*_test.rego")):
            problems.append(f"{shown}: no *_test.rego (the policy's unit tests)")
        cases = [c for c in sorted((folder / "samples").glob("*")) if c.is_dir()]
        if not cases:
            problems.append(f"{shown}: no samples/<case>/ folders (allowed_*, denied_*, warned_*)")
        elif not any(c.name.startswith(("denied_", "warned_")) for c in cases):
            problems.append(f"{shown}: no denied_* or warned_* sample")
        elif not any(c.name.startswith("allowed_") for c in cases):
            problems.append(f"{shown}: no allowed_* sample")
    return problems


def _tool(name: str, args: list[str], base: Path) -> Step:
    started = time.monotonic()
    try:
        result = proc.run(args, cwd=base, check=False, timeout=900)
    except IdpError as exc:
        return Step(name=name, ok=False, detail=str(exc), seconds=time.monotonic() - started)
    output = (result.stdout + ("\n" if result.stdout and result.stderr else "") + result.stderr).strip()
    return Step(
        name=name,
        ok=result.returncode == 0,
        detail="" if result.returncode == 0 else output[-6000:],
        seconds=time.monotonic() - started,
    )


def _area_of(directory: Path) -> str | None:
    for candidate in (directory, directory.parent):
        if candidate.name in AREAS:
            return candidate.name
    return None


def _sample_input(area: str, file: Path, shown: str) -> FileInput:
    text = file.read_text(encoding="utf-8")
    if area == "docker":
        parsed = parse_dockerfile(text)
        return FileInput(area=area, path=shown, data=parsed.conftest_input, text=text, lines=tuple(parsed.lines))
    if area == "terraform":
        return FileInput(area=area, path=shown, data=documents.load_json(text), text=text)
    docs = documents.load_yaml(text, expand_lists=False)
    data = docs[0].data if len(docs) == 1 else [d.data for d in docs]
    return FileInput(area=area, path=shown, data=data, text=text)


def samples(directory: Path, base: Path, *, opa: str | None = None) -> Step:
    """Run every conftest-style sample under ``directory`` through the engine, in one evaluation."""
    started = time.monotonic()
    area = _area_of(directory)
    if area is None:
        return Step(name=f"samples {display(directory, base)}", ok=True, detail="not an area folder: skipped")
    area_dir = directory if directory.name == area else directory.parent
    folders = [directory] if directory != area_dir else [p for p in _policy_folders(area_dir) if _rego_modules(p)]
    modules: list[RegoFile] = [
        read_rego(p, shown=display(p, base), areas=(area,)) for p in _rego_modules(area_dir / "lib")
    ]
    cases: list[tuple[str, Path, Path]] = []
    for folder in folders:
        modules += [read_rego(p, shown=display(p, base), areas=(area,), policy=folder.name)
                    for p in _rego_modules(folder)]
        for case in sorted((folder / "samples").glob("*")):
            for file in sorted(case.iterdir()) if case.is_dir() else []:
                if file.is_file() and file.name not in _NOT_INPUTS:
                    cases.append((folder.name, case, file))
    name = f"samples {display(directory, base)} (idp policy engine)"
    if not cases:
        return Step(name=name, ok=True, detail="no samples", seconds=time.monotonic() - started)
    problems: list[str] = []
    items: list[FileInput] = []
    for _, _case, file in cases:
        try:
            items.append(_sample_input(area, file, display(file, base)))
        except (OSError, DockerfileError, documents.DocumentError) as exc:
            problems.append(f"{display(file, base)}: cannot be read as a {area} input: {exc}")
    if problems:
        return Step(name=name, ok=False, detail="\n".join(problems), seconds=time.monotonic() - started)
    try:
        found = conftest_style.check(area, modules, items, parameters={}, ceilings={}, opa=opa)
    except IdpError as exc:
        return Step(name=name, ok=False, detail=str(exc), seconds=time.monotonic() - started)
    for policy, case, file in cases:
        shown = display(file, base)
        mine = [v for v in found if v.path == shown and v.policy == policy]
        lines = sorted(
            f"{'FAIL' if v.enforcement == 'deny' else 'WARN'} - {v.constraint.rsplit('.', 1)[0]} - {v.message}"
            for v in mine
        )
        expected_file = case / "expected.out"
        if case.name.startswith("allowed_"):
            if lines:
                problems.append(f"{shown}: an allowed_ sample gave:\n    " + "\n    ".join(lines))
        elif expected_file.is_file():
            expected = sorted(
                line.strip() for line in expected_file.read_text(encoding="utf-8").splitlines() if line.strip()
            )
            if lines != expected:
                problems.append(
                    f"{shown}: results differ from {display(expected_file, base)}\n  expected:\n    "
                    + "\n    ".join(expected) + "\n  got:\n    " + "\n    ".join(lines or ["(nothing)"])
                )
        elif case.name.startswith("denied_") and not any(v.enforcement == "deny" for v in mine):
            problems.append(f"{shown}: a denied_ sample gave no deny")
        elif case.name.startswith("warned_") and (
            not any(v.enforcement == "warn" for v in mine) or any(v.enforcement == "deny" for v in mine)
        ):
            problems.append(f"{shown}: a warned_ sample must give a warning and no deny")
    return Step(name=name, ok=not problems, detail="\n".join(problems), seconds=time.monotonic() - started)


def run(directories: list[Path], base: Path) -> list[Step]:
    """Every check for every directory, in order."""
    opa = tools.find("opa")
    steps: list[Step] = []
    for directory in directories:
        shown = display(directory, base)
        if not directory.is_dir():
            steps.append(Step(name=f"layout {shown}", ok=False, detail="not a directory"))
            continue
        problems = layout(directory, base)
        steps.append(Step(name=f"layout {shown}", ok=not problems, detail="\n".join(problems)))
        kubernetes = is_kubernetes(directory)
        steps.append(_tool(f"opa check --strict {shown}", [opa, "check", "--strict", str(directory)], base))
        ignore = list(_K8S_IGNORE) if kubernetes else []
        steps.append(_tool(f"opa test {shown}", [opa, "test", str(directory), *ignore], base))
        if kubernetes:
            gator = tools.find("gator")
            target = directory if (directory / "suite.yaml").is_file() else directory / "..."
            steps.append(_tool(f"gator verify {shown}", [gator, "verify", str(target)], base))
        else:
            steps.append(samples(directory, base, opa=opa))
    return steps
