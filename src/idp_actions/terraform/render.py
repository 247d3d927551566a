"""Markdown for plans: the sticky pull-request comment, the step summary and the drift issue.

Pure functions from :class:`~.plan.PlanSummary` and :class:`~.record.PlanRecord`
to text. A comment always fits GitHub's limit: :func:`comment_body` renders every
resource first and, while the result is too long, shows fewer resources per action
(the counts, the picture and the hidden records always stay; the full plan is in
the step summary and the run's artifact).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from idp_actions.comment import COMMENT_LIMIT, github_length
from idp_actions.terraform.plan import ACTIONS, OutputChange, PlanSummary, ResourceChange
from idp_actions.terraform.record import PlanRecord, encode_all

#: Room left for the sticky marker line and GitHub's own counting of the body.
COMMENT_BUDGET = COMMENT_LIMIT - 512
#: Resources shown per action, tried in turn until the comment fits (None: all).
CAPS: tuple[int | None, ...] = (None, 1000, 300, 100, 30, 10, 3, 0)
MAX_ATTRIBUTES = 25
MAX_POLICY_CHARS = 4000

_LABELS = {
    "create": ("➕", "to add"),  # noqa: RUF001 (an emoji, on purpose)
    "update": ("✏️", "to change"),
    "replace": ("♻️", "to replace"),
    "delete": ("🗑️", "to destroy"),
    "read": ("📖", "to read"),
    "forget": ("🫥", "to forget (removed from state, not destroyed)"),
    "move": ("🚚", "moved"),
    "import": ("📥", "to import"),
}
_MARKS = {"create": "+", "update": "!", "replace": "-/+", "delete": "-", "read": "<=", "forget": "#",
          "move": ">", "import": "+"}
_REASONS = {
    "replace_because_tainted": "tainted",
    "replace_because_cannot_update": "cannot be updated in place",
    "replace_by_request": "replacement requested (-replace)",
    "replace_by_triggers": "replace_triggered_by",
    "delete_because_no_resource_config": "no longer in the configuration",
    "delete_because_no_module": "its module is no longer in the configuration",
    "delete_because_wrong_repetition": "count/for_each changed",
    "delete_because_count_index": "count index out of range",
    "delete_because_each_key": "for_each key removed",
    "delete_because_no_move_target": "moved to an address that does not exist",
    "read_because_config_unknown": "configuration known only after apply",
    "read_because_dependency_pending": "a dependency has pending changes",
}
_MERMAID_CLASSES = (
    "  classDef create fill:#dafbe1,stroke:#1a7f37,color:#0f5323\n"
    "  classDef update fill:#fff8c5,stroke:#9a6700,color:#4d2d00\n"
    "  classDef replace fill:#ffe7d1,stroke:#bc4c00,color:#762c00\n"
    "  classDef delete fill:#ffebe9,stroke:#cf222e,color:#82071e\n"
    "  classDef other fill:#f6f8fa,stroke:#57606a,color:#24292f\n"
    "  classDef root fill:#ddf4ff,stroke:#0969da,color:#0a3069\n"
)


@dataclass(frozen=True, kw_only=True)
class PolicyOutcome:
    """What ``idp policy check`` said about a plan: ``status`` pass, warn, deny or error, and its report."""

    status: str
    report: str = ""

    @property
    def blocks_apply(self) -> bool:
        """A deny (or a check that could not run) blocks the apply."""
        return self.status in ("deny", "error")


@dataclass(frozen=True, kw_only=True)
class Section:
    """One root and workspace in a comment or summary."""

    record: PlanRecord
    summary: PlanSummary
    policy: PolicyOutcome | None = None


# ---------------------------------------------------------------- helpers


def tool_title(tool: str) -> str:
    """``OpenTofu`` or ``Terraform`` for a record's ``tool`` (``tofu 1.12.6``)."""
    return "Terraform" if tool.split(" ", 1)[0] == "terraform" else "OpenTofu"


def code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fence_for(text: str, char: str = "`") -> str:
    """A code fence longer than any run of ``char`` at the start of a line of ``text``."""
    longest = max((len(m) for m in re.findall(rf"^ {{0,3}}({re.escape(char)}{{3,}})", text, re.M)), default=0)
    return char * max(3, longest + 1)


def short_hash(value: str) -> str:
    """``sha256:0123456789ab`` (12 hex digits, enough to tell plans apart when reading)."""
    algo, _, digest = value.partition(":")
    return f"{algo}:{digest[:12]}" if digest else value[:19]


def group_of(change: ResourceChange) -> str:
    """The group a change is listed under: its action, or ``move``/``import`` for a no-op that does one."""
    if change.action != "no-op":
        return change.action
    return "import" if change.import_id is not None else "move"


def _groups(summary: PlanSummary) -> list[tuple[str, list[ResourceChange]]]:
    grouped: dict[str, list[ResourceChange]] = {}
    for change in summary.changes:
        grouped.setdefault(group_of(change), []).append(change)
    order = [*ACTIONS, "import", "move"]
    order += sorted(set(grouped) - set(order))
    return [(name, grouped[name]) for name in order if name in grouped]


