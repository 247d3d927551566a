"""Findings as Markdown for the step summary or a sticky PR comment."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from idp_actions.findings.model import _SPACE, Finding, Severity, _order, counts_by_severity

_ICONS = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
    Severity.UNKNOWN: "❔",
}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md_escape(text: str, limit: int = 200) -> str:
    """``text`` safe inside a Markdown table cell: one line, no HTML, no formatting, no @-mentions.

    ``|`` and ``<`` cannot break the table or open a tag; ``@name`` and ``#123``
    get an invisible word joiner so a comment does not ping people or
    cross-reference issues. Longer than ``limit`` characters is cut with ``…``.
    """
    one_line = _SPACE.sub(" ", text).strip()
    if len(one_line) > limit:
        one_line = one_line[: limit - 1].rstrip() + "…"
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line)
    return escaped.replace("@", "@\u2060").replace("#", "#\u2060")


def summary_markdown(findings: Iterable[Finding], title: str, *, top: int = 10) -> str:
    """A summary for the step summary or a PR comment: counts by severity and tool, then the top findings."""
    items = list(findings)
    active = [f for f in items if f.suppressed is None]
    suppressed = len(items) - len(active)
    lines = [f"### {md_escape(title, 120)}", ""]
    if not active:
        lines.append("✅ No findings." if not suppressed else f"✅ No findings ({suppressed} suppressed).")
        return "\n".join(lines) + "\n"
    tools = sorted({f.tool for f in active})
    per = Counter((f.severity, f.tool) for f in active)
    totals = counts_by_severity(active)
    lines += [
        "| Severity | " + " | ".join(md_escape(t, 40) for t in tools) + " | Total |",
        "| :-- | " + " | ".join("--:" for _ in tools) + " | --: |",
    ]
    for severity, total in totals.items():
        if total:
            cells = " | ".join(str(per[(severity, t)]) for t in tools)
            lines.append(f"| {_ICONS[severity]} {severity.label} | {cells} | **{total}** |")
    tool_totals = " | ".join(f"**{sum(1 for f in active if f.tool == t)}**" for t in tools)
    lines.append(f"| **Total** | {tool_totals} | **{len(active)}** |")
    if suppressed:
        lines += ["", f"{suppressed} suppressed finding(s) are not counted."]
    shown = sorted(active, key=_order)[:top]
    lines += [
        "",
        f"#### Top {len(shown)} of {len(active)}" if len(active) > len(shown) else "#### Findings",
        "",
        "| Severity | Tool | Rule | Location | Finding |",
        "| :-- | :-- | :-- | :-- | :-- |",
    ]
    for f in shown:
        text = _describe(f)
        if f.package:
            fix = f", fixed in {f.fixed_version}" if f.fixed_version else ", no fix yet"
            text += f" ({f.package} {f.installed_version or ''}{fix})"
        rule = md_escape(f.rule_id, 60)
        if f.help_uri and _SAFE_URL.match(f.help_uri):
            rule = f"[{rule}]({f.help_uri})"
        lines.append(
            f"| {_ICONS[f.severity]} {f.severity.label} | {md_escape(f.tool, 40)} | {rule} | "
            f"{md_escape(f.location, 120) or '—'} | {md_escape(text)} |"
        )
    return "\n".join(lines) + "\n"


_SAFE_URL = re.compile(r"^https://[^\s()<>\"'`|\\]+$")


def _describe(finding: Finding) -> str:
    if not finding.message or finding.message == finding.title:
        return finding.title or finding.rule_id
    if not finding.title or finding.message.startswith(finding.title):
        return finding.message
    return f"{finding.title}: {finding.message}"
