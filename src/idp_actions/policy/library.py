"""The policy library shipped with idp-actions, the caller's own policy directories, and policy sets.

Layout (one folder per policy, see policies/kubernetes/README.md)::

    policies/kubernetes/<name>/template.yaml     Gatekeeper ConstraintTemplates
    policies/{terraform,docker,workflows}/<name>/*.rego   conftest-style deny/warn rules
    policies/<area>/lib/*.rego                   shared Rego of an area
    policy-sets/<set>.yaml                       which constraints and policies a set applies

A caller's own directory holds ConstraintTemplates with Constraints (any YAML
outside ``samples/``) and conftest-style Rego; a Rego file applies to the inputs of
the area named by a folder on its path (``terraform``, ``docker``, ``workflows``),
else to all three, as conftest would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from idp_actions.policy import documents, rego
from idp_actions.policy.gatekeeper import (
    Constraint,
    PolicyError,
    Template,
    is_constraint,
    is_template,
    read_constraint,
    read_template,
)

AREAS = ("terraform", "docker", "workflows")
_AREA_ALIASES = {
    "terraform": "terraform", "tf": "terraform", "docker": "docker", "dockerfile": "docker",
    "dockerfiles": "docker", "workflows": "workflows", "workflow": "workflows", "github": "workflows",
}
_SKIP_DIRS = frozenset({".git", "node_modules", "samples", "__pycache__", ".terraform"})
RULE_PREFIXES = ("deny", "violation", "warn")
_VERSION = re.compile(r"^#\s+version:\s*[\"']?([0-9][^\s\"']*)", re.MULTILINE)


def library_root(environ: dict[str, str] | None = None) -> Path:
    """Where ``policies/`` and ``policy-sets/`` are: ``IDP_POLICY_LIBRARY``, else this checkout."""
    env = os.environ if environ is None else environ
    override = env.get("IDP_POLICY_LIBRARY", "").strip()
    if override:
        root = Path(override).expanduser()
        if not (root / "policies").is_dir():
            raise PolicyError(
                f"IDP_POLICY_LIBRARY={override} has no policies/ folder",
                hint="point it at a checkout of idp-actions (the folder holding policies/ and policy-sets/)",
            )
        return root
    root = Path(__file__).resolve().parents[3]
    if not (root / "policies").is_dir():
        raise PolicyError(
            f"the policy library was not found beside the idp package (looked in {root})",
            hint="run idp from a checkout of idp-actions (the actions do), or set IDP_POLICY_LIBRARY",
        )
    return root


def display(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` with forward slashes when inside it, else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


# ---------------------------------------------------------------- Rego files


@dataclass(frozen=True, kw_only=True)
class RegoFile:
    """A conftest-style module: its file, package and whether it holds deny/warn rules."""

    path: Path
    shown: str
    package: str
    rules: tuple[str, ...]
    areas: tuple[str, ...]
    policy: str
    version: str | None = None

    @property
    def is_policy(self) -> bool:
        """True when the package defines conftest rules (``deny``, ``warn``, ``violation``, ``*_suffix``)."""
        return bool(self.rules)


def conftest_rules(names: Iterable[str]) -> tuple[str, ...]:
    """The rule names conftest evaluates: deny, violation, warn, and those with a ``_suffix``."""
    return tuple(
        sorted(n for n in names if any(n == p or n.startswith(f"{p}_") for p in RULE_PREFIXES))
    )


def read_rego(path: Path, *, shown: str, areas: tuple[str, ...], policy: str | None = None) -> RegoFile:
    """Inspect one Rego file; a file that cannot be lexed or has no package is a :class:`PolicyError`."""
    try:
        text = path.read_text(encoding="utf-8")
        module = rego.inspect(text)
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror or exc}", file=shown) from None
    except rego.RegoSyntaxError as exc:
        raise PolicyError(f"Rego syntax error: {exc}", file=shown, line=exc.line) from None
    if module.package is None:
        raise PolicyError("the Rego file has no package clause", file=shown, line=1)
    last = module.package.rsplit(".", 1)[-1]
    name = policy or (path.stem if last == "main" else last)
    header = text.split("\npackage ", 1)[0]
    found = _VERSION.search(header)
    return RegoFile(
        path=path, shown=shown, package=module.package, rules=conftest_rules(module.rules), areas=areas,
        policy=name, version=found.group(1) if found else None,
    )


# ------------------------------------------------------------------- library


@dataclass(frozen=True, kw_only=True)
class ConftestPolicy:
    """A library policy chosen by a set: its area, name, parameters and enforcement ceiling."""

    area: str
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    enforcement: str = "deny"


@dataclass
class Library:
    """The shipped library under ``root`` (``policies/`` and ``policy-sets/``)."""

    root: Path
    base: Path = field(default_factory=Path.cwd)

    @property
    def policies_dir(self) -> Path:
        """``policies/``."""
        return self.root / "policies"

    @property
    def sets_dir(self) -> Path:
        """``policy-sets/``."""
        return self.root / "policy-sets"

    def shown(self, path: Path) -> str:
        """How messages name a library file (relative to the library root)."""
        return display(path, self.root)

    @cached_property
    def templates(self) -> dict[str, Template]:
        """Every Kubernetes template of the library, by kind."""
        found: dict[str, Template] = {}
        folder = self.policies_dir / "kubernetes"
        for path in sorted(folder.glob("*/template.yaml")) if folder.is_dir() else []:
            for template in load_templates(path, shown=self.shown(path)):
                found[template.kind] = template
        return found

    def conftest_names(self, area: str) -> list[str]:
        """The library's policy folders of ``area`` (``terraform`` …), sorted."""
        folder = self.policies_dir / area
        if not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir()
            if p.is_dir() and p.name != "lib" and any(_is_module(f) for f in p.glob("*.rego"))
        )

    def conftest_files(self, area: str, names: Iterable[str]) -> list[RegoFile]:
        """The Rego modules of the named policies of ``area`` plus the area's ``lib/``."""
        folder = self.policies_dir / area
        paths: list[tuple[Path, str | None]] = [(p, None) for p in sorted((folder / "lib").glob("*.rego"))]
        for name in names:
            paths += [(p, name) for p in sorted((folder / name).glob("*.rego"))]
        return [
            read_rego(p, shown=self.shown(p), areas=(area,), policy=name)
            for p, name in paths
            if _is_module(p)
        ]

    def set_names(self) -> list[str]:
        """The policy sets the library offers."""
        if not self.sets_dir.is_dir():
            return []
        return sorted(p.stem for p in self.sets_dir.glob("*.yaml"))


