"""What a policy check tells people: text, JSON, SARIF, JUnit XML, a Markdown summary and annotations.

Every renderer is a pure function of the engine's :class:`~idp_actions.policy.engine.Result`.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from xml.etree import ElementTree as ET

from idp_actions import __version__
from idp_actions.findings import ToolInfo, md_escape, summary_markdown, to_sarif
from idp_actions.policy.engine import Result
from idp_actions.policy.violation import TOOL, Violation

FORMATS = ("text", "json", "sarif", "junit")
SARIF_CATEGORY = "policy"
MAX_ANNOTATIONS = 50
_ICON = {"deny": "❌", "warn": "⚠️", "dryrun": "📝"}


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _totals(result: Result) -> Counter[str]:
    totals: Counter[str] = Counter()
    for v in result.violations:
        totals["excepted" if v.excepted_by else v.enforcement] += 1
    return totals


def headline(result: Result) -> str:
    """One line: what was checked against what, and what came out."""
    counts = result.counts
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing"
    totals = _totals(result)
    outcome = (
        f"{totals['deny']} denied, {totals['warn']} warnings, {totals['dryrun']} dry-run, "
        f"{totals['excepted']} excepted"
    )
    if result.problems:
        outcome += f", {len(result.problems)} input errors"
    sets = ", ".join(result.sets) or "no set"
    return f"checked {kinds} against {len(result.policies)} policies ({sets}): {outcome}"


def text(result: Result) -> str:
    """The report for a terminal or a log: one line per violation, then the summary."""
    lines: list[str] = []
    for problem in result.problems:
        lines.append(f"{_where(problem.path, problem.line)}: error [input] {problem.message}")
    for v in result.violations:
        mark = f"excepted by {v.excepted_by}" if v.excepted_by else v.enforcement
        lines.append(f"{_where(v.path, v.line)}: {mark} [{v.policy}] {v.message}")
    for e in result.outcome.expired:
        lines.append(f"{e.file}:{e.line}: error [exception] {e.describe()} has expired")
    if lines:
        lines.append("")
    lines.append(headline(result))
    if result.outcome.used:
        lines.append("exceptions used:")
        for e in result.outcome.active:
            if e.id in result.outcome.used:
                lines.append(f"  {e.describe()}: {result.outcome.used[e.id]} violation(s) — {e.reason}")
    if result.outcome.unused:
        lines.append("exceptions that matched nothing (remove them?):")
        lines += [f"  {e.describe()} at {e.file}:{e.line}" for e in result.outcome.unused]
    if result.notes:
        lines.append("notes:")
        lines += [f"  {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def as_json(result: Result) -> dict[str, Any]:
    """The JSON report: every violation with its enforcement, inputs, policies and exceptions."""
    totals = _totals(result)
    return {
        "version": 1,
        "tool": {"name": TOOL, "version": __version__},
        "passed": result.exit_code == 0,
        "sets": list(result.sets),
        "inputs": result.counts,
        "summary": {k: totals[k] for k in ("deny", "warn", "dryrun", "excepted")}
        | {"inputErrors": len(result.problems)},
        "violations": [v.as_dict() for v in result.violations],
        "inputErrors": [{"path": p.path, "line": p.line, "message": p.message} for p in result.problems],
        "policies": [
            {"name": p.name, "input": p.area, "version": p.version, "appliedAs": list(p.applied_as)}
            for p in result.policies
        ],
        "exceptions": {
            "used": [
                e.as_dict() | {"violations": result.outcome.used[e.id]}
                for e in result.outcome.active
                if e.id in result.outcome.used
            ],
            "unused": [e.as_dict() for e in result.outcome.unused],
            "expired": [e.as_dict() for e in result.outcome.expired],
        },
        "notes": list(result.notes),
    }


def sarif(result: Result) -> dict[str, Any]:
    """SARIF 2.1.0 with one run for idp-policy."""
    return to_sarif(result.findings(), {TOOL: ToolInfo(TOOL, __version__, None)}, category=SARIF_CATEGORY)


def junit(result: Result) -> str:
    """JUnit XML: a test suite per policy, a test case per input it checked; denies fail, input errors error."""
    suites = ET.Element("testsuites", name=TOOL)
    by_policy: dict[str, list[Violation]] = {}
    for v in result.violations:
        by_policy.setdefault(v.policy, []).append(v)
    inputs_by_area: dict[str, list[str]] = {}
    for v in result.violations:
        inputs_by_area.setdefault(v.area, [])
    for path, kind in sorted(result.sources.items()):
        inputs_by_area.setdefault(kind.split()[0], []).append(path)
    total_tests = total_failures = 0
    for policy in result.policies:
        suite = ET.SubElement(suites, "testsuite", name=f"{policy.area}/{policy.name}")
        mine = [v for v in by_policy.get(policy.name, []) if v.area == policy.area]
        paths = sorted(set(inputs_by_area.get(policy.area, [])) | {v.path for v in mine})
        failures = 0
        for path in paths:
            case = ET.SubElement(suite, "testcase", classname=f"{policy.area}.{policy.name}", name=path)
            here = [v for v in mine if v.path == path]
            denied = [v for v in here if v.gates]
            if denied:
                failures += 1
                failure = ET.SubElement(case, "failure", message=denied[0].message, type="deny")
                failure.text = "\n".join(f"{_where(v.path, v.line)}: {v.message}" for v in denied)
            others = [v for v in here if not v.gates]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(
                    f"{'excepted' if v.excepted_by else v.enforcement}: {_where(v.path, v.line)}: {v.message}"
                    for v in others
                )
        suite.set("tests", str(len(paths)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += len(paths)
        total_failures += failures
    if result.problems or result.outcome.expired:
        suite = ET.SubElement(suites, "testsuite", name="inputs")
        for problem in result.problems:
            case = ET.SubElement(suite, "testcase", classname="inputs", name=problem.path)
            ET.SubElement(case, "error", message=problem.message, type="input-error").text = _where(
                problem.path, problem.line
            )
        for e in result.outcome.expired:
            case = ET.SubElement(suite, "testcase", classname="exceptions", name=e.id)
            ET.SubElement(case, "failure", message=f"{e.describe()} has expired", type="expired-exception")
        count = len(result.problems) + len(result.outcome.expired)
        suite.set("tests", str(count))
        suite.set("failures", str(len(result.outcome.expired)))
        suite.set("errors", str(len(result.problems)))
        total_tests += count
        total_failures += len(result.outcome.expired)
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", str(len(result.problems)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def summary(result: Result, *, title: str = "Policy check") -> str:
    """The step summary / PR comment: the findings summary, then a table per policy and the exceptions."""
    status = "❌ failed" if result.exit_code else "✅ passed"
    parts = [summary_markdown(result.findings(), f"{title}: {status}").rstrip("\n"), "",
             md_escape(headline(result), 400), ""]
    parts += [
        "#### Policies",
        "",
        "| Policy | Input | Version | Applied as | Deny | Warn | Dry-run | Excepted |",
        "| :-- | :-- | :-- | :-- | --: | --: | --: | --: |",
    ]
    per: Counter[tuple[str, str, str]] = Counter()
    for v in result.violations:
        per[(v.policy, v.area, "excepted" if v.excepted_by else v.enforcement)] += 1
    for p in result.policies:
        applied = md_escape("; ".join(p.applied_as), 160)
        cells = " | ".join(
            str(per[(p.name, p.area, action)] or "") for action in ("deny", "warn", "dryrun", "excepted")
        )
        parts.append(
            f"| {md_escape(p.name, 60)} | {p.area} | {md_escape(p.version or '—', 20)} | {applied} | {cells} |"
        )
    if not result.policies:
        parts.append("| — | — | — | no policies applied | | | | |")
    if result.outcome.used or result.outcome.unused or result.outcome.expired:
        parts += ["", "#### Policy exceptions", "", "| Exception | Policy | Owner | Expires | Status |",
                  "| :-- | :-- | :-- | :-- | :-- |"]
        used = result.outcome.used
        rows = [(e, f"used ({used[e.id]})") for e in result.outcome.active if e.id in used]
        rows += [(e, "unused") for e in result.outcome.unused]
        rows += [(e, "❌ expired") for e in result.outcome.expired]
        for e, status_text in rows:
            parts.append(
                f"| {md_escape(e.id, 60)} | {md_escape(e.policy, 60)} | {md_escape(e.owner, 60)} | "
                f"{e.expires.isoformat()} | {status_text} |"
            )
    if result.notes:
        parts += ["", "<details><summary>Notes</summary>", ""]
        parts += [f"- {md_escape(note, 400)}" for note in result.notes]
        parts += ["", "</details>"]
    return "\n".join(parts) + "\n"


def annotate(result: Result) -> None:
    """GitHub annotations: denies and input errors as errors, warnings as warnings, dry-run as notices."""
    from idp_actions import gha

    level: dict[str, gha.Level] = {"deny": "error", "warn": "warning", "dryrun": "notice"}
    shown = 0
    for problem in result.problems:
        if shown < MAX_ANNOTATIONS:
            gha.error(problem.message, file=problem.path, line=problem.line, title="policy input error")
            shown += 1
    for e in result.outcome.expired:
        if shown < MAX_ANNOTATIONS:
            gha.error(f"policy exception {e.describe()} has expired", file=e.file, line=e.line,
                      title="policy exception expired")
            shown += 1
    for v in result.violations:
        if v.excepted_by or shown >= MAX_ANNOTATIONS:
            continue
        gha.annotate(level[v.enforcement], v.message, file=v.path, line=v.line, title=f"{v.policy} ({v.enforcement})")
        shown += 1
    hidden = len(result.problems) + len(result.outcome.expired) + sum(1 for v in result.violations if not v.excepted_by)
    if hidden > shown:
        gha.notice(f"{hidden - shown} more policy findings are in the step summary and the report")


def render(result: Result, fmt: str) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps(as_json(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return junit(result)
    return text(result)
