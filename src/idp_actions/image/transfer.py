"""Moving images between registries and disk: pull a base, push an image, fetch layers, write an archive."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions.image import oci
from idp_actions.image.errors import DigestMismatch, RegistryError
from idp_actions.image.reference import Platform, Reference
from idp_actions.image.registry import Clients, RegistryClient

#: What a base image may be: a manifest for one platform, or an index of them.
ACCEPT = (oci.OCI_INDEX, oci.OCI_MANIFEST, oci.DOCKER_LIST, oci.DOCKER_MANIFEST)

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """Progress that goes nowhere."""


@dataclass(frozen=True, kw_only=True)
class BaseImage:
    """A base image read from its registry: the manifest's digest, its configuration and its layers."""

    reference: Reference
    digest: str
    config: dict[str, Any]
    layers: tuple[oci.Descriptor, ...]

    @property
    def pinned(self) -> str:
        """``registry/repository@digest``: the base exactly as used."""
        return str(self.reference.with_digest(self.digest))


@dataclass(frozen=True, kw_only=True)
class ImageLayer:
    """One layer of a built image: on disk (made by this build) or in the base's repository."""

    descriptor: oci.Descriptor
    diff_id: str
    path: Path | None = None
    origin: Reference | None = None


@dataclass(frozen=True, kw_only=True)
class PushResult:
    """What a push did: where the image is now, and how each blob got there."""

    repository: Reference
    digest: str
    tags: tuple[str, ...]
    uploaded: int
    existing: int
    mounted: int

    @property
    def pinned(self) -> str:
        """``registry/repository@sha256:…``."""
        return str(self.repository.with_digest(self.digest))


def pull_base(client: RegistryClient, ref: Reference, platform: Platform, *, where: str) -> BaseImage:
    """Read ``ref``'s manifest (choosing ``platform`` from an index) and configuration, both verified.

    ``where`` names the ``FROM`` line for messages (``Dockerfile:3``).
    """
    try:
        manifest = client.get_manifest(ref.repository, ref.reference, accept=ACCEPT)
    except RegistryError as exc:
        if exc.status == 404:
            raise RegistryError(
                f"the base image {ref} was not found in the registry {ref.registry} ({where})",
                status=404, hint="check the FROM line's name, tag or digest, and that the image was pushed there",
            ) from None
        raise
    document = _document(manifest.data, ref)
    media_type = manifest.media_type or str(document.get("mediaType") or "")
    if media_type in oci.INDEX_TYPES or "manifests" in document:
        chosen = _choose(document, platform, ref)
        manifest = client.get_manifest(ref.repository, chosen, accept=ACCEPT)
        document = _document(manifest.data, ref)
        media_type = manifest.media_type or str(document.get("mediaType") or "")
    if media_type not in oci.MANIFEST_TYPES and "layers" not in document:
        raise RegistryError(f"the base image {ref} is a {media_type or 'document'} this builder cannot use",
                            hint="use an OCI or Docker v2 image manifest (any image pushed in the last years is one)")
    try:
        config_descriptor = oci.Descriptor.from_json(document.get("config"))
        layers = tuple(oci.Descriptor.from_json(layer).as_oci() for layer in document.get("layers") or [])
    except ValueError as exc:
        raise RegistryError(f"the manifest of the base image {ref} is invalid: {exc}") from None
    raw = client.get_blob(ref.repository, config_descriptor.digest)
    try:
        config = json.loads(raw)
    except ValueError:
        raise RegistryError(f"the configuration of the base image {ref} is not JSON") from None
    if not isinstance(config, dict):
        raise RegistryError(f"the configuration of the base image {ref} is not a JSON object")
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    if len(diff_ids) != len(layers):
        raise RegistryError(f"the base image {ref} lists {len(layers)} layers but its configuration {len(diff_ids)}")
    return BaseImage(reference=ref, digest=manifest.digest, config=config, layers=layers)


def _document(data: bytes, ref: Reference) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise RegistryError(f"the manifest of {ref} is not JSON") from None
    if not isinstance(value, dict):
        raise RegistryError(f"the manifest of {ref} is not a JSON object")
    if value.get("schemaVersion") == 1:
        raise RegistryError(f"{ref} uses Docker's image manifest schema 1, which is long deprecated",
                            hint="rebuild or re-push the base image with a current tool")
    return value


