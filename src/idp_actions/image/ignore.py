"""``.dockerignore``: which files of the build context a COPY never sees.

The rules are Docker's (not Git's): each pattern is matched against the whole
path relative to the context, after cleaning (``./a/../b`` → ``b``, a leading
``/`` dropped); ``*`` and ``?`` stay within one path component, ``**`` spans any
number of them (none included); a pattern that matches a directory matches
everything under it; a ``!`` pattern brings matching paths back; the last
pattern that matches decides. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".dockerignore"


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    exclusion: bool
    text: str


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regular expression for one cleaned pattern (``*``, ``?``, ``[…]``, ``**``, backslash escapes)."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                while i < n and pattern[i] == "*":
                    i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(?:.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(re.escape("\\"))
        elif ch == "[":
            end = pattern.find("]", i + 1 if i < n and pattern[i] in "!^" else i)
            if end < 0:
                out.append(re.escape(ch))
                continue
            body = pattern[i:end]
            i = end + 1
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            out.append(f"[{'^' if negate else ''}{body}]")
        else:
            out.append(re.escape(ch))
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


class DockerIgnore:
    """The patterns of one ``.dockerignore`` file; :meth:`excluded` answers for a context path."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self.patterns: list[_Pattern] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            cleaned = posixpath.normpath(line)
            if cleaned.startswith("/"):
                cleaned = cleaned.lstrip("/") or "."
            if cleaned in ("", "."):
                continue  # "/" and "." would match the context itself: Docker ignores them too
            self.patterns.append(_Pattern(pattern_regex(cleaned), exclusion, line))

    @classmethod
    def read(cls, context: Path) -> DockerIgnore:
        """The context's ``.dockerignore``, or an empty one."""
        path = context / IGNORE_FILE
        if not path.is_file():
            return cls()
        return cls(path.read_text(encoding="utf-8", errors="replace").splitlines())

    def __bool__(self) -> bool:
        return bool(self.patterns)

    @property
    def has_exceptions(self) -> bool:
        """True when a ``!`` pattern may bring back something under an excluded directory."""
        return any(p.exclusion for p in self.patterns)

    def excluded(self, path: str) -> bool:
        """True when ``path`` (relative to the context, ``/``-separated) is left out of the context."""
        parents = path.split("/")[:-1]
        prefixes = ["/".join(parents[: i + 1]) for i in range(len(parents))]
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue  # an inclusion cannot change an included path, nor an exclusion an excluded one
            hit = bool(pattern.regex.match(path)) or any(pattern.regex.match(p) for p in prefixes)
            if hit:
                matched = not pattern.exclusion
        return matched
