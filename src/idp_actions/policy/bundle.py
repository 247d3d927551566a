"""``idp policy bundle``: what admission needs to enforce exactly what CI checked.

From the same :class:`~idp_actions.policy.sets.Selection` a check uses (sets, the
caller's parameters and enforcement ceiling, the caller's own policies) it writes::

    DIR/kustomization.yaml          ready for `kubectl apply -k DIR` or an Argo CD Application
    DIR/templates/<kind>.yaml       the ConstraintTemplates, byte for byte as in the library
    DIR/constraints/<kind>-<name>.yaml   the Constraints, parameters and enforcement applied
    DIR/policies.tar.gz             `opa build` of the Terraform, Dockerfile and workflow policies
                                    with data.idp.parameters (for OPA/conftest elsewhere)
    DIR/bundle.json                 what went in: sets, policies and their versions

Constraints carry Argo CD's sync wave 1 and SkipDryRunOnMissingResource, so a sync
creates the templates (wave 0) before their CRDs are needed. The directory is
built beside DIR and moved into place in one rename: nothing half-written is left.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from idp_actions import __version__, proc, tools
from idp_actions.errors import UsageError
from idp_actions.policy.gatekeeper import Template
from idp_actions.policy.library import display
from idp_actions.policy.sets import Selection

ARGO_WAVE = "argocd.argoproj.io/sync-wave"
ARGO_OPTIONS = "argocd.argoproj.io/sync-options"


def _dump(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _template_text(template: Template, root: Path) -> str:
    source = root / template.path
    if source.is_file():
        text = source.read_text(encoding="utf-8")
        if text.count("kind: ConstraintTemplate") == 1 and "\n---" not in text.strip():
            return text
    return _dump(template.manifest)


def write(selection: Selection, output: Path, *, base: Path, library_root: Path) -> dict[str, Any]:
    """Write the bundle into ``output`` (which must not exist or be empty); returns its description."""
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(
            f"{display(output, base)} already exists and is not an empty directory",
            hint="pass a new directory to --output; the bundle is written whole or not at all",
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.partial-", dir=output.parent))
    try:
        description = _fill(work, selection, base=base, library_root=library_root)
        if output.exists():
            output.rmdir()
        work.rename(output)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return description


def _fill(work: Path, selection: Selection, *, base: Path, library_root: Path) -> dict[str, Any]:
    resources: list[str] = []
    (work / "templates").mkdir()
    (work / "constraints").mkdir()
    for kind, template in sorted(selection.templates.items()):
        name = f"templates/{kind.lower()}.yaml"
        root = library_root if (library_root / template.path).is_file() else base
        (work / name).write_text(_template_text(template, root), encoding="utf-8")
        resources.append(name)
    for constraint in sorted(selection.constraints, key=lambda c: (c.kind, c.name)):
        manifest = copy.deepcopy(constraint.manifest)
        metadata = manifest.setdefault("metadata", {})
        annotations = metadata.setdefault("annotations", {})
        annotations.setdefault(ARGO_WAVE, "1")
        annotations.setdefault(ARGO_OPTIONS, "SkipDryRunOnMissingResource=true")
        name = f"constraints/{constraint.kind.lower()}-{constraint.name}.yaml"
        (work / name).write_text(_dump(manifest), encoding="utf-8")
        resources.append(name)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
    (work / "kustomization.yaml").write_text(
        "# Written by `idp policy bundle`: the ConstraintTemplates and Constraints CI checks with.\n"
        + _dump(kustomization),
        encoding="utf-8",
    )
    modules = _opa_bundle(work, selection, library_root)
    description = {
        "generator": f"idp-actions {__version__}",
        "sets": list(selection.sets),
        "templates": [
            {"kind": t.kind, "policy": t.policy, "version": t.version} for _, t in sorted(selection.templates.items())
        ],
        "constraints": [
            {"kind": c.kind, "name": c.name, "enforcementAction": c.enforcement}
            for c in sorted(selection.constraints, key=lambda c: (c.kind, c.name))
        ],
        "opaBundle": {"file": "policies.tar.gz" if modules else None, "modules": modules,
                      "parameters": selection.parameters},
    }
    (work / "bundle.json").write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    return description


def _module_name(area: str, path: Path, library_root: Path, index: int) -> str:
    area_dir = (library_root / "policies" / area).resolve()
    try:
        return f"{area}/{path.resolve().relative_to(area_dir).as_posix()}"
    except ValueError:
        return f"{area}/user/{index}-{path.name}"


def _opa_bundle(work: Path, selection: Selection, library_root: Path) -> list[str]:
    """``opa build`` the conftest-style modules with their parameters into ``policies.tar.gz``."""
    seen: dict[str, str] = {}
    for area, modules in selection.rego.items():
        for module in modules:
            key = str(module.path.resolve())
            if key not in seen:
                seen[key] = _module_name(area, module.path, library_root, len(seen))
    if not seen:
        return []
    staging = Path(tempfile.mkdtemp(prefix="idp-opa-bundle-"))
    try:
        for source, target in seen.items():
            (staging / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / target)
        (staging / "data.json").write_text(
            json.dumps({"idp": {"parameters": selection.parameters}}, indent=2), encoding="utf-8"
        )
        manifest = {"metadata": {"generator": f"idp-actions {__version__}", "sets": list(selection.sets)}}
        (staging / ".manifest").write_text(json.dumps(manifest), encoding="utf-8")
        opa = tools.find("opa")
        proc.run([opa, "build", "--bundle", ".", "--output", str(work / "policies.tar.gz")], cwd=staging,
                 timeout=300)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(seen.values())
