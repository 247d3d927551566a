"""The real linters — zizmor, actionlint, shellcheck — mapped onto findings.

Each adapter runs its tool once over all the files (never one process per file)
through :mod:`idp_actions.proc`, parses its JSON output and returns findings.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions import proc, tools
from idp_actions.errors import ToolError
from idp_actions.findings import Finding, Severity
from idp_actions.lint.documents import Document
from idp_actions.lint.rules import run_scripts

ZIZMOR_SEVERITY = {"high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW,
                   "informational": Severity.INFO, "unknown": Severity.UNKNOWN}
SHELLCHECK_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "info": Severity.LOW,
                       "style": Severity.LOW}


@dataclass(frozen=True, kw_only=True)
class ZizmorResult:
    """Findings at zizmor's default (regular) persona, and how many more the pedantic one adds."""

    findings: list[Finding]
    pedantic_count: int


def zizmor(root: Path, documents: Sequence[Document]) -> ZizmorResult:
    """Run ``zizmor --offline`` once at the pedantic persona and split the results by persona.

    A ``zizmor.yml`` at the repository root (or under .github/) is honoured.
    """
    if not documents:
        return ZizmorResult(findings=[], pedantic_count=0)
    binary = tools.find("zizmor")
    args: list[str] = [binary, "--offline", "--no-progress", "--format", "json", "--persona", "pedantic"]
    config = next((p for p in (root / "zizmor.yml", root / ".github" / "zizmor.yml") if p.is_file()), None)
    args += ["--config", str(config)] if config else ["--no-config"]
    args += [doc.rel for doc in documents]
    # Offline audits need no token, and zizmor refuses an empty one: never hand it one.
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    # zizmor exits 10-14 when it has findings; anything else non-zero is a failure of the tool.
    result = proc.run(args, cwd=root, env=env, ok_codes=(0, 10, 11, 12, 13, 14))
    try:
        raw: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError(f"zizmor printed output that is not JSON: {exc}") from exc
    findings: list[Finding] = []
    pedantic = 0
    for item in raw:
        if item.get("ignored"):
            continue
        determinations = item.get("determinations", {})
        if determinations.get("persona", "Regular") != "Regular":
            pedantic += 1
            continue
        path, at, annotation = _zizmor_primary(item)
        findings.append(
            Finding(
                tool="zizmor",
                rule_id=item.get("ident", "unknown"),
                severity=ZIZMOR_SEVERITY.get(str(determinations.get("severity", "unknown")).lower(),
                                             Severity.UNKNOWN),
                title=item.get("desc", ""),
                message=f"{item.get('desc', '')}: {annotation}" if annotation else item.get("desc", ""),
                path=path,
                start_line=at,
                end_line=at,
                help_uri=item.get("url"),
            )
        )
    return ZizmorResult(findings=findings, pedantic_count=pedantic)


def _zizmor_primary(item: dict[str, Any]) -> tuple[str, int | None, str]:
    locations = item.get("locations") or [{}]
    primary = next((loc for loc in locations if loc.get("symbolic", {}).get("kind") == "Primary"), locations[0])
    symbolic = primary.get("symbolic", {})
    key = symbolic.get("key", {})
    path = str(key.get("Local", {}).get("verbatim_path", "")).removeprefix("./")
    row = primary.get("concrete", {}).get("location", {}).get("start_point", {}).get("row")
    return path, (row + 1 if isinstance(row, int) else None), str(symbolic.get("annotation", ""))


def actionlint(root: Path, documents: Sequence[Document]) -> list[Finding]:
    """Run actionlint over the workflows (it checks their run: scripts with shellcheck too)."""
    workflows = [doc.rel for doc in documents if doc.kind == "workflow"]
    if not workflows:
        return []
    binary = tools.find("actionlint")
    result = proc.run([binary, "-format", "{{json .}}", *workflows], cwd=root, ok_codes=(0, 1))
    try:
        raw: list[dict[str, Any]] = json.loads(result.stdout or "[]") or []
    except json.JSONDecodeError as exc:
        raise ToolError(f"actionlint printed output that is not JSON: {exc}: {result.stderr.strip()}") from exc
    return [
        Finding(
            tool="actionlint",
            rule_id=item.get("kind", "unknown"),
            severity=Severity.HIGH if item.get("kind") in ("expression", "permissions") else Severity.MEDIUM,
            title=f"actionlint: {item.get('kind', 'unknown')}",
            message=item.get("message", ""),
            path=item.get("filepath", ""),
            start_line=item.get("line"),
            end_line=item.get("line"),
            help_uri="https://github.com/rhysd/actionlint/blob/main/docs/checks.md",
        )
        for item in raw
    ]


def shellcheck(documents: Sequence[Document]) -> list[Finding]:
    """Run shellcheck over the bash/sh ``run:`` scripts of composite actions (actionlint skips these).

    Each script is written to a temporary file with a shebang for its shell;
    findings are mapped back to lines of the action.yml.
    """
    scripts: list[tuple[Document, int, Path]] = []
    with tempfile.TemporaryDirectory(prefix="idp-shellcheck-") as tmp:
        for doc in documents:
            for index, (text, first, shell) in enumerate(run_scripts(doc)):
                script = Path(tmp) / f"{len(scripts)}-{index}.sh"
                script.write_text(f"#!/usr/bin/env {shell}\n{text}", encoding="utf-8")
                scripts.append((doc, first, script))
        if not scripts:
            return []
        binary = tools.find("shellcheck")
        result = proc.run([binary, "-f", "json1", *(str(s) for _, _, s in scripts)], ok_codes=(0, 1))
        by_file = {str(script): (doc, first) for doc, first, script in scripts}
        try:
            comments = json.loads(result.stdout or "{}").get("comments", [])
        except json.JSONDecodeError as exc:
            raise ToolError(f"shellcheck printed output that is not JSON: {exc}") from exc
    findings: list[Finding] = []
    for comment in comments:
        doc, first = by_file[comment["file"]]
        at = first + int(comment["line"]) - 2  # line 1 of the temp file is the shebang
        findings.append(
            Finding(
                tool="shellcheck",
                rule_id=f"SC{comment.get('code')}",
                severity=SHELLCHECK_SEVERITY.get(comment.get("level", ""), Severity.MEDIUM),
                title=f"shellcheck SC{comment.get('code')}",
                message=comment.get("message", ""),
                path=doc.rel,
                start_line=at,
                end_line=at,
                help_uri=f"https://www.shellcheck.net/wiki/SC{comment.get('code')}",
            )
        )
    return findings
