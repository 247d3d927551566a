"""One finding model for every scanner and policy check, rendered as SARIF and as Markdown.

Tool adapters turn their tool's output into :class:`Finding` objects; this module
turns findings into what GitHub shows: a SARIF 2.1.0 log for code scanning (one
run per tool, within GitHub's upload limits) and a summary for the step summary
or a sticky PR comment.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from idp_actions.errors import IdpError

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub code scanning limits (docs: "SARIF support for code scanning").
MAX_RESULTS_PER_RUN = 25_000
MAX_RUNS_PER_FILE = 20
#: 10 MB gzip-compressed; counted in decimal megabytes to stay on the safe side of either reading.
MAX_GZIPPED_BYTES = 10_000_000
FINGERPRINT_KEY = "idpFingerprint/v1"


class Severity(enum.Enum):
    """How bad a finding is, ordered ``CRITICAL > HIGH > MEDIUM > LOW > INFO > UNKNOWN``."""

    UNKNOWN = 0
    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value <= other.value

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value > other.value

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value >= other.value

    @classmethod
    def parse(cls, value: str | float | Severity | None) -> Severity:
        """Read a tool's severity: names, SARIF levels, Semgrep/zizmor/npm words or a CVSS score.

        ``error`` → HIGH, ``warning`` → MEDIUM, ``note`` → LOW; anything
        unrecognised is UNKNOWN (tools invent words; a finding is never dropped
        for it).
        """
        if isinstance(value, Severity):
            return value
        if value is None:
            return cls.UNKNOWN
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls.from_score(float(value))
        text = str(value).strip().lower()
        if _SCORE.match(text):
            return cls.from_score(float(text))
        return _ALIASES.get(text, cls.UNKNOWN)

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """A CVSS-style 0-10 score on GitHub's scale (9.0+ critical, 7.0+ high, 4.0+ medium, >0 low)."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.INFO

    @property
    def sarif_level(self) -> str:
        """The SARIF ``level``: error, warning or note."""
        if self >= Severity.HIGH:
            return "error"
        if self in (Severity.MEDIUM, Severity.UNKNOWN):
            return "warning"
        return "note"

    @property
    def security_severity(self) -> str | None:
        """GitHub's ``security-severity`` score for this level, or None (INFO, UNKNOWN)."""
        return _SECURITY_SEVERITY.get(self)

    @property
    def label(self) -> str:
        """``High``: the name as people read it."""
        return self.name.capitalize()


_SCORE = re.compile(r"^\d+(\.\d+)?$")
_ALIASES = {
    "critical": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "failure": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "low": Severity.LOW,
    "note": Severity.LOW,
    "minor": Severity.LOW,
    "style": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
    "negligible": Severity.INFO,
    "unknown": Severity.UNKNOWN,
    "": Severity.UNKNOWN,
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
_ICONS = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
    Severity.UNKNOWN: "❔",
}


