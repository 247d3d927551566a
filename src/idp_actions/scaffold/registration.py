"""What a new service adds to the GitOps repository: its manifests per environment and Argo CD Applications.

Pure: from the rendered project and the platform's settings it decides every
file of the registration. The overlays go where ``idp promote`` looks for them
(``gitops.path``, ``apps/{service}/overlays/{environment}`` by default), the
base where the overlays' own ``resources:`` point, and one Argo CD Application
per environment (named as ``gitops.environments[].argocd-app`` says, so promote
waits on the right one) into ``scaffold.argocd-path``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from idp_actions.errors import IdpError
from idp_actions.scaffold.manifest import Manifest


class RegistrationError(IdpError):
    """The service cannot be registered the way the platform's GitOps settings say."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The platform's GitOps and scaffolding settings that shape a registration."""

    repository_url: str
    branch: str = "main"
    path: str = "apps/{service}/overlays/{environment}"
    environments: tuple[tuple[str, str], ...] = (("dev", "{service}-{environment}"),
                                                 ("staging", "{service}-{environment}"),
                                                 ("prod", "{service}-{environment}"))
    argocd_path: str = "argocd/{service}.yaml"
    project: str = "default"
    destination: str = "https://kubernetes.default.svc"

    @classmethod
    def from_config(cls, data: Mapping[str, Any], repository_url: str) -> Settings:
        """Settings from the effective ``.github/idp.yaml`` (:meth:`IdpConfig.as_dict`)."""
        gitops = data.get("gitops") or {}
        scaffold = data.get("scaffold") or {}
        return cls(
            repository_url=repository_url,
            branch=str(gitops.get("branch", "main")),
            path=str(gitops.get("path", cls.path)),
            environments=tuple(
                (str(env["name"]), str(env.get("argocd-app", "{service}-{environment}")))
                for env in gitops.get("environments") or ()
            ) or cls.environments,
            argocd_path=str(scaffold.get("argocd-path", cls.argocd_path)),
            project=str(scaffold.get("argocd-project", cls.project)),
            destination=str(scaffold.get("destination-server", cls.destination)),
        )


@dataclass(frozen=True, kw_only=True)
class Registration:
    """The files to add (path -> text) and the Applications they declare (environment -> name)."""

    service: str
    files: Mapping[str, str]
    applications: Mapping[str, str]
    overlays: Mapping[str, str]


def registration(root: Path, manifest: Manifest, service: str, settings: Settings) -> Registration:
    """The GitOps files registering ``service``, rendered at ``root`` from ``manifest``."""
    if manifest.gitops is None:
        raise RegistrationError(f"template {manifest.name} makes no deployable service (no gitops: in its manifest)")
    base_dir = root / manifest.gitops.base
    overlays_dir = root / manifest.gitops.overlays
    available = sorted(p.name for p in overlays_dir.iterdir() if p.is_dir()) if overlays_dir.is_dir() else []
    missing = [env for env, _ in settings.environments if env not in available]
    if missing:
        raise RegistrationError(
            f"the platform promotes to {', '.join(missing)}, but template {manifest.name} has no overlay for "
            f"{'it' if len(missing) == 1 else 'them'} (it has: {', '.join(available) or 'none'})",
            hint="align gitops.environments in the platform's .github/idp.yaml with the template's overlays",
        )
    files: dict[str, str] = {}
    overlays: dict[str, str] = {}
    applications: dict[str, str] = {}
    base_target: str | None = None
    documents: list[dict[str, Any]] = []
    for env, app_pattern in settings.environments:
        overlay_path = _inside(settings.path.format(service=service, environment=env), "gitops.path")
        source = overlays_dir / env
        kustomization = _kustomization(source)
        target = _base_reference(kustomization, overlay_path, source.relative_to(root).as_posix())
        if base_target is not None and target != base_target:
            raise RegistrationError(f"the overlays point at different bases ({base_target} and {target})")
        base_target = target
        files.update(_copy(source, overlay_path))
        overlays[env] = overlay_path
        name = app_pattern.format(service=service, environment=env)
        applications[env] = name
        namespace = str(kustomization.get("namespace") or f"{env}-{service}")
        documents.append(_application(name, service, env, overlay_path, namespace, settings))
    assert base_target is not None
    for path, text in _copy(base_dir, base_target).items():
        if path in files:
            raise RegistrationError(f"gitops.path puts an overlay inside the base: {path}")
        files[path] = text
    argocd = _inside(settings.argocd_path.format(service=service), "scaffold.argocd-path")
    header = (f"# Argo CD Applications of {service}, one per environment (written by idp scaffold).\n"
              "# idp promote changes the image digest in each overlay; Argo CD syncs it.\n")
    files[argocd] = header + yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True)
    return Registration(service=service, files=files, applications=applications, overlays=overlays)


def _kustomization(directory: Path) -> dict[str, Any]:
    path = directory / "kustomization.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegistrationError(f"cannot read the overlay {path.name} in {directory.name}: {exc}") from None
    if not isinstance(data, dict):
        raise RegistrationError(f"{directory.name}/kustomization.yaml is not a mapping")
    return data


def _base_reference(kustomization: Mapping[str, Any], overlay_path: str, shown: str) -> str:
    relative = [r for r in kustomization.get("resources") or () if isinstance(r, str) and r.startswith("..")]
    if len(relative) != 1:
        raise RegistrationError(f"{shown}/kustomization.yaml must have exactly one `../…` resource (the base)")
    return _inside(posixpath.normpath(posixpath.join(overlay_path, relative[0])), "the base of the overlays")


def _copy(source: Path, dest: str) -> dict[str, str]:
    out = {}
    for path in sorted(source.rglob("*")):
        if path.is_file():
            out[f"{dest}/{path.relative_to(source).as_posix()}"] = path.read_text(encoding="utf-8")
    return out


def _inside(path: str, what: str) -> str:
    normal = posixpath.normpath(path)
    if normal.startswith(("/", "..")) or normal in (".", ""):
        raise RegistrationError(f"{what} resolves to {path!r}, outside the GitOps repository")
    return normal


def _application(name: str, service: str, env: str, path: str, namespace: str, settings: Settings) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "labels": {"app.kubernetes.io/name": service, "environment": env},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": settings.project,
            "source": {"repoURL": settings.repository_url, "targetRevision": settings.branch, "path": path},
            "destination": {"server": settings.destination, "namespace": namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def environments_of(settings: Settings) -> Sequence[str]:
    """The environment names, in promotion order."""
    return [env for env, _ in settings.environments]
