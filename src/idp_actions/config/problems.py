"""What can be wrong with the file: one :class:`ConfigProblem` per mistake, with its key path and line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from idp_actions.errors import ConfigError

Key = str | int
KeyPath = tuple[Key, ...]
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def format_path(path: Sequence[Key]) -> str:
    """``("gitops", "environments", 1, "mode")`` → ``gitops.environments[1].mode``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    """One thing wrong with the file: where (key path, line) and what (message, hint)."""

    path: KeyPath
    line: int | None
    message: str
    hint: str | None = None

    @property
    def dotted(self) -> str:
        """The key path as people write it (``scan.severity-threshold``)."""
        return format_path(self.path)

    def describe(self, file: str) -> str:
        """``file:line at `path`: message`` plus an indented hint line."""
        where = f"{file}:{self.line}" if self.line is not None else file
        if self.path:
            where += f" at `{self.dotted}`"
        text = f"{where}: {self.message}"
        return f"{text}\n      hint: {self.hint}" if self.hint else text


class ConfigValidationError(ConfigError):
    """One or more problems found in a file that is valid YAML; ``problems`` holds each, sorted by line."""

    def __init__(self, problems: Iterable[ConfigProblem], *, file: str) -> None:
        ordered = tuple(sorted(problems, key=lambda p: (p.line or 0, p.dotted, p.message)))
        if not ordered:
            raise ValueError("ConfigValidationError needs at least one problem")
        self.problems = ordered
        first = ordered[0]
        if len(ordered) == 1:
            super().__init__(first.message, file=file, path=first.dotted or None, line=first.line,
                             hint=first.hint)
        else:
            body = "\n".join(f"  {p.describe(file)}" for p in ordered)
            super().__init__(f"{len(ordered)} problems\n{body}", file=file)
            self.line = first.line
            self.path = first.dotted or None


def _line_of(path: KeyPath, lines: Mapping[KeyPath, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None
