"""The GitHub side of plans: the sticky plan comment, reviewed records, a commit's pull request.

Thin adapters over PyGithub objects built by the caller (``make_github``); the
decisions are in :mod:`.review`. Only comments written by the account this token
acts as (or, for tokens that cannot say, by a bot) are trusted as reviewed plans:
a record pasted into a comment by anyone else is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp_actions import comment
from idp_actions.terraform.record import PlanRecord, decode

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue
    from github.PullRequest import PullRequest
    from github.Repository import Repository

PURPOSE = "terraform-plan"
COMBINED_KEY = "combined"
_PREFIX = f"{comment.MARKER_PREFIX}purpose={PURPOSE} "


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Whose comments are ours: a login, or any bot when the token cannot tell."""

    login: str | None
    bots_only: bool


def identity(gh: Github) -> Identity:
    """The token's account; GITHUB_TOKEN and App tokens get 403 from ``GET /user`` and mean "a bot"."""
    from github.GithubException import GithubException

    try:
        return Identity(login=gh.get_user().login, bots_only=False)
    except GithubException as exc:
        if exc.status == 403:
            return Identity(login=None, bots_only=True)
        raise


def _ours(body: str | None, user: object, who: Identity) -> bool:
    if not (body or "").startswith(_PREFIX):
        return False
    login = getattr(user, "login", None)
    if who.login is not None:
        return bool(login == who.login)
    return getattr(user, "type", None) == "Bot"


def reviewed_records(issue: Issue, who: Identity) -> list[PlanRecord]:
    """Every plan record in our plan comments on ``issue``, oldest comment first."""
    found = []
    for item in issue.get_comments():
        if _ours(item.body, item.user, who):
            found.append((item.created_at, item.id, decode(item.body or "")))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [record for _, _, records in found for record in records]


def upsert(issue: Issue, key: str, body: str, who: Identity, *, hint: str) -> comment.CommentResult:
    """Create or update the sticky plan comment for ``key`` (a ``root:workspace`` or ``combined``)."""
    return comment.upsert_comment(
        issue, purpose=PURPOSE, key=key, body=body, author=who.login, bots_only=who.bots_only, hint=hint
    )


def pull_for_commit(repo: Repository, sha: str) -> PullRequest | None:
    """The pull request that brought ``sha`` to its branch (merged with that commit), else the first listed."""
    pulls = list(repo.get_commit(sha).get_pulls())
    for pull in pulls:
        if pull.merged_at is not None and pull.merge_commit_sha == sha:
            return pull
    return pulls[0] if pulls else None


def branch_head(repo: Repository, branch: str) -> str:
    """The commit at the tip of ``branch``."""
    return str(repo.get_git_ref(f"heads/{branch}").object.sha)
