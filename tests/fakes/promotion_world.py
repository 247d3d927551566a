"""Everything a promotion talks to, on this machine: a GitOps remote, fake Argo CD, fake GitHub.

:class:`PromotionWorld` is a context manager that starts the fakes, seeds the
GitOps repository with services and one Argo CD Application per service and
environment, writes the service repository's ``.github/idp.yaml`` and gives the
environment variables ``idp promote`` reads in a workflow. Integration tests,
the e2e test and benchmarks/promote use it; on exit both fakes' exchanges are
checked against the published API descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.fakes.argocd_server import FakeArgoCD, running_argocd
from tests.fakes.github_deployments import DeploymentsExtension
from tests.fakes.github_server import FakeGitHub
from tests.fakes.gitops_repo import ENVIRONMENTS, GitOpsRemote, digest

SERVICE_REPO = "acme/payments"
GITOPS_REPO = "acme/gitops"
RUN_ID = "4242"

CONFIG = """\
# yaml-language-server: $schema=https://raw.githubusercontent.com/idp-actions/idp-actions/v1/schemas/idp.schema.json
version: 1
gitops:
  repository: {gitops}
  image: ghcr.io/acme/{{service}}
  rollback: {rollback}
  argocd:
    server: {server}
    wait-timeout: {timeout}
  environments:
    - name: dev
      mode: direct
      url: https://{{service}}.dev.example.com
    - name: staging
      mode: direct
      requires: [dev]
    - name: prod
      mode: {prod_mode}
      requires: [staging]
      url: https://{{service}}.example.com
"""


class PromotionWorld:
    """The GitOps remote, the fakes and a service repository directory, wired together."""

    def __init__(
        self,
        root: Path,
        *,
        services: Iterable[str] = ("payments",),
        rollback: str = "manual",
        prod_mode: str = "pull-request",
        timeout: int = 30,
        check_contracts: bool = True,
    ) -> None:
        self.root = root
        self.services = list(services)
        self.rollback = rollback
        self.prod_mode = prod_mode
        self.timeout = timeout
        self.check_contracts = check_contracts
        self.remote = GitOpsRemote(root / "remote")
        self.remote.seed(self.services)
        self.ext = DeploymentsExtension(mirrors={GITOPS_REPO: self.remote.bare})
        self.service_dir = root / "service"
        self._stack = ExitStack()
        self.github: FakeGitHub
        self.argocd: FakeArgoCD
        self.source_sha = ""

    def __enter__(self) -> PromotionWorld:
        self.github = self._stack.enter_context(checked_github(self.ext, check=self.check_contracts))
        if self.check_contracts:
            self.argocd = self._stack.enter_context(running_argocd(self.remote.bare))
        else:
            self.argocd = self._stack.enter_context(FakeArgoCD(self.remote.bare))
        state = self.github.state
        service_repo = state.create_repo("acme", "payments", files={"README.md": "# payments\n"})
        state.create_repo("acme", "gitops", auto_init=False)
        head = service_repo.head("main")
        assert head is not None
        self.source_sha = head.sha
        for service in self.services:
            for env in ENVIRONMENTS:
                self.argocd.add_app(f"{service}-{env}", path=f"apps/{service}/overlays/{env}")
        self.write_config()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.__exit__(*exc)

    def write_config(self, **changes: Any) -> None:
        """(Re)write the service repository's .github/idp.yaml."""
        values = {
            "gitops": GITOPS_REPO,
            "rollback": self.rollback,
            "server": self.argocd.url,
            "timeout": self.timeout,
            "prod_mode": self.prod_mode,
            **changes,
        }
        target = self.service_dir / ".github" / "idp.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(CONFIG.format(**values), encoding="utf-8")

    def env(self) -> dict[str, str]:
        """What a workflow job gives ``idp promote``."""
        return {
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_SERVER_URL": self.github.base_url,
            "GITHUB_TOKEN": self.github.bot_token,
            "GITOPS_TOKEN": self.github.bot_token,
            "GITHUB_REPOSITORY": SERVICE_REPO,
            "GITHUB_SHA": self.source_sha,
            "GITHUB_RUN_ID": RUN_ID,
            "ARGOCD_AUTH_TOKEN": self.argocd.token,
            "IDP_GITOPS_URL": self.remote.url,
        }

    @property
    def run_url(self) -> str:
        """The workflow run URL the promotion records."""
        return f"{self.github.base_url}/{SERVICE_REPO}/actions/runs/{RUN_ID}"

    def pinned(self, service: str, environment: str) -> str:
        """The digest the overlay pins on the branch."""
        text = self.remote.show(self.remote.overlay(service, environment))
        for line in text.splitlines():
            if "digest:" in line:
                return line.split("digest:", 1)[1].split()[0]
        raise AssertionError(f"no digest in the {environment} overlay of {service}")

    def deployments(self, environment: str | None = None) -> list[Any]:
        """The service repository's deployments (to ``environment``), oldest first."""
        return self.ext.of(SERVICE_REPO, environment)


@contextmanager
def checked_github(ext: DeploymentsExtension, *, check: bool = True) -> Iterator[FakeGitHub]:
    """The fake GitHub with ``ext``; on exit its exchanges are checked against GitHub's OpenAPI description."""
    with FakeGitHub(extensions=[ext.register]) as fake:
        yield fake
    if check:
        from tests.fakes.openapi import nonconforming

        problems = nonconforming(fake.exchanges)
        if problems:
            raise AssertionError(
                "the fake GitHub answered outside GitHub's OpenAPI description:\n" + "\n".join(problems[:20])
            )


def states(deployment: Any) -> list[str]:
    """A deployment's status states, oldest first."""
    return [s.state for s in deployment.statuses]


__all__ = ["PromotionWorld", "checked_github", "digest", "states"]
