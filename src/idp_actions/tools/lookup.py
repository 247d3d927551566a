"""Finding a tool and checking its version.

``IDP_<TOOL>`` (a path to the binary) wins; then, when this package runs from a
development checkout, the checkout's ``.tools/bin``; then ``PATH``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from idp_actions import proc
from idp_actions.errors import ProcError, ToolError
from idp_actions.tools.registry import parse_version, spec, version_key

#: Set for every version probe: tools that phone home are told not to.
_QUIET_ENV = {
    "CHECKPOINT_DISABLE": "1",
    "SEMGREP_ENABLE_VERSION_CHECK": "0",
    "SEMGREP_SEND_METRICS": "off",
}

_FIX = (
    "locally run scripts/setup (it builds the pinned tools into .tools/bin); on a runner add "
    "`uses: ORG/idp-actions/actions/setup@v1` with `tools: {name}`; or point {env} at the binary"
)


def dev_tools_bin() -> Path | None:
    """``.tools/bin`` of the development checkout this package runs from, if any."""
    root = Path(__file__).resolve().parents[3]  # src/idp_actions/tools/lookup.py → the checkout
    candidate = root / ".tools" / "bin"
    if (root / "pyproject.toml").is_file() and candidate.is_dir():
        return candidate
    return None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def locate(name: str, *, environ: Mapping[str, str] | None = None) -> tuple[Path, str] | None:
    """Where ``name`` is and how it was found (``IDP_OPA``, ``.tools/bin`` or ``PATH``), or None.

    A set ``IDP_<TOOL>`` that does not name an executable raises :class:`ToolError`:
    an explicit override is never silently ignored.
    """
    tool = spec(name)
    env = os.environ if environ is None else environ
    override = env.get(tool.env_var, "").strip()
    if override:
        path = Path(override).expanduser()
        if not _executable(path) and os.sep not in override:
            found = shutil.which(override, path=env.get("PATH"))
            path = Path(found) if found else path
        if not _executable(path):
            raise ToolError(
                f"{tool.env_var} is set to `{override}`, which is not an executable file",
                hint=f"point {tool.env_var} at the `{name}` binary, or unset it to search PATH",
            )
        return path.absolute(), tool.env_var
    dev = dev_tools_bin()
    if dev is not None and _executable(dev / name):
        return dev / name, ".tools/bin"
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found:
        return Path(found), "PATH"
    return None


def find(name: str, *, environ: Mapping[str, str] | None = None) -> str:
    """The path of ``name`` to run, or a :class:`ToolError` saying how to get it.

    Cheap: it does not run the tool. Use :func:`require` to check its version too.
    """
    located = locate(name, environ=environ)
    if located is None:
        tool = spec(name)
        raise ToolError(
            f"`{name}` ({tool.about}) was not found on PATH; idp-actions needs {tool.minimum} or newer",
            hint=_FIX.format(name=name, env=tool.env_var),
        )
    return str(located[0])


@dataclass(frozen=True, kw_only=True)
class Found:
    """What :func:`detect` learnt about one tool. ``path`` is None when it was not found."""

    name: str
    path: Path | None
    version: str | None
    via: str | None
    output: str = ""


def detect(name: str, *, environ: Mapping[str, str] | None = None, timeout: float = 60) -> Found:
    """Find ``name`` and ask it for its version; never raises for a missing tool."""
    located = locate(name, environ=environ)
    if located is None:
        return Found(name=name, path=None, version=None, via=None)
    path, via = located
    tool = spec(name)
    try:
        result = proc.run(
            [path, *tool.version_args],
            env=environ,
            extra_env=_QUIET_ENV,
            timeout=timeout,
            check=False,
        )
    except (ToolError, OSError) as exc:
        return Found(name=name, path=path, version=None, via=via, output=str(exc))
    except ProcError as exc:  # timed out
        return Found(name=name, path=path, version=None, via=via, output=exc.message)
    output = f"{result.stdout}\n{result.stderr}"
    return Found(name=name, path=path, version=parse_version(name, output), via=via, output=output)


def problem(found: Found, *, minimum: str | None = None, exact: str | None = None) -> str | None:
    """Why ``found`` does not satisfy the requirement, or None when it does."""
    if found.path is None:
        return "not found"
    if found.version is None:
        first = next((line.strip() for line in found.output.splitlines() if line.strip()), "")
        return f"found at {found.path}, but its version could not be read (it said: {first[:120]!r})"
    if exact is not None and version_key(found.version) != version_key(exact):
        return f"found {found.version} at {found.path}, but exactly {exact} is needed"
    if minimum is not None and version_key(found.version) < version_key(minimum):
        return f"found {found.version} at {found.path}, but {minimum} or newer is needed"
    return None


def require(
    name: str,
    *,
    minimum: str | None = None,
    exact: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Found:
    """Find ``name`` at a usable version or raise :class:`ToolError` saying what was found and what to do.

    Without ``minimum`` or ``exact`` the registry's minimum applies.
    """
    tool = spec(name)
    if minimum is None and exact is None:
        minimum = tool.minimum
    found = detect(name, environ=environ)
    why = problem(found, minimum=minimum, exact=exact)
    if why is None:
        return found
    needed = f"exactly {exact}" if exact else f"{minimum} or newer"
    raise ToolError(
        f"`{name}` ({tool.about}) is not usable: {why}; idp-actions needs {needed}",
        hint=_FIX.format(name=name, env=tool.env_var),
    )
