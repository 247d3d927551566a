"""A Dockerfile read into a build plan, without a container runtime (pure).

The Dockerfile is parsed by the same parser the policy engine uses
(:mod:`idp_actions.policy.dockerfile`), then checked for what a daemonless build
can do, the way ko, jib and apko build images: one stage, files copied in from the
build context, configuration set — never a command run inside the image.

Supported: ``ARG`` (before and after ``FROM``, overridden by build arguments),
``FROM`` (a registry reference by tag or digest, or ``scratch``), ``COPY`` and
``ADD`` of local files and directories (``--chown`` with numeric ids, ``--chmod``,
``--exclude``, ``--link``), ``ENV``, ``WORKDIR``, ``USER``, ``EXPOSE``, ``LABEL``,
``ENTRYPOINT``, ``CMD``, ``HEALTHCHECK``, ``STOPSIGNAL``, ``VOLUME``, ``SHELL``,
``ONBUILD`` (stored as a trigger) and ``MAINTAINER``. Everything else gets an
error naming the line and what to do instead.

The plan keeps instructions after ``FROM`` unexpanded: their variables can come
from the base image's environment, which :mod:`idp_actions.image.recipe` adds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from idp_actions.errors import UsageError
from idp_actions.image.errors import RUNTIME_HINT, DockerfileProblem
from idp_actions.image.reference import Platform, parse_platform
from idp_actions.image.words import ExpansionError, expand
from idp_actions.policy.dockerfile import DockerfileError
from idp_actions.policy.dockerfile import parse as parse_dockerfile

SCRATCH = "scratch"
_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.IGNORECASE)
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
_SUPPORTED_FLAGS = {
    "copy": {"chown", "chmod", "exclude", "link"},
    "add": {"chown", "chmod", "exclude", "link"},
    "from": {"platform"},
    "healthcheck": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
_MULTI_STAGE_HINT = (
    "this builder makes single-stage images: build the artifacts beforehand (in the job) and COPY them "
    "from the build context, or build with docker/build-push-action (service-ci's `builder: docker`)"
)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One instruction after ``FROM``, as parsed (variables not yet expanded)."""

    cmd: str
    args: tuple[str, ...]
    flags: tuple[str, ...]
    json: bool
    line: int
    text: str
    sub_cmd: str = ""

    def flag(self, name: str) -> list[str]:
        """The values of ``--name=value`` flags, in order."""
        prefix = f"--{name}="
        values = [f.removeprefix(prefix) for f in self.flags if f.startswith(prefix)]
        return values + ["true" for f in self.flags if f == f"--{name}"]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What to build: the base, the platform and the instructions after ``FROM``."""

    file: str
    base: str | None
    base_line: int
    platform: Platform | None
    steps: tuple[Step, ...]
    #: the values build arguments give the stage's ``ARG``s, and those of global ``ARG``s
    build_args: Mapping[str, str] = field(default_factory=dict)
    global_args: Mapping[str, str] = field(default_factory=dict)
    escape: str = "\\"
    unused_build_args: tuple[str, ...] = ()


def automatic_args(platform: Platform) -> dict[str, str]:
    """BuildKit's automatic platform arguments (``TARGETARCH`` …), for this build's platform."""
    values = {
        "TARGETPLATFORM": str(platform),
        "TARGETOS": platform.os,
        "TARGETARCH": platform.architecture,
        "TARGETVARIANT": platform.variant or "",
    }
    values.update({name.replace("TARGET", "BUILD", 1): value for name, value in values.items()})
    return values


def plan(text: str, *, file: str = "Dockerfile", build_args: Mapping[str, str] | None = None,
         platform: Platform | None = None) -> Plan:
    """Read ``text`` (the Dockerfile named ``file`` in messages) into a :class:`Plan`.

    ``platform`` is the build's platform when the Dockerfile's ``FROM --platform``
    does not name one; it only feeds the automatic ``TARGET*`` arguments here.
    """
    given = dict(build_args or {})
    try:
        parsed = parse_dockerfile(text)
    except DockerfileError as exc:
        raise DockerfileProblem(f"cannot parse: {exc}", file=file, line=exc.line) from None
    escape = _escape(text)
    steps = [_step(command, line) for command, line in zip(parsed.commands, parsed.lines, strict=True)
             if command["Cmd"] != "comment"]
    froms = [s for s in steps if s.cmd == "from"]
    if not froms:
        raise DockerfileProblem("has no FROM instruction", file=file,
                                hint="start the image with `FROM <base image>` or `FROM scratch`")
    if len(froms) > 1:
        raise DockerfileProblem(
            f"is a multi-stage build (a second FROM, after line {froms[0].line}), which is not supported",
            file=file, line=froms[1].line, hint=_MULTI_STAGE_HINT)
    start = steps.index(froms[0])
    for step in steps[:start]:
        if step.cmd != "arg":
            raise DockerfileProblem(f"{step.cmd.upper()} before FROM: only ARG may come before FROM",
                                    file=file, line=step.line)
    declared = {_arg_name(word) for s in steps if s.cmd == "arg" for word in s.args}
    build_platform = platform or Platform()
    automatic = automatic_args(build_platform)
    global_args = dict(automatic)
    for step in steps[:start]:
        for word in step.args:
            name, value = _arg(word, global_args, escape, file=file, line=step.line)
            if name in given:
                global_args[name] = given[name]
            elif value is not None:
                global_args[name] = value
            elif name not in automatic:
                global_args.pop(name, None)
    from_step = froms[0]
    for flag in from_step.flags:
        name = flag[2:].partition("=")[0]
        if name not in _SUPPORTED_FLAGS["from"]:
            raise DockerfileProblem(f"FROM --{name} is not supported", file=file, line=from_step.line)
    base = _expand(from_step.args[0], global_args, escape, file=file, line=from_step.line)
    chosen: Platform | None = None
    if from_step.flag("platform"):
        raw = _expand(from_step.flag("platform")[0], global_args, escape, file=file, line=from_step.line)
        try:
            chosen = parse_platform(raw)
        except UsageError as exc:
            raise DockerfileProblem(f"FROM --platform: {exc.message}", file=file, line=from_step.line) from None
    for step in steps[start + 1 :]:
        _check(step, file=file)
    return Plan(
        file=file,
        base=None if base.strip().lower() == SCRATCH else base.strip(),
        base_line=from_step.line,
        platform=chosen,
        steps=tuple(steps[start + 1 :]),
        build_args=given,
        global_args=global_args,
        escape=escape,
        unused_build_args=tuple(sorted(set(given) - declared)),
    )


def _escape(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        found = _ESCAPE_DIRECTIVE.match(stripped)
        if found:
            return found.group(1)
    return "\\"


def _text(command: Mapping[str, Any]) -> str:
    cmd = command["SubCmd"] or command["Cmd"]
    values = list(command["Value"] or [])
    flags = list(command["Flags"] or [])
    if command["Cmd"] in ("env", "label"):
        pairs = [f"{values[i]}{values[i + 2] or ' '}{values[i + 1]}" for i in range(0, len(values) - 2, 3)]
        body = " ".join(pairs)
    elif command["JSON"]:
        if cmd.lower() == "healthcheck":
            body = f"{values[0]} {json.dumps(values[1:])}"
        else:
            body = json.dumps(values)
    else:
        body = " ".join(values)
    text = " ".join([cmd.upper(), *flags, body]).rstrip()
    return f"ONBUILD {text}" if command["SubCmd"] else text


def _step(command: Mapping[str, Any], line: int) -> Step:
    return Step(
        cmd=str(command["Cmd"]),
        args=tuple(command["Value"] or ()),
        flags=tuple(command["Flags"] or ()),
        json=bool(command["JSON"]),
        line=line,
        text=_text(command),
        sub_cmd=str(command["SubCmd"] or "").lower(),
    )


def _arg_name(word: str) -> str:
    return word.split("=", 1)[0]


def _arg(word: str, env: Mapping[str, str], escape: str, *, file: str, line: int) -> tuple[str, str | None]:
    """An ``ARG`` word: its name and (expanded) default, or None when it has none."""
    name, has_default, default = word.partition("=")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise DockerfileProblem(f"ARG name {name!r} is not valid", file=file, line=line)
    return name, _expand(default, env, escape, file=file, line=line) if has_default else None


def _expand(word: str, env: Mapping[str, str], escape: str, *, file: str, line: int) -> str:
    try:
        return expand(word, env, escape=escape)
    except ExpansionError as exc:
        raise DockerfileProblem(str(exc), file=file, line=line) from None


def _check(step: Step, *, file: str) -> None:
    """Refuse what needs a container runtime, another stage, the network, or is not supported."""
    name = step.cmd.upper()
    if step.cmd == "run":
        raise DockerfileProblem(
            f"RUN needs a container runtime, which this builder does not use: `{_short(step.text)}`",
            file=file, line=step.line, hint=RUNTIME_HINT)
    if step.cmd == "onbuild":
        return  # stored as a trigger for images built FROM this one; never run here
    if step.cmd in ("copy", "add"):
        _check_copy(step, file=file)
        return
    allowed = _SUPPORTED_FLAGS.get(step.cmd, set())
    for flag in step.flags:
        flag_name = flag[2:].partition("=")[0]
        if flag_name not in allowed:
            raise DockerfileProblem(f"{name} --{flag_name} is not supported", file=file, line=step.line)


def _check_copy(step: Step, *, file: str) -> None:
    name = step.cmd.upper()
    for flag in step.flags:
        flag_name = flag[2:].partition("=")[0]
        if flag_name == "from":
            raise DockerfileProblem(
                f"{name} --from needs another build stage or image, which this builder does not support",
                file=file, line=step.line, hint=_MULTI_STAGE_HINT)
        if step.cmd == "add" and flag_name in ("checksum", "keep-git-dir", "unpack"):
            raise DockerfileProblem(
                f"ADD --{flag_name} is for downloads and archives, which this builder does not support",
                file=file, line=step.line, hint="download or unpack the files in the job, then COPY them")
        if flag_name not in _SUPPORTED_FLAGS[step.cmd]:
            raise DockerfileProblem(f"{name} --{flag_name} is not supported", file=file, line=step.line,
                                    hint="copy the files without it, or build with docker/build-push-action")
    sources = step.args[:-1]
    for source in sources:
        if source.startswith("<<"):
            raise DockerfileProblem(f"{name} with a heredoc ({source}) is not supported", file=file,
                                    line=step.line, hint="put the file in the build context and COPY it")
        if _URL.match(source):
            raise DockerfileProblem(
                f"{name} of a URL ({source}) is not supported: the build reads only the build context",
                file=file, line=step.line,
                hint="download the file in the job (and check its checksum), then COPY it from the context")


def _short(text: str, limit: int = 80) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
