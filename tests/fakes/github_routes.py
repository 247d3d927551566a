"""The fake GitHub's core routes: users, repositories, contents, git refs, pulls, issue comments.

Response bodies follow the schemas of GitHub's OpenAPI description (every
required field, URLs built from the fake's own base URL, ISO 8601 ``Z``
timestamps); tests/integration/test_fake_github_openapi.py checks them.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from typing import Any
from urllib.parse import quote

from tests.fakes.github_server import (
    DOCS,
    ApiError,
    Request,
    Response,
    Router,
    Urls,
    not_found,
    paginate,
    validation_failed,
)
from tests.fakes.github_state import (
    Account,
    Comment,
    Commit,
    FakeState,
    Issue,
    Repo,
    blob_sha,
    iso,
    node_id,
)

INTEGRATION_FORBIDDEN = "Resource not accessible by integration"
DOCS_USERS = f"{DOCS}/users/users"
DOCS_REPOS = f"{DOCS}/repos/repos"
DOCS_CONTENTS = f"{DOCS}/repos/contents"
DOCS_PUT_CONTENTS = f"{DOCS_CONTENTS}#create-or-update-file-contents"


def register(router: Router) -> None:
    """Add the core routes to ``router``."""
    router.add("GET", "/user", get_authenticated_user)
    router.add("POST", "/user/repos", create_user_repo)
    router.add("GET", "/orgs/{org}", get_org)
    router.add("POST", "/orgs/{org}/repos", create_org_repo)
    router.add("GET", "/repos/{owner}/{repo}", get_repo)
    router.add("GET", "/repos/{owner}/{repo}/contents/{path}", get_contents)
    router.add("PUT", "/repos/{owner}/{repo}/contents/{path}", put_contents)
    router.add("GET", "/repos/{owner}/{repo}/git/ref/{ref}", get_ref)
    router.add("POST", "/repos/{owner}/{repo}/git/refs", create_ref)
    router.add("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", update_ref)
    router.add("GET", "/repos/{owner}/{repo}/pulls", list_pulls)
    router.add("POST", "/repos/{owner}/{repo}/pulls", create_pull)
    router.add("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", get_pull)
    router.add("GET", "/repos/{owner}/{repo}/issues/{issue_number}", get_issue)
    router.add("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", list_comments)
    router.add("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", create_comment)
    router.add("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}", get_comment)
    router.add("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", update_comment)
    router.add("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", delete_comment)


# ------------------------------------------------------------------ helpers


def _me(request: Request) -> Account:
    assert request.identity is not None  # routes with auth=True
    return request.identity


def _is_integration(state: FakeState, request: Request) -> bool:
    return request.token in state.integration_tokens


def _repo(state: FakeState, request: Request) -> Repo:
    repo = state.repo(f"{request.params['owner']}/{request.params['repo']}")
    if repo is None or (repo.private and not _can_see(repo, request)):
        raise not_found()
    return repo


def _can_see(repo: Repo, request: Request) -> bool:
    me = request.identity
    if me is None:
        return False
    return me.type == "Bot" or me.login == repo.owner.login or me.login in repo.owner.members


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return request.body


def _str_field(body: dict[str, Any], name: str, resource: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise validation_failed(f"{name} is missing or not a string", resource=resource, field_name=name)
    return value


def _association(repo: Repo, user: Account) -> str:
    if user.login == repo.owner.login:
        return "OWNER"
    if user.login in repo.owner.members:
        return "MEMBER"
    return "NONE"


# ----------------------------------------------------------------- payloads


def simple_user(user: Account, urls: Urls) -> dict[str, Any]:
    """The Simple User schema."""
    login = quote(user.login)
    api = f"{urls.api}/users/{login}"
    html = f"{urls.web}/{login}"
    if user.type == "Bot":
        html = f"{urls.web}/apps/{login.removesuffix('%5Bbot%5D')}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": user.node_id,
        "avatar_url": f"{urls.web}/avatars/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": html,
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def private_user(state: FakeState, user: Account, urls: Urls) -> dict[str, Any]:
    """The Private User schema (``GET /user``)."""
    owned = [r for r in state.repos.values() if r.owner is user]
    return {
        **simple_user(user, urls),
        "name": user.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": user.email,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": sum(1 for r in owned if not r.private),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.created_at),
        "private_gists": 0,
        "total_private_repos": sum(1 for r in owned if r.private),
        "owned_private_repos": sum(1 for r in owned if r.private),
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": True,
    }


def organization(state: FakeState, org: Account, urls: Urls) -> dict[str, Any]:
    """The Organization Full schema (``GET /orgs/{org}``)."""
    api = f"{urls.api}/orgs/{quote(org.login)}"
    return {
        "login": org.login,
        "id": org.id,
        "node_id": org.node_id,
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": f"{urls.web}/avatars/u/{org.id}?v=4",
        "description": None,
        "name": org.name,
        "html_url": f"{urls.web}/{quote(org.login)}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": sum(1 for r in state.repos.values() if r.owner is org and not r.private),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": iso(org.created_at),
        "updated_at": iso(org.created_at),
        "archived_at": None,
    }


def repository(repo: Repo, urls: Urls, *, viewer: Account | None = None) -> dict[str, Any]:
    """The Repository schema (as nested in pull requests)."""
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    api = f"{urls.api}/repos/{full}"
    html = f"{urls.web}/{full}"
    host = urls.web.split("://", 1)[1]
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    admin = viewer is not None and (viewer.login == repo.owner.login or viewer.login in repo.owner.members)
    return {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": simple_user(repo.owner, urls),
        "private": repo.private,
        "html_url": html,
        "description": repo.description,
        "fork": False,
        "url": api,
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{api}/assignees{{/user}}",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "comments_url": f"{api}/comments{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "contributors_url": f"{api}/contributors",
        "deployments_url": f"{api}/deployments",
        "downloads_url": f"{api}/downloads",
        "events_url": f"{api}/events",
        "forks_url": f"{api}/forks",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "git_url": f"git://{host}/{full}.git",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "keys_url": f"{api}/keys{{/key_id}}",
        "labels_url": f"{api}/labels{{/name}}",
        "languages_url": f"{api}/languages",
        "merges_url": f"{api}/merges",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "ssh_url": f"git@{host}:{full}.git",
        "stargazers_url": f"{api}/stargazers",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "tags_url": f"{api}/tags",
        "teams_url": f"{api}/teams",
        "trees_url": f"{api}/git/trees{{/sha}}",
        "clone_url": f"{html}.git",
        "mirror_url": None,
        "hooks_url": f"{api}/hooks",
        "svn_url": html,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": sum(len(data) for c in repo.commits.values() for data in c.tree.values()) // 1024,
        "default_branch": repo.default_branch,
        "open_issues_count": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.private else "public",
        "pushed_at": iso(repo.pushed_at),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.updated_at),
        "permissions": {
            "admin": admin,
            "maintain": admin,
            "push": admin or (viewer is not None and viewer.type == "Bot"),
            "triage": True,
            "pull": True,
        },
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "license": None,
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
    }


def full_repository(repo: Repo, urls: Urls, *, viewer: Account | None = None) -> dict[str, Any]:
    """The Full Repository schema (``GET /repos/{owner}/{repo}``, repository creation)."""
    payload = {
        **repository(repo, urls, viewer=viewer),
        "has_discussions": False,
        "allow_merge_commit": True,
        "allow_squash_merge": True,
        "allow_rebase_merge": True,
        "allow_auto_merge": False,
        "delete_branch_on_merge": False,
        "network_count": 0,
        "subscribers_count": 0,
    }
    if repo.owner.type == "Organization":
        payload["organization"] = simple_user(repo.owner, urls)
    return payload


def _content_urls(repo: Repo, path: str, ref: str, sha: str, urls: Urls, kind: str) -> dict[str, Any]:
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    qpath = quote(path)
    self_url = f"{urls.api}/repos/{full}/contents/{qpath}?ref={quote(ref, safe='')}"
    git_url = f"{urls.api}/repos/{full}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html_url = f"{urls.web}/{full}/{'tree' if kind == 'dir' else 'blob'}/{quote(ref)}/{qpath}"
    download = f"{urls.web}/raw/{full}/{quote(ref)}/{qpath}" if kind == "file" else None
    return {
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def content_file(repo: Repo, path: str, ref: str, data: bytes, urls: Urls) -> dict[str, Any]:
    """The Content File schema; content is base64 in lines of 60, as GitHub sends it."""
    encoded = base64.b64encode(data).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    sha = blob_sha(data)
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": posixpath.basename(path),
        "path": path,
        "content": wrapped,
        "sha": sha,
        **_content_urls(repo, path, ref, sha, urls, "file"),
    }


def commit_payload(repo: Repo, commit: Commit, urls: Urls) -> dict[str, Any]:
    """The commit half of the File Commit schema."""
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    who = {"name": commit.author_name, "email": commit.author_email, "date": iso(commit.date)}
    return {
        "sha": commit.sha,
        "node_id": node_id("C", int(commit.sha[:12], 16)),
        "url": f"{urls.api}/repos/{full}/git/commits/{commit.sha}",
        "html_url": f"{urls.web}/{full}/commit/{commit.sha}",
        "author": who,
        "committer": who,
        "message": commit.message,
        "tree": {"url": f"{urls.api}/repos/{full}/git/trees/{commit.tree_sha}", "sha": commit.tree_sha},
        "parents": [
            {
                "url": f"{urls.api}/repos/{full}/git/commits/{parent}",
                "html_url": f"{urls.web}/{full}/commit/{parent}",
                "sha": parent,
            }
            for parent in commit.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def git_ref(repo: Repo, ref: str, urls: Urls) -> dict[str, Any]:
    """The Git Reference schema."""
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    sha = repo.refs[ref]
    return {
        "ref": ref,
        "node_id": node_id("REF", abs(hash((repo.id, ref))) % 10**12),
        "url": f"{urls.api}/repos/{full}/git/{quote(ref)}",
        "object": {"type": "commit", "sha": sha, "url": f"{urls.api}/repos/{full}/git/commits/{sha}"},
    }


def _pull_common(repo: Repo, issue: Issue, urls: Urls) -> dict[str, Any]:
    pull = issue.pull
    assert pull is not None
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    api = f"{urls.api}/repos/{full}"
    html = f"{urls.web}/{full}/pull/{issue.number}"
    n = issue.number

    def side(ref: str, sha: str, owner: Account) -> dict[str, Any]:
        return {
            "label": f"{owner.login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": simple_user(owner, urls),
            "repo": repository(repo, urls),
        }

    head_commit = repo.head(pull.head_ref)
    return {
        "url": f"{api}/pulls/{n}",
        "id": pull.id,
        "node_id": node_id("PR", pull.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{api}/issues/{n}",
        "commits_url": f"{api}/pulls/{n}/commits",
        "review_comments_url": f"{api}/pulls/{n}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{n}/comments",
        "statuses_url": f"{api}/statuses/{pull.head_sha}",
        "number": n,
        "state": issue.state,
        "locked": False,
        "title": issue.title,
        "user": simple_user(issue.user, urls),
        "body": issue.body,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at) if issue.closed_at else None,
        "merged_at": iso(pull.merged_at) if pull.merged_at else None,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(pull.head_ref, head_commit.sha if head_commit else pull.head_sha, pull.head_owner),
        "base": side(pull.base_ref, pull.base_sha, repo.owner),
        "_links": {
            "self": {"href": f"{api}/pulls/{n}"},
            "html": {"href": html},
            "issue": {"href": f"{api}/issues/{n}"},
            "comments": {"href": f"{api}/issues/{n}/comments"},
            "review_comments": {"href": f"{api}/pulls/{n}/comments"},
            "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/pulls/{n}/commits"},
            "statuses": {"href": f"{api}/statuses/{pull.head_sha}"},
        },
        "author_association": _association(repo, issue.user),
        "auto_merge": None,
        "draft": pull.draft,
    }


def pull_request_simple(repo: Repo, issue: Issue, urls: Urls) -> dict[str, Any]:
    """The Pull Request Simple schema (list items)."""
    return _pull_common(repo, issue, urls)


def pull_request(state: FakeState, repo: Repo, issue: Issue, urls: Urls) -> dict[str, Any]:
    """The Pull Request schema (single pull request)."""
    pull = issue.pull
    assert pull is not None
    base = repo.commits.get(pull.base_sha)
    head = repo.head(pull.head_ref)
    changed = 0
    if base and head:
        paths = set(base.tree) | set(head.tree)
        changed = sum(1 for p in paths if base.tree.get(p) != head.tree.get(p))
    return {
        **_pull_common(repo, issue, urls),
        "merged": pull.merged_at is not None,
        "mergeable": None if pull.merged_at else True,
        "rebaseable": None if pull.merged_at else True,
        "mergeable_state": "clean",
        "merged_by": None,
        "comments": len(state.comments_on(repo, issue.number)),
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": 0 if head is None or base is None or head.sha == base.sha else 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": changed,
    }


def issue_payload(state: FakeState, repo: Repo, issue: Issue, urls: Urls) -> dict[str, Any]:
    """The Issue schema (pull requests included, with their ``pull_request`` links)."""
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    api = f"{urls.api}/repos/{full}/issues/{issue.number}"
    kind = "pull" if issue.pull else "issues"
    payload: dict[str, Any] = {
        "id": issue.id,
        "node_id": node_id("PR" if issue.pull else "I", issue.id),
        "url": api,
        "repository_url": f"{urls.api}/repos/{full}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{urls.web}/{full}/{kind}/{issue.number}",
        "number": issue.number,
        "state": issue.state,
        "state_reason": None,
        "title": issue.title,
        "body": issue.body,
        "user": simple_user(issue.user, urls),
        "labels": [],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(state.comments_on(repo, issue.number)),
        "closed_at": iso(issue.closed_at) if issue.closed_at else None,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "author_association": _association(repo, issue.user),
        "timeline_url": f"{api}/timeline",
    }
    if issue.pull:
        html = f"{urls.web}/{full}/pull/{issue.number}"
        payload["draft"] = issue.pull.draft
        payload["pull_request"] = {
            "url": f"{urls.api}/repos/{full}/pulls/{issue.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": iso(issue.pull.merged_at) if issue.pull.merged_at else None,
        }
    return payload


def comment_payload(comment: Comment, urls: Urls) -> dict[str, Any]:
    """The Issue Comment schema."""
    repo = comment.repo
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    issue = repo.issues[comment.issue_number]
    kind = "pull" if issue.pull else "issues"
    return {
        "id": comment.id,
        "node_id": node_id("IC", comment.id),
        "url": f"{urls.api}/repos/{full}/issues/comments/{comment.id}",
        "html_url": f"{urls.web}/{full}/{kind}/{comment.issue_number}#issuecomment-{comment.id}",
        "body": comment.body,
        "user": simple_user(comment.user, urls),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "issue_url": f"{urls.api}/repos/{full}/issues/{comment.issue_number}",
        "author_association": _association(repo, comment.user),
    }


# ------------------------------------------------------------------- users


def get_authenticated_user(state: FakeState, request: Request) -> Response:
    """``GET /user``: the token's account; 403 for integration tokens, as on GitHub."""
    if _is_integration(state, request):
        raise ApiError(403, INTEGRATION_FORBIDDEN, docs=f"{DOCS_USERS}#get-the-authenticated-user")
    return Response(200, private_user(state, _me(request), request.urls))



