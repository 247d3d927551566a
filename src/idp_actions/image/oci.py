"""OCI image objects: descriptors, the image configuration, the manifest, and image layout archives.

Shapes from the OCI image specification (image-spec v1.1): a manifest
(``schemaVersion`` 2, ``mediaType``, ``config`` and ``layers`` descriptors with
``mediaType``, ``digest`` and ``size``, optional ``annotations``); a configuration
(``created``, ``author``, ``architecture``, ``os``, ``variant``, ``config``,
``rootfs`` with ``type: layers`` and ``diff_ids``, ``history`` entries with
``created``, ``created_by``, ``comment``, ``empty_layer``); an image layout
(``oci-layout``, ``index.json``, ``blobs/sha256/…``).

JSON is written with sorted keys and no spaces, so the same image is the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
#: Docker's media types and the OCI ones that name the same bytes.
_AS_OCI = {DOCKER_LAYER_GZIP: OCI_LAYER_GZIP, "application/vnd.docker.image.rootfs.diff.tar": OCI_LAYER_TAR}
HISTORY_COMMENT = "idp image build"
BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"
REF_NAME = "org.opencontainers.image.ref.name"


def digest_of(data: bytes) -> str:
    """``sha256:`` and the hex SHA-256 of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(value: Any) -> bytes:
    """``value`` as compact JSON with sorted keys (UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def timestamp(epoch: int) -> str:
    """An RFC 3339 UTC time for ``epoch`` seconds (``1970-01-01T00:00:00Z`` for 0)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class Descriptor:
    """What a manifest says about one blob."""

    media_type: str
    digest: str
    size: int

    def to_json(self) -> dict[str, Any]:
        """The descriptor as JSON."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        """A descriptor from a manifest; ``ValueError`` when it lacks a field."""
        if not isinstance(data, dict):
            raise ValueError("a descriptor is not an object")
        try:
            return cls(media_type=str(data["mediaType"]), digest=str(data["digest"]), size=int(data["size"]))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"descriptor {data!r} lacks mediaType, digest or size") from None

    def as_oci(self) -> Descriptor:
        """The same blob named by its OCI media type (Docker's layer types have OCI twins)."""
        return Descriptor(media_type=_AS_OCI.get(self.media_type, self.media_type), digest=self.digest,
                          size=self.size)


def image_config(
    *,
    base: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    author: str | None,
    architecture: str,
    os: str,
    variant: str | None,
    diff_ids: Sequence[str],
    history: Sequence[tuple[str, bool]],
    created: str,
) -> dict[str, Any]:
    """The image configuration: the base's ``rootfs`` and ``history`` continued with ``diff_ids`` and ``history``.

    ``history`` holds ``(created_by, empty_layer)`` for each instruction after ``FROM``.
    """
    base = base or {}
    base_rootfs = base.get("rootfs") if isinstance(base.get("rootfs"), dict) else {}
    result: dict[str, Any] = {
        "created": created,
        "architecture": architecture,
        "os": os,
        "config": {k: v for k, v in config.items() if v is not None},
        "rootfs": {"type": "layers", "diff_ids": [*(base_rootfs or {}).get("diff_ids", []), *diff_ids]},
        "history": [
            *(base.get("history") or []),
            *({"created": created, "created_by": text, "comment": HISTORY_COMMENT,
               **({"empty_layer": True} if empty else {})} for text, empty in history),
        ],
    }
    if variant:
        result["variant"] = variant
    if author or base.get("author"):
        result["author"] = author or base.get("author")
    if base.get("os.version"):
        result["os.version"] = base["os.version"]
    return result


def manifest(config: Descriptor, layers: Sequence[Descriptor],
             annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An OCI image manifest."""
    result: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.to_json(),
        "layers": [layer.to_json() for layer in layers],
    }
    if annotations:
        result["annotations"] = dict(annotations)
    return result


def write_layout_archive(path: Path, *, manifest_bytes: bytes, blobs: Mapping[str, Path | bytes],
                         ref_names: Sequence[str] = ()) -> Path:
    """Write an OCI image layout as a tar file: ``oci-layout``, ``index.json`` and every blob.

    ``blobs`` maps each digest (config, layers) to its file or bytes; the manifest
    is added from ``manifest_bytes``. The index lists the manifest once per
    ``ref_names`` entry (its ``org.opencontainers.image.ref.name``), or once without.
    """
    manifest_digest = digest_of(manifest_bytes)
    entry = {"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest_bytes)}
    entries = [{**entry, "annotations": {REF_NAME: name}} for name in ref_names] or [entry]
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with tarfile.open(partial, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_dir(tar, "blobs")
        _add_dir(tar, "blobs/sha256")
        everything: dict[str, Path | bytes] = {**blobs, manifest_digest: manifest_bytes}
        for digest in sorted(everything):
            content = everything[digest]
            name = f"blobs/sha256/{digest.removeprefix('sha256:')}"
            if isinstance(content, bytes):
                _add_bytes(tar, name, content)
            else:
                info = _info(name)
                info.size = content.stat().st_size
                with content.open("rb") as handle:
                    tar.addfile(info, handle)
        _add_bytes(tar, "index.json", index)
        _add_bytes(tar, "oci-layout", canonical({"imageLayoutVersion": "1.0.0"}))
    partial.replace(path)
    return path


def _info(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = 0, 0o644, 0, 0, "", ""
    return info


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = _info(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    tar.addfile(info)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = _info(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
