"""GitHub as promotion sees it: Deployments in the service repository, pull requests in the GitOps one.

Thin adapters over a PyGithub client built by the command (:func:`idp_actions.github.make_github`);
every call runs inside :func:`~idp_actions.github.api_errors`, so a refusal becomes a
:class:`~idp_actions.errors.GitHubError` naming the permission it needs. Repositories
are opened lazily: no request is spent on ``GET /repos/{owner}/{repo}``.

One promotion is one deployment (``task: deploy:promote``) whose payload records
the digest, the GitOps commit, the digest it replaced and any override or rollback
reason; its statuses go ``queued`` (waiting for a pull request) or ``in_progress``
→ ``success`` / ``failure``, and a superseded production deployment becomes
``inactive`` (GitHub does that itself for other environments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from idp_actions.github import api_errors

if TYPE_CHECKING:
    from github import Github
    from github.Deployment import Deployment
    from github.Repository import Repository

TASK = "deploy:promote"
State = Literal["queued", "in_progress", "success", "failure", "error", "inactive", "pending"]
_DESCRIPTION_LIMIT = 140


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _DESCRIPTION_LIMIT else flat[: _DESCRIPTION_LIMIT - 1] + "…"


@dataclass(frozen=True, kw_only=True)
class DeploymentRecord:
    """A deployment and its statuses (newest first), as DORA and rollback read them."""

    id: int
    environment: str
    sha: str
    ref: str
    created_at: datetime
    payload: Mapping[str, Any]
    statuses: tuple[tuple[str, datetime], ...]  # (state, created_at), newest first

    @property
    def state(self) -> str | None:
        """The latest status, or None when it has none."""
        return self.statuses[0][0] if self.statuses else None

    def first(self, state: str) -> datetime | None:
        """When the deployment first reached ``state``."""
        times = [when for s, when in self.statuses if s == state]
        return min(times) if times else None


class Deployments:
    """GitHub Deployments of one (service) repository."""

    def __init__(self, gh: Github, repository: str) -> None:
        self.repository = repository
        self._repo: Repository = gh.withLazy(True).get_repo(repository)

    def create(
        self,
        *,
        ref: str,
        environment: str,
        description: str,
        payload: Mapping[str, Any],
        production: bool,
    ) -> Deployment:
        """A new deployment of ``ref`` to ``environment`` (no auto-merge, no required contexts)."""
        with api_errors(
            f"create a deployment of {ref[:12]} to {environment} in {self.repository}", permission="deployments: write"
        ):
            return self._repo.create_deployment(
                ref=ref,
                task=TASK,
                auto_merge=False,
                required_contexts=[],
                payload=dict(payload),
                environment=environment,
                description=_short(description),
                transient_environment=False,
                production_environment=production,
            )

    def status(
        self,
        deployment: Deployment,
        state: State,
        *,
        description: str,
        log_url: str,
        environment_url: str | None = None,
    ) -> None:
        """Add a status; ``log_url`` must be a URL (GitHub shows it as the deployment's log)."""
        extra: dict[str, Any] = {}
        if environment_url:
            extra["environment_url"] = environment_url
        with api_errors(f"set deployment {deployment.id} to {state}", permission="deployments: write"):
            deployment.create_status(state, target_url=log_url, description=_short(description), **extra)

    def get(self, deployment_id: int) -> Deployment:
        """A deployment by id."""
        with api_errors(f"read deployment {deployment_id}", permission="deployments: read"):
            return self._repo.get_deployment(deployment_id)

    def latest(self, environment: str, *, limit: int = 100, since: datetime | None = None) -> list[DeploymentRecord]:
        """The newest promotions to ``environment``, each with its statuses.

        At most ``limit``; with ``since``, listing stops at the first deployment created before it
        (GitHub lists newest first, so the pages after that are not read).
        """
        records: list[DeploymentRecord] = []
        with api_errors(f"list the deployments to {environment} in {self.repository}", permission="deployments: read"):
            for deployment in self._repo.get_deployments(task=TASK, environment=environment):
                if len(records) >= limit or (since is not None and deployment.created_at < since):
                    break
                records.append(self.record(deployment))
        return records

    def record(self, deployment: Deployment) -> DeploymentRecord:
        """``deployment`` with its statuses read."""
        with api_errors(f"read the statuses of deployment {deployment.id}", permission="deployments: read"):
            statuses = tuple((s.state, s.created_at) for s in deployment.get_statuses())
        payload = deployment.payload if isinstance(deployment.payload, dict) else {}
        return DeploymentRecord(
            id=deployment.id,
            environment=deployment.environment,
            sha=deployment.sha,
            ref=deployment.ref,
            created_at=deployment.created_at,
            payload=payload,
            statuses=statuses,
        )

    def supersede(self, environment: str, keep: int, *, log_url: str) -> int | None:
        """Mark the newest earlier successful deployment to ``environment`` inactive; its id, if any."""
        with api_errors(f"list the deployments to {environment}", permission="deployments: read"):
            for deployment in self._repo.get_deployments(task=TASK, environment=environment):
                if deployment.id == keep:
                    continue
                latest = next(iter(deployment.get_statuses()), None)
                if latest is None or latest.state != "success":
                    return None
                self.status(deployment, "inactive", description=f"superseded by deployment {keep}", log_url=log_url)
                return int(deployment.id)
        return None

    def commit_time(self, sha: str) -> datetime | None:
        """When ``sha`` was committed (for lead time), or None when GitHub does not know it."""
        from github.GithubException import UnknownObjectException

        from idp_actions.errors import GitHubError

        try:
            with api_errors(f"read commit {sha[:12]}", permission="contents: read"):
                commit = self._repo.get_git_commit(sha)
        except GitHubError as exc:  # an unknown commit is data, not a failure
            if isinstance(exc.__cause__, UnknownObjectException):
                return None
            raise
        return commit.committer.date


@dataclass(frozen=True, kw_only=True)
class PullRef:
    """A pull request: its number and web address."""

    number: int
    url: str


class PullRequests:
    """Pull requests of the GitOps repository."""

    def __init__(self, gh: Github, repository: str) -> None:
        self.repository = repository
        self._repo: Repository = gh.withLazy(True).get_repo(repository)

    def find_open(self, branch: str, base: str) -> PullRef | None:
        """The open pull request from ``branch`` into ``base``, if there is one."""
        owner = self.repository.split("/", 1)[0]
        with api_errors(f"look for a pull request from {branch}", permission="pull-requests: read"):
            for pull in self._repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base):
                return PullRef(number=pull.number, url=pull.html_url)
        return None

    def open(self, *, branch: str, base: str, title: str, body: str, labels: Sequence[str]) -> PullRef:
        """Open a pull request and label it."""
        with api_errors(f"open a pull request in {self.repository}", permission="pull-requests: write"):
            pull = self._repo.create_pull(base=base, head=branch, title=title, body=body)
        if labels:
            with api_errors(f"label pull request #{pull.number}", permission="pull-requests: write"):
                pull.add_to_labels(*labels)
        return PullRef(number=pull.number, url=pull.html_url)