def get_org(state: FakeState, request: Request) -> Response:
    """``GET /orgs/{org}``."""
    org = state.account(request.params["org"])
    if org is None or org.type != "Organization":
        raise not_found()
    return Response(200, organization(state, org, request.urls))


def _create_repo(state: FakeState, request: Request, owner: Account) -> Response:
    body = _body(request)
    name = _str_field(body, "name", "Repository")
    assert name is not None
    if state.repo(f"{owner.login}/{name}") is not None:
        raise validation_failed(
            "name already exists on this account", resource="Repository", field_name="name"
        )
    repo = state.create_repo(
        owner.login,
        name,
        private=bool(body.get("private", False)),
        description=body.get("description") if isinstance(body.get("description"), str) else None,
        auto_init=bool(body.get("auto_init", False)),
    )
    return Response(201, full_repository(repo, request.urls, viewer=_me(request)))


def create_user_repo(state: FakeState, request: Request) -> Response:
    """``POST /user/repos``: a repository owned by the token's user."""
    if _is_integration(state, request):
        docs = f"{DOCS_REPOS}#create-a-repository-for-the-authenticated-user"
        raise ApiError(403, INTEGRATION_FORBIDDEN, docs=docs)
    return _create_repo(state, request, _me(request))


def create_org_repo(state: FakeState, request: Request) -> Response:
    """``POST /orgs/{org}/repos``: members (and app tokens) may create."""
    org = state.account(request.params["org"])
    if org is None or org.type != "Organization":
        raise not_found()
    me = _me(request)
    if me.type != "Bot" and me.login not in org.members:
        raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
    return _create_repo(state, request, org)


