"""Rendering what is not a manifest yet: kustomize directories (real ``kustomize build``) and Helm charts.

A kustomization is built through a throw-away wrapper that lists it as its only
resource with ``buildMetadata: [originAnnotations]``: kustomize then records in
each object the file it came from, and the engine reports a violation at that
file (and the line of the object in it) rather than at the directory. The
annotation is removed again before any policy sees the object, so policies see
exactly what ``kustomize build`` gives.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp_actions import proc, tools
from idp_actions.errors import IdpError
from idp_actions.policy import documents

ORIGIN = "config.kubernetes.io/origin"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True, kw_only=True)
class Rendered:
    """One object a renderer produced and the source file (absolute) and line it came from, when known."""

    obj: dict[str, Any]
    source: Path | None
    line: int | None


class RenderError(Exception):
    """The renderer failed; the message is what it said."""


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of ``directory``, if it has one."""
    return next((directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()), None)


def kustomize_build(directory: Path, *, timeout: float = 300) -> list[Rendered]:
    """``kustomize build directory``, each object traced back to its source file and line."""
    binary = tools.find("kustomize")
    own = kustomization_file(directory)
    keeps_origin = own is not None and "originAnnotations" in own.read_text(encoding="utf-8", errors="replace")
    wrapper = Path(tempfile.mkdtemp(prefix="idp-kustomize-"))
    try:
        relative = os.path.relpath(directory.resolve(), wrapper)
        (wrapper / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {relative}\nbuildMetadata: [originAnnotations]\n",
            encoding="utf-8",
        )
        try:
            result = proc.run([binary, "build", str(wrapper)], timeout=timeout)
        except IdpError as exc:
            stderr = getattr(exc, "stderr", "") or str(exc)
            raise RenderError(_kustomize_message(stderr, wrapper, directory)) from None
        docs = documents.load_yaml(result.stdout)
        rendered = []
        for doc in docs:
            if not isinstance(doc.data, dict):
                continue
            source, line = _origin(doc.data, wrapper, keep=keeps_origin)
            rendered.append(Rendered(obj=doc.data, source=source, line=line))
        return rendered
    finally:
        shutil.rmtree(wrapper, ignore_errors=True)


def _kustomize_message(stderr: str, wrapper: Path, directory: Path) -> str:
    text = stderr.strip().replace(str(wrapper), "<wrapper>")
    return text.replace(os.path.relpath(directory.resolve(), wrapper), str(directory))


def _origin(obj: dict[str, Any], wrapper: Path, *, keep: bool) -> tuple[Path | None, int | None]:
    metadata = documents.mapping(obj.get("metadata"))
    annotations = documents.mapping(metadata.get("annotations"))
    if ORIGIN not in annotations:
        return None, None
    raw = annotations[ORIGIN]
    if not keep:
        del annotations[ORIGIN]
        if not annotations:
            del metadata["annotations"]
    try:
        origin = documents.load_yaml(str(raw))
    except documents.DocumentError:
        return None, None
    data = origin[0].data if origin and isinstance(origin[0].data, dict) else {}
    relative = data.get("path") or data.get("configuredIn")
    if not isinstance(relative, str) or "://" in relative:
        return None, None
    source = (wrapper / relative).resolve()
    line = _line_in(source, obj) if "path" in data else None
    return source, line


def _line_in(source: Path, obj: dict[str, Any]) -> int | None:
    """The line of the document in ``source`` that ``obj`` was built from (same kind, name a part of its name)."""
    try:
        docs = documents.load_yaml(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, documents.DocumentError):
        return None
    kind = obj.get("kind")
    name = str((obj.get("metadata") or {}).get("name") or "")
    same_kind = [d for d in docs if isinstance(d.data, dict) and d.data.get("kind") == kind]
    for doc in same_kind:
        original = str((doc.data.get("metadata") or {}).get("name") or "")
        if original and original == name:
            return doc.line
    for doc in same_kind:
        original = str((doc.data.get("metadata") or {}).get("name") or "")
        if original and original in name:
            return doc.line
    return same_kind[0].line if len(same_kind) == 1 else None


def helm_binary() -> str | None:
    """``helm`` from ``IDP_HELM`` or PATH, or None (Helm is not one of the pinned tools)."""
    override = os.environ.get("IDP_HELM", "").strip()
    if override:
        return override
    return shutil.which("helm")


def helm_template(chart: Path, helm: str, *, timeout: float = 300) -> list[Rendered]:
    """``helm template`` of ``chart`` with its default values; objects traced to their template file."""
    try:
        result = proc.run([helm, "template", chart.name, str(chart)], timeout=timeout)
    except IdpError as exc:
        raise RenderError(str(getattr(exc, "stderr", "") or exc).strip()) from None
    rendered: list[Rendered] = []
    source: Path | None = None
    for chunk in result.stdout.split("\n---"):
        for line in chunk.splitlines():
            if line.startswith("# Source: "):
                _, _, inside = line[len("# Source: "):].partition("/")
                source = chart / inside
                break
        for doc in documents.load_yaml(chunk):
            if isinstance(doc.data, dict):
                rendered.append(Rendered(obj=doc.data, source=source, line=None))
    return rendered
