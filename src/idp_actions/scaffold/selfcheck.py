"""Self-check a rendered project with the real tools before anything leaves the machine.

Each check a template's manifest lists (``checks:``) runs here, for real:

``workflows``
    ``idp lint``'s rules, zizmor, actionlint and shellcheck over its workflows,
    ``.github/idp.yaml`` against the published schema, and the workflow
    policies of ``policies/workflows`` under conftest.
``tests``
    the project's own tests (the manifest's ``tests:`` commands).
``kubernetes``
    ``kustomize build`` of the base and every overlay, then every Gatekeeper
    ConstraintTemplate of ``policies/kubernetes`` under ``gator test`` with
    the platform's baseline constraints (:data:`BASELINE`).
``docker``
    the Dockerfile policies of ``policies/docker`` under conftest.
``terraform``
    ``tofu fmt -check`` of every root; ``tofu init -backend=false`` and
    ``tofu validate`` too with ``validate_terraform`` (they download providers).
``catalog``
    ``catalog-info.yaml`` holds a well-formed Backstage entity.
``policy`` / ``scan``
    ``idp policy check`` and ``idp scan`` over the whole project, when this
    build of idp has those commands (a check reports itself skipped otherwise).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from idp_actions import gha, proc, tools
from idp_actions.errors import IdpError
from idp_actions.scaffold.manifest import Manifest

Status = Literal["passed", "failed", "skipped"]
ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}
_WORKLOADS = [
    {"apiGroups": [""], "kinds": ["Pod"]},
    {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]},
    {"apiGroups": ["batch"], "kinds": ["Job", "CronJob"]},
]
_LABELLED = [
    {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]},
    {"apiGroups": [""], "kinds": ["Service", "ConfigMap", "ServiceAccount"]},
    {"apiGroups": ["networking.k8s.io"], "kinds": ["Ingress"]},
]
#: The constraints a scaffolded service must satisfy: (kind, name, kinds matched, namespaces, parameters).
BASELINE: tuple[tuple[str, str, list[dict[str, Any]], list[str] | None, dict[str, Any]], ...] = (
    ("IdpRequiredLabels", "required-labels", _LABELLED, None, {}),
    ("IdpPrivilegedContainers", "no-privileged-containers", _WORKLOADS, None, {}),
    ("IdpHostNamespaces", "no-host-namespaces", _WORKLOADS, None, {}),
    ("IdpRunAsNonRoot", "run-as-non-root", _WORKLOADS, None, {}),
    ("IdpReadOnlyRootFilesystem", "read-only-root-filesystem", _WORKLOADS, None, {}),
    ("IdpCapabilities", "drop-all-capabilities", _WORKLOADS, None, {}),
    ("IdpContainerResources", "container-resources", _WORKLOADS, None, {}),
    ("IdpImageDigests", "immutable-images", _WORKLOADS, None, {"prodNamespacePrefixes": ["prod-"]}),
    ("IdpProbes", "probes", [{"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]}],
     None, {}),
    ("IdpServiceExposure", "service-exposure", [{"apiGroups": [""], "kinds": ["Service"]}], None, {}),
    ("IdpIngressTls", "ingress-tls", [{"apiGroups": ["networking.k8s.io"], "kinds": ["Ingress"]}], None, {}),
    ("IdpMinReplicas", "min-replicas-prod", [{"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet"]}],
     ["prod-*"], {}),
)
_SLOW = ("scan", "policy", "kubernetes", "workflows", "tests")
_TOOL_PLACEHOLDER = re.compile(r"^\{([a-z][a-z0-9-]*)\}$")


@dataclass(frozen=True, kw_only=True)
class Check:
    """The outcome of one check: what ran, its status, one line of summary and the evidence."""

    name: str
    status: Status
    summary: str
    details: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Report:
    """Every check's outcome, in the order they ran."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks do not fail the self-check)."""
        return not self.failed

    @property
    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.status == "failed"]

    def text(self) -> str:
        """A plain-text report for a terminal."""
        lines = [f"{c.status:>7}  {c.name:<10} {c.summary} ({c.seconds:.1f}s)" for c in self.checks]
        for check in self.failed:
            lines += ["", f"--- {check.name}", check.details.rstrip()]
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """A Markdown table for the step summary, failures' evidence folded below."""
        lines = ["| check | result | |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {ICONS[c.status]} {c.status} | {_cell(c.summary)} |" for c in self.checks]
        for check in self.failed:
            lines += ["", f"<details><summary><code>{check.name}</code> output</summary>", "", "```text",
                      check.details.rstrip()[-20000:].replace("```", "`\u200b``"), "```", "", "</details>"]
        return "\n".join(lines) + "\n"