# -------------------------------------------------------------- repositories


def get_repo(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}``."""
    return Response(200, full_repository(_repo(state, request), request.urls, viewer=request.identity))


def _ref_commit(repo: Repo, ref: str | None) -> tuple[str, Commit]:
    name = ref or repo.default_branch
    for candidate in (name, name.removeprefix("refs/heads/"), name.removeprefix("heads/")):
        commit = repo.head(candidate)
        if commit is not None:
            return candidate, commit
    if name in repo.commits:
        return name, repo.commits[name]
    raise ApiError(404, f"No commit found for the ref {name}", docs=f"{DOCS_CONTENTS}#get-repository-content")


def get_contents(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/contents/{path}``: a file, or a directory listing."""
    repo = _repo(state, request)
    if not repo.refs:
        raise ApiError(404, "This repository is empty.", docs=f"{DOCS_CONTENTS}#get-repository-content")
    ref, commit = _ref_commit(repo, request.query.get("ref"))
    path = request.params["path"].strip("/")
    if path in commit.tree:
        return Response(200, content_file(repo, path, ref, commit.tree[path], request.urls))
    prefix = f"{path}/" if path else ""
    entries: dict[str, str] = {}
    for file_path in sorted(commit.tree):
        if file_path.startswith(prefix):
            rest = file_path[len(prefix) :]
            entries.setdefault(rest.split("/", 1)[0], "dir" if "/" in rest else "file")
    if not entries:
        raise not_found()
    listing = []
    for name, kind in entries.items():
        child = f"{prefix}{name}"
        if kind == "file":
            data = commit.tree[child]
            sha, size = blob_sha(data), len(data)
        else:
            sha, size = blob_sha(child.encode()), 0
        listing.append(
            {
                "type": kind,
                "size": size,
                "name": name,
                "path": child,
                "sha": sha,
                **_content_urls(repo, child, ref, sha, request.urls, kind),
            }
        )
    return Response(200, listing)


