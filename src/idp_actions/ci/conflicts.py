"""Unresolved merge-conflict markers in a repository's files (pure, plus one git adapter).

``idp scaffold update`` commits the places where a template change and the
repository's own change meet as conflict markers, so a person resolves them in
the pull request. Service CI refuses to test such a tree: the markers would
otherwise reach a build, or pass unnoticed in a file no test reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from idp_actions import proc
from idp_actions.errors import IdpError, ProcError

#: The opening and closing lines git writes (``<<<<<<< ours`` / ``>>>>>>> theirs``).
MARKER = re.compile(r"^(<{7}|>{7})( |$)")


class ConflictsError(IdpError):
    """The tree holds unresolved conflict markers."""


def markers(text: str) -> list[int]:
    """1-based lines of ``text`` that open or close a conflict."""
    return [number for number, line in enumerate(text.splitlines(), 1) if MARKER.match(line)]


def find(root: Path, files: Iterable[str]) -> list[tuple[str, int]]:
    """``(file, line)`` of every conflict marker in the text files among ``files`` (relative to ``root``)."""
    found: list[tuple[str, int]] = []
    for name in sorted(files):
        path = root / name
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary
        found += [(name, line) for line in markers(data.decode("utf-8", "replace"))]
    return found


def tracked_files(root: Path) -> list[str] | None:
    """The files git tracks under ``root``; None when ``root`` is not in a git work tree."""
    try:
        listed = proc.run(["git", "ls-files", "-z"], cwd=root)
    except (ProcError, IdpError):
        return None
    return [name for name in listed.stdout.split("\0") if name]


def check(root: Path) -> None:
    """Raise :class:`ConflictsError` naming every marker in ``root``'s tracked files (git trees only)."""
    files = tracked_files(root)
    if files is None:
        return
    found = find(root, files)
    if found:
        shown = ", ".join(f"{name}:{line}" for name, line in found[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise ConflictsError(
            f"unresolved conflict markers at {shown}{more}",
            hint="resolve them (a template update leaves them where its change met yours), commit and push",
        )
