"""The install manifest (``data/tools.json``): pinned release downloads per tool and platform."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions.errors import ToolError
from idp_actions.tools.registry import spec

#: Platforms as the manifest names them.
_OS = {"linux": "linux", "darwin": "darwin"}
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_ARCHIVES = ("raw", "zip", "tar.gz", "tar.xz")


def current_platform() -> str:
    """The platform key of this machine in the manifest (``linux-amd64``, ``darwin-arm64`` …)."""
    import platform as platform_module

    system = _OS.get(sys.platform, sys.platform)
    machine = platform_module.machine().lower()
    return f"{system}-{_ARCH.get(machine, machine)}"


def load_manifest(manifest: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The install manifest: the packaged ``data/tools.json``, a file, or an already-parsed mapping."""
    import json

    if isinstance(manifest, Mapping):
        return dict(manifest)
    if manifest is None:
        from importlib.resources import files

        text = files("idp_actions").joinpath("data/tools.json").read_text(encoding="utf-8")
    else:
        text = Path(manifest).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("tools"), dict):
        raise ToolError("the tools manifest has no `tools` object", hint="see idp_actions/data/tools.json")
    return data


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One downloadable release file of one tool version for one platform."""

    name: str
    version: str
    platform: str
    url: str
    sha256: str
    archive: str
    member: str


def artifact(name: str, manifest: Mapping[str, Any], platform: str) -> Artifact:
    """The manifest's download for ``name`` on ``platform``; a :class:`ToolError` says why there is none."""
    spec(name)
    entry = manifest["tools"].get(name)
    if entry is None:
        reason = manifest.get("not_installable", {}).get(name, "no published checksum is pinned for it")
        raise ToolError(
            f"`{name}` is not installable by idp tools install; install it another way ({reason})",
            hint=f"install it on the runner yourself and set {spec(name).env_var} to the binary if it is not on PATH",
        )
    files = entry["platforms"].get(platform)
    if files is None:
        raise ToolError(
            f"`{name}` {entry['version']} has no pinned download for {platform}",
            hint=f"available: {', '.join(sorted(entry['platforms']))}; or install it another way and "
            f"set {spec(name).env_var}",
        )
    if files["archive"] not in _ARCHIVES:
        raise ToolError(f"manifest entry for `{name}` has unknown archive type {files['archive']!r}")
    return Artifact(
        name=name,
        version=str(entry["version"]),
        platform=platform,
        url=str(files["url"]),
        sha256=str(files["sha256"]).lower(),
        archive=str(files["archive"]),
        member=str(files.get("binary") or name),
    )


def mirrored(url: str, mirror: str | None) -> str:
    """``url`` with its origin (scheme and host) replaced by the ``mirror`` base URL, if any."""
    if not mirror:
        return url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return mirror.rstrip("/") + tail