def _choose(index: dict[str, Any], platform: Platform, ref: Reference) -> str:
    entries = [e for e in index.get("manifests") or [] if isinstance(e, dict)]
    for entry in entries:
        if platform.matches(entry.get("platform")) and isinstance(entry.get("digest"), str):
            return str(entry["digest"])
    offered = sorted({f"{(e.get('platform') or {}).get('os')}/{(e.get('platform') or {}).get('architecture')}"
                      for e in entries if isinstance(e.get("platform"), dict)} - {"unknown/unknown"})
    raise RegistryError(f"the base image {ref} has no {platform} variant (it has: {', '.join(offered) or 'none'})",
                        hint="pick a base image built for this platform, or build for one it has (--platform)")


def fetch_layer(layer: ImageLayer, clients: Clients, workdir: Path) -> Path:
    """The layer's blob on disk: made by this build, or downloaded (and verified) from the base's repository."""
    if layer.path is not None:
        return layer.path
    if layer.origin is None:
        raise RegistryError(f"layer {layer.descriptor.digest} has neither a file nor a repository to fetch it from")
    dest = workdir / "blobs" / layer.descriptor.digest.removeprefix("sha256:")
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        clients.for_host(layer.origin.api_host).get_blob(layer.origin.repository, layer.descriptor.digest, dest)
    return dest


def push(
    *,
    manifest: bytes,
    digest: str,
    config: bytes,
    config_digest: str,
    layers: Sequence[ImageLayer],
    target: Reference,
    tags: Sequence[str],
    clients: Clients,
    workdir: Path,
    progress: Progress = _quiet,
) -> PushResult:
    """Push every blob the registry lacks (mounting base layers from the same registry), then the manifest.

    The manifest goes under each tag (or, without tags, under its digest); the
    registry's ``Docker-Content-Digest`` must be ``digest``.
    """
    client = clients.for_host(target.api_host)
    repository = target.repository
    counts = {"uploaded": 0, "existing": 0, "mounted": 0}
    blobs: list[tuple[oci.Descriptor, ImageLayer | bytes]] = [(layer.descriptor, layer) for layer in layers]
    blobs.append((oci.Descriptor(media_type=oci.OCI_CONFIG, digest=config_digest, size=len(config)), config))
    for descriptor, source in blobs:
        short = descriptor.digest[7:19]
        if client.has_blob(repository, descriptor.digest, push=True):
            counts["existing"] += 1
            progress(f"{short}: already in {repository}")
            continue
        location: str | None = None
        if isinstance(source, ImageLayer) and source.origin is not None and source.path is None \
                and source.origin.api_host == target.api_host:
            location = client.mount_blob(repository, descriptor.digest, source.origin.repository)
            if location is None:
                counts["mounted"] += 1
                progress(f"{short}: mounted from {source.origin.repository}")
                continue
        content: Path | bytes = source if isinstance(source, bytes) else fetch_layer(source, clients, workdir)
        client.finish_upload(repository, location or client.start_upload(repository), descriptor.digest, content)
        counts["uploaded"] += 1
        progress(f"{short}: uploaded ({human_size(descriptor.size)})")
    for reference in tags or [digest]:
        sent = client.put_manifest(repository, reference, manifest, oci.OCI_MANIFEST)
        if not sent:
            sent = client.has_manifest(repository, digest, accept=(oci.OCI_MANIFEST,)) or ""
        if sent != digest:
            raise DigestMismatch(
                f"the registry {target.registry} stored the manifest of {repository}:{reference} as "
                f"{sent or 'nothing'}, not as {digest} computed here",
                hint="the registry changed the manifest (some convert formats); push to an OCI-compliant registry")
        progress(f"manifest {digest[:19]}… pushed as {repository}:{reference}" if reference != digest
                 else f"manifest {digest[:19]}… pushed by digest")
    return PushResult(repository=Reference(registry=target.registry, repository=repository), digest=digest,
                      tags=tuple(tags), **counts)


def human_size(size: int) -> str:
    """``size`` bytes in decimal units (``45.2 MB``)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
