"""Template sources: the checks a template tree must pass, and the git repository copier renders from.

copier renders from a git repository whose tags are template versions; that is
what lets ``copier update`` re-render the version a project was made from.
Templates live as folders of this repository (``templates/<name>/`` with
``manifest.yaml`` and ``template/``), so :func:`build_repository` turns one or
more versions of a template folder into such a repository: one commit and one
tag (``v1.2.0``) per version, with a ``copier.yml`` written from each version's
manifest, which stays the single source of the questions.

Older versions come from the history of a checkout of idp-actions
(:class:`History`): ``idp scaffold update`` needs the version a repository was
made from to tell the repository's own changes from the template's.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from idp_actions import proc
from idp_actions.errors import IdpError, ProcError
from idp_actions.scaffold.manifest import MANIFEST_FILE, TEMPLATE_DIR, Manifest, load_manifest

ANSWERS_FILE = ".copier-answers.yml"
_COPIER_TYPES = {"string": "str", "integer": "int", "boolean": "bool"}
_SAFE_NAME = re.compile(r"[^\x00-\x1f\x7f\\]+")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "idp scaffold",
    "GIT_AUTHOR_EMAIL": "idp-scaffold@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "idp scaffold",
    "GIT_COMMITTER_EMAIL": "idp-scaffold@users.noreply.github.com",
}


class TemplateError(IdpError):
    """A template is unsafe or broken (symbolic links, special files, a missing version)."""


# ------------------------------------------------------------ tree checks


def check_tree(root: Path) -> int:
    """Refuse a template folder holding anything but plain folders and files; returns the file count.

    A symbolic link (even one pointing inside the template), a device, a FIFO or
    a socket could make rendering read or write outside the template, so none
    is accepted; neither are names with control characters or backslashes.
    """
    if root.is_symlink() or not root.is_dir():
        raise TemplateError(f"template folder {root} is not a plain folder")
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            shown = path.relative_to(root).as_posix()
            if not _SAFE_NAME.fullmatch(name):
                raise TemplateError(f"template {root.name}: the name {shown!r} holds control characters or `\\`")
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise TemplateError(
                    f"template {root.name}: {shown} is a symbolic link",
                    hint="templates may hold plain files and folders only: copy the file instead of linking it",
                )
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise TemplateError(f"template {root.name}: {shown} is not a regular file or folder")
            count += stat.S_ISREG(mode)
    return count


# ------------------------------------------------------- copier questions


def copier_config(manifest: Manifest) -> dict[str, Any]:
    """The ``copier.yml`` of ``manifest``: settings plus one question per parameter and derived value."""
    config: dict[str, Any] = {
        "_subdirectory": TEMPLATE_DIR,
        "_answers_file": ANSWERS_FILE,
        "_templates_suffix": ".jinja",
        "_envops": {
            "undefined": "jinja2.StrictUndefined",
            "keep_trailing_newline": True,
            "autoescape": False,
        },
    }
    for parameter in manifest.parameters:
        question: dict[str, Any] = {"type": _COPIER_TYPES[parameter.type], "help": parameter.description}
        if parameter.default is not None:
            question["default"] = parameter.default
        if parameter.enum is not None:
            question["choices"] = list(parameter.enum)
        config[parameter.name] = question
    for name, expression in manifest.derived.items():
        # `when: false`: never asked and never recorded, always computed again from the answers.
        config[name] = {"type": "str", "default": expression, "when": False}
    return config


# ------------------------------------------------------- template repository


def write_template(manifest: Manifest, dest: Path) -> None:
    """What copier renders from: the template's files under ``template/`` and the ``copier.yml`` of its manifest."""
    shutil.copytree(manifest.template_dir, dest / TEMPLATE_DIR, symlinks=True, dirs_exist_ok=True)
    text = yaml.safe_dump(copier_config(manifest), sort_keys=False, allow_unicode=True)
    (dest / "copier.yml").write_text(text, encoding="utf-8")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for git commands on throwaway repositories: fixed identity, no system config."""
    env = dict(os.environ)
    env.update(GIT_IDENTITY)
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    env.update(extra or {})
    return env


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, ok_codes: Sequence[int] = (0,)) -> str:
    """Run git in ``cwd`` (never signing, never prompting) and return its standard output."""
    base = ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    return proc.run([*base, *args], cwd=cwd, env=dict(env) if env else git_env(), ok_codes=ok_codes,
                    timeout=300).stdout


def build_repository(versions: Sequence[Path], dest: Path) -> list[str]:
    """A git repository at ``dest`` with one commit and tag per template folder in ``versions``.

    ``versions`` are template folders (``manifest.yaml`` + ``template/``), oldest
    first; returns the tags. Each folder is checked (:func:`check_tree`) first.
    """
    dest.mkdir(parents=True)
    git(dest, "init", "--quiet", "--initial-branch", "main")
    tags: list[str] = []
    for root in versions:
        check_tree(root)
        manifest = load_manifest(root / MANIFEST_FILE)
        if manifest.tag in tags:
            raise TemplateError(f"template {manifest.name}: version {manifest.version} is given twice")
        for entry in dest.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        write_template(manifest, dest)
        git(dest, "add", "--all")
        git(dest, "commit", "--quiet", "--allow-empty", "--message", f"{manifest.name} {manifest.version}")
        git(dest, "tag", manifest.tag)
        tags.append(manifest.tag)
    return tags


# ------------------------------------------------------------------ history


@dataclass(frozen=True)
class History:
    """Earlier versions of the templates, from the git history of a checkout of idp-actions.

    ``repo`` is the checkout's root (it must hold the history: in Actions, check
    it out with ``fetch-depth: 0``); templates are at ``<repo>/<prefix>/<name>``.
    """

    repo: Path
    prefix: str = "templates"

    def commit_of(self, template: str, version: str) -> str:
        """The newest commit whose manifest of ``template`` says ``version``."""
        path = f"{self.prefix}/{template}/{MANIFEST_FILE}"
        try:
            log = git(self.repo, "log", "--format=%H", "--", path)
        except ProcError as exc:
            raise TemplateError(
                f"cannot read the history of {path} in {self.repo}: {exc.stderr.strip() or exc}",
                hint="point --history at a full clone of idp-actions (in Actions: fetch-depth: 0)",
            ) from None
        for commit in log.split():
            text = git(self.repo, "show", f"{commit}:{path}", ok_codes=(0, 128))
            try:
                data = yaml.safe_load(text) if text else None
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and str(data.get("version")) == version:
                return commit
        raise TemplateError(
            f"version {version} of template {template} is not in the history of {self.repo}",
            hint="it may have been made from a fork; point --history at the repository that made it "
            "(a full clone: in Actions, fetch-depth: 0)",
        )

    def export(self, template: str, version: str, dest: Path) -> Path:
        """Write ``template`` as it was at ``version`` under ``dest``; returns its folder."""
        commit = self.commit_of(template, version)
        dest.mkdir(parents=True, exist_ok=True)
        archive = dest / f"{template}-{version}.tar"
        git(self.repo, "archive", "--format=tar", f"--output={archive}", commit, f"{self.prefix}/{template}")
        with tarfile.open(archive, mode="r:") as tar:
            tar.extractall(dest, filter="data")  # no links out, no absolute paths, no devices
        archive.unlink()
        root = dest / self.prefix / template
        if not (root / MANIFEST_FILE).is_file():
            raise TemplateError(f"the archive of {template} {version} has no {MANIFEST_FILE}")
        return root
