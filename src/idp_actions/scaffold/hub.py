"""The GitHub calls scaffolding makes, over the client from :func:`idp_actions.github.make_github`.

One method per REST operation, each wrapped in :func:`~idp_actions.github.api_errors`
so a refusal says what was being done and which permission it needs. Calls
go through PyGithub's public ``requester`` with the documented endpoint paths,
so what is sent is exactly what GitHub's REST reference describes (rulesets,
team permissions and topics have no stable PyGithub object API).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from idp_actions.errors import InputError
from idp_actions.github import api_errors

if TYPE_CHECKING:
    from github import Github


@dataclass(frozen=True, kw_only=True)
class RepoInfo:
    """What scaffolding needs to know about a repository."""

    full_name: str
    html_url: str
    clone_url: str
    default_branch: str


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)


class Hub:
    """Scaffolding's view of GitHub, over a PyGithub client."""

    def __init__(self, github: Github) -> None:
        self._gh = github

    def _call(self, verb: str, url: str, body: Any = None) -> Any:
        _headers, data = self._gh.requester.requestJsonAndCheck(verb, url, input=body)
        return data

    def _exists(self, url: str, action: str) -> bool:
        from github.GithubException import UnknownObjectException

        with api_errors(action):
            try:
                self._call("GET", url)
            except UnknownObjectException:
                return False
        return True

    # ---------------------------------------------------------------- reading

    def org_exists(self, org: str) -> bool:
        """Whether organization ``org`` exists and the token sees it."""
        return self._exists(_path("orgs", org), f"read organization {org}")

    def team_exists(self, org: str, slug: str) -> bool:
        """Whether team ``slug`` exists in ``org``."""
        return self._exists(_path("orgs", org, "teams", slug), f"read team {org}/{slug}")

    def repo_exists(self, full_name: str) -> bool:
        """Whether repository ``owner/name`` exists (and the token sees it)."""
        return self._exists(_path("repos", *full_name.split("/", 1)), f"read repository {full_name}")

    def repo(self, full_name: str) -> RepoInfo:
        """A repository's URLs and default branch."""
        with api_errors(f"read repository {full_name}", permission="contents: read"):
            data = self._call("GET", _path("repos", *full_name.split("/", 1)))
        return _info(data)

    # ---------------------------------------------------------------- writing

    def create_repo(self, org: str, name: str, *, description: str, visibility: str) -> RepoInfo:
        """An empty repository in ``org`` (no initial commit: the first push brings it)."""
        body = {
            "name": name,
            "description": description,
            "visibility": visibility,
            "private": visibility != "public",
            "auto_init": False,
            "has_wiki": False,
            "has_projects": False,
            "allow_squash_merge": True,
            "allow_merge_commit": False,
            "allow_rebase_merge": False,
            "delete_branch_on_merge": True,
        }
        with api_errors(f"create repository {org}/{name}", permission="administration: write (GitHub App)"):
            return _info(self._call("POST", _path("orgs", org, "repos"), body))

    def set_topics(self, full_name: str, topics: Sequence[str]) -> None:
        """Replace the repository's topics."""
        with api_errors(f"set the topics of {full_name}", permission="administration: write"):
            self._call("PUT", _path("repos", *full_name.split("/", 1), "topics"), {"names": list(topics)})

    def grant_team(self, org: str, slug: str, full_name: str, permission: str) -> None:
        """Give team ``slug`` ``permission`` (pull, triage, push, maintain, admin) on the repository."""
        owner, repo = full_name.split("/", 1)
        with api_errors(f"give team {slug} {permission} access to {full_name}",
                        permission="administration: write and members: read"):
            self._call("PUT", _path("orgs", org, "teams", slug, "repos", owner, repo), {"permission": permission})

    def update_repo(self, full_name: str, **fields: Any) -> None:
        """PATCH the repository (default_branch, description, archived …)."""
        with api_errors(f"update repository {full_name}", permission="administration: write"):
            self._call("PATCH", _path("repos", *full_name.split("/", 1)), fields)

    def create_ruleset(self, full_name: str, ruleset: dict[str, Any]) -> int:
        """A repository ruleset; returns its id."""
        with api_errors(f"create the ruleset {ruleset.get('name')!r} of {full_name}",
                        permission="administration: write"):
            data = self._call("POST", _path("repos", *full_name.split("/", 1), "rulesets"), ruleset)
        return int(data["id"])

    def delete_repo(self, full_name: str) -> None:
        """Delete the repository (the App needs administration: write, and the org must allow it)."""
        with api_errors(f"delete repository {full_name}", permission="administration: write"):
            self._call("DELETE", _path("repos", *full_name.split("/", 1)))

    def create_pull(self, full_name: str, *, head: str, base: str, title: str, body: str) -> tuple[int, str]:
        """Open a pull request; returns its number and URL."""
        with api_errors(f"open a pull request on {full_name}", permission="pull-requests: write"):
            data = self._call("POST", _path("repos", *full_name.split("/", 1), "pulls"),
                              {"title": title, "head": head, "base": base, "body": body, "draft": False})
        return int(data["number"]), str(data["html_url"])

    def set_status(self, full_name: str, sha: str, *, state: str, context: str, description: str) -> None:
        """A commit status (``failure`` blocks a merge when the check is required)."""
        with api_errors(f"set the status {context!r} on {full_name}@{sha[:12]}", permission="statuses: write"):
            self._call("POST", _path("repos", *full_name.split("/", 1), "statuses", sha),
                       {"state": state, "context": context, "description": description[:140]})