def put_contents(state: FakeState, request: Request) -> Response:
    """``PUT /repos/{owner}/{repo}/contents/{path}``: create (201) or update (200) one file."""
    repo = _repo(state, request)
    body = _body(request)
    message = _str_field(body, "message", "Commit")
    encoded = _str_field(body, "content", "Commit")
    assert message is not None and encoded is not None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise validation_failed("content is not Base64", resource="Commit", field_name="content") from None
    path = request.params["path"].strip("/")
    branch = body.get("branch") or repo.default_branch
    head = repo.head(branch)
    if head is None and repo.refs:
        raise ApiError(404, f"Branch {branch} not found", docs=DOCS_PUT_CONTENTS)
    existing = head.tree.get(path) if head else None
    sha = body.get("sha")
    if existing is not None and not sha:
        raise validation_failed(
            'Invalid request.\n\n"sha" wasn\'t supplied.', resource="Commit", field_name="sha"
        )
    if existing is not None and sha != blob_sha(existing):
        raise ApiError(409, f"{path} does not match {sha}", docs=DOCS_PUT_CONTENTS)
    author = _me(request)
    commit = state.commit(repo, branch, {path: data}, message=message, author=author)
    payload = {
        "content": {
            key: value
            for key, value in content_file(repo, path, branch, data, request.urls).items()
            if key not in ("content", "encoding")
        },
        "commit": commit_payload(repo, commit, request.urls),
    }
    return Response(200 if existing is not None else 201, payload)