def _notes(change: ResourceChange, group: str) -> str:
    notes = []
    if change.previous_address and group != "move":
        notes.append(f"moved from {change.previous_address}")
    if group == "move":
        notes.append(f"moved from {change.previous_address}")
    if change.import_id is not None:
        notes.append(f"import id {json.dumps(change.import_id, ensure_ascii=False)}" if change.import_id else "import")
    if change.deposed:
        notes.append(f"deposed object {change.deposed}")
    if change.reason:
        notes.append(_REASONS.get(change.reason, change.reason.replace("_", " ")))
    return f"  # {'; '.join(notes)}" if notes else ""


def _change_lines(change: ResourceChange, group: str, *, attributes: bool) -> list[str]:
    lines = [f"{_MARKS.get(group, '~')} {change.address}{_notes(change, group)}"]
    if attributes and change.attributes:
        shown = change.attributes[:MAX_ATTRIBUTES]
        for attr in shown:
            forced = "  # forces replacement" if attr.forces_replacement else ""
            lines.append(f"    {attr.name}: {attr.before} -> {attr.after}{forced}")
        if len(change.attributes) > len(shown):
            lines.append(f"    … {len(change.attributes) - len(shown)} more attributes")
    return lines


def _code_block(lines: Sequence[str], language: str = "diff") -> str:
    body = "\n".join(lines)
    fence = fence_for(body)
    return f"{fence}{language}\n{body}\n{fence}\n"


def _details(summary_line: str, content: str, *, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary_line}</summary>\n\n{content}\n</details>\n"


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ------------------------------------------------------------------ pieces


def mermaid(sections: Sequence[Section]) -> str:
    """A Mermaid flowchart of the changes by action, one root node per section; empty when nothing changes."""
    lines = []
    for index, section in enumerate(sections):
        summary = section.summary
        groups = [(name, len(items)) for name, items in _groups(summary)]
        if section.summary.outputs:
            groups.append(("outputs", len(section.summary.outputs)))
        if not groups:
            continue
        root_id = f"r{index}"
        label = _mermaid_label(f"{section.record.root} · {section.record.workspace}")
        lines.append(f'  {root_id}["{label}"]:::root')
        for name, count in groups:
            emoji, words = _LABELS.get(name, ("", "output changes" if name == "outputs" else name))
            node = f"{root_id}{re.sub(r'[^a-z]', '', name)}"
            css = name if name in ("create", "update", "replace", "delete") else "other"
            text = _mermaid_label(f"{emoji} {count} {words.split(' (')[0]}".strip())
            lines.append(f'  {root_id} --> {node}["{text}"]:::{css}')
    if not lines:
        return ""
    return "```mermaid\nflowchart LR\n" + "\n".join(lines) + "\n" + _MERMAID_CLASSES + "```\n"


def _mermaid_label(text: str) -> str:
    for raw, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;")):
        text = text.replace(raw, entity)
    return text


def _outputs_block(outputs: Sequence[OutputChange], cap: int | None) -> str:
    marks = {"create": "+", "delete": "-", "update": "!"}
    shown = outputs if cap is None else outputs[: max(cap, 0)]
    lines = [f"{marks.get(o.action, '~')} {o.name} = {o.before} -> {o.after}" for o in shown]
    if len(outputs) > len(shown):
        lines.append(f"# … and {len(outputs) - len(shown)} more")
    if not lines:
        return ""
    return _details(f"Output changes ({len(outputs)})", _code_block(lines))


def headline(section: Section) -> str:
    """The one-line verdict of a section."""
    summary, record = section.summary, section.record
    tool = tool_title(record.tool)
    if summary.errored:
        return f"❌ **The plan failed.** {tool} could not finish planning; see the run's log."
    if not summary.has_changes:
        return "✅ **No changes.** The infrastructure matches the configuration; applying would do nothing."
    text = f"**Plan:** {summary.headline()}"
    if summary.outputs:
        text += f"; {len(summary.outputs)} output change{'s' if len(summary.outputs) != 1 else ''}"
    if record.destroy:
        text = "⚠️ **Destroy plan** (requested explicitly). " + text
    elif summary.count("delete") or summary.count("replace"):
        text = "⚠️ " + text
    return text


