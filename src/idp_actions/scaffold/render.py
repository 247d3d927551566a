"""Render a template with copier, in Jinja2's sandbox, and prove every written path stays inside.

copier renders file contents and file names with a ``SandboxedEnvironment``
(attribute access to ``__class__``, ``__mro__``, ``__subclasses__`` … raises
``SecurityError``) and ``StrictUndefined`` (a misspelt variable is an error, not
an empty string). It runs with ``unsafe=False``: a template cannot run tasks,
migrations or load Jinja extensions. Parameter values are data, never rendered
as templates themselves.

Around copier, this module checks the template folder (:func:`.source.check_tree`:
no symbolic links or special files) and, after rendering, the result
(:func:`verify_tree`): only plain files and folders, and the real path of every
one inside the destination. The answers file copier writes is given a stable
``_src_path`` that names the template instead of the temporary repository.
"""

from __future__ import annotations

import gc
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from idp_actions.errors import IdpError
from idp_actions.scaffold.manifest import Manifest
from idp_actions.scaffold.source import ANSWERS_FILE, TemplateError, check_tree, write_template

#: What the answers file records as the template's source: its folder in idp-actions.
SOURCE_PREFIX = "idp-actions:templates/"
_SRC_LINE = re.compile(r"^_src_path: .*$", re.MULTILINE)


class RenderError(IdpError):
    """Rendering failed: the template has an error, or the result is unsafe."""


@dataclass(frozen=True, kw_only=True)
class Rendered:
    """A rendered tree: where it is, what made it, and its files (relative, sorted)."""

    root: Path
    manifest: Manifest
    answers: Mapping[str, Any]
    files: tuple[str, ...] = field(default=())


def render(manifest: Manifest, answers: Mapping[str, Any], dest: Path) -> Rendered:
    """Render ``manifest``'s template with ``answers`` into ``dest`` (which must not exist yet)."""
    if dest.exists():
        raise RenderError(f"{dest} already exists", hint="render into a new folder")
    check_tree(manifest.root)
    with tempfile.TemporaryDirectory(prefix="idp-template-") as tmp:
        # A plain folder, not a git repository: a first render needs no history, and copier
        # clones a git template before rendering it (measured: a third of the render's time).
        source = Path(tmp) / "template"
        write_template(manifest, source)
        run_copier(source, dest, answers, None)
    files = verify_tree(dest)
    stabilise_answers(dest, manifest.name, version=manifest.tag)
    return Rendered(root=dest, manifest=manifest, answers=MappingProxyType(dict(answers)), files=files)


def run_copier(repository: Path, dest: Path, answers: Mapping[str, Any], ref: str | None) -> None:
    """``copier copy`` of ``repository`` (at tag ``ref`` when it is git) into ``dest``, safe mode, no prompts."""
    error = _copy(repository, dest, answers, ref)
    if error is not None:
        raise error


def _copy(repository: Path, dest: Path, answers: Mapping[str, Any], ref: str | None) -> RenderError | None:
    import copier
    from copier.errors import CopierError
    from jinja2 import TemplateError as JinjaError
    from jinja2.exceptions import SecurityError

    # copier leaves a directory iterator open when rendering fails; it is closed (with a
    # ResourceWarning) when the failed call's frames go away, which happens inside this block.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            copier.run_copy(
                str(repository),
                str(dest),
                data=dict(answers),
                vcs_ref=ref,
                defaults=True,
                unsafe=False,
                skip_tasks=True,
                quiet=True,
                overwrite=False,
            )
        except SecurityError as exc:
            return RenderError(f"the template tried something the sandbox forbids: {exc}")
        except JinjaError as exc:
            filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
            where = f" ({filename}:{lineno})" if filename else ""
            return RenderError(f"the template failed to render{where}: {exc}")
        except CopierError as exc:
            return RenderError(f"copier refused to render: {exc}")
        finally:
            gc.collect()
    return None


def verify_tree(root: Path) -> tuple[str, ...]:
    """The files under ``root``; an error for a link, a special file or a path resolving outside."""
    real_root = root.resolve(strict=True)
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in [*dirnames, *sorted(filenames)]:
            path = Path(dirpath) / name
            shown = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise RenderError(f"rendering produced a symbolic link: {shown}")
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise RenderError(f"rendering produced a special file: {shown}")
            if not path.resolve(strict=True).is_relative_to(real_root):
                raise RenderError(f"rendering wrote outside the destination: {shown}")
            if stat.S_ISREG(mode):
                files.append(shown)
    return tuple(sorted(files))


def stabilise_answers(root: Path, template: str, *, version: str | None = None) -> None:
    """Point ``_src_path`` in the answers file at the template's folder, not the temporary copy.

    ``version`` (``v1.2.0``) is recorded as ``_commit`` when copier rendered from a
    plain folder, which it knows no version of: ``idp scaffold update`` starts from it.
    """
    path = root / ANSWERS_FILE
    if not path.is_file():
        raise TemplateError(f"template {template} wrote no {ANSWERS_FILE}",
                            hint="it needs `{{ _copier_conf.answers_file }}.jinja` in its template/ folder")
    text = path.read_text(encoding="utf-8")
    stable = f"_src_path: {SOURCE_PREFIX}{template}"
    if version is not None and not re.search(r"^_commit: ", text, re.MULTILINE):
        stable = f"_commit: {version}\n{stable}"
    path.write_text(_SRC_LINE.sub(lambda _: stable, text, count=1), encoding="utf-8")


def read_answers(root: Path) -> dict[str, Any]:
    """The answers file of a generated repository (template, version and the answers given)."""
    path = root / ANSWERS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RenderError(
            f"{ANSWERS_FILE} is missing: this repository was not made by idp scaffold",
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RenderError(f"{ANSWERS_FILE} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("_src_path", "")).startswith(SOURCE_PREFIX):
        raise RenderError(f"{ANSWERS_FILE} does not name an idp-actions template in `_src_path`")
    return data


def entity_ref(root: Path) -> str:
    """The Backstage entity reference of the first entity in ``catalog-info.yaml`` (``component:default/x``)."""
    path = root / "catalog-info.yaml"
    try:
        entity = next(iter(yaml.safe_load_all(path.read_text(encoding="utf-8"))), None)
    except (OSError, yaml.YAMLError) as exc:
        raise RenderError(f"catalog-info.yaml cannot be read: {exc}") from None
    if not isinstance(entity, dict) or not isinstance(entity.get("metadata"), dict):
        raise RenderError("catalog-info.yaml holds no Backstage entity")
    namespace = entity["metadata"].get("namespace") or "default"
    return f"{str(entity.get('kind', '')).lower()}:{namespace}/{entity['metadata'].get('name')}"
