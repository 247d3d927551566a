"""What a scaffolding run tells people: the step summary (with a picture) and the terminal lines."""

from __future__ import annotations

from collections.abc import Sequence

from idp_actions.scaffold.publish import Outcome
from idp_actions.scaffold.request import ScaffoldRequest
from idp_actions.scaffold.selfcheck import Report


def summary(
    request: ScaffoldRequest,
    checks: Report | None,
    *,
    outcome: Outcome | None = None,
    dry_run: bool = False,
    output: str | None = None,
    error: str | None = None,
    environments: Sequence[str] = (),
) -> str:
    """The step summary of ``idp scaffold new``: result, where things are, a diagram and the self-check."""
    manifest = request.manifest
    title = f"`{request.name}` from the `{manifest.name}` template {manifest.version}"
    if error:
        head = f"## ❌ Scaffolding {title} failed\n\n{_quote(error)}\n"
    elif dry_run:
        verdict = "passed its self-check" if checks is None or checks.ok else "FAILED its self-check"
        head = f"## {'🧪' if checks is None or checks.ok else '❌'} Dry run: {title} {verdict}\n"
        if output:
            head += f"\nRendered into `{output}`; nothing was created on GitHub.\n"
    else:
        head = f"## ✅ Scaffolded {title}\n"
    lines = [head]
    if outcome is not None:
        lines += [
            "| | |",
            "|---|---|",
            f"| repository | [{outcome.repository}]({outcome.repository_url}) |",
            f"| catalog entity | `{outcome.entity_ref}` |",
        ]
        if outcome.gitops_pull_url:
            lines.append(f"| GitOps registration | {outcome.gitops_pull_url} |")
        if request.id:
            lines.append(f"| request | `{request.id}` |")
        lines += ["", _diagram(request, outcome, environments), ""]
    if checks is not None:
        lines += ["### Self-check", "", checks.markdown()]
    return "\n".join(lines).rstrip() + "\n"


def _diagram(request: ScaffoldRequest, outcome: Outcome, environments: Sequence[str]) -> str:
    """A Mermaid flowchart: request → repository → GitOps pull request → environments."""
    nodes = [
        "```mermaid",
        "flowchart LR",
        f'  request(["request {_label(request.id or request.name)}"]) --> repo["{_label(outcome.repository)}"]',
    ]
    previous = "repo"
    if outcome.gitops_pull_url:
        nodes.append('  repo --> gitops["GitOps pull request"]')
        previous = "gitops"
    for env in environments:
        app = outcome.applications.get(env, env)
        nodes.append(f'  {previous} --> {_id(env)}["{_label(env)}: {_label(app)}"]')
        previous = _id(env)
    nodes.append("```")
    return "\n".join(nodes)


def _label(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_./:@ ")[:80]


def _id(text: str) -> str:
    return "env_" + "".join(c if c.isalnum() else "_" for c in text)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
