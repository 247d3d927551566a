"""Root modules: which exist, what each depends on, and which a change touches.

A root is listed in ``terraform.roots`` of ``.github/idp.yaml`` (with its
workspaces, var files and backend config) or, when none are listed, discovered:
every directory with configuration files that declares a ``backend``/``cloud``
block, or that no other directory uses as a local module and that is not under
a directory called ``modules``.

A root depends on (:func:`dependencies`):

- every file under its directory (templates read with ``file()`` included), except
  in ``.terraform/`` and in nested directories that are roots themselves;
- every file of the local modules it calls (``source = "../modules/x"``), recursively;
- its var files and backend-config files, wherever they are;
- ``.opentofu-version`` / ``.terraform-version`` in it or any parent directory;
- ``.github/idp.yaml`` (which defines roots, workspaces, var files and backends).

:func:`changed` maps a list of changed paths to the roots (in each workspace) to plan.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions.errors import UsageError
from idp_actions.terraform.hcl import config_files, has_backend, is_local_source, module_sources

VERSION_FILES = (".opentofu-version", ".terraform-version")
CONFIG_FILES = (".github/idp.yaml", ".github/idp.yml")
_KEY_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*=")
_SKIP_DIRS = {".terraform", ".git", "node_modules", ".idp"}


@dataclass(frozen=True, kw_only=True)
class RootSpec:
    """One root and how to run it (``path`` relative to the repository, forward slashes)."""

    path: str
    workspaces: tuple[str, ...] = ("default",)
    var_files: tuple[str, ...] = ()
    backend_config: tuple[str, ...] = ()

    def var_files_for(self, workspace: str) -> tuple[str, ...]:
        """The var files with ``{workspace}`` replaced."""
        return tuple(item.replace("{workspace}", workspace) for item in self.var_files)


def clean(path: str) -> str:
    """A repository-relative path in one spelling: ``./infra/prod/`` → ``infra/prod``, root → ``.``."""
    text = path.strip().replace("\\", "/")
    normal = posixpath.normpath(text) if text else "."
    if normal.startswith("../") or normal == ".." or posixpath.isabs(normal):
        raise UsageError(
            f"root {path!r} is outside the repository",
            hint="give root paths relative to the repository root, like `infra/prod`",
        )
    return normal


def spec_for(path: str, configured: Sequence[RootSpec]) -> RootSpec:
    """The configured spec of ``path``, or a default one (workspace ``default``)."""
    wanted = clean(path)
    for spec in configured:
        if clean(spec.path) == wanted:
            return spec
    return RootSpec(path=wanted)


def root_dir(repo_root: Path, path: str) -> Path:
    """The directory of root ``path``; a clear error when it is missing or holds no configuration."""
    directory = repo_root / clean(path)
    if not directory.is_dir():
        raise UsageError(
            f"root {path!r} does not exist (no directory {clean(path)} in {repo_root})",
            hint="check the path (relative to the repository root) and terraform.roots in .github/idp.yaml",
        )
    if not config_files(directory):
        raise UsageError(
            f"root {path!r} has no .tf or .tofu files",
            hint="point --root (input `root`) at the directory that holds the root module",
        )
    return directory


# ------------------------------------------------------------------ discovery


def _walk_dirs(repo_root: Path) -> Iterable[Path]:
    for directory in [repo_root, *sorted(repo_root.rglob("*"))]:
        if not directory.is_dir():
            continue
        relative = directory.relative_to(repo_root).parts
        if any(part in _SKIP_DIRS or (part.startswith(".") and part != ".github") for part in relative):
            continue
        yield directory


def _rel(path: Path, repo_root: Path) -> str:
    return path.resolve().relative_to(repo_root.resolve()).as_posix() or "."


def local_modules(directory: Path, repo_root: Path) -> list[Path]:
    """The local module directories ``directory`` calls, recursively (each once; cycles are safe)."""
    found: list[Path] = []
    todo = [directory.resolve()]
    seen = {directory.resolve()}
    top = repo_root.resolve()
    while todo:
        current = todo.pop()
        for source in module_sources(current):
            if not is_local_source(source):
                continue
            target = (current / source.split("//", 1)[0]).resolve()
            if target in seen or not target.is_dir() or (target != top and top not in target.parents):
                continue
            seen.add(target)
            found.append(target)
            todo.append(target)
    return found


def discover(repo_root: Path) -> list[RootSpec]:
    """Roots found in the tree when ``terraform.roots`` lists none (see the module docstring)."""
    candidates = [d for d in _walk_dirs(repo_root) if config_files(d)]
    used = {m for d in candidates for m in local_modules(d, repo_root)}
    roots = [
        d
        for d in candidates
        if has_backend(d) or (d.resolve() not in used and "modules" not in d.relative_to(repo_root).parts)
    ]
    return [RootSpec(path=_rel(d, repo_root)) for d in roots]


# --------------------------------------------------------------- dependencies


def _under(path: str, directory: str) -> bool:
    return directory == "." or path == directory or path.startswith(directory + "/")


def dependencies(spec: RootSpec, repo_root: Path) -> tuple[set[str], set[str]]:
    """What ``spec`` depends on: ``(directories, files)``, repository-relative.

    A changed path depends on the root when it is in ``files`` or under one of
    ``directories`` (but not under a nested directory that is another root).
    """
    base = clean(spec.path)
    directory = repo_root / base
    directories = {base}
    directories |= {_rel(m, repo_root) for m in local_modules(directory, repo_root)} if directory.is_dir() else set()
    files: set[str] = set(CONFIG_FILES)
    for workspace in spec.workspaces:
        for item in (*spec.var_files_for(workspace), *spec.backend_config):
            if _KEY_VALUE.match(item):
                continue  # key=value backend config, not a file
            files.add(clean(posixpath.join(base, item)))
    parts = [] if base == "." else base.split("/")
    for depth in range(len(parts), -1, -1):
        prefix = "/".join(parts[:depth])
        for name in VERSION_FILES:
            files.add(f"{prefix}/{name}" if prefix else name)
    return directories, files


def touches(path: str, deps: tuple[set[str], set[str]], other_roots: Sequence[str]) -> bool:
    """Whether a change to ``path`` affects a root with dependencies ``deps`` (from :func:`dependencies`).

    A file under a directory of the root that lies inside another root nested there
    belongs to that other root (unless the root also calls it as a module).
    """
    directories, files = deps
    path = clean(path)
    if path in files:
        return True
    if "/.terraform/" in f"/{path}":
        return False
    for directory in directories:
        if not _under(path, directory):
            continue
        owned = any(
            other != directory and _under(other, directory) and _under(path, other) and other not in directories
            for other in other_roots
        )
        if not owned:
            return True
    return False


@dataclass(frozen=True, kw_only=True)
class Target:
    """One matrix entry: a root in a workspace."""

    root: str
    workspace: str

    @property
    def key(self) -> str:
        """``root:workspace``."""
        return f"{self.root}:{self.workspace}"

    @property
    def slug(self) -> str:
        """A name safe for artifacts and job names (``infra-prod-default``)."""
        raw = f"{self.root}-{self.workspace}" if self.root != "." else f"root-{self.workspace}"
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in raw).strip("-")

    def to_json(self) -> dict[str, Any]:
        """The matrix entry as JSON."""
        return {"root": self.root, "workspace": self.workspace, "key": self.key, "slug": self.slug}


def changed(
    paths: Iterable[str] | None,
    specs: Sequence[RootSpec],
    repo_root: Path,
) -> list[Target]:
    """The roots and workspaces that ``paths`` touch; every one when ``paths`` is None (unknown change set)."""
    names = [clean(s.path) for s in specs]
    chosen: list[RootSpec] = []
    if paths is None:
        chosen = list(specs)
    else:
        changed_paths = [clean(p) for p in paths if p.strip()]
        for spec in specs:
            deps = dependencies(spec, repo_root)
            if any(touches(p, deps, names) for p in changed_paths):
                chosen.append(spec)
    return [Target(root=clean(s.path), workspace=w) for s in chosen for w in s.workspaces]
