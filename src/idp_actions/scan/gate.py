"""The verdict: which findings fail the scan, and why the others do not.

Everything is reported; only findings that are

- not suppressed (ignore file, inline ``nosemgrep``, ``ignore-unfixed``),
- at or above the severity threshold (default High),
- and, in pull-request mode, new (not present on the base commit)

fail. The verdict keeps the counts of the rest so the summary can say why they
did not fail.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from idp_actions.findings import Finding, Severity, at_or_above

UNFIXED_REASON = "ignore-unfixed: no fixed version has been released yet"


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The outcome of the gate over one scan's findings."""

    threshold: Severity
    failing: tuple[Finding, ...]
    total: int
    suppressed: int
    below_threshold: int
    preexisting: int
    new_only: bool

    @property
    def passed(self) -> bool:
        """True when nothing fails the scan."""
        return not self.failing

    @property
    def headline(self) -> str:
        """One line a person reads first."""
        scope = "new " if self.new_only else ""
        level = self.threshold.label
        if self.passed:
            return f"passed: no {scope}findings at {level} or above"
        return f"failed: {len(self.failing)} {scope}finding(s) at {level} or above"


def mark_unfixed(findings: Iterable[Finding], *, ignore_unfixed: bool) -> list[Finding]:
    """With ``ignore_unfixed``, vulnerabilities without a fixed version are suppressed (still reported)."""
    out = []
    for finding in findings:
        if ignore_unfixed and finding.package and not finding.fixed_version and finding.suppressed is None \
                and finding.installed_version is not None:
            finding = replace(finding, suppressed=UNFIXED_REASON)
        out.append(finding)
    return out


def decide(
    findings: Iterable[Finding],
    *,
    threshold: Severity,
    preexisting: Collection[str] | None = None,
) -> Verdict:
    """Apply the gate. ``preexisting`` holds the fingerprints found on the base (pull-request mode)."""
    items = list(findings)
    active = [f for f in items if f.suppressed is None]
    severe = at_or_above(active, threshold)
    old = [f for f in severe if preexisting is not None and f.fingerprint in preexisting]
    failing = tuple(f for f in severe if f not in old)
    return Verdict(
        threshold=threshold,
        failing=failing,
        total=len(items),
        suppressed=len(items) - len(active),
        below_threshold=len(active) - len(severe),
        preexisting=len(old),
        new_only=preexisting is not None,
    )