def policies_root(environ: Mapping[str, str] | None = None) -> Path:
    """The policy library (``policies/``): ``IDP_POLICY_LIBRARY``'s, else this checkout's."""
    env = os.environ if environ is None else environ
    override = env.get("IDP_POLICY_LIBRARY", "").strip()
    root = Path(override).expanduser() if override else Path(__file__).resolve().parents[3]
    return root / "policies"


def selfcheck(
    root: Path,
    manifest: Manifest,
    *,
    policies: Path | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    validate_terraform: bool = False,
    scan_args: Sequence[str] = (),
    workers: int = 4,
) -> Report:
    """Run the manifest's checks over the project at ``root`` (in parallel) and report each one.

    ``scan_args`` are extra arguments of ``idp scan`` (``--skip-db-update``,
    ``--trivy-cache-dir DIR`` where the runner has no network).
    """
    library = policies or policies_root()
    runners: dict[str, Callable[[], Check]] = {
        "workflows": lambda: _workflows(root, library),
        "tests": lambda: _tests(root, manifest),
        "kubernetes": lambda: _kubernetes(root, manifest, library),
        "docker": lambda: _docker(root, library),
        "terraform": lambda: _terraform(root, validate_terraform),
        "catalog": lambda: _catalog(root),
        "policy": lambda: _idp_command(root, "policy", ["policy", "check", "--format", "text"], root),
        "scan": lambda: _idp_command(root, "scan", ["scan", "--comment", "never", "--base", "none", *scan_args], root),
    }
    names = [n for n in manifest.checks if (not only or n in only) and n not in skip]

    def timed(name: str) -> Check:
        started = time.perf_counter()
        try:
            check = runners[name]()
        except (IdpError, OSError) as exc:
            check = Check(name=name, status="failed", summary="could not run", details=str(exc))
        return Check(name=check.name, status=check.status, summary=check.summary, details=check.details,
                     seconds=time.perf_counter() - started)

    # The checks are independent and mostly wait on tools: run them side by side, the slowest
    # (the scan, then the policy check) first; report them in the manifest's order.
    slow_first = sorted(names, key=lambda n: _SLOW.index(n) if n in _SLOW else len(_SLOW))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = dict(zip(slow_first, pool.map(timed, slow_first), strict=True))
    results = [done[name] for name in names]
    for check in results:
        with gha.group(f"self-check {check.name}: {check.status} ({check.seconds:.1f}s)"):
            print(f"{check.summary}\n{check.details}".rstrip(), file=sys.stderr)
    return Report(checks=tuple(results))


# -------------------------------------------------------------------- checks


def _workflows(root: Path, library: Path) -> Check:
    from idp_actions.config import load_config
    from idp_actions.errors import ConfigError
    from idp_actions.lint import documents, external, rules

    docs = documents.discover(root)
    parsed = [doc for doc in docs if doc.root is not None]
    findings = rules.check(docs)
    findings += external.zizmor(root, parsed).findings
    findings += external.actionlint(root, parsed)
    findings += external.shellcheck(parsed)
    problems = [f"{f.path}:{f.start_line or 0}: [{f.tool}/{f.rule_id}] {f.message}" for f in findings]
    try:
        load_config(root)
    except ConfigError as exc:
        problems.append(str(exc))
    workflows = sorted(str(p.relative_to(root)) for p in (root / ".github" / "workflows").glob("*.y*ml"))
    if workflows:
        problems += _conftest(root, library / "workflows", "idp.workflows.*", workflows)
    if problems:
        return Check(name="workflows", status="failed", summary=f"{len(problems)} problem(s)",
                     details="\n".join(problems))
    return Check(name="workflows", status="passed",
                 summary=f"{len(docs)} workflow(s): idp lint rules, zizmor, actionlint, shellcheck, "
                 "workflow policies; .github/idp.yaml valid")


