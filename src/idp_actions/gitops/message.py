"""The words of a promotion: commit message with trailers, pull-request body, step summary.

Pure functions of a :class:`Change`. Trailers are git trailers (``Key: value``
in the message's last paragraph), so ``git log --format=%(trailers)`` and
``git interpret-trailers`` read them too; :func:`parse_trailers` reads them back
for rollback and for finding what an environment ran before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from idp_actions.gitops.digest import Digest

SERVICE = "Idp-Service"
ENVIRONMENT = "Idp-Environment"
DIGEST = "Idp-Digest"
PREVIOUS = "Idp-Previous-Digest"
SOURCE_RUN = "Idp-Source-Run"
SOURCE_SHA = "Idp-Source-Commit"
FORCE_REASON = "Idp-Force-Reason"
ROLLBACK_OF = "Idp-Rollback-Of"
ROLLBACK_REASON = "Idp-Rollback-Reason"

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s?(.*)$")
_MAX_TRAILER = 300


@dataclass(frozen=True, kw_only=True)
class Change:
    """One promotion (or rollback) of ``service`` in ``environment`` to ``digest``."""

    service: str
    environment: str
    digest: Digest
    previous: Digest | None
    path: str
    source_run: str | None = None
    source_sha: str | None = None
    force_reason: str | None = None
    rollback_of: Digest | None = None
    rollback_reason: str | None = None

    @property
    def is_rollback(self) -> bool:
        """True for a rollback (the digest goes back to an earlier one)."""
        return self.rollback_of is not None

    def trailers(self) -> list[tuple[str, str]]:
        """The structured trailers, in a fixed order; values are single lines."""
        items = [(SERVICE, self.service), (ENVIRONMENT, self.environment), (DIGEST, str(self.digest))]
        if self.previous is not None:
            items.append((PREVIOUS, str(self.previous)))
        if self.source_run:
            items.append((SOURCE_RUN, self.source_run))
        if self.source_sha:
            items.append((SOURCE_SHA, self.source_sha))
        if self.force_reason:
            items.append((FORCE_REASON, self.force_reason))
        if self.rollback_of is not None:
            items.append((ROLLBACK_OF, str(self.rollback_of)))
        if self.rollback_reason:
            items.append((ROLLBACK_REASON, self.rollback_reason))
        return [(key, one_line(value)) for key, value in items]


def one_line(text: str, limit: int = _MAX_TRAILER) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: one line, pipes escaped."""
    return one_line(text, 1000).replace("|", "\\|")


def title(change: Change) -> str:
    """The commit subject and pull-request title."""
    verb = "rollback" if change.is_rollback else "promote"
    return f"{verb}({change.service}): {change.environment} to {change.digest.short}"


def commit_message(change: Change) -> str:
    """Subject, a short body, and the trailers paragraph."""
    lines = [title(change), ""]
    if change.is_rollback:
        lines.append(f"Roll {change.service} in {change.environment} back to {change.digest}.")
        if change.rollback_reason:
            lines.append(f"Why: {one_line(change.rollback_reason)}")
    else:
        lines.append(f"Promote {change.service} in {change.environment} to {change.digest}.")
    if change.previous is not None:
        lines.append(f"It ran {change.previous} before.")
    if change.force_reason:
        lines.append(f"The promotion order was overridden: {one_line(change.force_reason)}")
    lines.append("")
    lines += [f"{key}: {value}" for key, value in change.trailers()]
    return "\n".join(lines) + "\n"


def parse_trailers(message: str) -> dict[str, str]:
    """The trailers of a commit message (last paragraph of ``Key: value`` lines); the last value of a key wins."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if not match:
            return {}
        found[match.group(1)] = match.group(2).strip()
    return found


# ------------------------------------------------------------- pipeline views


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One environment in the pipeline picture: what it runs and how Argo CD sees it."""

    name: str
    digest: Digest | None
    health: str | None = None
    sync: str | None = None


def pipeline_mermaid(stages: Sequence[Stage], *, highlight: str | None = None) -> str:
    """A Mermaid flowchart ``dev --> staging --> prod``, each with its digest and health."""
    lines = ["```mermaid", "flowchart LR"]
    for index, stage in enumerate(stages):
        label = [stage.name, stage.digest.short if stage.digest else "no digest yet"]
        state = " / ".join(s for s in (stage.sync, stage.health) if s)
        if state:
            label.append(state)
        text = "<br/>".join(_mermaid_text(part) for part in label)
        lines.append(f'  e{index}["{text}"]')
        if index:
            lines.append(f"  e{index - 1} --> e{index}")
    for index, stage in enumerate(stages):
        style = _style(stage.health)
        if stage.name == highlight:
            style += ",stroke-width:3px"
        lines.append(f"  style e{index} {style}")
    lines.append("```")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return re.sub(r'["<>\[\]{}|]', "", text)


def _style(health: str | None) -> str:
    colours = {"Healthy": "#2da44e", "Degraded": "#cf222e", "Progressing": "#bf8700", "Missing": "#8250df"}
    return f"stroke:{colours.get(health or '', '#6e7781')}"


def diff_block(diff: str, limit: int = 20_000) -> str:
    """A unified diff in a fenced ``diff`` block, cut to ``limit`` characters."""
    body = diff if len(diff) <= limit else diff[:limit] + "\n… (diff cut)\n"
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}diff\n{body.rstrip()}\n{fence}"


def pr_body(
    change: Change,
    *,
    diff: str,
    stages: Sequence[Stage],
    checks: Mapping[str, str],
    links: Mapping[str, str],
) -> str:
    """The pull request's description: what changes, why it is safe to merge, the diff, links."""
    action = "Roll back" if change.is_rollback else "Promote"
    lines = [
        f"## {action} `{change.service}` in `{change.environment}`",
        "",
        "| | |",
        "|---|---|",
        f"| service | `{change.service}` |",
        f"| environment | `{change.environment}` |",
        f"| new digest | `{change.digest}` |",
        f"| current digest | `{change.previous}` |" if change.previous else "| current digest | none yet |",
        f"| file | `{change.path}` |",
    ]
    if change.force_reason:
        lines.append(f"| order overridden | {cell(change.force_reason)} |")
    if change.rollback_reason:
        lines.append(f"| rollback reason | {cell(change.rollback_reason)} |")
    lines += ["", "### Pipeline", "", pipeline_mermaid(stages, highlight=change.environment), ""]
    if checks:
        lines += ["### Checks before this promotion", ""]
        lines += [f"- **{name}**: {result}" for name, result in checks.items()]
        lines.append("")
    lines += [
        "### What merging does",
        "",
        f"Argo CD syncs `{change.environment}` to the merge commit; the image of `{change.service}` "
        f"changes from `{change.previous.short if change.previous else 'none'}` to `{change.digest.short}`.",
        "",
        "### Diff",
        "",
        diff_block(diff),
        "",
    ]
    if links:
        lines += ["### Links", ""]
        lines += [f"- [{name}]({url})" for name, url in links.items()]
        lines.append("")
    return "\n".join(lines)
