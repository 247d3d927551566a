"""Fake GitHub extension for promotion: Deployments and their statuses, issue labels, git commits, and
pull requests whose branches live in a real (local bare) git repository.

Use it through the fake's extension hook::

    ext = DeploymentsExtension(mirrors={"acme/gitops": remote.bare})
    with FakeGitHub(extensions=[ext.register]) as fake: ...

Deployments follow GitHub's rules as documented: newest first, filters ``sha``,
``ref``, ``task``, ``environment``; a ``success`` status with ``auto_inactive``
(the default) adds ``inactive`` to earlier successful deployments of the same
environment unless they are transient or production. ``mirrors`` maps a
repository of the fake to a bare repository on disk: before a pull request is
opened, the fake copies that repository's branches in (real commit ids), because
``idp promote`` pushes its branch with real git, not through the API. Every
response is checked against GitHub's OpenAPI description by the same fixture
check as the core routes (:func:`tests.fakes.openapi.nonconforming`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.fakes import github_routes
from tests.fakes.github_server import (
    DOCS,
    ApiError,
    Request,
    Response,
    Router,
    not_found,
    paginate,
    validation_failed,
)
from tests.fakes.github_state import Account, Commit, FakeState, Repo, iso, node_id

STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
LABEL_COLOURS = ("0e8a16", "1d76db", "b60205", "fbca04", "5319e7")


@dataclass
class FakeDeploymentStatus:
    """One status of a deployment."""

    id: int
    state: str
    description: str
    environment: str
    target_url: str
    environment_url: str
    log_url: str
    creator: Account
    created_at: datetime


@dataclass
class FakeDeployment:
    """One deployment."""

    id: int
    repo: Repo
    sha: str
    ref: str
    task: str
    payload: Any
    environment: str
    original_environment: str
    description: str | None
    creator: Account
    created_at: datetime
    transient: bool
    production: bool
    statuses: list[FakeDeploymentStatus] = field(default_factory=list)  # oldest first

    @property
    def state(self) -> str | None:
        return self.statuses[-1].state if self.statuses else None


@dataclass
class FakeLabel:
    """A repository label."""

    id: int
    name: str
    color: str


class DeploymentsExtension:
    """The extension's state and its ``register(router)`` for :class:`~tests.fakes.github_server.FakeGitHub`."""

    def __init__(self, *, mirrors: Mapping[str, Path] | None = None) -> None:
        self.mirrors = {name.lower(): path for name, path in (mirrors or {}).items()}
        self.deployments: dict[int, FakeDeployment] = {}
        self.labels: dict[str, dict[str, FakeLabel]] = {}  # repo -> name -> label
        self.issue_labels: dict[tuple[str, int], list[str]] = {}

    def register(self, router: Router) -> None:
        """Add the routes."""
        router.add("POST", "/repos/{owner}/{repo}/deployments", self.create_deployment)
        router.add("GET", "/repos/{owner}/{repo}/deployments", self.list_deployments)
        router.add("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}", self.get_deployment)
        router.add("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", self.create_status)
        router.add("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", self.list_statuses)
        router.add("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", self.add_labels)
        router.add("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}", self.get_git_commit)
        router.add("POST", "/repos/{owner}/{repo}/pulls", self.create_pull)

    # ------------------------------------------------------------- queries

    def of(self, repository: str, environment: str | None = None) -> list[FakeDeployment]:
        """Deployments of ``repository`` (to ``environment``), oldest first."""
        return [
            d
            for d in sorted(self.deployments.values(), key=lambda d: d.id)
            if d.repo.full_name.lower() == repository.lower() and environment in (None, d.environment)
        ]

    def labels_of(self, repository: str, number: int) -> list[str]:
        """The labels of issue or pull request ``number``."""
        return list(self.issue_labels.get((repository.lower(), number), []))

    # ------------------------------------------------------------- helpers

    @staticmethod
    def _repo(state: FakeState, request: Request) -> Repo:
        repo = state.repo(f"{request.params['owner']}/{request.params['repo']}")
        if repo is None:
            raise not_found()
        return repo

    def _deployment(self, state: FakeState, request: Request) -> FakeDeployment:
        repo = self._repo(state, request)
        deployment = self.deployments.get(request.int_param("deployment_id"))
        if deployment is None or deployment.repo is not repo:
            raise not_found()
        return deployment

    def _payload(self, d: FakeDeployment, request: Request) -> dict[str, Any]:
        api = f"{request.urls.api}/repos/{quote(d.repo.owner.login)}/{quote(d.repo.name)}"
        return {
            "url": f"{api}/deployments/{d.id}",
            "id": d.id,
            "node_id": node_id("DE", d.id),
            "sha": d.sha,
            "ref": d.ref,
            "task": d.task,
            "payload": d.payload,
            "original_environment": d.original_environment,
            "environment": d.environment,
            "description": d.description,
            "creator": github_routes.simple_user(d.creator, request.urls),
            "created_at": iso(d.created_at),
            "updated_at": iso(d.statuses[-1].created_at if d.statuses else d.created_at),
            "statuses_url": f"{api}/deployments/{d.id}/statuses",
            "repository_url": api,
            "transient_environment": d.transient,
            "production_environment": d.production,
            "performed_via_github_app": None,
        }

    def _status_payload(self, d: FakeDeployment, s: FakeDeploymentStatus, request: Request) -> dict[str, Any]:
        api = f"{request.urls.api}/repos/{quote(d.repo.owner.login)}/{quote(d.repo.name)}"
        payload: dict[str, Any] = {
            "url": f"{api}/deployments/{d.id}/statuses/{s.id}",
            "id": s.id,
            "node_id": node_id("DES", s.id),
            "state": s.state,
            "creator": github_routes.simple_user(s.creator, request.urls),
            "description": s.description,
            "environment": s.environment,
            "target_url": s.target_url,
            "created_at": iso(s.created_at),
            "updated_at": iso(s.created_at),
            "deployment_url": f"{api}/deployments/{d.id}",
            "repository_url": api,
            "performed_via_github_app": None,
        }
        if s.environment_url:
            payload["environment_url"] = s.environment_url
        if s.log_url:
            payload["log_url"] = s.log_url
        return payload

    @staticmethod
    def _resolve(repo: Repo, ref: str) -> str | None:
        for candidate in (ref, ref.removeprefix("refs/heads/")):
            head = repo.head(candidate)
            if head is not None:
                return head.sha
        return ref if ref in repo.commits else None

    # --------------------------------------------------------- deployments

    def create_deployment(self, state: FakeState, request: Request) -> Response:
        """``POST /repos/{owner}/{repo}/deployments``."""
        repo = self._repo(state, request)
        body = request.body if isinstance(request.body, dict) else {}
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            raise validation_failed("ref is missing", resource="Deployment", field_name="ref", code="missing_field")
        sha = self._resolve(repo, ref)
        if sha is None:
            raise ApiError(422, f"No ref found for: {ref}", docs=f"{DOCS}/deployments/deployments#create-a-deployment")
        environment = body.get("environment") or "production"
        deployment = FakeDeployment(
            id=state.new_id(),
            repo=repo,
            sha=sha,
            ref=ref,
            task=body.get("task") or "deploy",
            payload=body.get("payload") if body.get("payload") is not None else {},
            environment=environment,
            original_environment=environment,
            description=body.get("description"),
            creator=request.identity,  # type: ignore[arg-type]
            created_at=state.now(),
            transient=bool(body.get("transient_environment", False)),
            production=bool(body.get("production_environment", environment == "production")),
        )
        self.deployments[deployment.id] = deployment
        return Response(201, self._payload(deployment, request))

    def list_deployments(self, state: FakeState, request: Request) -> Response:
        """``GET /repos/{owner}/{repo}/deployments``, newest first, filtered."""
        repo = self._repo(state, request)
        found = [
            d
            for d in reversed(self.of(repo.full_name))
            if all(
                request.query.get(key) in (None, value)
                for key, value in (("sha", d.sha), ("ref", d.ref), ("task", d.task), ("environment", d.environment))
            )
        ]
        return paginate(request, [self._payload(d, request) for d in found])

    def get_deployment(self, state: FakeState, request: Request) -> Response:
        """``GET /repos/{owner}/{repo}/deployments/{deployment_id}``."""
        return Response(200, self._payload(self._deployment(state, request), request))

    def create_status(self, state: FakeState, request: Request) -> Response:
        """``POST …/deployments/{deployment_id}/statuses``, with GitHub's ``auto_inactive``."""
        deployment = self._deployment(state, request)
        body = request.body if isinstance(request.body, dict) else {}
        wanted = body.get("state")
        if wanted not in STATES:
            raise validation_failed(
                f"state {wanted!r} is not included in the list",
                resource="DeploymentStatus",
                field_name="state",
                code="invalid",
            )
        description = str(body.get("description") or "")
        if len(description) > 140:
            raise validation_failed(
                "description is too long (maximum is 140 characters)",
                resource="DeploymentStatus",
                field_name="description",
            )
        target = str(body.get("log_url") or body.get("target_url") or "")
        status = self._add_status(
            state, deployment, wanted, description, target, str(body.get("environment_url") or ""), request.identity
        )  # type: ignore[arg-type]
        if wanted == "success" and body.get("auto_inactive", True):
            for other in self.of(deployment.repo.full_name, deployment.environment):
                if (
                    other.id != deployment.id
                    and other.state == "success"
                    and not other.transient
                    and not other.production
                ):
                    self._add_status(state, other, "inactive", "", other.statuses[-1].target_url, "", request.identity)  # type: ignore[arg-type]
        return Response(201, self._status_payload(deployment, status, request))

    def _add_status(
        self,
        state: FakeState,
        deployment: FakeDeployment,
        wanted: str,
        description: str,
        target: str,
        environment_url: str,
        creator: Account,
    ) -> FakeDeploymentStatus:
        status = FakeDeploymentStatus(
            id=state.new_id(),
            state=wanted,
            description=description,
            environment=deployment.environment,
            target_url=target,
            environment_url=environment_url,
            log_url=target,
            creator=creator,
            created_at=state.now(),
        )
        deployment.statuses.append(status)
        return status

    def list_statuses(self, state: FakeState, request: Request) -> Response:
        """``GET …/deployments/{deployment_id}/statuses``, newest first."""
        deployment = self._deployment(state, request)
        items = [self._status_payload(deployment, s, request) for s in reversed(deployment.statuses)]
        return paginate(request, items)

    # -------------------------------------------------------------- labels

    def add_labels(self, state: FakeState, request: Request) -> Response:
        """``POST /repos/{owner}/{repo}/issues/{issue_number}/labels``: labels are created as needed."""
        repo = self._repo(state, request)
        number = request.int_param("issue_number")
        if number not in repo.issues:
            raise not_found()
        body = request.body
        names = body.get("labels") if isinstance(body, dict) else body
        if not isinstance(names, list) or not names:
            raise validation_failed("labels must be a non-empty list", resource="Label", field_name="labels")
        known = self.labels.setdefault(repo.full_name.lower(), {})
        on_issue = self.issue_labels.setdefault((repo.full_name.lower(), number), [])
        for item in names:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name:
                raise validation_failed("a label name is missing", resource="Label", field_name="name")
            if name not in known:
                known[name] = FakeLabel(state.new_id(), name, LABEL_COLOURS[len(known) % len(LABEL_COLOURS)])
            if name not in on_issue:
                on_issue.append(name)
        api = f"{request.urls.api}/repos/{quote(repo.owner.login)}/{quote(repo.name)}"
        return Response(
            200,
            [
                {
                    "id": known[n].id,
                    "node_id": node_id("LA", known[n].id),
                    "url": f"{api}/labels/{quote(n)}",
                    "name": n,
                    "description": None,
                    "color": known[n].color,
                    "default": False,
                }
                for n in on_issue
            ],
        )

    # ----------------------------------------------------------------- git

    def get_git_commit(self, state: FakeState, request: Request) -> Response:
        """``GET /repos/{owner}/{repo}/git/commits/{commit_sha}``."""
        repo = self._repo(state, request)
        commit = repo.commits.get(request.params["commit_sha"])
        if commit is None:
            raise ApiError(404, "Not Found", docs=f"{DOCS}/git/commits#get-a-commit-object")
        payload = github_routes.commit_payload(repo, commit, request.urls)
        return Response(200, payload)

    def create_pull(self, state: FakeState, request: Request) -> Response:
        """``POST /repos/{owner}/{repo}/pulls``, after copying the mirrored repository's branches in."""
        repo = self._repo(state, request)
        bare = self.mirrors.get(repo.full_name.lower())
        if bare is not None:
            mirror(repo, bare)
        return github_routes.create_pull(state, request)


def _git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=bare,
        capture_output=True,
        text=True,
        check=True,
        env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(bare), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    ).stdout


def mirror(repo: Repo, bare: Path) -> None:
    """Copy every branch tip of the bare repository ``bare`` into the fake's ``repo`` (real commit ids)."""
    for line in _git(bare, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads").splitlines():
        ref, sha = line.split()
        if sha not in repo.commits:
            meta = _git(bare, "show", "-s", "--format=%P%x00%an%x00%ae%x00%cI%x00%B", sha)
            parents, name, email, date, message = meta.split("\x00", 4)
            tree = {}
            for path in _git(bare, "ls-tree", "-r", "--name-only", sha).splitlines():
                tree[path] = subprocess.run(
                    ["git", "show", f"{sha}:{path}"], cwd=bare, capture_output=True, check=True
                ).stdout
            repo.commits[sha] = Commit(
                sha=sha,
                tree=tree,
                parents=parents.split(),
                message=message.strip(),
                author_name=name,
                author_email=email,
                date=datetime.fromisoformat(date).astimezone(UTC),
            )
        repo.refs[ref] = sha