def section_markdown(section: Section, *, cap: int | None = None, heading: str = "###") -> str:
    """One root and workspace: heading, verdict, resources by action, outputs, drift, policy.

    ``cap`` limits the resources listed per action (None: all, with attribute changes;
    0: counts only).
    """
    record, summary = section.record, section.summary
    tool = tool_title(record.tool)
    parts = [
        f"{heading} {tool} plan: {code(record.root)} · workspace {code(record.workspace)}\n",
        headline(section) + "\n",
    ]
    attributes = cap is None or cap >= 30
    for name, items in _groups(summary):
        emoji, words = _LABELS.get(name, ("", name))
        shown = items if cap is None else items[:cap]
        if cap == 0:
            continue
        lines = [line for change in shown for line in _change_lines(change, name, attributes=attributes)]
        if len(items) > len(shown):
            lines.append(f"# … and {len(items) - len(shown)} more: see the full plan in the step summary")
        parts.append(
            _details(f"{emoji} {len(items)} {words}", _code_block(lines), open_=name in ("delete", "replace"))
        )
    if summary.outputs:
        parts.append(_outputs_block(summary.outputs, cap))
    if summary.drift:
        lines = [
            line for change in (summary.drift if cap is None else summary.drift[:cap])
            for line in _change_lines(change, change.action, attributes=attributes)
        ]
        if cap is not None and len(summary.drift) > cap:
            lines.append(f"# … and {len(summary.drift) - cap} more")
        parts.append(
            _details(
                f"🌀 {len(summary.drift)} changed outside of {tool} (found while refreshing)",
                _code_block(lines) if lines else "_see the step summary_\n",
            )
        )
    if section.policy is not None:
        parts.append(policy_markdown(section.policy))
    return "\n".join(parts)


def policy_markdown(policy: PolicyOutcome) -> str:
    """The policy check's verdict and (cut) report."""
    verdicts = {
        "pass": "✅ **Policy:** every check passed.",
        "warn": "⚠️ **Policy:** passed with warnings.",
        "deny": "⛔ **Policy:** denied. The apply is blocked until the plan complies.",
        "error": "❌ **Policy:** the check could not run; the apply is blocked.",
        "skipped": "ℹ️ **Policy:** not checked (the policy engine is not available).",  # noqa: RUF001
    }
    text = verdicts.get(policy.status, f"**Policy:** {policy.status}") + "\n"
    report = policy.report.strip()
    if report:
        if len(report) > MAX_POLICY_CHARS:
            report = report[:MAX_POLICY_CHARS] + "\n… (cut; the full report is in the step summary)"
        text += "\n" + _details("Policy report", _code_block(report.splitlines(), "text"))
    return text


def footer(sections: Sequence[Section], run_url: str | None) -> str:
    """What identifies the plans: hash, tool, commit and run; and what the apply will do with them."""
    lines = []
    for section in sections:
        record = section.record
        where = f" · commit {code(record.commit[:12])}" if record.commit else ""
        lines.append(
            f"<sub>{_escape_html(record.key)}: plan {code(short_hash(record.plan_hash))} · "
            f"{_escape_html(record.tool)}{where}</sub>"
        )
    run = f" in [this run]({run_url})" if run_url else ""
    lines.append(
        f"<sub>Planned{run}. On merge the root is planned again and applied only if that plan "
        "has this hash; anything else is refused as `plan-changed`.</sub>"
    )
    return "\n".join(lines) + "\n"


def comment_body(
    sections: Sequence[Section],
    *,
    run_url: str | None = None,
    budget: int = COMMENT_BUDGET,
) -> tuple[str, int | None]:
    """The comment (hidden records first) and the per-action cap it needed to fit ``budget``.

    The cap is None when every resource fits.
    """
    records = encode_all(section.record for section in sections) + "\n"
    picture = mermaid(sections)
    tail = footer(sections, run_url)
    combined = len(sections) > 1
    body = ""
    for cap in CAPS:
        parts = [records]
        if combined:
            tool = tool_title(sections[0].record.tool)
            parts.append(f"## {tool} plans ({len(sections)} roots)\n")
            parts.append("\n".join(f"- {code(s.record.key)}: {headline(s)}" for s in sections) + "\n")
            if picture:
                parts.append(picture)
        for index, section in enumerate(sections):
            text = section_markdown(section, cap=cap, heading="###")
            if not combined and picture:
                first, _, rest = text.partition("\n")
                verdict, _, rest = rest.lstrip("\n").partition("\n")
                text = f"{first}\n\n{verdict}\n\n{picture}\n{rest}"
            parts.append(text)
            if index < len(sections) - 1:
                parts.append("---\n")
        if cap is not None:
            parts.append(
                "> [!NOTE]\n> This plan is too long for a comment: the lists are shortened. "
                "The full plan is in the step summary and the run's artifacts.\n"
            )
        parts.append(tail)
        body = "\n".join(parts)
        if github_length(body) <= budget:
            return body, cap
    return body, 0


def step_summary(section: Section, plan_text: str, *, run_url: str | None = None) -> str:
    """The step summary: the whole section (every resource) and the tool's own text of the plan."""
    text = section_markdown(section, cap=None, heading="##")
    first, _, rest = text.partition("\n")
    verdict, _, rest = rest.lstrip("\n").partition("\n")
    picture = mermaid([section])
    parts = [f"{first}\n\n{verdict}\n", picture, rest]
    if plan_text.strip():
        fence = fence_for(plan_text)
        parts.append(
            _details(f"Full {tool_title(section.record.tool)} output", f"{fence}text\n{plan_text.rstrip()}\n{fence}\n")
        )
    parts.append(footer([section], run_url))
    return "\n".join(part for part in parts if part)
