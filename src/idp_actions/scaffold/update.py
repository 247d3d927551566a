"""``idp scaffold update``: bring a repository made from a template up to the template's current version.

copier does the three-way merge: it renders the version the repository was made
from (its answers file says which) and the current one with the same answers,
and applies the template's changes on top of the repository's own. Where both
changed the same lines it writes conflict markers (``<<<<<<< before updating``
… ``>>>>>>> after updating``) into the file.

The earlier version comes from the history of idp-actions (:class:`.source.History`).
copier reads the template's location from the answers file, so the update
points ``_src_path`` at a repository built from both versions in a temporary
commit, which is dropped afterwards: the pull request holds one commit with the
template's changes, the new ``_commit`` and any new answers.

With conflicts the pull request is opened anyway, with the markers committed,
the files listed in its body and a failing ``idp/scaffold-update`` status on its
head (the generated CI's conflict check fails too), so it cannot merge until
someone resolves them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idp_actions import gha
from idp_actions.errors import IdpError, UsageError
from idp_actions.scaffold.git import Git
from idp_actions.scaffold.manifest import Manifest, find_template, templates_root
from idp_actions.scaffold.render import SOURCE_PREFIX, read_answers, stabilise_answers
from idp_actions.scaffold.request import Context, RequestError, check_parameters
from idp_actions.scaffold.source import ANSWERS_FILE, History, build_repository

if TYPE_CHECKING:
    from idp_actions.config import IdpConfig

STATUS_CONTEXT = "idp/scaffold-update"
_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)


class UpdateError(IdpError):
    """The repository cannot be updated from its template."""


@dataclass(frozen=True, kw_only=True)
class UpdateResult:
    """What an update changed."""

    template: str
    old_version: str
    new_version: str
    changes: tuple[tuple[str, str], ...] = ()  # (git status letter, path)
    conflicts: tuple[str, ...] = ()
    answers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        """True when the repository already is at the template's current version."""
        return self.old_version == self.new_version


def update_tree(root: Path, *, templates: Path, history: History, context: Context | None = None,
                work: Path) -> UpdateResult:
    """Update the git working tree at ``root`` (clean, committed) to its template's current version.

    The result is staged, not committed. ``work`` is a scratch folder.
    """
    _refuse_links_out(root)
    answers = read_answers(root)
    name = str(answers["_src_path"]).removeprefix(SOURCE_PREFIX)
    old_version = str(answers.get("_commit", "")).removeprefix("v")
    manifest = find_template(name, templates)
    if not re.fullmatch(r"\d+\.\d+\.\d+", old_version):
        raise UpdateError(f"{ANSWERS_FILE} names no template version in `_commit` ({answers.get('_commit')!r})")
    if old_version == manifest.version:
        return UpdateResult(template=name, old_version=old_version, new_version=manifest.version)
    if _key(old_version) > _key(manifest.version):
        raise UpdateError(f"the repository is at {name} {old_version}, newer than this idp's {manifest.version}",
                          hint="run the update with a newer idp-actions release")
    given = {k: v for k, v in answers.items() if not k.startswith("_")}
    values, problems = check_parameters(manifest, given, context or Context())
    if problems:
        raise RequestError(problems, hint=f"{name} {manifest.version} asks for something the answers do not hold; "
                           f"add it to {ANSWERS_FILE} by hand and run the update again")
    old_root = history.export(name, old_version, work / "old")
    repository = work / "template-repository"
    build_repository([old_root, manifest.root], repository)
    git = Git(root, url=str(root), token=None)
    _point_answers_at(root / ANSWERS_FILE, repository)
    git.run("commit", "--quiet", "--no-verify", "--all", "--message", "idp: temporary template location")
    try:
        _copier_update(root, values, manifest)
    finally:
        stabilise_answers(root, name)
        git.run("add", "--all")
        git.run("reset", "--quiet", "--soft", "HEAD~1")
    status = git.run("diff", "--cached", "--name-status", "--no-renames").stdout
    changes = tuple((line.split("\t", 1)[0], line.split("\t", 1)[1]) for line in status.splitlines() if line)
    conflicts = tuple(path for letter, path in changes if letter != "D" and _has_markers(root / path))
    return UpdateResult(template=name, old_version=old_version, new_version=manifest.version, changes=changes,
                        conflicts=conflicts, answers=values)


