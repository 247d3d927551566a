"""``idp test [PATH]``: run a repository's own tests the way its language expects.

A tree with unresolved conflict markers (which ``idp scaffold update`` commits for
a person to resolve) is refused first. The language is detected from the files at
PATH (or given), then the usual
commands run one after another, each in its own log group with its output live:
see :mod:`idp_actions.ci.detect`. ``--command`` replaces them with one command,
split into words like a shell would but run without one.

Every option falls back to the action input of the same meaning: ``language``,
``test-command``, ``working-directory``. ``--detect`` only reports what it found.

Outputs (in Actions): ``language``, ``version-file`` (what the language's setup
action should read: .python-version, .nvmrc, go.mod; empty when none) and, after
a run, ``result`` (passed or failed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from idp_actions import gha
from idp_actions.errors import IdpError, ProcError


class TestsFailed(IdpError):
    """The project's tests (or their set-up) failed."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp test``."""
    parser.add_argument("path", nargs="?", default=None, help="the project's directory (default: .)")
    parser.add_argument("--language", help="python, node, go or auto (default: auto)")
    parser.add_argument("--command", metavar="CMD", help="run this instead of the detected commands (no shell)")
    parser.add_argument("--detect", action="store_true", help="only detect the language and set outputs")
    parser.add_argument("--python", default="python",
                        help="the interpreter that runs Python projects' tests (default: python on PATH)")


def run(args: argparse.Namespace) -> int:
    """Detect, then run each step; the first failing step fails the command."""
    from idp_actions.ci import conflicts
    from idp_actions.ci.detect import detect, plan

    root = Path(args.path or gha.get_input("working-directory") or ".")
    language = (args.language or gha.get_input("language") or "auto").strip().lower()
    command = args.command if args.command is not None else gha.get_input("test-command")
    project = detect(root, language)
    gha.set_output("language", project.language)
    gha.set_output("version-file", project.version_file)
    print(f"idp test: {root} is a {project.language} project ({', '.join(project.markers)})")
    if args.detect:
        return 0
    conflicts.check(root)
    test_plan = plan(root, project, command=command, python=args.python)
    rows: list[tuple[str, str, str, float]] = []
    failure: TestsFailed | None = None
    for step in test_plan.steps:
        started = time.monotonic()
        with gha.group(f"{step.name}: {step.shown()}"):
            sys.stdout.flush()
            try:
                from idp_actions import proc

                proc.run(step.argv, cwd=root, extra_env=step.env, passthrough=True,
                         hint="install it on the runner (the language's setup action) or set `test-command`")
                outcome = "passed"
            except ProcError as exc:
                outcome = f"failed (exit {exc.returncode})"
                failure = TestsFailed(
                    f"{step.name} failed with exit code {exc.returncode}: `{step.shown()}`",
                    hint="the output above says why; run the same command locally to reproduce",
                )
        rows.append((step.name, step.shown(), outcome, time.monotonic() - started))
        if failure:
            break
    gha.set_output("result", "failed" if failure else "passed")
    gha.write_summary(_summary(project.language, rows, failed=failure is not None))
    if failure:
        raise failure
    print(f"idp test: {len(rows)} step(s) passed")
    return 0


def _summary(language: str, rows: list[tuple[str, str, str, float]], *, failed: bool) -> str:
    head = "❌ Tests failed" if failed else "✅ Tests passed"
    lines = [f"### {head} ({language})", "", "| step | command | result | time |", "|---|---|---|---|"]
    for name, shown, outcome, seconds in rows:
        command = shown.replace("|", "\\|").replace("`", "'")
        lines.append(f"| {name} | `{command}` | {outcome} | {seconds:.1f} s |")
    return "\n".join(lines) + "\n"