def _is_module(path: Path) -> bool:
    return path.suffix == ".rego" and not path.name.endswith("_test.rego")


# ------------------------------------------------------------ reading YAML


def load_templates(path: Path, *, shown: str) -> list[Template]:
    """The ConstraintTemplates in one YAML file."""
    return [t for t in _policy_objects(path, shown=shown)[0]]


def _policy_objects(path: Path, *, shown: str) -> tuple[list[Template], list[Constraint]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read: {exc}", file=shown) from None
    try:
        docs = documents.load_yaml(text)
        nodes = [n for n in yaml.compose_all(text, Loader=documents.GoYamlLoader) if n is not None]
    except documents.DocumentError as exc:
        raise PolicyError(str(exc), file=shown, line=exc.line) from None
    by_line = {n.start_mark.line + 1: n for n in nodes}
    templates: list[Template] = []
    constraints: list[Constraint] = []
    for doc in docs:
        if is_template(doc.data):
            templates.append(read_template(doc.data, path=shown, line=doc.line, node=by_line.get(doc.line)))
        elif is_constraint(doc.data):
            constraints.append(read_constraint(doc.data, path=shown, line=doc.line))
    return templates, constraints


# -------------------------------------------------------------- user folders


@dataclass(frozen=True, kw_only=True)
class UserPolicies:
    """What a caller's policy directories hold."""

    templates: tuple[Template, ...]
    constraints: tuple[Constraint, ...]
    rego: tuple[RegoFile, ...]


def _walk(directory: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            yield Path(current) / name


def _areas_of(relative: Path) -> tuple[str, ...]:
    for part in relative.parts[:-1]:
        if part.lower() in _AREA_ALIASES:
            return (_AREA_ALIASES[part.lower()],)
    return AREAS


def load_user_policies(directories: Iterable[Path], *, base: Path) -> UserPolicies:
    """Templates, constraints and conftest Rego from the caller's directories (``samples/`` left out)."""
    templates: list[Template] = []
    constraints: list[Constraint] = []
    rego_files: list[RegoFile] = []
    for directory in directories:
        if not directory.is_dir():
            raise PolicyError(
                "policy directory not found",
                file=display(directory, base),
                hint="pass an existing directory to --policy-dir (or fix policy.extra-policies)",
            )
        template_dirs: set[Path] = set()
        rego_paths: list[Path] = []
        for path in _walk(directory):
            if path.suffix in (".yaml", ".yml") and path.name not in ("suite.yaml", "suite.yml"):
                found_t, found_c = _policy_objects(path, shown=display(path, base))
                templates += found_t
                constraints += found_c
                if found_t:
                    template_dirs.add(path.parent)
            elif _is_module(path):
                rego_paths.append(path)
        for path in rego_paths:
            # The Rego sources of a template (its src.rego, the lib/ beside the template
            # folders) are already inside the template.
            if path.parent in template_dirs or any(t.parent == path.parent.parent for t in template_dirs):
                continue
            rego_files.append(
                read_rego(path, shown=display(path, base), areas=_areas_of(path.relative_to(directory)))
            )
    return UserPolicies(templates=tuple(templates), constraints=tuple(constraints), rego=tuple(rego_files))
