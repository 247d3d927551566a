"""A plan evaluated against its base image's configuration: the final config and the layers to make (pure).

Variables expand as in BuildKit: the stage's ``ARG`` values and the environment
(the base image's ``Env`` first, then each ``ENV``), the environment winning.
``ARG`` values never reach the image. The configuration is the base's with each
instruction applied: ``ENV`` replaces a variable in place or appends it, ``LABEL``
adds to the base's labels, ``ENTRYPOINT`` clears a ``CMD`` inherited from the
base, ``WORKDIR`` is relative to the previous one, shell forms run under
``SHELL`` (``/bin/sh -c`` by default). ``FROM scratch`` starts with the usual
``PATH``, as in BuildKit.
"""

from __future__ import annotations

import copy
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from idp_actions.image.errors import DockerfileProblem
from idp_actions.image.plan import Plan, Step
from idp_actions.image.words import ExpansionError, expand

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ("/bin/sh", "-c")
_IDS = re.compile(r"(\d+)(?::(\d+))?")
_MODE = re.compile(r"0?[0-7]{3}")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}
_PORT = re.compile(r"(\d{1,5})(?:-(\d{1,5}))?(?:/(tcp|udp|sctp))?", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class CopyLayer:
    """A ``COPY``/``ADD``: context paths (patterns allowed) into ``dest``, with ownership and mode."""

    instruction: str
    line: int
    sources: tuple[str, ...]
    dest: str
    dest_is_dir: bool
    uid: int = 0
    gid: int = 0
    mode: int | None = None
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DirLayer:
    """A ``WORKDIR`` whose directory this build has not made yet."""

    line: int
    path: str
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True, kw_only=True)
class RecipeStep:
    """One instruction's history entry and, when it changes the filesystem, its layer."""

    created_by: str
    layer: CopyLayer | DirLayer | None = None


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """The final ``config`` object of the image configuration, its author, and the steps in order."""

    config: dict[str, Any]
    author: str | None
    steps: tuple[RecipeStep, ...]


class _State:
    def __init__(self, plan: Plan, base_config: Mapping[str, Any]) -> None:
        self.plan = plan
        self.config: dict[str, Any] = copy.deepcopy(dict(base_config))
        self.env: dict[str, str] = {}
        for item in self.config.get("Env") or []:
            name, _, value = str(item).partition("=")
            self.env[name] = value
        self.args: dict[str, str] = {}
        self.cmd_set = False
        self.author: str | None = None
        self.made: set[str] = {"/"}

    def fail(self, step: Step, message: str, hint: str | None = None) -> DockerfileProblem:
        return DockerfileProblem(message, file=self.plan.file, line=step.line, hint=hint)

    def expand(self, step: Step, word: str) -> str:
        try:
            return expand(word, {**self.args, **self.env}, escape=self.plan.escape)
        except ExpansionError as exc:
            raise self.fail(step, str(exc)) from None

    @property
    def workdir(self) -> str:
        return str(self.config.get("WorkingDir") or "/")

    @property
    def shell(self) -> list[str]:
        return list(self.config.get("Shell") or DEFAULT_SHELL)

    def resolve(self, path: str) -> str:
        joined = posixpath.join(self.workdir, path)
        return posixpath.normpath(joined) if joined != "/" else "/"

    def user_ids(self) -> tuple[int, int]:
        found = _IDS.fullmatch(str(self.config.get("User") or "0"))
        if not found:
            return 0, 0  # a user name: BuildKit would read /etc/passwd; directories stay root's
        uid = int(found.group(1))
        return uid, int(found.group(2)) if found.group(2) else uid


def evaluate(plan: Plan, base_config: Mapping[str, Any] | None) -> Recipe:
    """The configuration and layers ``plan`` gives on top of a base whose ``config`` object is ``base_config``.

    ``base_config`` is None (or empty) for ``FROM scratch``.
    """
    state = _State(plan, base_config or {})
    if plan.base is None:
        state.env["PATH"] = DEFAULT_PATH  # BuildKit starts scratch images with the usual PATH
    triggers = state.config.get("OnBuild") or []
    if triggers:
        raise DockerfileProblem(
            f"the base image {plan.base} has ONBUILD triggers ({'; '.join(map(str, triggers))}), "
            "which this builder does not run",
            file=plan.file, line=plan.base_line,
            hint="use a base image without ONBUILD triggers, or build with docker/build-push-action")
    state.config.pop("OnBuild", None)
    steps: list[RecipeStep] = []
    for step in plan.steps:
        layer = _apply(state, step)
        if step.cmd != "arg":
            steps.append(RecipeStep(created_by=step.text, layer=layer))
    state.config["Env"] = [f"{k}={v}" for k, v in state.env.items()]
    return Recipe(config=state.config, author=state.author, steps=tuple(steps))


