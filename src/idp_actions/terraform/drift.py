"""Drift: one issue per root and workspace, opened when a scheduled plan finds changes, closed when gone.

The issue is found again by a hidden first line of its body (the same marker shape
as sticky comments, purpose ``terraform-drift``) among the open issues labelled
:data:`LABEL` that this token's account wrote. Its body is rewritten on every run
that still finds drift (with a comment only when the drift itself changed), and
it is closed with a comment once a run finds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp_actions import comment
from idp_actions.terraform.pulls import Identity
from idp_actions.terraform.render import COMMENT_BUDGET, Section, comment_body, short_hash, tool_title

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.Repository import Repository

PURPOSE = "terraform-drift"
LABEL = "terraform-drift"


@dataclass(frozen=True, kw_only=True)
class DriftResult:
    """What happened to the issue: ``opened``, ``updated``, ``unchanged``, ``closed`` or ``none``."""

    action: str
    number: int | None = None
    url: str | None = None


def title(section: Section) -> str:
    """``Drift: infra/prod (workspace default) differs from its configuration``."""
    record = section.record
    return f"Drift: {record.root} (workspace {record.workspace}) differs from its configuration"


def body(section: Section, *, run_url: str | None) -> str:
    """The issue body: marker, what to do, and the plan (fitted like a comment)."""
    record = section.record
    tool = tool_title(record.tool)
    run = f"[this run]({run_url})" if run_url else "a scheduled run"
    intro = (
        f"{tool} found that `{record.root}` (workspace `{record.workspace}`) no longer matches its "
        f"configuration in {run}. Either something changed outside of {tool} (see *changed outside*), "
        "or the configuration was never applied.\n\n"
        "**What to do:** bring the configuration in line (a pull request, planned and applied as usual), "
        "or revert the change made by hand. This issue is updated by every scheduled check and closed "
        "automatically when no drift is left.\n\n"
    )
    text, _ = comment_body([section], run_url=run_url, budget=COMMENT_BUDGET - len(intro))
    return comment.marker(PURPOSE, record.key) + "\n" + intro + text


def find(repo: Repository, key: str, who: Identity) -> Issue | None:
    """The open drift issue for ``key`` written by us, if any (the oldest when several)."""
    mark = comment.marker(PURPOSE, key)
    found = []
    for issue in repo.get_issues(state="open", labels=[LABEL]):
        if issue.pull_request is not None or not (issue.body or "").startswith(mark):
            continue
        user = issue.user
        if who.login is not None and (user is None or user.login != who.login):
            continue
        if who.login is None and (user is None or user.type != "Bot"):
            continue
        found.append(issue)
    found.sort(key=lambda i: i.number)
    return found[0] if found else None


def sync(
    repo: Repository,
    section: Section,
    *,
    drifted: bool,
    who: Identity,
    run_url: str | None,
) -> DriftResult:
    """Open, update or close the drift issue of ``section``'s root and workspace."""
    record = section.record
    existing = find(repo, record.key, who)
    where = f" in [this run]({run_url})" if run_url else ""
    if not drifted:
        if existing is None:
            return DriftResult(action="none")
        existing.create_comment(f"✅ No drift left{where}: `{record.key}` matches its configuration. Closing.")
        existing.edit(state="closed", state_reason="completed")
        return DriftResult(action="closed", number=existing.number, url=existing.html_url)
    text = body(section, run_url=run_url)
    if existing is None:
        created = repo.create_issue(title=title(section), body=text, labels=[LABEL])
        return DriftResult(action="opened", number=created.number, url=created.html_url)
    previous = _plan_hash(existing.body or "")
    if (existing.body or "") == text:
        return DriftResult(action="unchanged", number=existing.number, url=existing.html_url)
    existing.edit(title=title(section), body=text)
    if previous != record.plan_hash:
        existing.create_comment(
            f"The drift changed{where}: now {section.summary.headline()} "
            f"(plan {short_hash(record.plan_hash)})."
        )
    return DriftResult(action="updated", number=existing.number, url=existing.html_url)


def _plan_hash(text: str) -> str | None:
    from idp_actions.terraform.record import decode

    records = decode(text)
    return records[0].plan_hash if records else None