def _normalise_path(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


_LINE_REF = re.compile(r"\b(lines?|ln|at)\s*\d+(\s*[-:]\s*\d+)?\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def fingerprint(*, tool: str, rule_id: str, path: str, text: str, package: str | None = None) -> str:
    """A stable identity for a finding: tool, rule, path, package and the normalised snippet or message.

    Line numbers are left out (and ``line 12`` references in messages are
    normalised away) so that moving code up or down keeps the fingerprint, and
    GitHub keeps tracking the same alert. Whitespace changes do not matter either.
    """
    normalised = _SPACE.sub(" ", _LINE_REF.sub(r"\1 N", text)).strip()
    parts = [tool, rule_id, _normalise_path(path), package or "", normalised]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem a scanner or policy found.

    ``path`` is relative to the repository root (normalised to forward slashes
    without a leading ``./``; empty when the finding has no file, e.g. an image
    layer); lines are 1-based.
    ``suppressed`` holds the reason when the finding was accepted (an ignore
    file, a policy exemption); suppressed findings are reported but never gate.
    ``fingerprint`` is computed from ``snippet`` (or the message) when not given.
    """

    tool: str
    rule_id: str
    severity: Severity
    title: str
    message: str
    path: str = ""
    start_line: int | None = None
    end_line: int | None = None
    fingerprint: str = ""
    help_uri: str | None = None
    package: str | None = None
    installed_version: str | None = None
    fixed_version: str | None = None
    suppressed: str | None = None
    snippet: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.path != (normalised := _normalise_path(self.path)):
            object.__setattr__(self, "path", normalised)
        if not self.fingerprint:
            object.__setattr__(
                self,
                "fingerprint",
                fingerprint(
                    tool=self.tool,
                    rule_id=self.rule_id,
                    path=self.path,
                    text=self.snippet or self.message or self.title,
                    package=self.package,
                ),
            )

    @property
    def location(self) -> str:
        """``path:line`` (or just the path, or empty)."""
        if self.path and self.start_line:
            return f"{self.path}:{self.start_line}"
        return self.path

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (severity by name)."""
        data = asdict(self)
        data["severity"] = self.severity.name
        return data


def _order(f: Finding) -> tuple[int, str, int, str, str]:
    return (-f.severity.value, f.path, f.start_line or 0, f.rule_id, f.fingerprint)


def at_or_above(findings: Iterable[Finding], threshold: Severity | str) -> list[Finding]:
    """The findings that are not suppressed and at least as severe as ``threshold``, most severe first."""
    level = Severity.parse(threshold)
    return sorted((f for f in findings if f.suppressed is None and f.severity >= level), key=_order)


def counts_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many unsuppressed findings per severity, every severity present, most severe first."""
    counts = Counter(f.severity for f in findings if f.suppressed is None)
    return {s: counts.get(s, 0) for s in sorted(Severity, reverse=True)}


# --------------------------------------------------------------------- SARIF


class ToolInfo(NamedTuple):
    """How a tool is named in SARIF: display name, version, and where to read about it."""

    name: str
    version: str | None = None
    information_uri: str | None = None


_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


def _uri(path: str) -> str:
    return quote(_normalise_path(path), safe="/:@!$&'()*+,;=-._~")


def _rule(rule_id: str, findings: Sequence[Finding]) -> dict[str, Any]:
    worst = max(findings, key=lambda f: f.severity)
    level = worst.severity.sarif_level
    title = worst.title or rule_id
    rule: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": title},
        "defaultConfiguration": {"level": worst.severity.sarif_level},
        # problem.severity is what GitHub shows for rules without a security-severity (INFO, UNKNOWN).
        "properties": {"tags": ["security"], "problem.severity": _PROBLEM_SEVERITY[level]},
    }
    help_uri = next((f.help_uri for f in findings if f.help_uri), None)
    if help_uri:
        rule["helpUri"] = help_uri
        rule["help"] = {
            "text": f"{title}\n{help_uri}",
            "markdown": f"{title}\n\n[More information]({help_uri})",
        }
    if worst.severity.security_severity:
        rule["properties"]["security-severity"] = worst.severity.security_severity
    return rule


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity.sarif_level,
        "message": {"text": finding.message or finding.title or finding.rule_id},
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    if finding.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.path), "uriBaseId": "%SRCROOT%"}}
        if finding.start_line and finding.start_line >= 1:
            end = finding.end_line if finding.end_line and finding.end_line >= finding.start_line else None
            region: dict[str, Any] = {"startLine": finding.start_line, "endLine": end or finding.start_line}
            if finding.snippet:
                region["snippet"] = {"text": finding.snippet}
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    properties = {
        key: value
        for key, value in (
            ("severity", finding.severity.name),
            ("package", finding.package),
            ("installedVersion", finding.installed_version),
            ("fixedVersion", finding.fixed_version),
        )
        if value
    }
    result["properties"] = properties
    if finding.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": finding.suppressed or "suppressed"}]
    return result


def _category(category: str, tool: str) -> str:
    """``automationDetails.id``: ``<category>/<tool>/`` — GitHub reads the part up to the last ``/``."""
    return f"{category.strip('/')}/{tool}/"


def to_sarif(
    findings: Iterable[Finding],
    tools: Mapping[str, ToolInfo | tuple[str, str | None, str | None]] | None = None,
    category: str = "idp",
    *,
    max_results: int = MAX_RESULTS_PER_RUN,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run per tool, each with its own ``automationDetails.id``.

    ``tools`` maps a finding's ``tool`` to its display name, version and
    information URI; every tool listed gets a run even without findings, so
    GitHub closes alerts the tool no longer reports. A run holds at most
    ``max_results`` results (GitHub's limit): the most severe are kept and the
    omission is recorded in the run's ``properties`` and as a tool notification.
    """
    by_tool: dict[str, list[Finding]] = {name: [] for name in (tools or {})}
    for finding in findings:
        by_tool.setdefault(finding.tool, []).append(finding)
    if len(by_tool) > MAX_RUNS_PER_FILE:
        raise IdpError(
            f"{len(by_tool)} tools in one SARIF file; GitHub accepts at most {MAX_RUNS_PER_FILE} runs "
            "per upload",
            hint="upload the tools' findings in several SARIF files, each with its own category",
        )
    runs = []
    for tool, items in by_tool.items():
        info = ToolInfo(*(tools or {}).get(tool, (tool, None, None)))
        ordered = sorted(items, key=_order)
        kept, omitted = ordered[:max_results], ordered[max_results:]
        rule_ids = sorted({f.rule_id for f in kept})
        index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
        grouped: dict[str, list[Finding]] = {rule_id: [] for rule_id in rule_ids}
        for finding in kept:
            grouped[finding.rule_id].append(finding)
        driver: dict[str, Any] = {"name": info.name, "rules": [_rule(r, grouped[r]) for r in rule_ids]}
        if info.version:
            driver["version"] = info.version
        if info.information_uri:
            driver["informationUri"] = info.information_uri
        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "automationDetails": {"id": _category(category, tool)},
            "results": [_result(f, index[f.rule_id]) for f in kept],
        }
        if omitted:
            by_severity = Counter(f.severity.name for f in omitted)
            note = (
                f"{len(omitted)} of {len(items)} results were left out to stay within GitHub's limit of "
                f"{max_results} results per run; the most severe were kept"
            )
            run["properties"] = {
                "idp/omittedResults": len(omitted),
                "idp/omittedBySeverity": dict(sorted(by_severity.items())),
            }
            run["invocations"] = [
                {
                    "executionSuccessful": True,
                    "toolExecutionNotifications": [{"level": "warning", "message": {"text": note}}],
                }
            ]
        runs.append(run)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


@dataclass(frozen=True, kw_only=True)
class SarifSize:
    """How big a SARIF log is as uploaded, against GitHub's gzip limit."""

    raw_bytes: int
    gzipped_bytes: int
    limit: int = MAX_GZIPPED_BYTES

    @property
    def within_limit(self) -> bool:
        """True when GitHub accepts a file of this size."""
        return self.gzipped_bytes <= self.limit

    def __str__(self) -> str:
        return (
            f"{self.raw_bytes:,} bytes, {self.gzipped_bytes:,} gzipped "
            f"(GitHub's limit: {self.limit:,} gzipped)"
        )


def sarif_bytes(sarif: Mapping[str, Any]) -> bytes:
    """The SARIF log as written to disk (compact UTF-8 JSON)."""
    return json.dumps(sarif, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sarif_size(sarif: Mapping[str, Any], *, limit: int = MAX_GZIPPED_BYTES) -> SarifSize:
    """The raw and gzipped size of ``sarif`` as :func:`sarif_bytes` writes it."""
    data = sarif_bytes(sarif)
    return SarifSize(raw_bytes=len(data), gzipped_bytes=len(gzip.compress(data, mtime=0)), limit=limit)


def check_sarif_size(sarif: Mapping[str, Any], *, limit: int = MAX_GZIPPED_BYTES) -> SarifSize:
    """:func:`sarif_size`, raising :class:`IdpError` when GitHub would refuse the upload."""
    size = sarif_size(sarif, limit=limit)
    if not size.within_limit:
        raise IdpError(
            f"the SARIF log is too large for GitHub code scanning: {size}",
            hint="raise the severity threshold, exclude generated or vendored paths, or split the upload",
        )
    return size


# ------------------------------------------------------------------ Markdown

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
