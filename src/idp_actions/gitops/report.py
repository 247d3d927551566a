"""What a promotion tells people: a line on stdout, step outputs, and a step summary with the pipeline."""

from __future__ import annotations

from collections.abc import Sequence

from idp_actions.gitops.message import Stage, cell, pipeline_mermaid
from idp_actions.gitops.promotion import Result

_ICON = {
    "promoted": "✅",
    "already-promoted": "✅",
    "proposed": "📝",
    "already-proposed": "📝",
    "failed": "❌",
    "rolled-back": "↩️",
}


def headline(result: Result) -> str:
    """One line: what happened."""
    line = f"{result.status}: {result.service} in {result.environment} -> {result.digest.short}: {result.reason}"
    if result.rollback is not None:
        rb = result.rollback
        line += f"; rolled back to {rb.digest.short}: {rb.status} ({rb.reason})"
    return line


def outputs(result: Result) -> dict[str, str]:
    """The step outputs (documented in actions/promote/action.yml)."""
    return {
        "status": result.status,
        "digest": str(result.digest),
        "previous-digest": str(result.previous) if result.previous else "",
        "commit": result.commit or "",
        "pull-request-url": result.pull.url if result.pull else "",
        "deployment-id": str(result.deployment_id or ""),
        "rolled-back-to": str(result.rollback.digest) if result.rollback and result.rollback.ok else "",
    }


def summary(result: Result, stages: Sequence[Stage], *, title: str = "Promotion") -> str:
    """The step summary: outcome table, the pipeline as a Mermaid chart, checks and rollback."""
    icon = _ICON.get(result.status, "")
    lines = [
        f"## {icon} {title}: `{result.service}` → `{result.environment}`",
        "",
        "| | |",
        "|---|---|",
        f"| result | **{result.status}** — {cell(result.reason)} |",
        f"| digest | `{result.digest}` |",
        f"| replaced | `{result.previous}` |" if result.previous else "| replaced | none |",
    ]
    if result.commit:
        lines.append(f"| GitOps commit | `{result.commit[:12]}` |")
    if result.pull:
        lines.append(f"| pull request | [#{result.pull.number}]({result.pull.url}) |")
    if result.deployment_id:
        lines.append(f"| GitHub deployment | {result.deployment_id} |")
    if result.app_url:
        lines.append(f"| Argo CD | [{result.app_url.rsplit('/', 1)[-1]}]({result.app_url}) |")
    lines += ["", pipeline_mermaid(stages, highlight=result.environment), ""]
    if result.checks:
        lines += ["### Promotion order", ""]
        lines += [f"- **{name}**: {check}" for name, check in result.checks.items()]
        lines.append("")
    if result.rollback is not None:
        rb = result.rollback
        lines += [
            "### Automatic rollback",
            "",
            f"Verification failed, so `{result.environment}` was rolled back to `{rb.digest}`: "
            f"**{rb.status}** — {rb.reason}",
            "",
        ]
    return "\n".join(lines)
