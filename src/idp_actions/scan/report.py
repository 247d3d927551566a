"""What a scan tells people and machines: SARIF, JSON, the step summary, the PR comment, annotations.

All of it is rendered from the same :class:`ScanResult`; nothing here runs a tool.
SARIF comes from :func:`idp_actions.findings.to_sarif` (one run per tool, each with
its own category, ``partialFingerprints``, GitHub's result limit); this module only
marks findings silenced in the source as ``inSource`` suppressions and checks the
upload size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from idp_actions.findings import (
    FINGERPRINT_KEY,
    Finding,
    Severity,
    ToolInfo,
    check_sarif_size,
    counts_by_severity,
    md_escape,
    summary_markdown,
    to_sarif,
)
from idp_actions.scan.gate import Verdict
from idp_actions.scan.outcome import ToolRun

COMMENT_PURPOSE = "security-scan"
#: Annotations per run: GitHub shows 10 errors and 10 warnings per step, 50 per job.
MAX_ANNOTATIONS = 50
REPORT_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    """Everything one scan found and decided."""

    runs: tuple[ToolRun, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    category: str
    notes: tuple[str, ...] = ()
    base: str | None = None
    new: frozenset[str] = field(default_factory=frozenset)

    @property
    def inline_suppressed(self) -> frozenset[str]:
        """Fingerprints of findings silenced by comments in the source."""
        return frozenset().union(*(run.inline_suppressed for run in self.runs)) if self.runs else frozenset()


# ------------------------------------------------------------------ SARIF


def sarif(result: ScanResult, *, prefix: str = "") -> dict[str, Any]:
    """The SARIF log: one run per tool (every tool that ran, even without findings), within GitHub's limits.

    ``prefix`` is the scanned folder relative to the repository root (``services/web/``),
    so that locations are repository paths, as code scanning expects.
    """
    tools: dict[str, ToolInfo] = {run.tool: run.info for run in result.runs}
    findings = result.findings
    if prefix:
        findings = tuple(replace(f, path=prefix + f.path) if f.path and not f.path.startswith("/") else f
                         for f in findings)
    log = to_sarif(findings, tools, category=result.category)
    inline = result.inline_suppressed
    for run in log["runs"]:
        for item in run["results"]:
            if item.get("suppressions") and item["partialFingerprints"].get(FINGERPRINT_KEY) in inline:
                item["suppressions"] = [{"kind": "inSource", "justification": item["suppressions"][0]["justification"]}]
    check_sarif_size(log)
    return log


# ------------------------------------------------------------------- JSON


def json_report(result: ScanResult) -> dict[str, Any]:
    """The machine-readable report: verdict, tools and every finding with its gate status."""
    failing = {f.fingerprint for f in result.verdict.failing}
    return {
        "version": REPORT_VERSION,
        "passed": result.verdict.passed,
        "verdict": result.verdict.headline,
        "threshold": result.verdict.threshold.name,
        "mode": "pull-request" if result.base else "full",
        "base": result.base,
        "counts": {s.name: n for s, n in counts_by_severity(result.findings).items()},
        "tools": [
            {"tool": run.tool, "name": run.info.name, "version": run.info.version, "target": run.target,
             "findings": len(run.findings), "seconds": round(run.seconds, 2), "notes": list(run.notes)}
            for run in result.runs
        ],
        "notes": list(result.notes),
        "findings": [
            {**f.to_dict(), "failing": f.fingerprint in failing,
             "new": f.fingerprint in result.new if result.base else None}
            for f in result.findings
        ],
    }


def dumps(data: Mapping[str, Any]) -> str:
    """JSON as written to files: indented, UTF-8 kept readable."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------- Markdown

_ICON = {True: "✅", False: "❌"}


