"""The adapter that runs real OPA: one ``opa eval`` over one prepared bundle per kind of input.

A :class:`Bundle` is a directory of Rego modules plus one ``data.json``; its
``.manifest`` declares Rego v1 and lists the modules that are v0 (legacy
Gatekeeper templates), so both load in one evaluation. Every module remembers
its source (file and first line), so an error OPA reports in the bundle names the
line in the caller's file: a template's YAML, a policy's ``.rego``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp_actions import proc, tools
from idp_actions.errors import IdpError, ProcError
from idp_actions.policy.gatekeeper import PolicyError

_COMPILE_CODES = ("rego_parse_error", "rego_compile_error", "rego_type_error", "rego_unsafe_var_error",
                  "rego_recursion_error")


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a bundle module came from: the file people edit and the line its first line is on."""

    file: str
    first_line: int = 1


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One error OPA reported, located in the caller's file."""

    code: str
    message: str
    file: str | None
    line: int | None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else f"{self.file}: " if self.file else ""
        return f"{where}{self.message} ({self.code})"


class EvalError(IdpError):
    """OPA failed while evaluating (a conflict, a builtin error): ``problems`` say where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems) or "opa eval failed")
        self.problems = problems


@dataclass
class Bundle:
    """Rego modules and data, written to a temporary directory for ``opa eval -b``."""

    modules: dict[str, tuple[str, int, Source]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, text: str, *, source: Source, version: int = 1) -> None:
        """Add a module at ``name`` (a relative path ending in ``.rego``)."""
        self.modules[name] = (text, version, source)

    def write(self, directory: Path) -> None:
        """Write the modules, ``data.json`` and ``.manifest`` into ``directory``."""
        versions = {f"/{name}": 0 for name, (_, version, _) in self.modules.items() if version == 0}
        manifest: dict[str, Any] = {"rego_version": 1}
        if versions:
            manifest["file_rego_versions"] = versions
        (directory / ".manifest").write_text(json.dumps(manifest), encoding="utf-8")
        for name, (text, _, _) in self.modules.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if self.data:
            with (directory / "data.json").open("w", encoding="utf-8") as handle:
                json.dump(self.data, handle, separators=(",", ":"))

    def locate(self, directory: Path, file: str | None, row: int | None) -> tuple[str | None, int | None]:
        """The caller's file and line for an OPA error location inside the written bundle."""
        if not file:
            return None, row
        prefix = str(directory).rstrip(os.sep) + os.sep
        relative = file[len(prefix):] if file.startswith(prefix) else file.lstrip("/")
        entry = self.modules.get(relative.replace(os.sep, "/"))
        if entry is None:
            return file, row
        source = entry[2]
        return source.file, (source.first_line + row - 1) if row else source.first_line


def opa_binary() -> str:
    """The ``opa`` to run (``IDP_OPA``, ``.tools/bin`` or PATH)."""
    return tools.find("opa")


def evaluate(
    bundle: Bundle,
    query: str,
    *,
    opa: str | None = None,
    timeout: float = 600,
    input_document: Any = None,
) -> Any:
    """Evaluate ``query`` over ``bundle`` with one ``opa eval``; the value of its single expression.

    ``input_document``, when given, is passed as the real ``input`` (``--input``).
    Compile errors raise :class:`PolicyError` naming the caller's file and line;
    evaluation errors raise :class:`EvalError`.
    """
    binary = opa or opa_binary()
    directory = Path(tempfile.mkdtemp(prefix="idp-opa-"))
    try:
        bundle_dir = directory / "bundle"
        bundle_dir.mkdir()
        bundle.write(bundle_dir)
        extra: list[str] = []
        if input_document is not None:
            (directory / "input.json").write_text(json.dumps(input_document), encoding="utf-8")
            extra = ["--input", str(directory / "input.json")]
        try:
            result = proc.run(
                [binary, "eval", "--bundle", str(bundle_dir), *extra, "--format", "json", query],
                timeout=timeout,
                check=False,
            )
        except ProcError as exc:  # timed out
            raise IdpError(f"opa eval did not finish: {exc.message}") from None
        output = _json(result.stdout)
        if result.returncode != 0 or "errors" in output:
            raise _failure(bundle, bundle_dir, output, result)
        expressions = (output.get("result") or [{}])[0].get("expressions") or [{}]
        return expressions[0].get("value")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_LOADING = re.compile(r"(?P<file>[^\s:]+\.rego):(?P<row>\d+): (?P<code>rego_\w+): (?P<message>[^\n]*)")


def _failure(bundle: Bundle, directory: Path, output: dict[str, Any], result: proc.Result) -> IdpError:
    problems = []
    for error in output.get("errors") or []:
        if "location" not in error and "code" not in error:
            # A bundle that does not load reports its parse errors inside one message.
            for found in _LOADING.finditer(str(error.get("message", ""))):
                file, line = bundle.locate(directory, found.group("file"), int(found.group("row")))
                problems.append(Problem(code=found.group("code"), message=found.group("message"), file=file,
                                        line=line))
            if problems:
                continue
        location = error.get("location") or {}
        file, line = bundle.locate(directory, location.get("file"), location.get("row"))
        problems.append(
            Problem(code=str(error.get("code", "")), message=str(error.get("message", "")), file=file, line=line)
        )
    if not problems:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        return IdpError(f"opa eval exited with code {result.returncode}: {detail}")
    if any(p.code in _COMPILE_CODES for p in problems):
        first = next(p for p in problems if p.code in _COMPILE_CODES)
        others = [str(p) for p in problems if p is not first]
        message = f"Rego {first.code.removeprefix('rego_').replace('_', ' ')}: {first.message}"
        if others:
            message += "\n  " + "\n  ".join(others)
        return PolicyError(message, file=first.file, line=first.line,
                           hint="fix the policy; `idp policy test DIR` runs opa check and the policy's tests")
    return EvalError(problems)
