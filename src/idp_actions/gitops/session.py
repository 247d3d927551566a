"""The imperative shell of ``idp promote`` and ``idp rollback``: options in, a ready :class:`Context` out.

Options come from the command line, else from the action's inputs, else from the
environment (``ARGOCD_SERVER``, ``ARGOCD_AUTH_TOKEN``, ``GITOPS_TOKEN``,
``GITHUB_REPOSITORY``, ``GITHUB_SHA`` …), and are checked before anything is
cloned. :func:`session` then reads ``.github/idp.yaml``, clones the GitOps
branch into a private temporary directory and builds the Argo CD and GitHub
clients; everything is closed and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from idp_actions import gha
from idp_actions.errors import UsageError
from idp_actions.gitops.backoff import Backoff
from idp_actions.gitops.digest import Digest, parse_digest
from idp_actions.gitops.promotion import Context
from idp_actions.gitops.settings import GitOpsSettings, check_service, require_repository


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``idp promote`` and ``idp rollback``."""
    parser.add_argument("--service", help="the service (its folder in the GitOps repository); input `service`")
    parser.add_argument("--no-wait", action="store_true", help="request the Argo CD sync but do not wait for it")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="how long to wait for Synced and Healthy (default: gitops.argocd.wait-timeout)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="first wait between looks at the Application (default 2; grows to 15)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="the idp configuration (default: .github/idp.yaml)")
    parser.add_argument(
        "--gitops-url",
        metavar="URL",
        help="clone URL of the GitOps repository (default: from gitops.repository; env IDP_GITOPS_URL)",
    )
    parser.add_argument(
        "--argocd-server", metavar="URL", help="Argo CD API server (default: gitops.argocd.server; env ARGOCD_SERVER)"
    )
    parser.add_argument(
        "--argocd-ca-bundle", metavar="FILE", help="CA bundle that signed the Argo CD server's certificate"
    )
    parser.add_argument(
        "--repo", metavar="OWNER/NAME", help="repository that gets the GitHub deployment (default: GITHUB_REPOSITORY)"
    )
    parser.add_argument("--source-sha", metavar="SHA", help="the service commit being deployed (default: GITHUB_SHA)")
    parser.add_argument("--no-deployment", action="store_true", help="do not record a GitHub deployment")


@dataclass(frozen=True, kw_only=True)
class Options:
    """Everything a promotion session needs, read once at the edge."""

    service: str
    environment: str
    wait: bool
    timeout: float | None
    poll_interval: float | None
    config: Path | None
    gitops_url: str | None
    argocd_server: str | None
    argocd_ca_bundle: str | None
    repository: str | None
    source_sha: str | None
    source_run: str | None
    deployments: bool
    argocd_token: str = field(default="", repr=False)
    github_token: str = field(default="", repr=False)
    gitops_token: str = field(default="", repr=False)

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, *, environment: str | None, environ: Mapping[str, str] | None = None
    ) -> Options:
        """Options from ``args``, the action's inputs and ``environ`` (default ``os.environ``)."""
        from idp_actions.comment import run_url

        env = os.environ if environ is None else environ
        service = args.service or gha.get_input("service")
        if not service:
            raise UsageError("--service is required (action input `service`)")
        check_service(service)
        if not environment:
            raise UsageError("the environment is required (--to / --env, action input `environment`)")
        wait_input = gha.get_bool_input("wait", default=True)
        options = cls(
            service=service,
            environment=environment,
            wait=not args.no_wait and wait_input,
            timeout=args.timeout if args.timeout is not None else _float_input("timeout"),
            poll_interval=args.poll_interval,
            config=args.config,
            gitops_url=args.gitops_url or gha.get_input("gitops-url") or env.get("IDP_GITOPS_URL") or None,
            argocd_server=args.argocd_server or gha.get_input("argocd-server") or env.get("ARGOCD_SERVER") or None,
            argocd_ca_bundle=args.argocd_ca_bundle
            or gha.get_input("argocd-ca-bundle")
            or env.get("ARGOCD_CA_BUNDLE")
            or None,
            repository=args.repo or env.get("GITHUB_REPOSITORY") or None,
            source_sha=args.source_sha or env.get("GITHUB_SHA") or None,
            source_run=run_url(env),
            deployments=not args.no_deployment and gha.get_bool_input("deployment", default=True),
            argocd_token=env.get("ARGOCD_AUTH_TOKEN", ""),
            github_token=env.get("GITHUB_TOKEN", ""),
            gitops_token=env.get("GITOPS_TOKEN", "") or env.get("GITHUB_TOKEN", ""),
        )
        for secret in (options.argocd_token, options.github_token, options.gitops_token):
            gha.mask(secret)
        if options.timeout is not None and options.timeout <= 0:
            raise UsageError(f"--timeout must be positive, got {options.timeout:g}")
        if options.poll_interval is not None and options.poll_interval <= 0:
            raise UsageError(f"--poll-interval must be positive, got {options.poll_interval:g}")
        return options