def _info(data: Any) -> RepoInfo:
    return RepoInfo(
        full_name=str(data["full_name"]),
        html_url=str(data["html_url"]),
        clone_url=str(data["clone_url"]),
        default_branch=str(data.get("default_branch") or "main"),
    )


def ruleset(*, approvals: int, checks: Sequence[str]) -> dict[str, Any]:
    """The default branch's ruleset: reviews (code owners included), required checks, no force-push."""
    rules: list[dict[str, Any]] = [
        {"type": "deletion"},
        {"type": "non_fast_forward"},
        {
            "type": "pull_request",
            "parameters": {
                "required_approving_review_count": approvals,
                "dismiss_stale_reviews_on_push": True,
                "require_code_owner_review": True,
                "require_last_push_approval": False,
                "required_review_thread_resolution": True,
            },
        },
    ]
    if checks:
        rules.append({
            "type": "required_status_checks",
            "parameters": {
                "strict_required_status_checks_policy": False,
                "required_status_checks": [{"context": check} for check in checks],
            },
        })
    return {
        "name": "default branch (idp scaffold)",
        "target": "branch",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        "rules": rules,
    }


def app_token(app_id: str, private_key: str, org: str, *, base_url: str) -> str:
    """An installation token of GitHub App ``app_id`` for organization ``org`` (valid for an hour).

    Minted here, inside the one process that uses it, so it never passes through
    a workflow's outputs or logs. ``base_url`` is the REST API's root.
    """
    from github import Auth, GithubIntegration

    if not app_id.strip().isdigit():
        raise InputError(f"app-id must be the GitHub App's numeric ID, got {app_id!r}")
    if "PRIVATE KEY" not in private_key:
        raise InputError("app-private-key is not a PEM private key",
                         hint="paste the whole .pem file GitHub gave for the App into the secret")
    integration = GithubIntegration(auth=Auth.AppAuth(int(app_id), private_key), base_url=base_url,
                                    seconds_between_requests=None, seconds_between_writes=None)
    try:
        with api_errors(f"find the GitHub App {app_id}'s installation in {org}"):
            installation = integration.get_org_installation(org)
        with api_errors(f"create an installation token for {org}"):
            return str(integration.get_access_token(installation.id).token)
    finally:
        integration.close()
