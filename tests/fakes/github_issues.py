"""Fake GitHub extension: issues with labels (list, create, update), a commit's pull requests, merging.

Used by the Terraform tests (drift issues; finding the pull request of a merged
commit). Plug it in with ``FakeGitHub(extensions=[register])``. Labels and state
reasons live beside the core state (:func:`store`), so the core modules stay as
they are; the issue routes here replace the core ``GET …/issues/{issue_number}``
so every issue payload carries its labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tests.fakes.github_routes import issue_payload, pull_request_simple
from tests.fakes.github_server import (
    ApiError,
    Request,
    Response,
    Router,
    Urls,
    not_found,
    paginate,
    validation_failed,
)
from tests.fakes.github_state import Account, FakeState, Issue, Repo, iso, node_id

STATE_REASONS = ("completed", "reopened", "not_planned", "duplicate")


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class IssueStore:
    """What the core state does not hold: labels per repository and issue, and state reasons."""

    labels: dict[str, dict[str, Label]] = field(default_factory=dict)  # repo full name (lower) -> name (lower)
    issue_labels: dict[int, list[str]] = field(default_factory=dict)  # issue id -> label names
    state_reasons: dict[int, str | None] = field(default_factory=dict)


def store(state: FakeState) -> IssueStore:
    """The extension's data for ``state`` (created on first use)."""
    with state.lock:
        found = state.__dict__.get("_issue_store")
        if found is None:
            found = state.__dict__["_issue_store"] = IssueStore()
        assert isinstance(found, IssueStore)
        return found


def register(router: Router) -> None:
    """Add the routes to ``router``."""
    router.add("GET", "/repos/{owner}/{repo}/issues", list_issues)
    router.add("POST", "/repos/{owner}/{repo}/issues", create_issue)
    router.add("GET", "/repos/{owner}/{repo}/issues/{issue_number}", get_issue)
    router.add("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", update_issue)
    router.add("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", commit_pulls)
    router.add("GET", "/repos/{owner}/{repo}/commits/{ref}", get_commit)


# ------------------------------------------------------------------- helpers


def _repo(state: FakeState, request: Request) -> Repo:
    repo = state.repo(f"{request.params['owner']}/{request.params['repo']}")
    if repo is None:
        raise not_found()
    return repo


def _me(request: Request) -> Account:
    assert request.identity is not None
    return request.identity


def label_payload(repo: Repo, label: Label, urls: Urls) -> dict[str, Any]:
    """The Label schema."""
    return {
        "id": label.id,
        "node_id": node_id("LA", label.id),
        "url": f"{urls.api}/repos/{repo.full_name}/labels/{quote(label.name)}",
        "name": label.name,
        "description": label.description,
        "color": label.color,
        "default": False,
    }


def ensure_label(state: FakeState, repo: Repo, name: str) -> Label:
    """The label ``name`` of ``repo``, created when missing (as GitHub does when an issue names it)."""
    labels = store(state).labels.setdefault(repo.full_name.lower(), {})
    if name.lower() not in labels:
        labels[name.lower()] = Label(id=state.new_id(), name=name)
    return labels[name.lower()]


def full_issue(state: FakeState, repo: Repo, issue: Issue, urls: Urls) -> dict[str, Any]:
    """The core issue payload with its labels and state reason."""
    payload = issue_payload(state, repo, issue, urls)
    data = store(state)
    labels = store(state).labels.get(repo.full_name.lower(), {})
    payload["labels"] = [
        label_payload(repo, labels[name.lower()], urls)
        for name in data.issue_labels.get(issue.id, [])
        if name.lower() in labels
    ]
    payload["state_reason"] = data.state_reasons.get(issue.id)
    return payload


def _label_names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise validation_failed("labels must be a list of names", resource="Issue", field_name="labels")
    return list(dict.fromkeys(value))


def merge_pull(
    state: FakeState, repo: Repo, number: int, *, changes: dict[str, bytes | str | None] | None = None
) -> str:
    """Merge pull request ``number``: a merge commit on its base branch; returns its SHA."""
    with state.lock:
        issue = repo.issues[number]
        pull = issue.pull
        assert pull is not None and pull.merged_at is None
        head = repo.head(pull.head_ref)
        assert head is not None
        base = repo.head(pull.base_ref)
        assert base is not None
        tree_changes: dict[str, bytes | str | None] = {
            path: data for path, data in head.tree.items() if base.tree.get(path) != data
        }
        tree_changes.update(changes or {})
        commit = state.commit(repo, pull.base_ref, tree_changes, message=f"Merge pull request #{number}")
        now = state.now()
        pull.merged_at = now
        pull.merge_commit_sha = commit.sha
        issue.state = "closed"
        issue.closed_at = now
        issue.updated_at = now
        return commit.sha


# -------------------------------------------------------------------- routes