def _tests(root: Path, manifest: Manifest) -> Check:
    if not manifest.tests:
        return Check(name="tests", status="skipped", summary="the template declares no tests")
    outputs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="idp-selfcheck-tests-") as tmp:
        scratch = Path(tmp) / root.name  # a copy: what the tests leave behind stays out of the project
        shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".git"))
        for command in manifest.tests:
            argv = [_resolve(word) for word in command.run]
            result = proc.run(argv, cwd=scratch, extra_env={**_quiet_env(), **command.env},
                              timeout=command.timeout, check=False)
            outputs.append(f"$ {' '.join(command.run)}\n{result.stdout}{result.stderr}")
            if result.returncode != 0:
                return Check(name="tests", status="failed", summary=f"`{' '.join(command.run)}` exited "
                             f"{result.returncode}", details="\n".join(outputs))
    text = "\n".join(outputs)
    # unittest says "Ran 6 tests", tofu test "3 passed", pytest "6 passed"
    counts = [int(a or b) for a, b in re.findall(r"^Ran (\d+) tests?|(\d+) passed", text, re.MULTILINE)]
    counted = f"{sum(counts)} tests passed" if counts else "passed"
    return Check(name="tests", status="passed", summary=f"its own tests: {counted}", details=text)


def _kubernetes(root: Path, manifest: Manifest, library: Path) -> Check:
    if manifest.gitops is None:
        return Check(name="kubernetes", status="skipped", summary="the template has no Kubernetes manifests")
    kustomize = tools.find("kustomize")
    overlays = sorted(p for p in (root / manifest.gitops.overlays).iterdir() if p.is_dir())
    targets = [root / manifest.gitops.base, *overlays]
    templates = sorted(library.glob("kubernetes/*/template.yaml"))
    if not templates:
        raise IdpError(f"no Kubernetes policies under {library / 'kubernetes'}")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="idp-selfcheck-") as tmp:
        built: list[tuple[str, Path]] = []
        for target in targets:
            shown = target.relative_to(root).as_posix()
            result = proc.run([kustomize, "build", str(target)], check=False, timeout=120)
            if result.returncode != 0:
                problems.append(f"{shown}: kustomize build failed: {result.stderr.strip()}")
                continue
            out = Path(tmp) / f"{len(built)}.yaml"
            out.write_text(result.stdout, encoding="utf-8")
            built.append((shown, out))
        gator_found = tools.locate("gator")
        if gator_found is None:
            return _built_only(built, problems)
        gator = str(gator_found[0])
        constraints = Path(tmp) / "constraints.yaml"
        constraints.write_text(yaml.safe_dump_all(baseline_constraints(), sort_keys=False), encoding="utf-8")
        base_args = [gator, "test", "-o", "json", *(f"--filename={t}" for t in templates),
                     f"--filename={constraints}"]
        for shown, out in built:
            result = proc.run([*base_args, f"--filename={out}"], check=False, timeout=300)
            if result.returncode not in (0, 1):
                problems.append(f"{shown}: gator failed: {result.stderr.strip() or result.stdout.strip()}")
                continue
            for item in json.loads(result.stdout or "[]") or []:
                obj = item.get("violatingObject") or {}
                meta = obj.get("metadata") or {}
                where = f"{obj.get('kind')} {meta.get('namespace', '-')}/{meta.get('name')}"
                problems.append(f"{shown}: {item.get('constraint', {}).get('kind')}: {where}: {item.get('msg')}")
    if problems:
        return Check(name="kubernetes", status="failed", summary=f"{len(problems)} violation(s)",
                     details="\n".join(problems))
    names = ", ".join(shown for shown, _ in built)
    return Check(name="kubernetes", status="passed",
                 summary=f"kustomize build of {names}: {len(templates)} Gatekeeper policies, no violations")


