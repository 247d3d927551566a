"""The ``gitops`` section of ``.github/idp.yaml``, as promotion needs it.

Read from :attr:`IdpConfig.data <idp_actions.config.IdpConfig.data>` (already
validated, defaults filled in) into frozen dataclasses; lookups of services and
environments raise errors that name what exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from idp_actions.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from idp_actions.config import IdpConfig

Layout = Literal["kustomize", "helm"]
Mode = Literal["direct", "pull-request"]

_SERVICE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings:
    """One environment, in promotion order."""

    name: str
    mode: Mode
    argocd_app: str
    requires: tuple[str, ...]
    url: str | None = None

    def app_for(self, service: str) -> str:
        """The Argo CD Application of ``service`` in this environment."""
        return self.argocd_app.replace("{service}", service).replace("{environment}", self.name)

    def url_for(self, service: str) -> str | None:
        """The URL of ``service`` running here, when configured."""
        return self.url.replace("{service}", service) if self.url else None


@dataclass(frozen=True, kw_only=True)
class GitOpsSettings:
    """Where overlays live, how they are edited, and how promotions are verified."""

    repository: str | None
    branch: str
    layout: Layout
    path: str
    image: str
    values_key: str
    rollback: Literal["auto", "manual"]
    argocd_server: str | None
    wait_timeout: float
    environments: tuple[EnvironmentSettings, ...]

    @classmethod
    def from_config(cls, config: IdpConfig) -> GitOpsSettings:
        """The settings of ``config``'s ``gitops`` section (defaults already applied)."""
        return cls.from_mapping(config.data.get("gitops") or {})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> GitOpsSettings:
        """Settings from a validated ``gitops`` mapping; missing keys take the schema's defaults."""
        argocd = data.get("argocd") or {}
        raw_envs: Any = data.get("environments") or (
            {"name": "dev", "mode": "direct"},
            {"name": "staging", "mode": "direct", "requires": ("dev",)},
            {"name": "prod", "mode": "pull-request", "requires": ("staging",)},
        )
        environments = tuple(
            EnvironmentSettings(
                name=str(env["name"]),
                mode=env.get("mode", "pull-request"),
                argocd_app=str(env.get("argocd-app", "{service}-{environment}")),
                requires=tuple(env.get("requires", ())),
                url=env.get("url"),
            )
            for env in raw_envs
        )
        return cls(
            repository=data.get("repository"),
            branch=str(data.get("branch", "main")),
            layout=data.get("layout", "kustomize"),
            path=str(data.get("path", "apps/{service}/overlays/{environment}")),
            image=str(data.get("image", "{service}")),
            values_key=str(data.get("values-key", "image.digest")),
            rollback=data.get("rollback", "manual"),
            argocd_server=argocd.get("server"),
            wait_timeout=float(argocd.get("wait-timeout", 600)),
            environments=environments,
        )

    # ----------------------------------------------------------- lookups

    def environment(self, name: str) -> EnvironmentSettings:
        """The environment called ``name``; the error lists the configured ones."""
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments)
        raise UsageError(
            f"unknown environment `{name}`; this repository promotes to: {known}",
            hint="environments come from `gitops.environments` in .github/idp.yaml",
        )

    def index(self, name: str) -> int:
        """Position of environment ``name`` in promotion order."""
        return [e.name for e in self.environments].index(self.environment(name).name)

    def image_for(self, service: str) -> str:
        """The image name for ``service``."""
        return self.image.replace("{service}", service)

    def overlay_path(self, service: str, environment: str) -> str:
        """The overlay directory (kustomize) or values file (helm), relative to the repository root."""
        return self.path.replace("{service}", service).replace("{environment}", environment).strip("/")

    def service_root(self, service: str) -> str:
        """The part of :attr:`path` before the first placeholder that follows ``{service}``: where a service lives."""
        head = self.path.split("{environment}", 1)[0]
        if "{service}" not in head:
            return ""
        return head.split("{service}", 1)[0] + service

    def services_prefix(self) -> str:
        """The directory that holds one folder per service (``apps``), or "" when unknown."""
        head = self.path.split("{service}", 1)[0] if "{service}" in self.path else ""
        return head.rstrip("/")


def check_service(name: str) -> str:
    """``name`` when it is a valid service name (a DNS label), else a :class:`UsageError`."""
    if not _SERVICE.fullmatch(name):
        raise UsageError(
            f"service name {name!r} is not valid: use lowercase letters, digits and inner dashes (at most 63)",
            hint="it is the service's folder in the GitOps repository, like `payments-api`",
        )
    return name


def require_repository(settings: GitOpsSettings) -> str:
    """``gitops.repository``, or a :class:`ConfigError` saying how to set it."""
    if not settings.repository:
        raise ConfigError(
            "`gitops.repository` is not set: idp does not know which GitOps repository to promote in",
            file=".github/idp.yaml",
            path="gitops.repository",
            hint="add `gitops: {repository: OWNER/NAME}` (or pass --gitops-url for a local clone URL)",
        )
    return settings.repository
