"""Dockerfiles parsed into exactly the input conftest gives its policies.

conftest parses a Dockerfile with BuildKit's parser and hands policies
``[[command, ...]]``, each command ``{"Cmd", "Flags", "JSON", "Stage", "SubCmd",
"Value"}`` with the comments before an instruction as ``comment`` commands. This
module reproduces that shape — line continuations, the ``escape`` directive,
heredocs, JSON and shell forms, ``ENV``/``LABEL`` pairs with their separators —
and refuses the files conftest refuses (BuildKit's instruction checks), so
conftest policies run here unchanged. ``tests/integration/test_policy_engine_conftest.py``
compares it with ``conftest parse`` on a corpus of Dockerfiles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from idp_actions.policy.instructions import DockerfileError, Node, check

__all__ = ["Dockerfile", "DockerfileError", "parse"]
from idp_actions.policy.shellwords import extract_flags, shell_words, unquote
from idp_actions.policy.shellwords import words as shell_split

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_COMMANDS = frozenset({"add", "copy", "run"})


@dataclass(frozen=True, kw_only=True)
class Dockerfile:
    """The conftest input (``commands``, one list per file) and the line each command starts on."""

    commands: list[dict[str, Any]]
    lines: list[int]

    @property
    def conftest_input(self) -> list[list[dict[str, Any]]]:
        """What a conftest policy sees as ``input``."""
        return [self.commands]


class _Directives:
    def __init__(self) -> None:
        self.escape = "\\"
        self.done = False
        self.seen: set[str] = set()
        self._continuation = self._regex("\\")

    @staticmethod
    def _regex(token: str) -> re.Pattern[str]:
        t = re.escape(token)
        return re.compile(rf"([^{t}]){t}[ \t]*$|^{t}[ \t]*$")

    def set_escape(self, token: str) -> None:
        if token not in ("`", "\\"):
            raise DockerfileError(f"invalid escape token '{token}' does not match ` or \\")
        self.escape = token
        self._continuation = self._regex(token)

    def directive(self, line: str) -> bool:
        """Record ``line`` if it is a parser directive; False once directives are over."""
        if self.done:
            return False
        found = _DIRECTIVE.match(line)
        if not found or found.group(1).lower() not in _DIRECTIVES:
            self.done = True
            return False
        key = found.group(1).lower()
        if key in self.seen:
            raise DockerfileError(f"only one {key} parser directive can be used")
        self.seen.add(key)
        if key == "escape":
            self.set_escape(found.group(2))
        return True

    def continuation(self, line: str) -> tuple[str, bool]:
        """``line`` without its continuation token, and whether the instruction ends here."""
        if self._continuation.search(line):
            return self._continuation.sub(lambda m: m.group(1) or "", line, count=1), False
        return line, True


def _is_comment(raw: str) -> bool:
    return raw.rstrip("\r\n").lstrip().startswith("#")


def _process(raw: str, strip_left: bool) -> str:
    token = raw.rstrip("\r\n")
    if strip_left:
        token = token.lstrip()
    return "" if token.startswith("#") else token


def parse(text: str) -> Dockerfile:
    """Parse ``text`` into conftest's Dockerfile input; :class:`DockerfileError` for what it refuses."""
    physical = text.splitlines(keepends=True)
    if physical:
        physical[0] = physical[0].removeprefix("\ufeff")
    d = _Directives()
    nodes: list[Node] = []
    comments: list[tuple[str, int]] = []
    i = 0
    while i < len(physical):
        raw = physical[i]
        i += 1
        start = i
        if _is_comment(raw):
            stripped = raw.rstrip("\r\n")
            comment = stripped[1:].strip()
            if comment:
                comments.append((comment, i))
            else:
                comments = []
        try:
            directive = d.directive(raw.rstrip("\r\n").lstrip())
        except DockerfileError as exc:
            raise DockerfileError(str(exc), i) from None
        if directive and comments:
            comments.pop()
        line, end = d.continuation(_process(raw, True))
        if end and line == "":
            continue
        while not end and i < len(physical):
            raw = physical[i]
            i += 1
            if _is_comment(raw):
                continue
            piece = _process(raw, False)
            if not piece.strip():
                continue
            piece, end = d.continuation(piece)
            line += piece
        node = _node_from_line(line, d, start)
        node.comments = comments
        comments = []
        if _can_contain_heredoc(node):
            for name, chomp in _heredocs(line):
                while True:
                    if i >= len(physical):
                        raise DockerfileError("unterminated heredoc", start)
                    candidate = physical[i].rstrip("\r\n")
                    i += 1
                    if chomp:
                        candidate = candidate.lstrip("\t")
                    if candidate == name:
                        break
        nodes.append(node)
    if not nodes:
        raise DockerfileError("file with no instructions", len(physical))
    return _commands(nodes)


