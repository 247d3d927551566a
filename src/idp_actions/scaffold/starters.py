"""Starter workflows: one file each, shared by GitHub's workflow templates and the scaffolding templates.

``workflows/<name>.yml`` (with ``<name>.properties.json``) is in the format of
GitHub's workflow templates, which a platform team copies into its
organization's ``.github`` repository under ``workflow-templates/``: the
default branch is written ``$default-branch`` and GitHub fills it in when
someone picks the template. A scaffolding template that wants the same CI
names the starter in its manifest (``starter-workflows``); its copy under
``template/`` is the starter with the placeholder filled in (a generated
repository starts on ``main``). :func:`expected_copies` says what every copy
must be; ``scripts/sync-starters`` writes them and the tests check them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from idp_actions.errors import IdpError
from idp_actions.scaffold.manifest import Manifest

DEFAULT_BRANCH_PLACEHOLDER = "$default-branch"
#: Keys of a ``.properties.json`` that GitHub reads; ``name`` and ``description`` are required.
PROPERTY_KEYS = frozenset({"name", "description", "iconName", "categories", "filePatterns", "creator", "labels"})


class StarterError(IdpError):
    """A starter workflow, its properties or a template's reference to one is wrong."""


@dataclass(frozen=True, kw_only=True)
class Copy:
    """A template's copy of a starter workflow: where it goes and what it must say."""

    template: str
    starter: str
    path: Path
    text: str


def starter_text(root: Path, name: str) -> str:
    """The text of starter ``name`` (``workflows/<name>.yml`` under the suite's ``root``)."""
    path = root / "workflows" / f"{name}.yml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (root / "workflows").glob("*.yml"))) or "none"
        raise StarterError(f"there is no starter workflow `{name}` (workflows/{name}.yml); known: {known}",
                           hint="name one of them in the manifest's `starter-workflows`, or add the starter")
    return path.read_text(encoding="utf-8")


def for_repository(text: str, default_branch: str = "main") -> str:
    """A starter as a repository holds it: the default-branch placeholder filled in."""
    return text.replace(DEFAULT_BRANCH_PLACEHOLDER, default_branch)


def expected_copies(root: Path, manifests: list[Manifest]) -> list[Copy]:
    """Every template copy of a starter workflow, with the text it must have."""
    copies: list[Copy] = []
    for manifest in manifests:
        for relative, starter in sorted(manifest.starter_workflows.items()):
            copies.append(Copy(template=manifest.name, starter=starter, path=manifest.template_dir / relative,
                               text=for_repository(starter_text(root, starter))))
    return copies


def check_properties(path: Path) -> Mapping[str, object]:
    """A ``.properties.json`` read and checked against what GitHub's workflow templates accept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StarterError(f"{path.name} is not readable JSON: {exc}", hint="fix the file") from exc
    if not isinstance(data, dict):
        raise StarterError(f"{path.name} must be a JSON object")
    missing = [key for key in ("name", "description") if not isinstance(data.get(key), str) or not data[key]]
    if missing:
        raise StarterError(f"{path.name} lacks {', '.join(missing)}", hint="GitHub shows them in the template picker")
    unknown = sorted(set(data) - PROPERTY_KEYS)
    if unknown:
        raise StarterError(f"{path.name} has keys GitHub does not read: {', '.join(unknown)}",
                           hint=f"use only {', '.join(sorted(PROPERTY_KEYS))}")
    for key in ("categories", "filePatterns", "labels"):
        value = data.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise StarterError(f"{path.name}: `{key}` must be a list of strings")
    return data
