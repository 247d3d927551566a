"""Discovering and parsing workflow and action files, keeping line numbers."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from idp_actions.errors import UsageError

Kind = Literal["workflow", "action"]

#: Directories never searched (build output, dependencies, tool caches).
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", ".tools", "vendor", "__pycache__", ".tox"})
ACTION_NAMES = frozenset({"action.yml", "action.yaml"})


@dataclass(frozen=True, kw_only=True)
class Document:
    """One parsed workflow or action metadata file."""

    path: Path
    rel: str
    kind: Kind
    text: str
    root: yaml.Node | None
    lines: tuple[str, ...] = field(repr=False)
    parse_error: str | None = None
    parse_error_line: int | None = None

    def line_text(self, line: int) -> str:
        """The raw text of 1-based ``line`` ('' when out of range)."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


def discover(root: Path, *, exclude: Sequence[str] = ()) -> list[Document]:
    """Every workflow (``.github/workflows/*.y*ml``) and action metadata file under ``root``.

    ``exclude`` holds glob patterns matched against paths relative to ``root``.
    """
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory", hint="pass the root of a repository to check")
    found: list[tuple[Path, Kind]] = []
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        if any(fnmatch.fnmatch(rel, pattern) for pattern in exclude):
            continue
        if path.name in ACTION_NAMES:
            found.append((path, "action"))
        elif path.suffix in (".yml", ".yaml") and path.parent.as_posix().endswith(".github/workflows"):
            found.append((path, "workflow"))
    return [parse(path, root, kind) for path, kind in sorted(found)]


def _walk(root: Path) -> Iterator[Path]:
    for entry in sorted(root.iterdir()):
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if entry.name in SKIP_DIRS or (entry.name.startswith(".") and entry.name != ".github"):
                continue
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def parse(path: Path, root: Path, kind: Kind) -> Document:
    """Parse one file into a node tree (a YAML error is kept, not raised)."""
    raw = path.read_bytes()
    rel = path.relative_to(root).as_posix()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Document(
            path=path, rel=rel, kind=kind, text="", root=None, lines=(),
            parse_error=f"not valid UTF-8 (byte {exc.start})",
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        return Document(
            path=path, rel=rel, kind=kind, text=text, root=None, lines=tuple(text.splitlines()),
            parse_error=f"YAML syntax error: {exc.problem}",
            parse_error_line=mark.line + 1 if mark else None,
        )
    return Document(path=path, rel=rel, kind=kind, text=text, root=node, lines=tuple(text.splitlines()))


# ------------------------------------------------------------ node helpers


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node for ``key`` of a mapping node (None when absent or not a mapping)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: yaml.Node = value_node
                return found
    return None


def key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The key node itself (for its line), or None."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k
    return None


def items(node: yaml.Node | None) -> Iterable[tuple[str, yaml.Node]]:
    """(key, value node) pairs of a mapping node with scalar keys."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                yield k.value, v
    return


def elements(node: yaml.Node | None) -> list[yaml.Node]:
    """The element nodes of a sequence node ([] otherwise)."""
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def scalar(node: yaml.Node | None) -> str | None:
    """The string value of a scalar node, else None."""
    return node.value if isinstance(node, yaml.ScalarNode) else None


def line(node: yaml.Node | None) -> int | None:
    """1-based line of a node."""
    return node.start_mark.line + 1 if node is not None else None


def steps_of(doc: Document) -> Iterator[tuple[str | None, yaml.Node]]:
    """(job id or None for an action, step node) for every step in the document."""
    if doc.kind == "workflow":
        for job_id, job in items(get(doc.root, "jobs")):
            for step in elements(get(job, "steps")):
                yield job_id, step
    else:
        for step in elements(get(get(doc.root, "runs"), "steps")):
            yield None, step
