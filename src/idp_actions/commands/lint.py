"""``idp lint``: the workflow and action hygiene gate, plus ``.github/idp.yaml`` validation."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idp_actions.findings import Finding


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp lint``."""
    parser.add_argument("path", nargs="?", default=".", help="repository root to check (default: .)")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files whose path relative to PATH matches GLOB (repeatable)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("zizmor", "actionlint", "shellcheck", "config"),
        help="leave one check out (repeatable); the rules of idp itself always run",
    )
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of standard output")


def suite_repositories(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The suite's own repositories: upstream, and the fork or mirror idp was installed from.

    actions/setup records the latter (``github.action_repository``) as ``IDP_SUITE_REPOSITORY``
    in its launcher, so a fork's release-tag references are checked like upstream's.
    """
    names = ["idp-actions/idp-actions"]
    fork = environ.get("IDP_SUITE_REPOSITORY", "").strip()
    if fork and fork.count("/") == 1 and fork.lower() not in names:
        names.append(fork)
    return tuple(names)


def run(args: argparse.Namespace) -> int:
    """Check every workflow and action under PATH; exit 1 when anything is found."""
    from idp_actions import gha
    from idp_actions.findings import summary_markdown
    from idp_actions.lint import documents, external, rules

    root = Path(args.path).resolve()
    docs = documents.discover(root, exclude=args.exclude)
    findings: list[Finding] = []
    notes: list[str] = []
    with gha.group(f"idp rules over {len(docs)} workflow and action files"):
        findings += rules.check(docs, self_repos=suite_repositories(os.environ))
    parsed = [doc for doc in docs if doc.root is not None]
    if "zizmor" not in args.skip:
        with gha.group("zizmor --offline"):
            z = external.zizmor(root, parsed)
            findings += z.findings
            notes.append(f"zizmor: {len(z.findings)} findings at the default persona, "
                         f"{z.pedantic_count} more at the pedantic persona (not gating)")
    if "actionlint" not in args.skip:
        with gha.group("actionlint"):
            findings += external.actionlint(root, parsed)
    if "shellcheck" not in args.skip:
        with gha.group("shellcheck over composite actions' run: scripts"):
            findings += external.shellcheck(parsed)
    if "config" not in args.skip:
        findings += _config_findings(root)

    findings.sort(key=lambda f: (f.path, f.start_line or 0, f.tool, f.rule_id))
    report = _render(args.format, findings, len(docs))
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    for note in notes:
        print(note, file=sys.stderr)
    if gha.in_actions():
        for finding in findings:
            gha.error(f"[{finding.tool}/{finding.rule_id}] {finding.message}",
                      file=finding.path, line=finding.start_line, title=finding.title)
    gha.write_summary(summary_markdown(findings, title=f"idp lint — {len(docs)} files"))
    gha.set_output("findings", len(findings))
    return 1 if findings else 0


def _config_findings(root: Path) -> list[Finding]:
    from idp_actions.config import load_config
    from idp_actions.errors import ConfigError
    from idp_actions.findings import Finding, Severity

    try:
        load_config(root)
    except ConfigError as exc:
        return [
            Finding(
                tool="idp-config",
                rule_id="invalid-config",
                severity=Severity.HIGH,
                title=".github/idp.yaml is invalid",
                message=str(exc),
                path=str(exc.file or ".github/idp.yaml"),
                start_line=exc.line,
                end_line=exc.line,
            )
        ]
    return []


def _render(fmt: str, items: list[Finding], files: int) -> str:
    from idp_actions.findings import to_sarif

    if fmt == "json":
        return json.dumps([f.to_dict() for f in items], indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(to_sarif(items, category="idp-lint"), indent=2) + "\n"
    lines = [
        f"{f.path}:{f.start_line or 0}: {f.severity.name.lower()}: [{f.tool}/{f.rule_id}] {f.message}"
        for f in items
    ]
    verdict = f"{len(items)} problem(s) in {files} workflow and action files" if items else (
        f"ok: {files} workflow and action files, no problems"
    )
    return "\n".join([*lines, verdict]) + "\n"
