"""The policy gate: a plan's JSON goes through ``idp policy check``; a deny blocks the apply.

INTEGRATION POINT (policy engine). The engine (``src/idp_actions/policy/``,
``idp policy check``) is written separately. This module depends on nothing but
its command line: it runs ``idp policy check --format json <plan.json>`` as a
subprocess of our own CLI (same interpreter, ``python -m idp_actions``) and reads
the exit code — 0 pass (``warn`` when the report counts warnings), 1 deny,
anything else an error — and the JSON report (``summary``, ``violations``), from
which it writes one line per violation for the comment. While ``policy`` is not a
registered command, ``mode="auto"`` records ``skipped`` and ``mode="on"`` fails.
Replace the subprocess with the engine's Python API once it publishes a stable one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from idp_actions import proc
from idp_actions.errors import ToolError, UsageError
from idp_actions.terraform.render import PolicyOutcome

MODES = ("auto", "on", "off")


def available() -> bool:
    """True when this idp has the ``policy`` command."""
    from idp_actions.cli import COMMANDS

    return "policy" in COMMANDS


def check_plan(
    plan_json: Path, *, mode: str = "auto", cwd: Path | None = None, timeout: float = 600
) -> PolicyOutcome | None:
    """Run the policy check over ``plan_json`` in ``cwd`` (the repository: its idp.yaml); None when ``off``."""
    if mode not in MODES:
        raise UsageError(f"policy mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "off":
        return None
    if not available():
        if mode == "on":
            raise ToolError(
                "the policy check was required (policy: on) but this idp has no `idp policy check`",
                hint="use a release of idp-actions that includes the policy engine, or set policy: auto",
            )
        return PolicyOutcome(status="skipped")
    result = proc.run(
        [sys.executable, "-m", "idp_actions", "policy", "check", "--format", "json", str(plan_json)],
        cwd=cwd,
        check=False,
        timeout=timeout,
        extra_env={"GITHUB_ACTIONS": ""},  # the report comes back to us; annotations would repeat it
    )
    report = _report(result.stdout)
    if report is None or result.returncode not in (0, 1):
        text = "\n".join(part.strip() for part in (result.stderr, result.stdout) if part.strip())
        return PolicyOutcome(status="error", report=text or f"`idp policy check` exited with {result.returncode}")
    lines, warnings = report
    if result.returncode == 1:
        return PolicyOutcome(status="deny", report=lines)
    return PolicyOutcome(status="warn" if warnings else "pass", report=lines)


def _report(stdout: str) -> tuple[str, int] | None:
    """One line per violation and the number of warnings, from the JSON report; None if unreadable."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        return None
    lines = []
    for item in data.get("violations") or []:
        if isinstance(item, dict):
            where = item.get("address") or item.get("path") or ""
            kind, policy = item.get("enforcement", "?"), item.get("policy", "?")
            lines.append(f"{kind} [{policy}] {where}: {item.get('message', '')}")
    summary = data["summary"]
    lines.append(
        f"{summary.get('deny', 0)} denied, {summary.get('warn', 0)} warnings, "
        f"{summary.get('excepted', 0)} excepted ({', '.join(map(str, data.get('sets') or [])) or 'no set'})"
    )
    return "\n".join(lines), int(summary.get("warn", 0) or 0)
