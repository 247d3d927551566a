"""The golden path's report: what ran, how long each step took, what was found, what was promoted (pure).

One :class:`Outcome` becomes a terminal summary, a Markdown report (GitHub
renders its Mermaid pipeline) and a standalone HTML page with the same content.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
ICONS = {PASSED: "✅", FAILED: "❌", SKIPPED: "⏭️"}


@dataclass
class StepRecord:
    """One step of the golden path: its name, result, duration and a one-line detail."""

    name: str
    title: str
    status: str = SKIPPED
    seconds: float = 0.0
    detail: str = ""


@dataclass
class JobRecord:
    """One CI job as act reported it, with its step summary (Markdown)."""

    name: str
    result: str
    summary: str = ""


@dataclass
class Outcome:
    """Everything the report shows."""

    service: str
    steps: list[StepRecord]
    jobs: list[JobRecord] = field(default_factory=list)
    image: str = ""
    digest: str = ""
    base_image: str = ""
    gitops_commit: str = ""
    environments: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    deployment: str = ""
    #: gate -> what it found ("security scan": "4 finding(s), 0 failing the gate")
    findings: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """True when every step passed."""
        return all(step.status == PASSED for step in self.steps)

    @property
    def total_seconds(self) -> float:
        """The wall time of all steps."""
        return sum(step.seconds for step in self.steps)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "


PLACEHOLDER = "sha256:" + "0" * 64  # what a scaffolded overlay pins before its first promotion


def _short(digest: str) -> str:
    if digest == PLACEHOLDER:
        return "not promoted yet"
    return digest[:19] + "…" if len(digest) > 19 else digest or "—"


def pipeline(outcome: Outcome) -> str:
    """A Mermaid flowchart of the path: scaffold, CI jobs, image, and each environment's digest and health."""
    status = {step.name: step.status for step in outcome.steps}
    jobs = {job.name: job.result for job in outcome.jobs}

    def mark(result: str) -> str:
        return {"success": "✅", PASSED: "✅", "failure": "❌", FAILED: "❌"}.get(result, "⏭️")

    lines = ["flowchart LR",
             f'  scaffold["{mark(status.get("scaffold", ""))} scaffold<br/>python-service"]']
    for key, label in (("test", "test"), ("security scan", "security scan"), ("policy check", "policy check")):
        node = re.sub(r"\W", "_", key)
        lines.append(f'  {node}["{mark(jobs.get(key, ""))} {label}"]')
        lines.append(f"  scaffold --> {node} --> image")
    lines.append(f'  image["{mark(jobs.get("image", ""))} image<br/>{_short(outcome.digest)}"]')
    previous = "image"
    for env in ("dev", "staging", "prod"):
        state = outcome.environments.get(env, {})
        if state:
            where = f"{state.get('sync', '?')} · {state.get('health', '?')}"
            label = f"{env}<br/>{_short(state.get('digest', ''))}<br/>{where}"
            icon = "✅" if state.get("health") == "Healthy" and state.get("digest") == outcome.digest else "⏸️"
        else:
            label, icon = f"{env}<br/>not promoted by CI", "⏸️"
        lines.append(f'  {env}["{icon} {label}"]')
        lines.append(f"  {previous} --> {env}")
        previous = env
    return "\n".join(lines)


