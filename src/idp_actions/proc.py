"""The only subprocess wrapper: every external command goes through :func:`run`."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from idp_actions.errors import ProcError, ToolError


@dataclass(frozen=True, kw_only=True)
class Result:
    """The outcome of a finished command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float | None = None,
    check: bool = True,
    ok_codes: Sequence[int] = (0,),
    hint: str | None = None,
    passthrough: bool = False,
) -> Result:
    """Run ``args`` without a shell, capture text output, raise :class:`ProcError` on failure.

    ``passthrough`` lets the command write to this process's own stdout and stderr
    as it runs (a test suite's output belongs in the job log, live); the result's
    ``stdout`` and ``stderr`` are then empty.

    ``ok_codes`` lists exit codes that are not failures (``tofu plan
    -detailed-exitcode`` exits 2 on changes). ``extra_env`` is layered over
    ``env`` (or over ``os.environ`` when ``env`` is None).
    """
    argv = [os.fspath(a) for a in args]
    full_env = dict(os.environ if env is None else env)
    if extra_env:
        full_env.update(extra_env)
    try:
        completed = subprocess.run(
            argv,
            cwd=None if cwd is None else Path(cwd),
            env=full_env,
            input=stdin,
            capture_output=not passthrough,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"`{argv[0]}` was not found",
            hint=hint or "install it (scripts/setup does for development) or put it on PATH",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ProcError(argv, -1, _text(exc.stdout), f"timed out after {timeout}s", hint=hint) from exc
    result = Result(
        args=argv,
        returncode=completed.returncode,
        stdout=completed.stdout or "",
        stderr=completed.stderr or "",
    )
    if check and completed.returncode not in ok_codes:
        raise ProcError(argv, completed.returncode, result.stdout, result.stderr, hint=hint)
    return result


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
