"""BuildKit's instruction nodes and the checks that make conftest refuse a Dockerfile.

conftest runs BuildKit's ``instructions.ParseInstruction`` over every node it
parsed; a file it refuses (an unknown instruction or flag, a flag without its
value, COPY without a destination …) is an input error here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DURATION = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
#: The flags each instruction accepts (BuildKit's instructions package); True marks boolean flags.
_FLAGS: dict[str, dict[str, bool]] = {
    "add": {"chown": False, "chmod": False, "link": True, "keep-git-dir": True, "checksum": False,
            "exclude": False, "unpack": True},
    "copy": {"from": False, "chown": False, "chmod": False, "link": True, "parents": True, "exclude": False},
    "from": {"platform": False},
    "run": {"mount": False, "network": False, "security": False, "device": False},
    "healthcheck": {"interval": False, "timeout": False, "start-period": False, "start-interval": False,
                    "retries": False},
}
_REPEATABLE = frozenset({("run", "mount"), ("add", "exclude"), ("copy", "exclude"), ("run", "device")})
_KNOWN = frozenset({
    "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
    "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
})


class DockerfileError(ValueError):
    """The Dockerfile is one conftest (BuildKit) refuses; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Node:
    """BuildKit's parse node, reduced to what conftest reads."""

    value: str
    flags: list[str] | None = None
    args: list[str] | None = None
    json: bool = False
    sub: Node | None = None
    comments: list[tuple[str, int]] = field(default_factory=list)
    line: int = 0


def check(node: Node, *, trigger: bool = False) -> None:
    """The checks of BuildKit's ``ParseInstruction`` that make conftest refuse a file."""
    cmd = node.value.lower()
    upper = cmd.upper()
    args = node.args or []
    if cmd not in _KNOWN:
        raise DockerfileError(f"unknown instruction: {node.value}", node.line)
    if trigger and cmd in ("onbuild", "maintainer", "from"):
        raise DockerfileError(f"{upper} isn't allowed as an ONBUILD trigger", node.line)
    _check_flags(node, cmd)
    if cmd == "onbuild":
        if node.sub is None:
            raise DockerfileError("ONBUILD requires at least one argument", node.line)
        check(node.sub, trigger=True)
        return
    exactly_one = ("maintainer", "stopsignal", "user", "workdir")
    at_least_one = ("env", "label", "arg", "expose", "volume", "shell")
    if cmd in exactly_one and len(args) != 1:
        raise DockerfileError(f"{upper} requires exactly one argument", node.line)
    if cmd in at_least_one and not args:
        raise DockerfileError(f"{upper} requires at least one argument", node.line)
    if cmd in ("add", "copy") and len(args) < 2:
        if not args:
            raise DockerfileError(f"{upper} requires at least two arguments", node.line)
        raise DockerfileError(
            f"{upper} requires at least two arguments, but only one was provided. Destination could not be "
            "determined",
            node.line,
        )
    if cmd == "from":
        if len(args) not in (1, 3):
            raise DockerfileError("FROM requires either one or three arguments", node.line)
        if len(args) == 3 and args[1].lower() != "as":
            raise DockerfileError("Third argument to FROM must be AS", node.line)
    if cmd == "shell" and not node.json:
        raise DockerfileError("SHELL requires the arguments to be in JSON form", node.line)
    if cmd == "volume" and any(not v.strip() for v in args):
        raise DockerfileError("VOLUME specified can not be an empty string", node.line)
    if cmd == "healthcheck" and args:
        kind = args[0].upper()
        if kind == "NONE" and len(args) > 1:
            raise DockerfileError("HEALTHCHECK NONE takes no arguments", node.line)
        if kind == "CMD" and len(args) < 2:
            raise DockerfileError("Missing command after HEALTHCHECK CMD", node.line)
        if kind not in ("NONE", "CMD"):
            raise DockerfileError(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)', node.line)


def _check_flags(node: Node, cmd: str) -> None:
    allowed = _FLAGS.get(cmd, {})
    seen: set[str] = set()
    for flag in node.flags or []:
        name, has_value, value = flag[2:].partition("=")
        if name not in allowed:
            raise DockerfileError(f"unknown flag: {name}", node.line)
        if (cmd, name) not in _REPEATABLE:
            if name in seen:
                raise DockerfileError(f"Duplicate flag specified: {name}", node.line)
            seen.add(name)
        if not allowed[name] and not has_value:
            raise DockerfileError(f"missing a value on flag: {name}", node.line)
        if allowed[name] and has_value and value.lower() not in ("true", "false"):
            raise DockerfileError(f'expecting boolean value for flag {name}, not: {value}', node.line)
        if cmd == "healthcheck" and name != "retries" and not (value == "0" or _DURATION.match(value)):
            raise DockerfileError(f'time: invalid duration "{value}"', node.line)
        if cmd == "healthcheck" and name == "retries" and not re.fullmatch(r"[-+]?\d+", value):
            raise DockerfileError(f'strconv.ParseInt: parsing "{value}": invalid syntax', node.line)
