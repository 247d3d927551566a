"""What ``idp policy check`` checks: discovered, parsed and sorted by kind, each with its file and line.

* Kubernetes objects from YAML/JSON manifests (every document, ``List`` items
  included), from kustomize directories (rendered, traced to their source files)
  and from Helm charts (when a ``helm`` binary is available);
* Terraform plans (``tofu show -json`` / ``terraform show -json``);
* Dockerfiles, parsed into conftest's input shape;
* GitHub Actions workflows (``.github/workflows/*.yml``).

A file that cannot be read or parsed becomes an :class:`InputProblem` for that file;
the others are still checked.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp_actions.errors import IdpError
from idp_actions.policy import documents, render
from idp_actions.policy.dockerfile import DockerfileError
from idp_actions.policy.dockerfile import parse as parse_dockerfile
from idp_actions.policy.library import display

MAX_FILE_BYTES = 50 * 1024 * 1024
_SKIP_DIRS = frozenset({".git", "node_modules", ".terraform", "__pycache__", ".venv", "venv"})
_NOT_MANIFESTS = frozenset({"Chart.yaml", "Chart.lock", "policy-exceptions.yaml", "suite.yaml"})
_CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "ConstraintTemplate",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ComponentStatus", "VolumeAttachment",
    "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
})


@dataclass(frozen=True, kw_only=True)
class KubeObject:
    """A Kubernetes object to review, where it came from, and the line it starts on."""

    obj: dict[str, Any]
    path: str
    line: int | None
    via: str | None = None  # the kustomize directory or Helm chart it was rendered from


@dataclass(frozen=True, kw_only=True)
class FileInput:
    """A conftest-style input: a Terraform plan, a Dockerfile or a workflow."""

    area: str
    path: str
    data: Any
    text: str
    lines: tuple[int, ...] = ()  # Dockerfiles: the line of each command

    def units(self) -> list[Any]:
        """What conftest evaluates one by one: each element of a top-level list, else the whole input."""
        return list(self.data) if isinstance(self.data, list) else [self.data]


@dataclass(frozen=True, kw_only=True)
class InputProblem:
    """A file that could not be checked, and why."""

    path: str
    line: int | None
    message: str


@dataclass(kw_only=True)
class Inputs:
    """Everything discovered, by kind."""

    objects: list[KubeObject] = field(default_factory=list)
    files: dict[str, list[FileInput]] = field(default_factory=lambda: {"terraform": [], "docker": [], "workflows": []})
    problems: list[InputProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # path -> kind, every input looked at

    def count(self) -> dict[str, int]:
        """How many inputs of each kind (Kubernetes counts objects)."""
        return {"kubernetes": len(self.objects), **{area: len(files) for area, files in self.files.items()}}


def is_dockerfile(name: str) -> bool:
    """Dockerfile, Containerfile, Dockerfile.<x> and <x>.Dockerfile (any case)."""
    lower = name.lower()
    if lower.endswith((".md", ".txt", ".dockerignore", ".orig", ".bak")):
        return False
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def is_workflow(relative: str) -> bool:
    """A workflow (``.github/workflows/*.yml``) or a composite action's ``action.yml``."""
    parts = relative.split("/")
    if parts[-1] in ("action.yml", "action.yaml"):
        return True
    return (
        len(parts) >= 3
        and parts[-3] == ".github"
        and parts[-2] == "workflows"
        and parts[-1].endswith((".yml", ".yaml"))
    )


def is_plan(data: Any) -> bool:
    """A Terraform/OpenTofu plan in JSON (``format_version`` with ``resource_changes`` or ``planned_values``)."""
    return isinstance(data, dict) and "format_version" in data and (
        "resource_changes" in data or "planned_values" in data
    )


Renderer = Callable[[Path], list[render.Rendered]]


@dataclass(frozen=True, kw_only=True)
class Discovery:
    """How to discover: the repository root paths are shown against, what to leave out, how to render."""

    base: Path
    exclude: Sequence[str] = ()
    skip: Sequence[Path] = ()
    kustomize: Renderer = render.kustomize_build
    helm: str | None = None
    namespace: str | None = None


def discover(paths: Iterable[Path], how: Discovery) -> Inputs:
    """Walk ``paths`` and parse every input found; problems are collected, not raised."""
    found = Inputs()
    kustomize_dirs: list[Path] = []
    charts: list[Path] = []
    skip = [p.resolve() for p in how.skip]
    for path in paths:
        if not path.exists():
            found.problems.append(
                InputProblem(path=display(path, how.base), line=None, message="no such file or directory")
            )
            continue
        if path.is_file():
            _file(path, how, found, explicit=True)
            continue
        for directory, files, inside in _walk(path, how, skip):
            if not inside and render.kustomization_file(directory) is not None:
                kustomize_dirs.append(directory)
                inside = True
            elif not inside and (directory / "Chart.yaml").is_file():
                charts.append(directory)
                inside = True
            for name in files:
                file = directory / name
                # Manifests under a kustomization or chart are parts of what it renders.
                if inside and not (is_dockerfile(name) or is_workflow(display(file, how.base))):
                    continue
                _file(file, how, found, explicit=False)
    _render_all(kustomize_dirs, charts, how, found)
    if how.namespace:
        for item in found.objects:
            _default_namespace(item.obj, how.namespace)
    return found


def _walk(root: Path, how: Discovery, skip: list[Path]) -> Iterable[tuple[Path, list[str], bool]]:
    """Directories under ``root`` with their files, and whether they lie inside a rendered directory."""
    rendered: list[Path] = []
    for current, dirs, files in os.walk(root):
        directory = Path(current)
        relative = display(directory, how.base)
        dirs[:] = sorted(
            d for d in dirs
            if d not in _SKIP_DIRS
            and (not d.startswith(".") or d == ".github")
            and (directory / d).resolve() not in skip
            and not _excluded(f"{relative}/{d}" if relative != "." else d, how.exclude)
        )
        if directory.name == ".github" and directory.parent.resolve() == how.base.resolve():
            dirs[:] = [d for d in dirs if d in ("workflows", "actions")]
            files = []
        inside = any(r in directory.parents for r in rendered)
        if not inside and (render.kustomization_file(directory) is not None or (directory / "Chart.yaml").is_file()):
            rendered.append(directory)
        yield directory, sorted(files), inside


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(relative, p.rstrip("/") + "/*")
               or fnmatch.fnmatchcase(relative, p.removesuffix("/**")) for p in patterns)


def _read(path: Path, shown: str, found: Inputs) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            found.problems.append(InputProblem(path=shown, line=None,
                                               message=f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"))
            return None
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        found.problems.append(InputProblem(path=shown, line=None, message="not UTF-8 text"))
    except OSError as exc:
        found.problems.append(InputProblem(path=shown, line=None, message=f"cannot be read: {exc.strerror or exc}"))
    return None


def _file(path: Path, how: Discovery, found: Inputs, *, explicit: bool) -> None:
    shown = display(path, how.base)
    if _excluded(shown, how.exclude):
        return
    name = path.name
    if is_dockerfile(name):
        _dockerfile(path, shown, found)
    elif is_workflow(shown):
        _workflow(path, shown, found)
    elif name.endswith(".json"):
        _json(path, shown, found, explicit=explicit)
    elif name.endswith((".yaml", ".yml")):
        if name in _NOT_MANIFESTS or name in render.KUSTOMIZATION_FILES or shown.startswith(".github/"):
            if explicit:
                found.notes.append(f"{shown}: not a manifest, skipped")
            return
        _manifest(path, shown, found, explicit=explicit)
    elif explicit:
        found.notes.append(f"{shown}: not a Kubernetes manifest, Terraform plan, Dockerfile or workflow; skipped")


def _dockerfile(path: Path, shown: str, found: Inputs) -> None:
    text = _read(path, shown, found)
    if text is None:
        return
    try:
        parsed = parse_dockerfile(text)
    except DockerfileError as exc:
        found.problems.append(InputProblem(path=shown, line=exc.line, message=f"invalid Dockerfile: {exc}"))
        return
    found.sources[shown] = "docker"
    found.files["docker"].append(
        FileInput(area="docker", path=shown, data=parsed.conftest_input, text=text, lines=tuple(parsed.lines))
    )


def _workflow(path: Path, shown: str, found: Inputs) -> None:
    text = _read(path, shown, found)
    if text is None:
        return
    try:
        docs = documents.load_yaml(text, expand_lists=False)
    except documents.DocumentError as exc:
        found.problems.append(InputProblem(path=shown, line=exc.line, message=str(exc)))
        return
    if not docs:
        return
    data = docs[0].data if len(docs) == 1 else [d.data for d in docs]
    found.sources[shown] = "workflows"
    found.files["workflows"].append(FileInput(area="workflows", path=shown, data=data, text=text))


def _json(path: Path, shown: str, found: Inputs, *, explicit: bool) -> None:
    text = _read(path, shown, found)
    if text is None:
        return
    try:
        data = documents.load_json(text)
    except documents.DocumentError as exc:
        if explicit or _looks_like_input(text):
            found.problems.append(InputProblem(path=shown, line=exc.line, message=str(exc)))
        return
    if is_plan(data):
        found.sources[shown] = "terraform"
        found.files["terraform"].append(FileInput(area="terraform", path=shown, data=data, text=text))
        return
    items = data if isinstance(data, list) else [data]
    objects = []
    for item in items:
        objects += _objects(item)
    if objects:
        found.sources[shown] = "kubernetes"
        found.objects += [KubeObject(obj=o, path=shown, line=None) for o in objects]
    elif explicit:
        found.notes.append(f"{shown}: JSON that is neither a Terraform plan nor Kubernetes objects; skipped")


def _looks_like_input(text: str) -> bool:
    head = text[:4096]
    return '"format_version"' in head or ('"apiVersion"' in head and '"kind"' in head)


def _looks_like_manifest(text: str) -> bool:
    return re.search(r"^\s*apiVersion:", text, re.MULTILINE) is not None and re.search(
        r"^\s*kind:", text, re.MULTILINE
    ) is not None


def _objects(data: Any) -> list[dict[str, Any]]:
    if not documents.is_kubernetes_object(data):
        return []
    if data["kind"].endswith("List") and isinstance(data.get("items"), list):
        return [i for i in data["items"] if documents.is_kubernetes_object(i)]
    return [data]


def _manifest(path: Path, shown: str, found: Inputs, *, explicit: bool) -> None:
    text = _read(path, shown, found)
    if text is None:
        return
    try:
        docs = documents.load_yaml(text)
    except documents.DocumentError as exc:
        # A broken manifest is an error; other YAML (CI configs, CloudFormation with its tags)
        # is simply not ours to check.
        if explicit or _looks_like_manifest(text):
            found.problems.append(InputProblem(path=shown, line=exc.line, message=str(exc)))
        return
    objects = [KubeObject(obj=d.data, path=shown, line=d.line) for d in docs if documents.is_kubernetes_object(d.data)]
    if objects:
        found.sources[shown] = "kubernetes"
        found.objects += objects
    elif explicit:
        found.notes.append(f"{shown}: no Kubernetes objects in it (no apiVersion and kind); skipped")


def _render_all(kustomize_dirs: list[Path], charts: list[Path], how: Discovery, found: Inputs) -> None:
    jobs: list[tuple[str, Path]] = [("kustomize", d) for d in kustomize_dirs]
    if charts and how.helm is None:
        for chart in charts:
            found.notes.append(
                f"{display(chart, how.base)}: Helm chart not rendered: no `helm` binary found "
                "(put helm on PATH or set IDP_HELM to check charts)"
            )
    elif how.helm is not None:
        jobs += [("helm", c) for c in charts]
    if not jobs:
        return

    def work(job: tuple[str, Path]) -> tuple[str, Path, list[render.Rendered] | str]:
        what, directory = job
        try:
            if what == "kustomize":
                if _is_component(directory):
                    return what, directory, "a kustomize Component (built only as part of a kustomization)"
                return what, directory, how.kustomize(directory)
            assert how.helm is not None
            return what, directory, render.helm_template(directory, how.helm)
        except (render.RenderError, documents.DocumentError, IdpError) as exc:
            return what, directory, f"ERROR:{exc}"

    with ThreadPoolExecutor(max_workers=min(4, len(jobs))) as pool:
        results = list(pool.map(work, jobs))
    for what, directory, outcome in results:
        shown_dir = display(directory, how.base)
        anchor = render.kustomization_file(directory) if what == "kustomize" else directory / "Chart.yaml"
        anchor_shown = display(anchor, how.base) if anchor else shown_dir
        if isinstance(outcome, str):
            if outcome.startswith("ERROR:"):
                found.problems.append(
                    InputProblem(path=anchor_shown, line=None, message=f"`{what}` failed: {outcome[6:]}")
                )
            else:
                found.notes.append(f"{shown_dir}: skipped, {outcome}")
            continue
        found.sources[shown_dir] = f"kubernetes ({what})"
        for item in outcome:
            if not documents.is_kubernetes_object(item.obj):
                continue
            path = display(item.source, how.base) if item.source is not None else anchor_shown
            found.objects.append(KubeObject(obj=item.obj, path=path, line=item.line, via=shown_dir))


def _is_component(directory: Path) -> bool:
    file = render.kustomization_file(directory)
    if file is None:
        return False
    try:
        docs = documents.load_yaml(file.read_text(encoding="utf-8"))
    except (OSError, documents.DocumentError):
        return False
    return bool(docs) and isinstance(docs[0].data, dict) and docs[0].data.get("kind") == "Component"


def _default_namespace(obj: dict[str, Any], namespace: str) -> None:
    if obj.get("kind") in _CLUSTER_SCOPED:
        return
    metadata = obj.setdefault("metadata", {})
    if isinstance(metadata, dict) and not metadata.get("namespace"):
        metadata["namespace"] = namespace
