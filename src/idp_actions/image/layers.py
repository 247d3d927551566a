"""Reproducible layers: the files a COPY/ADD or WORKDIR puts into the image, as a gzipped tar.

The same inputs give the same bytes, on any machine: entries sorted by path
(parents first), every timestamp the build's epoch (``SOURCE_DATE_EPOCH``, else
0), numeric owners only (the instruction's ``--chown``, else root) with no user or
group names, modes normalised (``--chmod``, else 0644 for files and 0755 for
directories and files with an executable bit — what Git records), gzip with no
file name and time 0. Parent directories of every destination are in the layer,
owned by root.

Sources follow Docker's rules: paths and ``*``/``?``/``[…]`` patterns relative to
the build context, files and symbolic links the ``.dockerignore`` leaves out do not
exist, a directory source copies its contents, several sources need a directory
destination. ``ADD`` of a local archive (which Docker would unpack) is refused.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from idp_actions.image.errors import DockerfileProblem
from idp_actions.image.ignore import DockerIgnore, pattern_regex
from idp_actions.image.recipe import CopyLayer, DirLayer

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
_GLOB = frozenset("*?[")


@dataclass(frozen=True, kw_only=True)
class Blob:
    """Content on disk and its digest."""

    path: Path
    digest: str
    size: int


@dataclass(frozen=True, kw_only=True)
class BuiltLayer:
    """A layer written to disk: its compressed blob, its uncompressed digest (``diff_id``) and what it holds."""

    blob: Blob
    diff_id: str
    files: int
    media_type: str = LAYER_MEDIA_TYPE


@dataclass(frozen=True, kw_only=True)
class _Entry:
    name: str  # relative to /, no leading slash
    kind: str  # "dir", "file" or "symlink"
    mode: int
    uid: int
    gid: int
    source: Path | None = None
    target: str = ""


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _Hashing(io.RawIOBase):
    """A write-only stream that hashes and counts what passes through to ``sink``."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self.hash.update(chunk)
        self.size += len(chunk)
        self.sink.write(chunk)
        return len(chunk)

    @property
    def digest(self) -> str:
        return "sha256:" + self.hash.hexdigest()


class Context:
    """The build context: a directory seen through its ``.dockerignore``."""

    def __init__(self, root: Path, *, file: str = "Dockerfile") -> None:
        self.root = root.resolve()
        self.ignore = DockerIgnore.read(self.root)
        self.file = file

    def excluded(self, relative: str) -> bool:
        """True when the ``.dockerignore`` leaves ``relative`` out."""
        return relative not in ("", ".") and self.ignore.excluded(relative)

    def glob(self, pattern: str) -> list[str]:
        """Context paths (relative, ``/``-separated) matching ``pattern``, sorted; ignored ones left out."""
        if not any(ch in _GLOB for ch in pattern):
            path = self.root / pattern
            if pattern != "." and (self.excluded(pattern) or not (path.exists() or path.is_symlink())):
                return []
            return [pattern]
        found = [""]
        for part in pattern.split("/"):
            regex = pattern_regex(part) if any(ch in _GLOB for ch in part) else None
            following: list[str] = []
            for parent in found:
                directory = self.root / parent if parent else self.root
                if not directory.is_dir():
                    continue
                for name in sorted(child.name for child in directory.iterdir()):
                    if (regex.match(name) if regex else name == part):
                        following.append(f"{parent}/{name}" if parent else name)
            found = following
        return [p for p in found if not self.excluded(p)]

    def inside(self, path: Path) -> bool:
        """True when ``path`` (symbolic links resolved) is in the context."""
        try:
            path.resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    def walk(self, relative: str) -> Iterator[tuple[str, Path]]:
        """Everything under the context directory ``relative`` (not itself), sorted, ignored paths left out."""
        base = self.root / relative if relative != "." else self.root
        for name in sorted(child.name for child in base.iterdir()):
            child_rel = name if relative == "." else f"{relative}/{name}"
            child = base / name
            excluded = self.excluded(child_rel)
            is_dir = child.is_dir() and not child.is_symlink()
            if excluded and not (is_dir and self.ignore.has_exceptions):
                continue
            if not excluded:
                yield child_rel, child
            if is_dir:
                yield from self.walk(child_rel)


def _mode(path: Path, kind: str, forced: int | None) -> int:
    if kind == "symlink":
        return 0o777
    if forced is not None:
        return forced
    if kind == "dir":
        return 0o755
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def _kind(path: Path) -> str | None:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return None  # sockets, pipes and devices are not copied