def markdown(outcome: Outcome) -> str:
    """The Markdown report."""
    verdict = "✅ The golden path ran end to end" if outcome.succeeded else "❌ The golden path stopped"
    out = [f"# Golden path: `{outcome.service}`", "",
           f"**{verdict}** in {outcome.total_seconds:.1f} s.", ""]
    if outcome.digest:
        out += [f"Promoted to dev: `{outcome.image}`", ""]
    out += ["```mermaid", pipeline(outcome), "```", "", "## Steps", "",
            "| step | result | time | detail |", "|---|---|---:|---|"]
    for step in outcome.steps:
        out.append(f"| {step.title} | {ICONS.get(step.status, '')} {step.status} | {step.seconds:.1f} s "
                   f"| {_cell(step.detail)} |")
    if outcome.findings:
        out += ["", "## Gates", "", "| gate | result |", "|---|---|"]
        out += [f"| {gate} | {result} |" for gate, result in outcome.findings.items()]
    if outcome.jobs:
        out += ["", "## CI jobs (under act)", "", "| job | result |", "|---|---|"]
        out += [f"| {job.name} | {job.result} |" for job in outcome.jobs]
    if outcome.environments:
        out += ["", "## Environments", "", "| environment | digest | Argo CD | revision |", "|---|---|---|---|"]
        for env, state in outcome.environments.items():
            pinned = state.get("digest") or "—"
            shown = "not promoted yet" if pinned == PLACEHOLDER else f"`{pinned}`"
            out.append(f"| {env} | {shown} | {state.get('sync', '—')} · "
                       f"{state.get('health', '—')} | `{state.get('revision', '')[:12]}` |")
    facts = [("image", outcome.image), ("base image", outcome.base_image),
             ("GitOps commit", outcome.gitops_commit), ("GitHub deployment (dev)", outcome.deployment)]
    facts = [(k, v) for k, v in facts if v]
    if facts:
        out += ["", "## Artifacts", ""] + [f"- {k}: `{v}`" for k, v in facts]
    for job in outcome.jobs:
        if job.summary.strip():
            out += ["", f"<details><summary>{html.escape(job.name)}: step summary</summary>", "",
                    job.summary.strip(), "", "</details>"]
    if outcome.notes:
        out += ["", "## Notes", ""] + [f"- {note}" for note in outcome.notes]
    return "\n".join(out) + "\n"


def terminal(outcome: Outcome) -> str:
    """The short summary printed at the end of the demo."""
    width = max(len(step.title) for step in outcome.steps) if outcome.steps else 10
    lines = ["", f"golden path for {outcome.service}:"]
    for step in outcome.steps:
        lines.append(f"  {ICONS.get(step.status, ' ')} {step.title:<{width}}  {step.seconds:6.1f} s  {step.detail}")
    lines.append(f"  {'':2}{'total':<{width}}  {outcome.total_seconds:6.1f} s")
    for gate, result in outcome.findings.items():
        lines.append(f"  {gate}: {result}")
    if outcome.digest:
        lines.append(f"  promoted to dev: {outcome.image}")
    return "\n".join(lines)


def html_page(outcome: Outcome, markdown_text: str) -> str:
    """A standalone HTML page: the step table and the pipeline rendered, the job summaries as text."""
    rows = "".join(
        f"<tr><td>{html.escape(s.title)}</td><td>{ICONS.get(s.status, '')} {s.status}</td>"
        f"<td style='text-align:right'>{s.seconds:.1f} s</td><td>{html.escape(s.detail)}</td></tr>"
        for s in outcome.steps
    )
    envs = "".join(
        f"<tr><td>{html.escape(env)}</td><td><code>{html.escape(state.get('digest', ''))}</code></td>"
        f"<td>{html.escape(state.get('sync', ''))} · {html.escape(state.get('health', ''))}</td></tr>"
        for env, state in outcome.environments.items()
    )
    verdict = "passed" if outcome.succeeded else "failed"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Golden path: {html.escape(outcome.service)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem}}
pre{{background:#f6f8fa;padding:1rem;overflow:auto}}</style></head><body>
<h1>Golden path: <code>{html.escape(outcome.service)}</code> — {verdict} in {outcome.total_seconds:.1f} s</h1>
<p>Image: <code>{html.escape(outcome.image or '—')}</code></p>
<h2>Steps</h2><table><tr><th>step</th><th>result</th><th>time</th><th>detail</th></tr>{rows}</table>
<h2>Environments</h2><table><tr><th>environment</th><th>digest</th><th>Argo CD</th></tr>{envs}</table>
<h2>Pipeline (Mermaid)</h2><pre>{html.escape(pipeline(outcome))}</pre>
<h2>Full report (Markdown)</h2><pre>{html.escape(markdown_text)}</pre>
</body></html>
"""