def _apply(state: _State, step: Step) -> CopyLayer | DirLayer | None:
    handler = _HANDLERS.get(step.cmd)
    if handler is None:  # the plan refused everything else already
        raise state.fail(step, f"{step.cmd.upper()} is not supported")
    return handler(state, step)


def _arg(state: _State, step: Step) -> None:
    for word in step.args:
        name, has_default, default = word.partition("=")
        if name in state.plan.build_args:
            state.args[name] = state.plan.build_args[name]
        elif has_default:
            state.args[name] = state.expand(step, default)
        elif name in state.plan.global_args:
            state.args[name] = state.plan.global_args[name]


def _pairs(state: _State, step: Step) -> list[tuple[str, str]]:
    values = step.args
    return [(state.expand(step, values[i]), state.expand(step, values[i + 1])) for i in range(0, len(values) - 2, 3)]


def _env(state: _State, step: Step) -> None:
    for name, value in _pairs(state, step):
        if not name:
            raise state.fail(step, "ENV needs a variable name")
        state.env[name] = value  # an existing name keeps its place


def _label(state: _State, step: Step) -> None:
    labels = dict(state.config.get("Labels") or {})
    for name, value in _pairs(state, step):
        labels[name] = value
    state.config["Labels"] = labels


def _user(state: _State, step: Step) -> None:
    user = state.expand(step, step.args[0]).strip()
    if not user:
        raise state.fail(step, "USER needs a user")
    state.config["User"] = user


def _workdir(state: _State, step: Step) -> DirLayer | None:
    path = state.expand(step, step.args[0]).strip()
    if not path:
        raise state.fail(step, "WORKDIR needs a directory")
    state.config["WorkingDir"] = state.resolve(path)
    if state.workdir in state.made:
        return None
    state.made.update(_parents(state.workdir, include_self=True))
    uid, gid = state.user_ids()
    return DirLayer(line=step.line, path=state.workdir, uid=uid, gid=gid)


def _copy(state: _State, step: Step) -> CopyLayer:
    name = step.cmd.upper()
    words = [state.expand(step, w) for w in step.args]
    sources, raw_dest = words[:-1], words[-1]
    uid = gid = 0
    for chown in step.flag("chown")[-1:]:
        value = state.expand(step, chown)
        found = _IDS.fullmatch(value)
        if not found:
            raise state.fail(
                step, f"{name} --chown={value}: only numeric ids are supported (user and group names need the "
                "base image's /etc/passwd and /etc/group)",
                hint="use numeric ids, like --chown=10001:10001 (with `USER 10001:10001`)")
        uid = int(found.group(1))
        gid = int(found.group(2)) if found.group(2) else uid
    mode: int | None = None
    for chmod in step.flag("chmod")[-1:]:
        value = state.expand(step, chmod)
        if not _MODE.fullmatch(value):
            raise state.fail(step, f"{name} --chmod={value}: only octal modes like 755 or 0644 are supported")
        mode = int(value, 8)
    cleaned: list[str] = []
    for source in sources:
        norm = posixpath.normpath(source)
        if norm == ".." or norm.startswith("../"):
            raise state.fail(step, f"{name} source {source!r} is outside the build context",
                             hint="sources are paths inside the build context (--context)")
        cleaned.append(norm.lstrip("/") or ".")
    dest_is_dir = raw_dest.endswith(("/", "/.")) or raw_dest in (".", "..")
    dest = state.resolve(raw_dest)
    dest_is_dir = dest_is_dir or dest in state.made or len(sources) > 1
    if dest_is_dir:
        state.made.update(_parents(dest, include_self=True))
    else:
        state.made.update(_parents(dest, include_self=False))
    return CopyLayer(
        instruction=name,
        line=step.line,
        sources=tuple(cleaned),
        dest=dest,
        dest_is_dir=dest_is_dir,
        uid=uid,
        gid=gid,
        mode=mode,
        excludes=tuple(state.expand(step, e) for e in step.flag("exclude")),
    )


