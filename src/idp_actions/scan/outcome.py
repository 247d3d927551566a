"""What one tool run produced: :class:`ToolRun`."""

from __future__ import annotations

from dataclasses import dataclass

from idp_actions.findings import Finding, ToolInfo


@dataclass(frozen=True, kw_only=True)
class ToolRun:
    """The findings of one tool over one target, and what a person should know about the run.

    ``tool`` is the name findings carry and the SARIF run is keyed by (``semgrep``,
    ``trivy``, ``trivy-image``); ``info`` is how SARIF names the tool. ``notes`` are
    things the tool reported without failing (files it could not parse, a DB that is
    getting old). ``inline_suppressed`` holds the fingerprints of findings silenced in
    the source (``nosemgrep``), which SARIF marks ``inSource``.
    """

    tool: str
    info: ToolInfo
    findings: tuple[Finding, ...]
    target: str = "."
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    inline_suppressed: frozenset[str] = frozenset()