def _refuse_links_out(root: Path) -> None:
    """Refuse a repository holding a symbolic link that leads outside it.

    copier writes a template's file through a link standing where the file goes:
    a link to a file outside the clone (the runner's home, say) would be
    overwritten by the update.
    """
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                shown = path.relative_to(root).as_posix()
                raise UpdateError(f"{shown} is a symbolic link leading out of the repository; refusing to update",
                                  hint="replace the link by the file itself (or remove it), then run the update again")


def _copier_update(root: Path, values: Mapping[str, Any], manifest: Manifest) -> None:
    import copier
    from copier.errors import CopierError
    from jinja2 import TemplateError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            copier.run_update(str(root), data=dict(values), defaults=True, overwrite=True, unsafe=False,
                              skip_tasks=True, quiet=True, vcs_ref=manifest.tag, conflict="inline")
        except (CopierError, TemplateError) as exc:
            raise UpdateError(f"copier could not update to {manifest.name} {manifest.version}: {exc}") from None


def _point_answers_at(path: Path, repository: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^_src_path: .*$", f"_src_path: {repository}", text, count=1, flags=re.MULTILINE),
                    encoding="utf-8")


def _has_markers(path: Path) -> bool:
    try:
        return bool(_MARKER.search(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# ------------------------------------------------------------------ the command


def run_update(args: argparse.Namespace, config: IdpConfig) -> int:
    """``idp scaffold update``: a local clone (``--path``) or a repository on GitHub (pull request)."""
    history = History(_history_root(args))
    context = Context(org=config.org_name, owner=config.default_team, gitops_repository=config.gitops_repository)
    templates = templates_root()
    dry_run = args.dry_run or gha.get_bool_input("dry-run")
    with tempfile.TemporaryDirectory(prefix="idp-scaffold-update-") as tmp:
        work = Path(tmp)
        if args.path is not None:
            result = update_tree(args.path, templates=templates, history=history, context=context, work=work)
            _report(result, where=str(args.path))
            if not result.up_to_date:
                print(f"staged in {args.path}: review with `git diff --cached`, then commit", file=sys.stderr)
            return 0
        repository = args.repository or gha.get_input("repository")
        if not repository or "/" not in repository:
            raise UsageError("name the repository to update as OWNER/NAME (or --path DIR for a local clone)")
        return _update_on_github(repository, templates=templates, history=history, context=context, work=work,
                                 dry_run=dry_run)


def _update_on_github(repository: str, *, templates: Path, history: History, context: Context, work: Path,
                      dry_run: bool) -> int:
    from idp_actions.commands.scaffold import github_token
    from idp_actions.github import make_github, parse_repository
    from idp_actions.scaffold.hub import Hub

    owner, _name = parse_repository(repository, source="repository")
    token = github_token(owner)
    hub = Hub(make_github(token=token))
    info = hub.repo(repository)
    clone = Git(work / "clone", url=info.clone_url, token=token)
    clone.clone(info.default_branch)
    result = update_tree(clone.path, templates=templates, history=history, context=context, work=work / "update")
    gha.set_output("repository", info.full_name)
    gha.set_output("conflicts", len(result.conflicts))
    if result.up_to_date:
        _report(result, where=info.full_name)
        gha.set_output("status", "up-to-date")
        gha.set_output("pull-request", "")
        return 0
    if dry_run:
        _report(result, where=info.full_name)
        gha.set_output("status", "dry-run")
        return 0
    branch = f"idp/template-{result.template}-{result.new_version}"
    clone.run("checkout", "--quiet", "-b", branch)
    message = (f"Update from template {result.template} {result.old_version} to {result.new_version}\n\n"
               + (f"Conflicts to resolve: {', '.join(result.conflicts)}\n" if result.conflicts else ""))
    clone.run("commit", "--quiet", "--no-verify", "--message", message)
    head = clone.head()
    clone.push_branch(branch)
    try:
        _number, url = hub.create_pull(info.full_name, head=branch, base=info.default_branch,
                                       title=f"Update from template {result.template} {result.new_version}"
                                       + (f" ({len(result.conflicts)} conflicts)" if result.conflicts else ""),
                                       body=pull_body(result))
    except IdpError:
        clone.delete_remote_branch(branch)
        raise
    if result.conflicts:
        hub.set_status(info.full_name, head, state="failure", context=STATUS_CONTEXT,
                       description=f"{len(result.conflicts)} file(s) with conflict markers: resolve them and push")
    else:
        hub.set_status(info.full_name, head, state="success", context=STATUS_CONTEXT,
                       description=f"updated to {result.template} {result.new_version} without conflicts")
    _report(result, where=info.full_name, url=url)
    gha.set_output("status", "updated")
    gha.set_output("pull-request", url)
    print(url)
    return 0


def pull_body(result: UpdateResult) -> str:
    """The update's pull-request description."""
    lines = [
        f"Brings this repository from the `{result.template}` template **{result.old_version}** to "
        f"**{result.new_version}**. The template's changes are merged with this repository's own "
        "(a three-way merge by copier); your changes stay unless the template changed the same lines.",
        "",
    ]
    if result.conflicts:
        lines += [
            f"### ⚠️ {len(result.conflicts)} file(s) need you",
            "",
            "Both this repository and the template changed the same lines. Each place is marked "
            "`<<<<<<< before updating` (yours) … `=======` … `>>>>>>> after updating` (the template's): "
            "keep what is right, delete the markers and push to this branch. The "
            f"`{STATUS_CONTEXT}` status and the CI's conflict check fail until then.",
            "",
            *[f"- `{path}`" for path in result.conflicts],
            "",
        ]
    names = {"A": "added", "M": "changed", "D": "deleted"}
    lines += ["<details><summary>Files</summary>", ""]
    lines += [f"- {names.get(letter[0], letter)}: `{path}`" for letter, path in result.changes]
    lines += ["", "</details>", "", "Opened by `idp scaffold update`."]
    return "\n".join(lines) + "\n"


def _report(result: UpdateResult, *, where: str, url: str | None = None) -> None:
    if result.up_to_date:
        text = f"{where} is at {result.template} {result.new_version}: nothing to update"
        print(text, file=sys.stderr)
        gha.write_summary(f"## ✅ {text}\n")
        return
    head = f"{where}: {result.template} {result.old_version} → {result.new_version}, " \
           f"{len(result.changes)} file(s), {len(result.conflicts)} conflict(s)"
    print(head, file=sys.stderr)
    for letter, path in result.changes:
        print(f"  {letter} {path}{'  (conflict)' if path in result.conflicts else ''}", file=sys.stderr)
    icon = "⚠️" if result.conflicts else "✅"
    gha.write_summary(f"## {icon} {head}\n\n" + (f"Pull request: {url}\n\n" if url else "") + pull_body(result))


def _history_root(args: argparse.Namespace) -> Path:
    given = args.history or (Path(gha.get_input("history")) if gha.get_input("history") else None)
    root = given or Path(__file__).resolve().parents[3]
    if not (root / ".git").exists():
        raise UsageError(f"{root} is not a git checkout, so it holds no earlier template versions",
                         hint="pass --history with a full clone of idp-actions (in Actions: fetch-depth: 0)")
    return root


__all__ = ["STATUS_CONTEXT", "UpdateError", "UpdateResult", "pull_body", "run_update", "update_tree"]
