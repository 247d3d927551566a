"""Just enough Rego lexing to read and rewrite policy source without changing its lines.

Gatekeeper loads each ConstraintTemplate under its own package and moves its
libraries under a per-template prefix; conftest finds a package's ``deny``/``warn``
rules by name. Both need the package clause, the rule heads and the ``data.*``
references of a module — outside strings and comments. :func:`mask` blanks strings
and comments (same length, newlines kept), so every search runs on the masked
text and every edit lands at the same offset in the original. Rewrites never add
or remove a line: an error OPA reports at line N is at line N of the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PACKAGE = re.compile(rf"^[ \t]*package[ \t]+({_IDENT}(?:\.{_IDENT})*)[ \t]*$", re.MULTILINE)
_DATA_REF = re.compile(rf"(?<![\w.])data\.({_IDENT})")
_DATA_INDEX = re.compile(r"(?<![\w.])data\s*\[")
_HEAD = re.compile(rf"^(?:default[ \t]+)?({_IDENT})(?=[ \t]*(?:\[|\(|\.|:=|=|\{{|contains\b|if\b|$))", re.MULTILINE)
_KEYWORDS = frozenset({"package", "import", "default", "not", "some", "every", "with", "else", "true", "false", "null"})


class RegoSyntaxError(ValueError):
    """The source could not be lexed (an unterminated string): ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def mask(text: str) -> str:
    """``text`` with the contents of strings and comments replaced by spaces (newlines kept)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        elif ch == '"':
            start = i
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\n":
                    raise RegoSyntaxError("unterminated string", text.count("\n", 0, start) + 1)
                if text[i] == "\\":
                    out[i] = " "
                    i += 1
                if i < n and text[i] != "\n":
                    out[i] = " "
                i += 1
            if i >= n:
                raise RegoSyntaxError("unterminated string", text.count("\n", 0, start) + 1)
            i += 1
        elif ch == "`":
            start = i
            i += 1
            while i < n and text[i] != "`":
                if text[i] != "\n":
                    out[i] = " "
                i += 1
            if i >= n:
                raise RegoSyntaxError("unterminated raw string", text.count("\n", 0, start) + 1)
            i += 1
        else:
            i += 1
    return "".join(out)


def line_of(text: str, offset: int) -> int:
    """The 1-based line of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


@dataclass(frozen=True, kw_only=True)
class Module:
    """What the engine needs to know about one Rego module."""

    package: str | None
    package_line: int | None
    rules: frozenset[str]
    data_roots: tuple[tuple[str, int], ...]  # (first segment after data., line); "[" for data[...]


def inspect(text: str) -> Module:
    """The package, rule names and ``data`` references of ``text``."""
    masked = mask(text)
    found = _PACKAGE.search(masked)
    rules = frozenset(
        m.group(1) for m in _HEAD.finditer(masked) if m.group(1) not in _KEYWORDS
    )
    roots = [(m.group(1), line_of(masked, m.start())) for m in _DATA_REF.finditer(masked)]
    roots += [("[", line_of(masked, m.start())) for m in _DATA_INDEX.finditer(masked)]
    return Module(
        package=found.group(1) if found else None,
        package_line=line_of(masked, found.start()) if found else None,
        rules=rules,
        data_roots=tuple(sorted(roots, key=lambda r: r[1])),
    )


def set_package(text: str, package: str) -> str:
    """``text`` with its package clause naming ``package`` (the line count is unchanged)."""
    masked = mask(text)
    found = _PACKAGE.search(masked)
    if found is None:
        raise RegoSyntaxError("no package clause", 1)
    start, end = found.span(1)
    return text[:start] + package + text[end:]


def rewrite_data_prefix(text: str, old: str, new: str) -> str:
    """Every reference ``data.<old>`` (a whole path segment) rewritten to ``data.<new>``, in code only."""
    masked = mask(text)
    pattern = re.compile(rf"(?<![\w.])data\.{re.escape(old)}(?![A-Za-z0-9_])")
    pieces: list[str] = []
    last = 0
    for found in pattern.finditer(masked):
        pieces.append(text[last : found.start()])
        pieces.append(f"data.{new}")
        last = found.end()
    pieces.append(text[last:])
    return "".join(pieces)
