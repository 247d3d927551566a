"""Read what ``tofu``/``terraform`` print when something goes wrong (``-no-color`` text).

:func:`parse` finds each ``Error:``/``Warning:`` block with the file and line it
points at (``on main.tf line 3, in resource …:``), so they can become annotations
on the right line of the pull request. :func:`parse_lock` reads the ``Lock Info:``
of a state-lock error: the ID is what ``force-unlock`` needs.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

_HEADER = re.compile(r"^(Error|Warning): (.*)$")
_WHERE = re.compile(r"^\s+on (.+?) line (\d+)(?:, in .*)?:$")
_SOURCE = re.compile(r"^\s+\d+: ")
_LOCK_FIELD = re.compile(r"^\s+(ID|Path|Operation|Who|Version|Created|Info):[ \t]*(.*)$")
_LOCK_MARKERS = ("Error acquiring the state lock", "Error locking state")


@dataclass(frozen=True, kw_only=True)
class Diagnostic:
    """One error or warning; ``file`` is as the tool printed it (relative to the root), ``line`` 1-based."""

    severity: str
    summary: str
    detail: str = ""
    file: str | None = None
    line: int | None = None

    def located(self, root: str) -> str | None:
        """``file`` relative to the repository, given the root's directory relative to it (``infra/prod``)."""
        if not self.file:
            return None
        if posixpath.isabs(self.file):
            return self.file
        joined = posixpath.normpath(posixpath.join(root or ".", self.file))
        return None if joined.startswith("../") else joined


def parse(text: str) -> list[Diagnostic]:
    """Every ``Error:`` and ``Warning:`` block in ``text``, in order."""
    found: list[Diagnostic] = []
    lines = text.replace("\r\n", "\n").splitlines()
    # -no-color output has no box drawing; coloured output does ("│ Error: …"): accept both.
    lines = [re.sub(r"^[│╷╵]\s?", "", line) for line in lines]
    starts = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        header = _HEADER.match(lines[start])
        assert header is not None
        file = None
        line_no = None
        detail = []
        for line in lines[start + 1 : end]:
            where = _WHERE.match(line)
            if where and file is None:
                file, line_no = where.group(1), int(where.group(2))
                continue
            if _SOURCE.match(line) or line.strip().startswith(("├", "│")):
                continue
            detail.append(line.rstrip())
        found.append(
            Diagnostic(
                severity=header.group(1).lower(),
                summary=header.group(2).strip(),
                detail="\n".join(detail).strip(),
                file=file,
                line=line_no,
            )
        )
    return found


@dataclass(frozen=True, kw_only=True)
class LockInfo:
    """Who holds a state lock (``ID`` is what ``force-unlock`` takes)."""

    id: str
    path: str = ""
    operation: str = ""
    who: str = ""
    version: str = ""
    created: str = ""
    info: str = ""


def parse_lock(text: str) -> LockInfo | None:
    """The lock in a state-lock error, or None when ``text`` is not one."""
    if not any(marker in text for marker in _LOCK_MARKERS):
        return None
    fields: dict[str, str] = {}
    in_info = False
    for line in text.splitlines():
        line = re.sub(r"^[│╷╵]\s?", "", line)
        if line.strip() == "Lock Info:":
            in_info = True
            continue
        if in_info:
            match = _LOCK_FIELD.match(line)
            if match:
                fields.setdefault(match.group(1).lower(), match.group(2).strip())
            elif line.strip() and not line.startswith((" ", "\t")):
                in_info = False
    if not fields.get("id"):
        match = re.search(r"\bID[=:]\s*([0-9A-Za-z-]{8,})", text)
        if not match:
            return LockInfo(id="")
        fields["id"] = match.group(1)
    return LockInfo(**{k: v for k, v in fields.items() if k in LockInfo.__dataclass_fields__})