def _is_archive(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def copy_entries(spec: CopyLayer, context: Context) -> list[_Entry]:
    """The entries a COPY/ADD adds, destination paths without the leading ``/``."""
    matched: list[str] = []
    for source in spec.sources:
        found = context.glob(source)
        if not found:
            why = " (the .dockerignore excludes it)" if context.ignore and (context.root / source).exists() else ""
            raise _fail(spec, context, f"{spec.instruction} source {source!r} is not in the build context{why}",
                        f"paths are relative to the build context {context.root}")
        matched += found
    if len(matched) > 1 and not spec.dest_is_dir:
        raise _fail(spec, context, f"{spec.instruction} of several files into {spec.dest}: end the destination "
                    "with / to say it is a directory")
    dest = spec.dest.strip("/")
    excludes = DockerIgnore(spec.excludes)
    entries: list[_Entry] = []
    for relative in matched:
        path = context.root / relative if relative != "." else context.root
        if not context.inside(path):
            raise _fail(spec, context, f"{spec.instruction} source {relative!r} points outside the build context")
        kind = _kind(path.resolve())
        if kind == "dir":  # a directory's contents go into the destination, which is a directory
            entries += _directory(spec, context, relative, dest, excludes)
        elif kind == "file":
            if spec.instruction == "ADD" and _is_archive(path):
                raise _fail(spec, context,
                            f"ADD {relative}: ADD unpacks local archives, which this builder does not do",
                            "unpack it in the job and COPY the files, or COPY the archive to keep it packed")
            target = posixpath.join(dest, posixpath.basename(relative)) if spec.dest_is_dir else dest
            entries.append(_Entry(name=target, kind="file", mode=_mode(path, "file", spec.mode), uid=spec.uid,
                                  gid=spec.gid, source=path.resolve()))
    return entries


def _fail(spec: CopyLayer, context: Context, message: str, hint: str | None = None) -> DockerfileProblem:
    return DockerfileProblem(message, file=context.file, line=spec.line, hint=hint)


def _directory(spec: CopyLayer, context: Context, relative: str, dest: str,
               excludes: DockerIgnore) -> list[_Entry]:
    entries = [_Entry(name=dest, kind="dir", mode=spec.mode or 0o755, uid=spec.uid, gid=spec.gid)] if dest else []
    for child_rel, child in context.walk(relative):
        inner = child_rel if relative == "." else child_rel[len(relative) + 1 :]
        if excludes and excludes.excluded(inner):
            continue
        kind = _kind(child)
        if kind is None:
            continue
        name = posixpath.join(dest, inner) if dest else inner
        if kind == "symlink":
            entries.append(_Entry(name=name, kind="symlink", mode=0o777, uid=spec.uid, gid=spec.gid,
                                  target=str(child.readlink())))
        else:
            entries.append(_Entry(name=name, kind=kind, mode=_mode(child, kind, spec.mode), uid=spec.uid,
                                  gid=spec.gid, source=child if kind == "file" else None))
    return entries


def _with_parents(entries: list[_Entry]) -> list[_Entry]:
    by_name: dict[str, _Entry] = {}
    for entry in entries:
        by_name[entry.name] = entry  # a later source wins, as a later copy overwrites
    for name in list(by_name):
        parts = name.split("/")[:-1]
        for i in range(len(parts)):
            parent = "/".join(parts[: i + 1])
            by_name.setdefault(parent, _Entry(name=parent, kind="dir", mode=0o755, uid=0, gid=0))
    return sorted(by_name.values(), key=lambda e: e.name.split("/"))


def write_layer(spec: CopyLayer | DirLayer, context: Context, *, epoch: int, out_dir: Path) -> BuiltLayer:
    """Write the layer for ``spec`` under ``out_dir`` (named by its digest) and describe it."""
    if isinstance(spec, DirLayer):
        entries = [_Entry(name=spec.path.strip("/"), kind="dir", mode=0o755, uid=spec.uid, gid=spec.gid)]
    else:
        entries = copy_entries(spec, context)
    return write_entries(_with_parents([e for e in entries if e.name]), epoch=epoch, out_dir=out_dir)


def write_entries(entries: list[_Entry], *, epoch: int, out_dir: Path) -> BuiltLayer:
    """Write ``entries`` (sorted, parents included) as a gzipped tar blob under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".layer-{os.getpid()}-{id(entries)}.partial"
    with partial.open("wb") as raw:
        compressed = _Hashing(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=6) as zipped:
            plain = _Hashing(zipped)
            with tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for entry in entries:
                    _add(tar, entry, epoch)
    digest = compressed.digest
    final = out_dir / digest.removeprefix("sha256:")
    partial.replace(final)
    files = sum(1 for e in entries if e.kind != "dir")
    return BuiltLayer(blob=Blob(path=final, digest=digest, size=compressed.size), diff_id=plain.digest, files=files)


def _add(tar: tarfile.TarFile, entry: _Entry, epoch: int) -> None:
    info = tarfile.TarInfo(entry.name)
    info.mtime = epoch
    info.mode = entry.mode
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.target
        tar.addfile(info)
    else:
        assert entry.source is not None
        with entry.source.open("rb") as handle:
            info.size = os.fstat(handle.fileno()).st_size
            tar.addfile(info, handle)
