"""Just enough of HCL to find a root's files, its local modules and its ``required_version``.

Not a parser: comments are removed with strings respected, then blocks are found
by brace matching. That is all :mod:`.roots` and :mod:`.version` need, and it
keeps a dependency (and a Go toolchain) out of the runtime.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: Configuration files of a module directory (OpenTofu also reads ``.tofu``).
SUFFIXES = (".tf", ".tofu", ".tf.json", ".tofu.json")
_MODULE = re.compile(r"\bmodule\s+\"[^\"]*\"\s*\{")
_SOURCE = re.compile(r"^\s*source\s*=\s*\"([^\"]+)\"", re.MULTILINE)
_BACKEND = re.compile(r"\b(backend\s+\"[^\"]+\"|cloud)\s*\{")


def config_files(directory: Path) -> list[Path]:
    """The configuration files directly in ``directory``, sorted."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))


def strip_comments(text: str) -> str:
    """``text`` with ``#``, ``//`` and ``/* */`` comments blanked, string contents kept.

    Strings may hold ``${ … }`` interpolations, which may hold strings in turn: a
    stack of contexts (code, string, interpolation or brace) keeps track.
    """
    out: list[str] = []
    stack = ["code"]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if stack[-1] == "string":
            out.append(ch)
            if ch == "\\":
                out.append(nxt)
                i += 2
                continue
            if ch == "$" and nxt == "{":
                out.append(nxt)
                stack.append("interpolation")
                i += 2
                continue
            if ch == '"':
                stack.pop()
            i += 1
            continue
        if ch == "#" or (ch == "/" and nxt == "/"):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            out.append("\n" * text[i : n if end < 0 else end + 2].count("\n"))
            i = n if end < 0 else end + 2
            continue
        if ch == '"':
            stack.append("string")
        elif ch == "{":
            stack.append("brace")
        elif ch == "}" and len(stack) > 1:
            stack.pop()
        out.append(ch)
        i += 1
    return "".join(out)


def _block_end(text: str, start: int) -> int:
    """The index just after the ``}`` matching the ``{`` at ``start - 1``."""
    depth, i, in_string = 1, start, False
    while i < len(text) and depth:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 1
    return i


def module_sources(directory: Path) -> list[str]:
    """The ``source`` of every ``module`` block in the configuration files of ``directory``."""
    sources: list[str] = []
    for path in config_files(directory):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name.endswith(".json"):
            try:
                data = json.loads(text)
            except ValueError:
                continue
            modules = data.get("module") if isinstance(data, dict) else None
            for entry in modules if isinstance(modules, list) else [modules]:
                if isinstance(entry, dict):
                    for body in entry.values():
                        for item in body if isinstance(body, list) else [body]:
                            if isinstance(item, dict) and isinstance(item.get("source"), str):
                                sources.append(item["source"])
            continue
        clean = strip_comments(text)
        for match in _MODULE.finditer(clean):
            block = clean[match.end() : _block_end(clean, match.end())]
            found = _SOURCE.search(block)
            if found:
                sources.append(found.group(1))
    return sources


def has_backend(directory: Path) -> bool:
    """True when a configuration file of ``directory`` declares a ``backend`` or ``cloud`` block."""
    for path in config_files(directory):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name.endswith(".json"):
            if '"backend"' in text or '"cloud"' in text:
                return True
            continue
        if _BACKEND.search(strip_comments(text)):
            return True
    return False


def is_local_source(source: str) -> bool:
    """True for a module source on the local file system (``./x``, ``../x``)."""
    return source.startswith(("./", "../")) or source in (".", "..")