def list_issues(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/issues``: ``state``, ``labels`` (all must match), ``creator``; newest first."""
    repo = _repo(state, request)
    wanted_state = request.query.get("state", "open")
    if wanted_state not in ("open", "closed", "all"):
        raise validation_failed("state is invalid", resource="Issue", field_name="state")
    wanted_labels = [n.strip().lower() for n in request.query.get("labels", "").split(",") if n.strip()]
    creator = request.query.get("creator", "").lower()
    data = store(state)
    found = []
    for issue in sorted(repo.issues.values(), key=lambda i: -i.number):
        if wanted_state != "all" and issue.state != wanted_state:
            continue
        names = {n.lower() for n in data.issue_labels.get(issue.id, [])}
        if any(label not in names for label in wanted_labels):
            continue
        if creator and issue.user.login.lower() != creator:
            continue
        found.append(full_issue(state, repo, issue, request.urls))
    return paginate(request, found)


def create_issue(state: FakeState, request: Request) -> Response:
    """``POST /repos/{owner}/{repo}/issues`` with ``title``, ``body`` and ``labels``."""
    repo = _repo(state, request)
    body = request.body if isinstance(request.body, dict) else None
    if body is None:
        raise ApiError(400, "Problems parsing JSON")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise validation_failed("title is missing", resource="Issue", field_name="title", code="missing_field")
    text = body.get("body")
    if text is not None and not isinstance(text, str):
        raise validation_failed("body must be a string", resource="Issue", field_name="body")
    if isinstance(text, str) and len(text) > 65536:
        raise validation_failed("body is too long (maximum is 65536 characters)", resource="Issue", field_name="body")
    names = _label_names(body.get("labels", []))
    issue = state.open_issue(repo, title=title, body=text, user=_me(request))
    store(state).issue_labels[issue.id] = [ensure_label(state, repo, name).name for name in names]
    return Response(
        201,
        full_issue(state, repo, issue, request.urls),
        {"Location": f"{request.urls.api}/repos/{repo.full_name}/issues/{issue.number}"},
    )


def get_issue(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/issues/{issue_number}`` with labels."""
    repo = _repo(state, request)
    issue = repo.issues.get(request.int_param("issue_number"))
    if issue is None:
        raise not_found()
    return Response(200, full_issue(state, repo, issue, request.urls))


def update_issue(state: FakeState, request: Request) -> Response:
    """``PATCH /repos/{owner}/{repo}/issues/{issue_number}``: title, body, state, state_reason, labels."""
    repo = _repo(state, request)
    issue = repo.issues.get(request.int_param("issue_number"))
    if issue is None:
        raise not_found()
    body = request.body if isinstance(request.body, dict) else None
    if body is None:
        raise ApiError(400, "Problems parsing JSON")
    data = store(state)
    if "title" in body:
        if not isinstance(body["title"], str) or not body["title"].strip():
            raise validation_failed("title is invalid", resource="Issue", field_name="title")
        issue.title = body["title"]
    if "body" in body:
        if body["body"] is not None and not isinstance(body["body"], str):
            raise validation_failed("body must be a string", resource="Issue", field_name="body")
        if isinstance(body["body"], str) and len(body["body"]) > 65536:
            raise validation_failed(
                "body is too long (maximum is 65536 characters)", resource="Issue", field_name="body"
            )
        issue.body = body["body"]
    if "labels" in body:
        data.issue_labels[issue.id] = [ensure_label(state, repo, n).name for n in _label_names(body["labels"])]
    now = state.now()
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise validation_failed("state is invalid", resource="Issue", field_name="state")
        if body["state"] != issue.state:
            issue.state = body["state"]
            issue.closed_at = now if issue.state == "closed" else None
            data.state_reasons[issue.id] = "reopened" if issue.state == "open" else "completed"
    if "state_reason" in body:
        reason = body["state_reason"]
        if reason is not None and reason not in STATE_REASONS:
            raise validation_failed("state_reason is invalid", resource="Issue", field_name="state_reason")
        data.state_reasons[issue.id] = reason
    issue.updated_at = now
    return Response(200, full_issue(state, repo, issue, request.urls))


def get_commit(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/commits/{ref}``: a commit by SHA or branch (no files listed)."""
    repo = _repo(state, request)
    ref = request.params["ref"]
    commit = repo.commits.get(ref) or repo.head(ref.removeprefix("heads/"))
    if commit is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    full = f"{quote(repo.owner.login)}/{quote(repo.name)}"
    api = f"{request.urls.api}/repos/{full}"
    who = {"name": commit.author_name, "email": commit.author_email, "date": iso(commit.date)}
    return Response(
        200,
        {
            "url": f"{api}/commits/{commit.sha}",
            "sha": commit.sha,
            "node_id": node_id("C", int(commit.sha[:12], 16)),
            "html_url": f"{request.urls.web}/{full}/commit/{commit.sha}",
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{commit.sha}",
                "author": who,
                "committer": who,
                "message": commit.message,
                "comment_count": 0,
                "tree": {"sha": commit.tree_sha, "url": f"{api}/git/trees/{commit.tree_sha}"},
            },
            "author": None,
            "committer": None,
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"{request.urls.web}/{full}/commit/{parent}",
                }
                for parent in commit.parents
            ],
            "files": [],
        },
    )


def commit_pulls(state: FakeState, request: Request) -> Response:
    """``GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls``: merged by that commit, or with it as head."""
    repo = _repo(state, request)
    sha = request.params["commit_sha"]
    if sha not in repo.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    found = []
    for issue in sorted(repo.issues.values(), key=lambda i: -i.number):
        pull = issue.pull
        if pull is None:
            continue
        head = repo.head(pull.head_ref)
        if pull.merge_commit_sha == sha or (head is not None and head.sha == sha):
            found.append(pull_request_simple(repo, issue, request.urls))
    return paginate(request, found)
