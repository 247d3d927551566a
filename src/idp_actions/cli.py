"""The ``idp`` command line: the one place that parses arguments and exits.

Commands are imported only when they run, so ``idp --version`` and
``idp --help`` stay fast (see benchmarks/). Each command module exposes
``configure(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from idp_actions import __version__
from idp_actions.errors import REPORT_URL, IdpError, UsageError

# name -> (module, one-line help). Only commands that really work are listed.
COMMANDS: dict[str, tuple[str, str]] = {
    "lint": (
        "idp_actions.commands.lint",
        "check a repository's workflows and actions (zizmor, actionlint, shellcheck, pins, "
        "permissions, timeouts) and its .github/idp.yaml",
    ),
    "config": ("idp_actions.commands.config", "validate or show .github/idp.yaml with its defaults"),
    "tools": ("idp_actions.commands.tools", "list, check or install the pinned external tools"),
    "comment": ("idp_actions.commands.comment", "create or update a sticky pull-request comment"),
    "scan": ("idp_actions.commands.scan", "security scan: Semgrep and Trivy in parallel, gated on severity"),
    "scaffold": (
        "idp_actions.commands.scaffold",
        "create a repository from a template, or update one to a newer version",
    ),
    "promote": ("idp_actions.commands.promote", "promote an image digest by GitOps, verified in Argo CD"),
    "rollback": ("idp_actions.commands.rollback", "put back the digest an environment ran before, recording why"),
    "dora": ("idp_actions.commands.dora", "DORA metrics from GitHub deployments, as JSON or Prometheus text"),
    "policy": ("idp_actions.commands.policy", "check inputs against the policy library, test and bundle policies"),
    "terraform": ("idp_actions.commands.terraform", "plan, apply exactly the reviewed plan, detect drift (OpenTofu)"),
    "image": ("idp_actions.commands.image", "build a container image without Docker and push it by digest"),
    "test": ("idp_actions.commands.test", "run a repository's own tests: python, node or go, detected"),
}


class CommandModule(Protocol):
    """What every module in :data:`COMMANDS` provides."""

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's arguments to ``parser``."""

    def run(self, args: argparse.Namespace) -> int:
        """Run the command and return its exit code."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"run `{self.prog} --help` for usage")


def _build_parser(selected: str | None) -> tuple[argparse.ArgumentParser, CommandModule | None]:
    parser = _Parser(
        prog="idp",
        description="idp-actions: scaffold, scan, policy-check, plan and apply, and promote "
        "services the same way in GitHub Actions and on a laptop.",
    )
    parser.add_argument("--version", action="version", version=f"idp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    module: CommandModule | None = None
    for name, (module_name, help_text) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            module = cast(CommandModule, importlib.import_module(module_name))
            module.configure(child)
    return parser, module


def _selected_command(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``idp`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser, module = _build_parser(_selected_command(argv))
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help and --version print, then "exit" 0
            return done.code if isinstance(done.code, int) else 0
        if module is None:
            parser.print_help()
            return 0 if not argv else 1
        return module.run(args)
    except IdpError as exc:
        _report_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print("idp: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        _report_error(
            f"internal error: {type(exc).__name__}: {exc}\n"
            f"  This is a bug in idp-actions. Please report it at {REPORT_URL}\n"
            "  with the output of the same command run with IDP_DEBUG=1."
        )
        if os.environ.get("IDP_DEBUG"):
            import traceback

            traceback.print_exc()
        return 3


def _report_error(message: str) -> None:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from idp_actions import gha

        gha.error(message)
        return
    print(f"idp: error: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
