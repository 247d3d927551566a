"""The adapter around the ``tofu`` or ``terraform`` binary: init, workspace, plan, show, apply, unlock.

Every call goes through :func:`idp_actions.proc.run` (never a shell), always
non-interactive (``-input=false``, ``TF_IN_AUTOMATION``, ``TF_INPUT=0``) and without
colour, with ``CHECKPOINT_DISABLE=1``. A long command prints a status line every
``progress_every`` seconds so a job log never goes quiet. A failure raises
:class:`TerraformError` carrying the tool's diagnostics (file and line, for
annotations), or :class:`StateLocked` with the lock's ID when the state is locked.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions import proc, tools
from idp_actions.errors import IdpError, ToolError, UsageError
from idp_actions.terraform.diagnostics import Diagnostic, LockInfo, parse, parse_lock

BINARIES = ("tofu", "terraform")
_SECRET_KEYS = re.compile(r"(password|token|secret|access_key|credentials|sas|private_key)", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*=")


@dataclass(frozen=True, kw_only=True)
class Tool:
    """The binary to run: ``name`` is ``tofu`` or ``terraform``; ``version`` empty until known."""

    name: str
    path: str
    version: str = ""

    @property
    def label(self) -> str:
        """``tofu 1.12.6`` (as plan records name it; a source build's ``-dev`` is dropped)."""
        return f"{self.name} {self.version.split('-', 1)[0]}".strip()

    def with_version(self, version: str) -> Tool:
        """The same tool with its version known."""
        return Tool(name=self.name, path=self.path, version=version)


def find_tool(binary: str, *, probe: bool = True, environ: Mapping[str, str] | None = None) -> Tool:
    """The ``tofu`` or ``terraform`` binary; clear errors for an unknown name or a missing tool.

    With ``probe`` it is asked for its version, which must be a supported one. Without,
    nothing runs (``tofu version`` costs a process start): the version is then read
    from the plan it makes (``terraform_version``) and checked by :func:`check_minimum`.
    """
    if binary not in BINARIES:
        raise UsageError(
            f"unknown binary {binary!r}: idp terraform runs `tofu` (OpenTofu) or `terraform`",
            hint="set `terraform.binary` in .github/idp.yaml (or --binary / input `binary`) to tofu or terraform",
        )
    if not probe:
        return Tool(name=binary, path=tools.find(binary, environ=environ))
    found = tools.require(binary, environ=environ)
    assert found.path is not None and found.version is not None
    return Tool(name=binary, path=str(found.path), version=found.version)


def check_minimum(tool: Tool) -> None:
    """Raise :class:`~idp_actions.errors.ToolError` when ``tool``'s version is older than idp supports."""
    minimum = tools.spec(tool.name).minimum
    if tool.version and tools.version_key(tool.version) < tools.version_key(minimum):
        raise ToolError(
            f"`{tool.name}` {tool.version} is older than {minimum}, the oldest idp-actions supports",
            hint=f"install a newer {tool.name} (idp tools install {tool.name}) or point IDP_{tool.name.upper()} at one",
        )


class TerraformError(IdpError):
    """The tool failed; ``diagnostics`` hold its errors with file and line where it said."""

    def __init__(
        self,
        *,
        tool: str,
        step: str,
        root: str,
        returncode: int,
        output: str,
        diagnostics: Sequence[Diagnostic],
        hint: str | None = None,
    ) -> None:
        self.tool = tool
        self.step = step
        self.root = root
        self.returncode = returncode
        self.output = output
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if errors:
            listed = "\n".join(
                f"  - {d.summary}" + (f" ({d.located(root)}:{d.line})" if d.located(root) and d.line else "")
                for d in errors[:10]
            )
            detail = f":\n{listed}"
        else:
            tail = [line for line in output.strip().splitlines() if line.strip()][-10:]
            detail = ":\n" + "\n".join(f"    {line}" for line in tail) if tail else ""
        super().__init__(f"`{tool} {step}` failed in {root} (exit {returncode}){detail}", hint=hint)


class StateLocked(TerraformError):
    """The state is locked by another run (or one that was killed): ``lock`` says by whom."""

    def __init__(self, *, lock: LockInfo, **kwargs: Any) -> None:
        self.lock = lock
        super().__init__(**kwargs)
        who = f" by {lock.who}" if lock.who else ""
        since = f" since {lock.created}" if lock.created else ""
        operation = f" ({lock.operation})" if lock.operation else ""
        self.message = f"the state of {self.root} is locked{who}{since}{operation}; lock ID {lock.id or 'unknown'}"


@dataclass(frozen=True, kw_only=True)
class PlanRun:
    """A finished ``plan -out``: the plan file, the tool's text and whether it reported changes."""

    planfile: Path
    text: str
    changes: bool


class Runner:
    """Runs one tool in one root directory (see the module docstring)."""

    def __init__(
        self,
        tool: Tool,
        root_dir: Path,
        *,
        display_root: str,
        environ: Mapping[str, str] | None = None,
        progress_every: float = 30.0,
        timeout: float | None = None,
    ) -> None:
        self.tool = tool
        self.root_dir = root_dir
        self.display_root = display_root
        base = dict(os.environ if environ is None else environ)
        base.pop("TF_WORKSPACE", None)  # the workspace is selected explicitly
        base.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
        self.env = base
        self.progress_every = progress_every
        self.timeout = timeout

    # ---------------------------------------------------------------- running

    def run(self, args: Sequence[str], *, step: str, ok_codes: Sequence[int] = (0,)) -> proc.Result:
        """Run the tool with ``args`` in the root; raise :class:`TerraformError` unless it exits in ``ok_codes``."""
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="idp-terraform") as pool:
            future = pool.submit(
                proc.run,
                [self.tool.path, *args],
                cwd=self.root_dir,
                env=self.env,
                timeout=self.timeout,
                check=False,
            )
            while True:
                try:
                    result = future.result(timeout=self.progress_every)
                    break
                except FutureTimeout:
                    elapsed = time.monotonic() - start
                    print(
                        f"idp: `{self.tool.name} {step}` in {self.display_root} still running ({elapsed:.0f}s)",
                        file=sys.stderr,
                        flush=True,
                    )
        if result.returncode not in ok_codes:
            self._fail(step, result)
        return result

    def _fail(self, step: str, result: proc.Result) -> None:
        output = f"{result.stderr}\n{result.stdout}"
        diagnostics = parse(output)
        lock = parse_lock(output)
        common: dict[str, Any] = {
            "tool": self.tool.name,
            "step": step,
            "root": self.display_root,
            "returncode": result.returncode,
            "output": output,
            "diagnostics": diagnostics,
        }
        if lock is not None:
            raise StateLocked(
                lock=lock,
                hint=(
                    f"if no other run holds it (a killed run leaves its lock behind), release it with "
                    f"`idp terraform unlock --root {self.display_root} --lock-id {lock.id}`"
                    if lock.id
                    else "wait for the other run to finish, then run again"
                ),
                **common,
            )
        raise TerraformError(**common)

    # ------------------------------------------------------------- commands

    def init(self, backend_config: Sequence[str] = ()) -> None:
        """``init`` with ``-backend-config`` values (files relative to the root, or ``key=value``)."""
        args = ["init", "-input=false", "-no-color", "-reconfigure"]
        for item in backend_config:
            if not _KEY_VALUE.match(item) and not (self.root_dir / item).is_file():
                raise UsageError(
                    f"backend config file {item!r} does not exist (looked in {self.display_root}/)",
                    hint="backend-config entries are files relative to the root, or `key=value`",
                )
            args.append(f"-backend-config={item}")
        self.run(args, step="init")

    def select_workspace(self, workspace: str) -> None:
        """Select ``workspace``, creating it when it does not exist yet; ``default`` always exists."""
        if workspace == "default" and not (self.root_dir / ".terraform" / "environment").is_file():
            return
        self.run(["workspace", "select", "-or-create=true", "-no-color", workspace], step="workspace select")

    def plan(
        self,
        planfile: Path,
        *,
        var_files: Sequence[str] = (),
        variables: Sequence[str] = (),
        destroy: bool = False,
        lock_timeout: str = "0s",
        refresh_only: bool = False,
    ) -> PlanRun:
        """``plan -out`` with ``-detailed-exitcode``; the returned text is the tool's own rendering."""
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-lock-timeout={lock_timeout}",
                f"-out={planfile}"]
        if destroy:
            args.append("-destroy")
        if refresh_only:
            args.append("-refresh-only")
        args += [f"-var-file={item}" for item in var_files]
        for item in variables:
            args += ["-var", item]
        result = self.run(args, step="plan", ok_codes=(0, 2))
        return PlanRun(planfile=planfile, text=result.stdout, changes=result.returncode == 2)

    def show_json(self, planfile: Path) -> str:
        """``show -json`` of a saved plan (the JSON may hold secrets: keep it out of logs)."""
        return self.run(["show", "-json", "-no-color", str(planfile)], step="show -json").stdout

    def apply(self, planfile: Path, *, lock_timeout: str = "0s") -> str:
        """``apply`` exactly ``planfile``; returns the tool's output."""
        result = self.run(
            ["apply", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}", str(planfile)],
            step="apply",
        )
        return result.stdout

    def force_unlock(self, lock_id: str) -> str:
        """``force-unlock -force`` the lock with ``lock_id``."""
        return self.run(["force-unlock", "-force", "-no-color", lock_id], step="force-unlock").stdout

    # ---------------------------------------------------------- fingerprint

    def backend(self) -> dict[str, Any]:
        """The backend ``init`` configured (type and settings, secret-looking settings dropped)."""
        data_dir = Path(self.env.get("TF_DATA_DIR") or ".terraform")
        state = (data_dir if data_dir.is_absolute() else self.root_dir / data_dir) / "terraform.tfstate"
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"type": "unknown"}
        backend = data.get("backend") if isinstance(data, dict) else None
        if not isinstance(backend, dict):
            return {"type": "local", "config": {}}  # no backend block: the implicit local backend
        raw = backend.get("config")
        config: dict[str, Any] = raw if isinstance(raw, dict) else {}
        kept = {k: v for k, v in sorted(config.items()) if not _SECRET_KEYS.search(k)}
        return {"type": backend.get("type"), "config": kept}