def _built_only(built: list[tuple[str, Path]], problems: list[str]) -> Check:
    """Without gator: the overlays must build, and `idp policy check` must be there to judge them."""
    from idp_actions.cli import COMMANDS

    if problems:
        return Check(name="kubernetes", status="failed", summary=f"{len(problems)} problem(s)",
                     details="\n".join(problems))
    names = ", ".join(shown for shown, _ in built)
    if "policy" not in COMMANDS:
        return Check(name="kubernetes", status="failed", summary="no Gatekeeper policy engine",
                     details="gator is not installed and this build of idp has no `idp policy check`: "
                     "install gator (scripts/setup) so the manifests can be checked")
    return Check(name="kubernetes", status="passed",
                 summary=f"kustomize build of {names}; Gatekeeper policies: see the policy check (no gator here)")


def baseline_constraints() -> list[dict[str, Any]]:
    """:data:`BASELINE` as Gatekeeper Constraint objects."""
    out = []
    for kind, name, kinds, namespaces, parameters in BASELINE:
        match: dict[str, Any] = {"kinds": kinds}
        if namespaces:
            match["namespaces"] = namespaces
        spec: dict[str, Any] = {"match": match}
        if parameters:
            spec["parameters"] = parameters
        out.append({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": kind, "metadata": {"name": name},
                    "spec": spec})
    return out


def _docker(root: Path, library: Path) -> Check:
    dockerfiles = sorted(p.relative_to(root).as_posix() for p in root.rglob("Dockerfile*") if p.is_file())
    if not dockerfiles:
        return Check(name="docker", status="skipped", summary="no Dockerfile")
    problems = _conftest(root, library / "docker", "idp.docker.*", dockerfiles)
    if problems:
        return Check(name="docker", status="failed", summary=f"{len(problems)} problem(s)",
                     details="\n".join(problems))
    return Check(name="docker", status="passed", summary=f"{', '.join(dockerfiles)}: Dockerfile policies pass")


def _conftest(root: Path, policy: Path, namespace: str, files: Sequence[str]) -> list[str]:
    conftest = tools.find("conftest")
    result = proc.run([conftest, "test", "--no-color", "-o", "json", "--policy", str(policy), "--namespace",
                       namespace, *files], cwd=root, check=False, timeout=120)
    try:
        outcomes = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return [f"conftest failed (exit {result.returncode}): {result.stderr.strip() or result.stdout.strip()}"]
    problems = []
    for outcome in outcomes:
        for kind in ("failures", "warnings"):
            for item in outcome.get(kind) or []:
                problems.append(f"{outcome.get('filename')}: {kind[:-1]}: {item.get('msg')}")
    if result.returncode not in (0, 1) and not problems:
        problems.append(f"conftest failed (exit {result.returncode}): {result.stderr.strip()}")
    return problems


def _terraform(root: Path, validate: bool) -> Check:
    roots = sorted({p.parent for p in root.rglob("*.tf") if ".terraform" not in p.parts})
    if not roots:
        return Check(name="terraform", status="skipped", summary="no Terraform files")
    tofu = tools.find("tofu")
    env = _quiet_env()
    problems: list[str] = []
    shown = [r.relative_to(root).as_posix() or "." for r in roots]
    result = proc.run([tofu, "fmt", "-check", "-recursive", "-diff", "-no-color"], cwd=root, extra_env=env,
                      check=False, timeout=120)
    if result.returncode != 0:
        problems.append(f"tofu fmt -check: not formatted:\n{result.stdout}{result.stderr}")
    if validate:
        for directory in roots:
            for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
                done = proc.run([tofu, *args], cwd=directory, extra_env=env, check=False, timeout=600)
                if done.returncode != 0:
                    problems.append(f"{directory.relative_to(root)}: tofu {args[0]}: {done.stderr.strip()}")
                    break
    if problems:
        return Check(name="terraform", status="failed", summary=f"{len(problems)} problem(s)",
                     details="\n".join(problems))
    what = "formatted and valid" if validate else "formatted (validate needs provider downloads: off)"
    return Check(name="terraform", status="passed", summary=f"{', '.join(shown)}: {what}")


