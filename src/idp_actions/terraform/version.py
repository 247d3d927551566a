"""Which version of ``tofu``/``terraform`` a root wants, and whether the one found satisfies it.

Sources, all of which must hold when several are present:

- a version file: ``.opentofu-version`` (OpenTofu only; tofuenv's) or
  ``.terraform-version`` (tfenv's; read by both), found in the root's directory or
  the nearest parent up to the repository root. It names one version; ``latest``
  and ``latest:<regex>`` (tfenv) pin nothing and are ignored;
- ``required_version`` in a ``terraform`` block of the root's ``.tf``/``.tofu``
  files: a constraint such as ``>= 1.6, < 2.0`` or ``~> 1.8``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from idp_actions.errors import ConfigError, ToolError
from idp_actions.terraform.hcl import config_files, strip_comments

_OPERATORS = ("!=", ">=", "<=", "~>", "=", ">", "<")
_REQUIRED = re.compile(r"\brequired_version\s*=\s*\"([^\"]*)\"")
_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """An exact version and/or constraints, each with the file it came from."""

    exact: str | None = None
    exact_source: str | None = None
    constraints: tuple[tuple[str, str], ...] = ()  # (constraint, file)

    @property
    def empty(self) -> bool:
        """True when nothing is pinned."""
        return self.exact is None and not self.constraints

    def describe(self) -> str:
        """``1.8.5 (from .opentofu-version) and >= 1.6 (main.tf)``."""
        parts = []
        if self.exact:
            parts.append(f"{self.exact} (from {self.exact_source})")
        parts += [f"{constraint} (required_version in {source})" for constraint, source in self.constraints]
        return " and ".join(parts) or "any version"


def _parts(version: str) -> tuple[int, int, int, int]:
    """``(major, minor, patch, segments)``; ``segments`` says how many were written."""
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"not a version: {version!r}")
    numbers = [int(g) if g is not None else None for g in match.groups()]
    segments = sum(1 for n in numbers if n is not None)
    major, minor, patch = (n or 0 for n in numbers)
    return major, minor, patch, segments


def satisfies(version: str, constraint: str) -> bool:
    """Whether ``version`` meets a HashiCorp version ``constraint`` (comma-separated, all must hold).

    A pre-release suffix of ``version`` (``1.12.6-dev``, a source build) is ignored.
    A malformed constraint raises :class:`ValueError`.
    """
    have = _parts(version)[:3]
    for raw in constraint.split(","):
        item = raw.strip()
        if not item:
            continue
        operator = next((op for op in _OPERATORS if item.startswith(op)), "=")
        wanted = item[len(operator) :].strip() if item.startswith(operator) else item
        major, minor, patch, segments = _parts(wanted)
        want = (major, minor, patch)
        if operator == "=" and have != want:
            return False
        if operator == "!=" and have == want:
            return False
        if operator == ">" and not have > want:
            return False
        if operator == ">=" and not have >= want:
            return False
        if operator == "<" and not have < want:
            return False
        if operator == "<=" and not have <= want:
            return False
        if operator == "~>":
            # ~> 1.2.3 allows >= 1.2.3, < 1.3; ~> 1.2 allows >= 1.2, < 2; ~> 1 allows >= 1, < 2.
            if segments >= 3:
                upper = (major, minor + 1, 0)
            else:
                upper = (major + 1, 0, 0)
            if not (want <= have < upper):
                return False
    return True


def _version_file(root: Path, repo_root: Path, binary: str) -> Path | None:
    names = (".opentofu-version", ".terraform-version") if binary == "tofu" else (".terraform-version",)
    directory = root.resolve()
    top = repo_root.resolve()
    while True:
        for name in names:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        if directory == top or top not in directory.parents:
            return None
        directory = directory.parent


def _display(path: Path, repo_root: Path) -> str:
    try:
        return path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def required_versions(files: Iterable[Path]) -> list[tuple[str, Path]]:
    """Every ``required_version`` constraint in ``files`` (HCL or JSON syntax)."""
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name.endswith(".json"):
            try:
                data = json.loads(text)
            except ValueError:
                continue
            blocks = data.get("terraform") if isinstance(data, dict) else None
            for block in blocks if isinstance(blocks, list) else [blocks]:
                if isinstance(block, dict) and isinstance(block.get("required_version"), str):
                    found.append((block["required_version"], path))
            continue
        found += [(m.group(1), path) for m in _REQUIRED.finditer(strip_comments(text))]
    return found


def requirement(root: Path, repo_root: Path, binary: str) -> Requirement:
    """What the root at ``root`` asks of ``binary`` (``tofu`` or ``terraform``)."""
    exact = exact_source = None
    found = _version_file(root, repo_root, binary)
    if found is not None:
        lines = [
            line.strip()
            for line in found.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        value = lines[0] if lines else ""
        exact_source = _display(found, repo_root)
        if value and not value.startswith(("latest", "min-required")):
            try:
                _parts(value)
            except ValueError:
                raise ConfigError(
                    f"{value!r} is not a version",
                    file=exact_source,
                    hint="write one version like `1.8.5` (or remove the file)",
                ) from None
            exact = value.removeprefix("v")
    constraints = tuple(
        (constraint, _display(path, repo_root)) for constraint, path in required_versions(config_files(root))
    )
    return Requirement(exact=exact, exact_source=exact_source if exact else None, constraints=constraints)


def check(binary: str, version: str, wanted: Requirement) -> None:
    """Raise :class:`ToolError` when ``version`` of ``binary`` does not meet ``wanted``."""
    problems = []
    if wanted.exact is not None and _parts(version)[:3] != _parts(wanted.exact)[:3]:
        problems.append(f"{wanted.exact_source} asks for {wanted.exact}")
    for constraint, source in wanted.constraints:
        try:
            ok = satisfies(version, constraint)
        except ValueError:
            raise ConfigError(
                f"required_version {constraint!r} is not a valid version constraint",
                file=source,
                hint="use comma-separated constraints like `>= 1.6, < 2.0` or `~> 1.8`",
            ) from None
        if not ok:
            problems.append(f"required_version in {source} is {constraint!r}")
    if problems:
        raise ToolError(
            f"`{binary}` {version} does not satisfy the root: {'; '.join(problems)}",
            hint=f"install {binary} {wanted.exact or 'in that range'} (set IDP_{binary.upper()} to its path), "
            "or change the version file / required_version",
        )
