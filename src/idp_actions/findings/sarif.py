"""Findings as a SARIF 2.1.0 log for GitHub code scanning: one run per tool, within GitHub's upload limits."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

from idp_actions.errors import IdpError
from idp_actions.findings.model import Finding, _normalise_path, _order

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub code scanning limits (docs: "SARIF support for code scanning").
MAX_RESULTS_PER_RUN = 25_000
MAX_RUNS_PER_FILE = 20
#: 10 MB gzip-compressed; counted in decimal megabytes to stay on the safe side of either reading.
MAX_GZIPPED_BYTES = 10_000_000
FINGERPRINT_KEY = "idpFingerprint/v1"


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
