"""The effective configuration: :class:`IdpConfig` and the entries it is made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from idp_actions.config.schemas import _freeze, _schema, _thaw, _with_defaults
from idp_actions.findings import Severity


@dataclass(frozen=True, kw_only=True)
class TerraformRoot:
    """One entry of ``terraform.roots``."""

    path: str
    workspaces: tuple[str, ...]
    var_files: tuple[str, ...]
    backend_config: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Environment:
    """One entry of ``gitops.environments``, in promotion order."""

    name: str
    mode: str
    argocd_app: str
    requires: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class IdpConfig:
    """The effective configuration: the file's values over the schema's defaults.

    ``source`` is the file read, or None when the repository has none (all
    defaults). ``data`` is read-only (mappings and tuples); :meth:`as_dict`
    gives a plain copy for serialising.
    """

    source: Path | None
    data: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable copy of :attr:`data`."""
        return _thaw(self.data)  # type: ignore[no-any-return]

    def _section(self, name: str) -> Mapping[str, Any]:
        section = self.data.get(name)
        return section if isinstance(section, Mapping) else MappingProxyType({})

    @property
    def version(self) -> int:
        """The format version (always 1)."""
        return int(self.data["version"])

    @property
    def org_name(self) -> str | None:
        """``org.name``, or None to use the owner of the repository."""
        return self._section("org").get("name")

    @property
    def default_team(self) -> str | None:
        """``org.default-team``."""
        return self._section("org").get("default-team")

    def tool_version(self, tool: str) -> str | None:
        """The version override for ``tool`` (``tools.<tool>``), or None for the pinned one."""
        return self._section("tools").get(tool)

    @property
    def scan_severity_threshold(self) -> Severity:
        """``scan.severity-threshold``: the lowest severity that fails a scan."""
        return Severity.parse(str(self._section("scan")["severity-threshold"]))

    @property
    def scan_ignore_unfixed(self) -> bool:
        """``scan.ignore-unfixed``."""
        return bool(self._section("scan")["ignore-unfixed"])

    @property
    def scan_scanners(self) -> tuple[str, ...]:
        """``scan.scanners``."""
        return tuple(self._section("scan")["scanners"])

    @property
    def scan_exclude(self) -> tuple[str, ...]:
        """``scan.exclude`` globs."""
        return tuple(self._section("scan")["exclude"])

    @property
    def policy_enforcement(self) -> str:
        """``policy.enforcement``: deny, warn or dryrun."""
        return str(self._section("policy")["enforcement"])

    @property
    def policy_exclude(self) -> tuple[str, ...]:
        """``policy.exclude`` globs."""
        return tuple(self._section("policy")["exclude"])

    def policy_parameters(self, policy: str) -> Mapping[str, Any]:
        """``policy.parameters.<policy>`` (empty when not set)."""
        value = self._section("policy")["parameters"].get(policy)
        return value if isinstance(value, Mapping) else MappingProxyType({})

    @property
    def terraform_binary(self) -> str:
        """``terraform.binary``: tofu or terraform."""
        return str(self._section("terraform")["binary"])

    @property
    def terraform_comment_mode(self) -> str:
        """``terraform.comment-mode``: combined or per-root."""
        return str(self._section("terraform")["comment-mode"])

    @property
    def terraform_roots(self) -> tuple[TerraformRoot, ...]:
        """``terraform.roots`` with their defaults."""
        return tuple(
            TerraformRoot(
                path=root["path"],
                workspaces=tuple(root["workspaces"]),
                var_files=tuple(root["var-files"]),
                backend_config=tuple(root["backend-config"]),
            )
            for root in self._section("terraform")["roots"]
        )

    @property
    def gitops_repository(self) -> str | None:
        """``gitops.repository`` (``owner/name``), or None when not set."""
        return self._section("gitops").get("repository")

    @property
    def gitops_environments(self) -> tuple[Environment, ...]:
        """``gitops.environments`` in promotion order, with their defaults."""
        return tuple(
            Environment(
                name=env["name"],
                mode=env["mode"],
                argocd_app=env["argocd-app"],
                requires=tuple(env["requires"]),
            )
            for env in self._section("gitops")["environments"]
        )

    @property
    def sticky_comments(self) -> bool:
        """``comments.sticky``."""
        return bool(self._section("comments")["sticky"])


def defaults() -> IdpConfig:
    """The configuration of a repository without ``.github/idp.yaml``."""
    from idp_actions.config.semantics import _implied

    return IdpConfig(source=None, data=_freeze(_implied(_with_defaults(_schema(), {"version": 1}))))