def _float_input(name: str) -> float | None:
    raw = gha.get_input(name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"input `{name}` must be a number of seconds, got {raw!r}") from None


def digest_option(args: argparse.Namespace, name: str = "digest") -> Digest | None:
    """``--digest`` (or the input of that name) parsed, or None when not given."""
    raw = getattr(args, name, None) or gha.get_input(name)
    return parse_digest(raw, source=f"--{name}") if raw else None


def say(line: str) -> None:
    """A progress line for people: stderr, so stdout stays the result."""
    print(line, file=sys.stderr, flush=True)


@contextmanager
def session(options: Options, *, environ: Mapping[str, str] | None = None) -> Iterator[Context]:
    """A :class:`Context` for ``options``: configuration read, GitOps branch cloned, clients built."""
    from idp_actions.config import load_config
    from idp_actions.github import make_github
    from idp_actions.gitops.argocd import ArgoCD
    from idp_actions.gitops.deployments import Deployments, PullRequests
    from idp_actions.gitops.repo import GitRepo, workspace

    env = os.environ if environ is None else environ
    settings = GitOpsSettings.from_config(load_config(Path.cwd(), path=options.config))
    settings.environment(options.environment)  # an unknown environment fails before anything is cloned
    url = options.gitops_url
    if not url:
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        url = f"{server}/{require_repository(settings)}.git"
    server_url = options.argocd_server or settings.argocd_server
    argo = None
    if server_url and (options.wait or options.argocd_token):
        argo = ArgoCD(server_url, options.argocd_token, ca_bundle=options.argocd_ca_bundle)
    with ExitStack() as stack:
        deployments = pulls = None
        if options.deployments and options.repository and options.source_sha and options.github_token:
            gh = stack.enter_context(make_github(token=options.github_token, environ=env))
            deployments = Deployments(gh, options.repository)
        elif options.deployments:
            say(
                "no GitHub deployment will be recorded: it needs GITHUB_REPOSITORY (--repo), GITHUB_SHA "
                "(--source-sha) and GITHUB_TOKEN"
            )
        if settings.repository and options.gitops_token:
            gitops_gh = stack.enter_context(make_github(token=options.gitops_token, environ=env))
            pulls = PullRequests(gitops_gh, settings.repository)
        directory = stack.enter_context(workspace())
        repo = GitRepo.clone(url, settings.branch, directory / "gitops", token=options.gitops_token or None)
        base = options.poll_interval or 2.0
        poll = Backoff(attempts=1_000_000, base=base, factor=1.5, cap=min(15.0, base * 7.5), jitter=False)
        yield Context(
            settings=settings,
            repo=repo,
            argo=argo,
            deployments=deployments,
            pulls=pulls,
            timeout=options.timeout or settings.wait_timeout,
            poll=poll,
            say=say,
        )