def _command_form(state: _State, step: Step) -> list[str]:
    if step.json:
        return list(step.args)
    return [*state.shell, step.args[0]] if step.args else []


def _cmd(state: _State, step: Step) -> None:
    state.config["Cmd"] = _command_form(state, step)
    state.cmd_set = True


def _entrypoint(state: _State, step: Step) -> None:
    state.config["Entrypoint"] = _command_form(state, step)
    if not state.cmd_set:
        state.config.pop("Cmd", None)  # a CMD inherited from the base would be the new entrypoint's arguments


def _expose(state: _State, step: Step) -> None:
    ports = dict(state.config.get("ExposedPorts") or {})
    for word in step.args:
        value = state.expand(step, word)
        found = _PORT.fullmatch(value)
        if not found:
            raise state.fail(step, f"EXPOSE {value!r} is not a port (PORT[/tcp|udp|sctp] or a range START-END)")
        low = int(found.group(1))
        high = int(found.group(2) or low)
        proto = (found.group(3) or "tcp").lower()
        if not 0 < low <= high <= 65535:
            raise state.fail(step, f"EXPOSE {value!r}: ports are 1 to 65535")
        for port in range(low, high + 1):
            ports[f"{port}/{proto}"] = {}
    state.config["ExposedPorts"] = ports


def _volume(state: _State, step: Step) -> None:
    volumes = dict(state.config.get("Volumes") or {})
    for word in step.args:
        path = state.expand(step, word).strip()
        if not path:
            raise state.fail(step, "VOLUME specified can not be an empty string")
        volumes[path] = {}
    state.config["Volumes"] = volumes


def _stopsignal(state: _State, step: Step) -> None:
    state.config["StopSignal"] = state.expand(step, step.args[0]).strip()


def _shell(state: _State, step: Step) -> None:
    state.config["Shell"] = list(step.args)


def duration(value: str) -> int:
    """A Go duration (``30s``, ``1m30s``, ``500ms``) in nanoseconds; ``ValueError`` when it is not one."""
    text = value.strip()
    if text == "0":
        return 0
    total = 0.0
    position = 0
    for found in _DURATION_PART.finditer(text):
        if found.start() != position:
            break
        total += float(found.group(1)) * _UNITS[found.group(2)]
        position = found.end()
    if position != len(text) or not text:
        raise ValueError(f"not a duration: {value!r}")
    return int(total)


def _healthcheck(state: _State, step: Step) -> None:
    kind = step.args[0].upper()
    if kind == "NONE":
        state.config["Healthcheck"] = {"Test": ["NONE"]}
        return
    test = ["CMD", *step.args[1:]] if step.json else ["CMD-SHELL", step.args[1]]
    check: dict[str, Any] = {"Test": test}
    keys = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
            "start-interval": "StartInterval"}
    for flag, key in keys.items():
        for value in step.flag(flag)[-1:]:
            try:
                nanos = duration(value)
            except ValueError:
                raise state.fail(step, f"HEALTHCHECK --{flag}={value} is not a duration like 30s or 1m30s") from None
            if nanos:
                check[key] = nanos
    for value in step.flag("retries")[-1:]:
        if int(value):
            check["Retries"] = int(value)
    state.config["Healthcheck"] = check


def _onbuild(state: _State, step: Step) -> None:
    triggers = list(state.config.get("OnBuild") or [])
    triggers.append(step.text.removeprefix("ONBUILD "))
    state.config["OnBuild"] = triggers


def _maintainer(state: _State, step: Step) -> None:
    state.author = state.expand(step, step.args[0])


def _parents(path: str, *, include_self: bool) -> set[str]:
    parts = [p for p in path.split("/") if p]
    if not include_self:
        parts = parts[:-1]
    return {"/" + "/".join(parts[: i + 1]) for i in range(len(parts))} | {"/"}


_HANDLERS: dict[str, Callable[[_State, Step], CopyLayer | DirLayer | None]] = {
    "arg": _arg,
    "env": _env,
    "label": _label,
    "user": _user,
    "workdir": _workdir,
    "copy": _copy,
    "add": _copy,
    "cmd": _cmd,
    "entrypoint": _entrypoint,
    "expose": _expose,
    "volume": _volume,
    "stopsignal": _stopsignal,
    "shell": _shell,
    "healthcheck": _healthcheck,
    "onbuild": _onbuild,
    "maintainer": _maintainer,
}