def markdown(result: ScanResult, *, title: str = "Security scan", top: int = 10, detail: int = 30,
             run_url: str | None = None) -> str:
    """The step summary (and, fitted, the PR comment): verdict, counts, a chart, what fails, what is suppressed."""
    verdict = result.verdict
    active = [f for f in result.findings if f.suppressed is None]
    scope = f" against `{md_escape(result.base[:12], 40)}`" if result.base else ""
    lines = [
        f"## {_ICON[verdict.passed]} {md_escape(title, 80)}: {verdict.headline}",
        "",
        f"Gate: findings at **{verdict.threshold.label}** or above fail"
        + (f", only when new{scope}" if verdict.new_only else "")
        + "; everything is reported. Tools: "
        + ", ".join(f"{md_escape(r.info.name)} {md_escape(r.info.version or '')} ({md_escape(r.tool)}, "
                    f"{r.seconds:.1f}s)" for r in result.runs)
        + ".",
        "",
    ]
    counts = {s: n for s, n in counts_by_severity(active).items() if n}
    if counts:
        lines += ["```mermaid", "pie showData title Findings by severity"]
        lines += [f'    "{s.label}" : {n}' for s, n in counts.items()]
        lines += ["```", ""]
    overview = summary_markdown(result.findings, "Findings by severity and tool", top=top)
    if verdict.failing:  # the table of what fails replaces the generic top list
        overview = overview.split("\n#### ", 1)[0]
    lines += [overview.rstrip("\n"), ""]
    if verdict.failing:
        lines += _table(f"What fails the scan ({len(verdict.failing)})", verdict.failing[:detail])
        if len(verdict.failing) > detail:
            lines += [f"…and {len(verdict.failing) - detail} more in the SARIF and JSON reports.", ""]
    reasons = []
    if verdict.below_threshold:
        reasons.append(f"{verdict.below_threshold} below {verdict.threshold.label}")
    if verdict.preexisting:
        reasons.append(f"{verdict.preexisting} already on the base commit")
    if verdict.suppressed:
        reasons.append(f"{verdict.suppressed} suppressed")
    if reasons:
        lines += [f"Reported but not failing: {', '.join(reasons)}.", ""]
    suppressed = [f for f in result.findings if f.suppressed is not None]
    if suppressed:
        lines += ["<details><summary>Suppressed findings (" + str(len(suppressed)) + ")</summary>", ""]
        lines += ["| Tool | Rule | Location | Why |", "| :-- | :-- | :-- | :-- |"]
        for f in suppressed[:detail]:
            lines.append(f"| {md_escape(f.tool, 20)} | {md_escape(f.rule_id, 60)} | "
                         f"{md_escape(f.location, 100) or '—'} | {md_escape(f.suppressed or '', 160)} |")
        if len(suppressed) > detail:
            lines.append(f"| | | | …and {len(suppressed) - detail} more |")
        lines += ["", "</details>", ""]
    notes = [*result.notes, *(note for run in result.runs for note in run.notes)]
    if notes:
        lines += ["<details><summary>Notes from the tools</summary>", ""]
        lines += [f"- {md_escape(note, 300)}" for note in notes[:40]]
        lines += ["", "</details>", ""]
    if run_url:
        lines += [f"SARIF and JSON reports: [this workflow run]({run_url}).", ""]
    return "\n".join(lines)


def _table(heading: str, findings: Sequence[Finding]) -> list[str]:
    lines = [f"### {heading}", "", "| Severity | Tool | Rule | Location | Finding |", "| :-- | :-- | :-- | :-- | :-- |"]
    for f in findings:
        title = f.title.rstrip("…")
        text = f.message if not title or title in f.message else f"{f.title}: {f.message}"
        lines.append(
            f"| {f.severity.label} | {md_escape(f.tool, 20)} | {_rule_cell(f)} | {md_escape(f.location, 100) or '—'} "
            f"| {md_escape(text, 220)} |"
        )
    return [*lines, ""]


def _rule_cell(f: Finding) -> str:
    rule = md_escape(f.rule_id, 60)
    if f.help_uri and f.help_uri.startswith("https://") and not any(c in f.help_uri for c in " ()<>|\"'`\\"):
        return f"[{rule}]({f.help_uri})"
    return rule


# ------------------------------------------------------------ annotations


def annotation_list(result: ScanResult, changed: Mapping[str, set[int]] | None = None) -> list[dict[str, Any]]:
    """The annotations to write, at most :data:`MAX_ANNOTATIONS`.

    Failing findings become errors, other unsuppressed ones at Medium or above
    warnings; in pull-request mode only those on lines the pull request changed.
    """
    failing = {f.fingerprint for f in result.verdict.failing}
    chosen: list[dict[str, Any]] = []
    for f in sorted(result.findings, key=lambda f: (f.fingerprint not in failing, -f.severity.value)):
        if f.suppressed is not None or not f.path:
            continue
        if f.fingerprint not in failing and f.severity < Severity.MEDIUM:
            continue
        if changed is not None and not _on_changed_line(f, changed):
            continue
        chosen.append({
            "level": "error" if f.fingerprint in failing else "warning",
            "message": f"[{f.tool}/{f.rule_id}] {f.message or f.title}",
            "title": f"{f.severity.label}: {f.title}"[:200],
            "file": f.path,
            "line": f.start_line,
            "end_line": f.end_line,
        })
        if len(chosen) >= MAX_ANNOTATIONS:
            break
    return chosen


def _on_changed_line(f: Finding, changed: Mapping[str, set[int]]) -> bool:
    lines = changed.get(f.path)
    if lines is None:
        return False
    if not f.start_line:
        return True  # a whole-file finding (a lockfile without lines) in a changed file
    return any(n in lines for n in range(f.start_line, (f.end_line or f.start_line) + 1))


def text(result: ScanResult) -> str:
    """Plain-text output for a terminal: one line per unsuppressed finding, then the verdict."""
    failing = {f.fingerprint for f in result.verdict.failing}
    rows = []
    for f in sorted(result.findings, key=lambda f: (-f.severity.value, f.path, f.start_line or 0)):
        if f.suppressed is not None:
            continue
        mark = "FAIL" if f.fingerprint in failing else "    "
        rows.append(f"{mark} {f.severity.name:<8} {f.location or '-'}: [{f.tool}/{f.rule_id}] {f.title}")
    suppressed = sum(1 for f in result.findings if f.suppressed is not None)
    tail = f"{len(result.findings)} finding(s), {suppressed} suppressed; {result.verdict.headline}"
    return "\n".join([*rows, tail]) + "\n"
