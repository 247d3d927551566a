"""Installing a pinned tool: download, SHA-256 verification before anything else, extraction, and a cache.

A download is verified *before* anything is extracted or made executable, and the
result is moved into ``dest/<name>/<version>/`` in one rename, so an interrupted or
refused install leaves nothing behind. A second install of the same version
re-verifies the cached files and downloads nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions.errors import ToolError
from idp_actions.tools.archive import _extract_tar, _extract_zip
from idp_actions.tools.lookup import _executable
from idp_actions.tools.manifest import Artifact, artifact, current_platform, load_manifest, mirrored


@dataclass(frozen=True, kw_only=True)
class Installed:
    """An installed tool: ``path`` is the binary, ``directory`` what goes on PATH."""

    name: str
    version: str
    path: Path
    directory: Path
    cached: bool


_MARKER = ".idp-install.json"


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hex-encoded."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def install(
    name: str,
    *,
    dest: str | os.PathLike[str],
    mirror: str | None = None,
    manifest: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    platform: str | None = None,
    timeout: float = 120,
) -> Installed:
    """Install the manifest's pinned ``name`` into ``dest/<name>/<version>/`` and return where it is.

    ``mirror`` (default: ``IDP_TOOLS_MIRROR``) replaces the download's origin. A
    download whose SHA-256 differs from the manifest's is deleted and raises
    :class:`ToolError`; nothing is left in ``dest``.
    """
    if mirror is None:
        mirror = os.environ.get("IDP_TOOLS_MIRROR") or None
    item = artifact(name, load_manifest(manifest), platform or current_platform())
    final = Path(dest) / name / item.version
    reused = _reuse(final, item)
    if reused is not None:
        return reused
    created = [p for p in (final.parent.parent, final.parent) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    work = Path(tempfile.mkdtemp(prefix=f".{item.version}.partial-", dir=final.parent))
    try:
        url = mirrored(item.url, mirror)
        download = work / _filename(item.url)
        actual = _download(url, download, timeout=timeout)
        if actual != item.sha256:
            download.unlink(missing_ok=True)
            raise ToolError(
                f"checksum mismatch for {url}: expected sha256 {item.sha256}, got {actual}; "
                "the download was deleted and nothing was installed",
                hint="the file was corrupted or tampered with on the way, or the mirror serves a "
                "different file: do not use it; check the mirror or retry later",
            )
        _place(item, download, work)
        _publish(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        for directory in reversed(created):  # leave dest as it was: no empty folders either
            try:
                directory.rmdir()
            except OSError:
                pass
        raise
    return Installed(
        name=name,
        version=item.version,
        path=final / "bin" / name,
        directory=final / "bin",
        cached=False,
    )


def _filename(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    base = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return re.sub(r"[^A-Za-z0-9._-]", "_", base) or "download"


def _reuse(final: Path, item: Artifact) -> Installed | None:
    """The install in ``final`` if its files still match the manifest; else None (and it is removed)."""
    import json

    marker = final / _MARKER
    binary = final / "bin" / item.name
    if not marker.is_file():
        if final.exists():
            shutil.rmtree(final)  # a directory we did not complete: start again
        return None
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        good = (
            recorded.get("sha256") == item.sha256
            and recorded.get("platform") == item.platform
            and _executable(binary)
            and sha256_file(final / recorded["download"]) == item.sha256
            and sha256_file(binary) == recorded.get("binary_sha256")
        )
    except (OSError, ValueError, KeyError, TypeError):
        good = False
    if not good:
        shutil.rmtree(final)
        return None
    return Installed(name=item.name, version=item.version, path=binary, directory=binary.parent, cached=True)


def _download(url: str, target: Path, *, timeout: float) -> str:
    """Stream ``url`` into ``target`` and return the SHA-256 of what arrived."""
    import time
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise ToolError(f"refusing to download {url}: only http(s) URLs are supported")
    request = urllib.request.Request(url, headers={"User-Agent": "idp-actions-tools"})
    attempts = 3
    for attempt in range(1, attempts + 1):
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response, target.open("wb") as out:
                for block in iter(lambda: response.read(1024 * 1024), b""):
                    digest.update(block)
                    out.write(block)
            return digest.hexdigest()
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == attempts:
                raise ToolError(
                    f"downloading {url} failed: HTTP {exc.code} {exc.reason}",
                    hint="check the URL (and IDP_TOOLS_MIRROR / --mirror if you use a mirror)",
                ) from None
        except (urllib.error.URLError, OSError) as exc:
            if attempt == attempts:
                reason = getattr(exc, "reason", exc)
                raise ToolError(
                    f"downloading {url} failed: {reason}",
                    hint="check the network or proxy settings, or use a mirror (IDP_TOOLS_MIRROR / --mirror)",
                ) from None
        time.sleep(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _place(item: Artifact, download: Path, work: Path) -> None:
    """Extract the verified ``download`` into ``work/bin/<name>`` (executable) and write the marker."""
    import json

    binary = work / "bin" / item.name
    binary.parent.mkdir()
    if item.archive == "raw":
        download = download.rename(binary)  # the download is the binary: keep one copy
    elif item.archive == "zip":
        _extract_zip(item, download, binary)
    else:
        _extract_tar(item, download, binary)
    binary.chmod(0o755)
    marker = {
        "name": item.name,
        "version": item.version,
        "platform": item.platform,
        "url": item.url,
        "sha256": item.sha256,
        "download": download.relative_to(work).as_posix(),
        "binary_sha256": sha256_file(binary),
    }
    (work / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _publish(work: Path, final: Path) -> None:
    """Move the completed ``work`` directory to ``final`` in one rename."""
    try:
        work.rename(final)
    except OSError:
        if (final / _MARKER).is_file():
            return  # a concurrent install of the same version finished first; ours is discarded
        raise