def _node_from_line(line: str, d: _Directives, number: int) -> Node:
    parts = _WHITESPACE.split(line.strip(), maxsplit=1)
    word = parts[0]
    flags: list[str] | None = None
    args = ""
    if len(parts) == 2:
        args, flags = extract_flags(parts[1])
    args = args.strip()
    cmd = word.lower()
    node = Node(value=word, flags=flags, line=number)
    try:
        if cmd == "onbuild":
            if args:
                node.sub = _node_from_line(args, d, number)
        else:
            node.args, node.json = _ARGUMENTS.get(cmd, _ignore)(args, d)
    except DockerfileError as exc:
        raise DockerfileError(str(exc), number) from None
    return node


# ----------------------------------------------------------- argument parsers

Parsed = tuple[list[str] | None, bool]


def _ignore(rest: str, d: _Directives) -> Parsed:
    return [""], False


def _name_val(rest: str, d: _Directives, key: str) -> Parsed:
    words = shell_split(rest, d.escape)
    if not words:
        return None, False
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise DockerfileError(f"{key} must have two arguments")
        return [parts[0], parts[1], ""], False
    values: list[str] = []
    for word in words:
        if "=" not in word:
            raise DockerfileError(f"Syntax error - can't find = in {json.dumps(word)}. Must be of the form: name=value")
        name, value = word.split("=", 1)
        values += [name, value, "="]
    return values, False


def _env(rest: str, d: _Directives) -> Parsed:
    return _name_val(rest, d, "ENV")


def _label(rest: str, d: _Directives) -> Parsed:
    return _name_val(rest, d, "LABEL")


def _name_or_name_val(rest: str, d: _Directives) -> Parsed:
    words = shell_split(rest, d.escape)
    return (words or None), False


def _whitespace_delimited(rest: str, d: _Directives) -> Parsed:
    if rest == "":
        return None, False
    return _WHITESPACE.split(rest), False


def _string(rest: str, d: _Directives) -> Parsed:
    return ([rest] if rest else None), False


class _NotJson(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJson(name)


def _json(rest: str) -> list[str] | None:
    rest = rest.lstrip()
    if not rest.startswith("["):
        raise _NotJson(rest)
    try:
        value = json.loads(rest, parse_constant=_reject_constant)
    except ValueError:
        raise _NotJson(rest) from None
    if not isinstance(value, list):
        raise _NotJson(rest)
    if any(not isinstance(item, str) for item in value):
        raise DockerfileError("when using JSON array syntax, arrays must be comprised of strings only")
    return value or None


def _maybe_json(rest: str, d: _Directives) -> Parsed:
    if rest == "":
        return None, False
    try:
        return _json(rest), True
    except _NotJson:
        return [rest], False


def _maybe_json_to_list(rest: str, d: _Directives) -> Parsed:
    try:
        return _json(rest), True
    except _NotJson:
        return _whitespace_delimited(rest, d)


def _health(rest: str, d: _Directives) -> Parsed:
    sep = 0
    while sep < len(rest) and not rest[sep].isspace():
        sep += 1
    nxt = sep
    while nxt < len(rest) and rest[nxt].isspace():
        nxt += 1
    if sep == 0:
        return None, False
    values, is_json = _maybe_json(rest[nxt:], d)
    return [rest[:sep], *(values or [])], is_json


_ARGUMENTS = {
    "add": _maybe_json_to_list,
    "arg": _name_or_name_val,
    "cmd": _maybe_json,
    "copy": _maybe_json_to_list,
    "entrypoint": _maybe_json,
    "env": _env,
    "expose": _whitespace_delimited,
    "from": _whitespace_delimited,
    "healthcheck": _health,
    "label": _label,
    "maintainer": _string,
    "run": _maybe_json,
    "shell": _maybe_json,
    "stopsignal": _string,
    "user": _string,
    "volume": _maybe_json_to_list,
    "workdir": _string,
}


# ------------------------------------------------------------------- heredocs


def _can_contain_heredoc(node: Node) -> bool:
    target = node.sub if node.value.lower() == "onbuild" and node.sub is not None else node
    return target.value.lower() in _HEREDOC_COMMANDS and not target.json


def _heredocs(line: str) -> list[tuple[str, bool]]:
    found = []
    for word in shell_words(line):
        match = _HEREDOC.match(word)
        if not match or not match.group(3):
            continue
        names = unquote(match.group(3))
        if len(names) != 1:
            continue
        found.append((names[0], match.group(2) == "-"))
    return found


def _commands(nodes: list[Node]) -> Dockerfile:
    commands: list[dict[str, Any]] = []
    lines: list[int] = []
    stage = -1
    for node in nodes:
        check(node)
        if node.value.lower() == "from":
            stage += 1
        current = max(stage, 0)
        for comment, line in node.comments:
            commands.append(
                {"Cmd": "comment", "Flags": None, "JSON": False, "Stage": current, "SubCmd": "", "Value": [comment]}
            )
            lines.append(line)
        target = node.sub if node.value.lower() == "onbuild" and node.sub is not None else node
        commands.append(
            {
                "Cmd": node.value.lower(),
                "Flags": node.flags,
                "JSON": target.json,
                "Stage": current,
                "SubCmd": node.sub.value if node.sub is not None else "",
                "Value": target.args,
            }
        )
        lines.append(node.line)
    return Dockerfile(commands=commands, lines=lines)