_ENTITY_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")


def _catalog(root: Path) -> Check:
    path = root / "catalog-info.yaml"
    if not path.is_file():
        return Check(name="catalog", status="failed", summary="catalog-info.yaml is missing")
    problems: list[str] = []
    try:
        entities = [e for e in yaml.safe_load_all(path.read_text(encoding="utf-8")) if e is not None]
    except yaml.YAMLError as exc:
        return Check(name="catalog", status="failed", summary="catalog-info.yaml is not YAML", details=str(exc))
    for entity in entities:
        if not isinstance(entity, dict):
            problems.append("an entity is not a mapping")
            continue
        meta = entity.get("metadata") or {}
        spec = entity.get("spec") or {}
        if not str(entity.get("apiVersion", "")).startswith("backstage.io/"):
            problems.append(f"apiVersion {entity.get('apiVersion')!r} is not a Backstage one")
        if not _ENTITY_NAME.fullmatch(str(meta.get("name", ""))):
            problems.append(f"metadata.name {meta.get('name')!r} is not a valid entity name")
        if entity.get("kind") in ("Component", "Resource", "System", "API"):
            for key in ("type", "owner") + (("lifecycle",) if entity.get("kind") in ("Component", "API") else ()):
                if not isinstance(spec.get(key), str) or not spec[key]:
                    problems.append(f"{entity.get('kind')} {meta.get('name')}: spec.{key} is missing")
    if problems or not entities:
        return Check(name="catalog", status="failed", summary="catalog-info.yaml is not a valid Backstage entity",
                     details="\n".join(problems) or "no entity in the file")
    refs = ", ".join(f"{e['kind'].lower()}:default/{e['metadata']['name']}" for e in entities)
    return Check(name="catalog", status="passed", summary=f"catalog-info.yaml: {refs}")


def _idp_command(root: Path, command: str, args: list[str], target: Path) -> Check:
    """``idp <args> <target>`` in a subprocess, when this build of idp has ``command``."""
    from idp_actions.cli import COMMANDS

    shown = " ".join(args[:2] if command == "policy" else args[:1])
    if command not in COMMANDS:
        return Check(name=command, status="skipped", summary=f"`idp {shown}` is not in this build of idp")
    # Not in Actions' step files: the scaffold run writes its own summary and outputs.
    quiet = {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": "", "GITHUB_ACTIONS": ""}
    result = proc.run([sys.executable, "-m", "idp_actions", *args, str(target)], cwd=root, check=False,
                      timeout=900, extra_env=quiet)
    output = f"{result.stdout}{result.stderr}"
    last = next((line for line in reversed((result.stdout.strip() or result.stderr.strip()).splitlines())
                 if line.strip()), "")
    if result.returncode != 0:
        return Check(name=command, status="failed", summary=f"`idp {shown}` exited {result.returncode}: "
                     f"{last[:200]}", details=output)
    return Check(name=command, status="passed", summary=f"`idp {shown}`: {last[:200]}", details=output)


# ------------------------------------------------------------------- helpers


def _resolve(word: str) -> str:
    match = _TOOL_PLACEHOLDER.match(word)
    if not match:
        return word
    if match.group(1) == "python":
        return sys.executable
    return tools.find(match.group(1))


def _quiet_env() -> dict[str, str]:
    """Keep tools from phoning home or reading the user's configuration."""
    config = Path(tempfile.gettempdir()) / "idp-empty.tfrc"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    return {"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1",
            "PYTHONDONTWRITEBYTECODE": "1"}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


__all__ = ["BASELINE", "Check", "Report", "baseline_constraints", "policies_root", "selfcheck"]