# --------------------------------------------------------------------- git


def get_ref(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/git/ref/{ref}`` (``heads/main``)."""
    repo = _repo(state, request)
    if not repo.refs:
        raise ApiError(409, "Git Repository is empty.", docs=f"{DOCS}/git/refs#get-a-reference")
    ref = "refs/" + request.params["ref"].removeprefix("refs/")
    if ref not in repo.refs:
        raise ApiError(404, "Not Found", docs=f"{DOCS}/git/refs#get-a-reference")
    return Response(200, git_ref(repo, ref, request.urls))


def create_ref(state: FakeState, request: Request) -> Response:
    """``POST /repos/{owner}/{repo}/git/refs`` with ``ref`` (``refs/heads/x``) and ``sha``."""
    repo = _repo(state, request)
    body = _body(request)
    ref = body.get("ref")
    sha = body.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not isinstance(sha, str) or sha not in repo.commits:
        raise ApiError(422, "Object does not exist")
    if ref in repo.refs:
        raise ApiError(422, "Reference already exists")
    repo.refs[ref] = sha
    return Response(201, git_ref(repo, ref, request.urls))


def update_ref(state: FakeState, request: Request) -> Response:
    """``PATCH /repos/{owner}/{repo}/git/refs/{ref}``: fast-forward unless ``force``."""
    repo = _repo(state, request)
    body = _body(request)
    ref = "refs/" + request.params["ref"].removeprefix("refs/")
    sha = body.get("sha")
    if ref not in repo.refs:
        raise ApiError(422, "Reference does not exist")
    if not isinstance(sha, str) or sha not in repo.commits:
        raise ApiError(422, "Object does not exist")
    if not body.get("force") and not repo.is_ancestor(repo.refs[ref], sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.refs[ref] = sha
    repo.pushed_at = state.now()
    return Response(200, git_ref(repo, ref, request.urls))


# ------------------------------------------------------------------- pulls


def _pull_issue(repo: Repo, number: int) -> Issue:
    issue = repo.issues.get(number)
    if issue is None or issue.pull is None:
        raise not_found()
    return issue


def list_pulls(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/pulls`` filtered by ``state``, ``head`` (owner:branch), ``base``."""
    repo = _repo(state, request)
    wanted = request.query.get("state", "open")
    head = request.query.get("head")
    base = request.query.get("base")
    found = []
    for issue in sorted(repo.issues.values(), key=lambda i: -i.number):
        pull = issue.pull
        if pull is None or (wanted != "all" and issue.state != wanted):
            continue
        if head and f"{pull.head_owner.login}:{pull.head_ref}" != head:
            continue
        if base and pull.base_ref != base:
            continue
        found.append(pull_request_simple(repo, issue, request.urls))
    return paginate(request, found)


def create_pull(state: FakeState, request: Request) -> Response:
    """``POST /repos/{owner}/{repo}/pulls``."""
    repo = _repo(state, request)
    body = _body(request)
    title = _str_field(body, "title", "PullRequest")
    head = _str_field(body, "head", "PullRequest")
    base = _str_field(body, "base", "PullRequest")
    assert title is not None and head is not None and base is not None
    head_ref = head.split(":", 1)[-1]
    if repo.head(base) is None:
        raise validation_failed(
            f"base {base} does not exist", resource="PullRequest", field_name="base", code="invalid"
        )
    if repo.head(head_ref) is None:
        raise validation_failed(
            f"head {head} does not exist", resource="PullRequest", field_name="head", code="invalid"
        )
    if head_ref == base or repo.head(head_ref) == repo.head(base):
        raise validation_failed(f"No commits between {base} and {head_ref}", resource="PullRequest")
    for issue in repo.issues.values():
        pull = issue.pull
        if pull and issue.state == "open" and (pull.head_ref, pull.base_ref) == (head_ref, base):
            raise validation_failed(
                f"A pull request already exists for {repo.owner.login}:{head_ref}.", resource="PullRequest"
            )
    issue = state.open_pull(
        repo,
        head=head_ref,
        base=base,
        title=title,
        body=body.get("body") if isinstance(body.get("body"), str) else None,
        user=_me(request),
        draft=bool(body.get("draft", False)),
    )
    return Response(201, pull_request(state, repo, issue, request.urls))


def get_pull(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/pulls/{pull_number}``."""
    repo = _repo(state, request)
    issue = _pull_issue(repo, request.int_param("pull_number"))
    return Response(200, pull_request(state, repo, issue, request.urls))


# ------------------------------------------------------------------ issues


def _issue(repo: Repo, number: int) -> Issue:
    issue = repo.issues.get(number)
    if issue is None:
        raise not_found()
    return issue


def get_issue(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/issues/{issue_number}`` (pull requests are issues too)."""
    repo = _repo(state, request)
    issue = _issue(repo, request.int_param("issue_number"))
    return Response(200, issue_payload(state, repo, issue, request.urls))


def list_comments(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/issues/{issue_number}/comments``, oldest first, paginated."""
    repo = _repo(state, request)
    issue = _issue(repo, request.int_param("issue_number"))
    comments = state.comments_on(repo, issue.number)
    since = request.query.get("since")
    if since:
        comments = [c for c in comments if iso(c.updated_at) >= since]
    return paginate(request, [comment_payload(c, request.urls) for c in comments])


def _comment_body(request: Request) -> str:
    body = _str_field(_body(request), "body", "IssueComment")
    assert body is not None
    if len(body) > 65536:
        raise validation_failed(
            "Body is too long (maximum is 65536 characters)", resource="IssueComment", field_name="body"
        )
    return body


def create_comment(state: FakeState, request: Request) -> Response:
    """``POST /repos/{owner}/{repo}/issues/{issue_number}/comments``."""
    repo = _repo(state, request)
    issue = _issue(repo, request.int_param("issue_number"))
    comment = state.add_comment(repo, issue.number, _comment_body(request), user=_me(request))
    issue.updated_at = comment.created_at
    return Response(
        201,
        comment_payload(comment, request.urls),
        {"Location": f"{request.urls.api}/repos/{repo.full_name}/issues/comments/{comment.id}"},
    )


def _comment(state: FakeState, request: Request) -> Comment:
    repo = _repo(state, request)
    comment = state.comments.get(request.int_param("comment_id"))
    if comment is None or comment.repo is not repo:
        raise not_found()
    return comment


def get_comment(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/issues/comments/{comment_id}``."""
    return Response(200, comment_payload(_comment(state, request), request.urls))


def update_comment(state: FakeState, request: Request) -> Response:
    """``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}``."""
    comment = _comment(state, request)
    comment.body = _comment_body(request)
    comment.updated_at = state.now()
    return Response(200, comment_payload(comment, request.urls))


def delete_comment(state: FakeState, request: Request) -> Response:
    """``DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}``."""
    comment = _comment(state, request)
    state.delete_comment(comment.id)
    return Response(204)
