"""Extracting the one binary from a verified release archive without trusting its member names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO

from idp_actions.errors import ToolError
from idp_actions.tools.manifest import Artifact

#: Refuse to extract a "binary" larger than this (a decompression bomb, not a tool).
MAX_BINARY_BYTES = 1024 * 1024 * 1024


def _safe_member(name: str) -> bool:
    """True for a relative member path that stays inside the extraction directory."""
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return False
    parts = [part for part in re.split(r"[\\/]+", name) if part not in ("", ".")]
    return bool(parts) and ".." not in parts


def _hostile(item: Artifact, member: str, why: str) -> ToolError:
    return ToolError(
        f"refusing to install `{item.name}` from {item.url}: archive member {member!r} {why}",
        hint="the archive is not what the manifest describes; nothing was installed",
    )


def _copy_limited(source: IO[bytes], binary: Path, item: Artifact) -> None:
    copied = 0
    with binary.open("wb") as out:
        for block in iter(lambda: source.read(1024 * 1024), b""):
            copied += len(block)
            if copied > MAX_BINARY_BYTES:
                raise _hostile(item, item.member, f"is larger than {MAX_BINARY_BYTES} bytes")
            out.write(block)


def _extract_zip(item: Artifact, download: Path, binary: Path) -> None:
    import stat
    import zipfile

    try:
        with zipfile.ZipFile(download) as archive:
            infos = archive.infolist()
            for info in infos:
                if not _safe_member(info.filename):
                    raise _hostile(item, info.filename, "escapes the extraction directory")
            wanted = [info for info in infos if info.filename.strip("/") == item.member.strip("/")]
            if not wanted:
                raise _hostile(item, item.member, "is missing from the archive")
            mode = wanted[0].external_attr >> 16
            if wanted[0].is_dir() or (mode and not stat.S_ISREG(mode)):
                raise _hostile(item, item.member, "is not a regular file")
            with archive.open(wanted[0]) as source:
                _copy_limited(source, binary, item)
    except zipfile.BadZipFile as exc:
        raise ToolError(f"{item.url} is not a valid zip archive: {exc}") from None


def _extract_tar(item: Artifact, download: Path, binary: Path) -> None:
    import tarfile

    mode = "r:xz" if item.archive == "tar.xz" else "r:gz"
    try:
        with tarfile.open(download, mode) as archive:  # type: ignore[call-overload]
            members = archive.getmembers()
            for member in members:
                if not _safe_member(member.name):
                    raise _hostile(item, member.name, "escapes the extraction directory")
                linked = member.issym() or member.islnk()
                if linked and not _link_stays_inside(member.name, member.linkname):
                    raise _hostile(item, member.name, f"links outside the archive ({member.linkname!r})")
            wanted = [m for m in members if m.name.strip("/").removeprefix("./") == item.member.strip("/")]
            if not wanted:
                raise _hostile(item, item.member, "is missing from the archive")
            if not wanted[-1].isreg():
                raise _hostile(item, item.member, "is not a regular file")
            source = archive.extractfile(wanted[-1])
            assert source is not None
            with source:
                _copy_limited(source, binary, item)
    except tarfile.TarError as exc:
        raise ToolError(f"{item.url} is not a valid {item.archive} archive: {exc}") from None


def _link_stays_inside(name: str, target: str) -> bool:
    if target.startswith("/"):
        return False
    base = [part for part in name.split("/")[:-1] if part not in ("", ".")]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not base:
                return False
            base.pop()
        else:
            base.append(part)
    return True
