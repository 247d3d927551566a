"""Pull-request mode: the base commit, what changed since it, and Trivy's result there.

Semgrep compares with the base itself (``--baseline-commit``: it scans only the
changed files, at the head and at the merge base, and reports what is new). It
needs the base commit *and* the merge base in the clone, which a shallow checkout
(``actions/checkout`` fetches one commit by default) does not have.
:func:`prepare` fetches what is missing: the base commit at depth 1, then deeper
history of both sides until ``git merge-base`` answers, and the whole history as a
last resort — never more than needed.

Trivy has no diff mode: :func:`pull_request_trees` gives it what the pull request
touched, at the head and at the merge base (each changed file, with the manifests or
IaC files it is evaluated with), the two scans run in parallel and their findings
are compared by fingerprint.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from idp_actions import proc
from idp_actions.errors import ProcError, ToolError, UsageError

#: How far each side's history is deepened, in turn, before fetching all of it.
DEEPEN_STEPS = (1, 10, 100, 1000)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True, kw_only=True)
class Base:
    """The base of a pull request as resolved in the clone."""

    requested: str
    commit: str
    merge_base: str
    fetched: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """One line for the report."""
        how = f" (fetched: {', '.join(self.fetched)})" if self.fetched else ""
        return f"compared with merge base {self.merge_base[:12]} of {self.requested}{how}"


def fetch_auth(server_url: str, token: str) -> dict[str, str]:
    """Git environment that sends ``token`` to ``server_url`` for this process only.

    The same header ``actions/checkout`` configures, passed through ``GIT_CONFIG_*``
    variables so nothing is written to ``.git/config`` (checkouts made with
    ``persist-credentials: false`` stay that way).
    """
    import base64

    if not token or not server_url.startswith("https://"):
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server_url.rstrip('/')}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def git(root: Path, *args: str, check: bool = True, timeout: float = 300,
        env: Mapping[str, str] | None = None) -> proc.Result:
    """``git -C root args`` through the one subprocess wrapper."""
    return proc.run(
        ["git", "-C", str(root), "-c", "core.quotepath=off", *args],
        extra_env={**_GIT_ENV, **(env or {})},
        check=check,
        timeout=timeout,
        hint="idp scan needs git and a clone of the repository for pull-request mode",
    )


def _commit(root: Path, ref: str) -> str | None:
    done = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _merge_base(root: Path, base: str) -> str | None:
    done = git(root, "merge-base", base, "HEAD", check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _shallow(root: Path) -> bool:
    return git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def prepare(root: Path, base: str, *, remote: str = "origin", fetch_env: Mapping[str, str] | None = None) -> Base:
    """Resolve ``base`` (a commit SHA, branch or ref) and make sure its merge base with HEAD is here.

    Fetches from ``remote`` only what is missing. Raises :class:`UsageError` when the
    base cannot be found even after fetching, or shares no history with HEAD.
    """
    if _commit(root, "HEAD") is None:
        raise UsageError(f"{root} is not a git clone with a commit checked out",
                         hint="pull-request mode compares commits: run it in a clone (actions/checkout)")
    fetched: list[str] = []
    commit = _commit(root, base) or _commit(root, f"{remote}/{base}")
    if commit is None:
        wanted = base if base.startswith("refs/") or re.fullmatch(r"[0-9a-f]{40}", base) else f"refs/heads/{base}"
        depth = ["--depth=1"] if _shallow(root) else []
        done = git(root, "fetch", "--no-tags", "--no-recurse-submodules", *depth, remote, wanted, check=False,
                   env=fetch_env)
        commit = _commit(root, "FETCH_HEAD") if done.returncode == 0 else None
        if commit is None:
            raise UsageError(
                f"the base {base!r} is not in this clone and could not be fetched from {remote}: "
                + (done.stderr.strip().splitlines() or ["no output"])[-1],
                hint="pass the base commit SHA (github.event.pull_request.base.sha) and a token that can read "
                "the repository (actions/checkout keeps it unless persist-credentials is false; then fetch "
                "the base in a step before)",
            )
        fetched.append(f"{wanted} at depth 1" if depth else wanted)
    merge_base = _merge_base(root, commit)
    head = _commit(root, "HEAD") or "HEAD"
    for step in DEEPEN_STEPS:
        if merge_base is not None or not _shallow(root):
            break
        for sha in (head, commit):
            git(root, "fetch", "--no-tags", "--no-recurse-submodules", f"--deepen={step}", remote, sha,
                check=False, env=fetch_env)
        fetched.append(f"{step} more commit(s) of history")
        merge_base = _merge_base(root, commit)
    if merge_base is None and _shallow(root):
        git(root, "fetch", "--no-tags", "--no-recurse-submodules", "--unshallow", remote, check=False, env=fetch_env)
        fetched.append("the full history")
        merge_base = _merge_base(root, commit)
    if merge_base is None:
        raise UsageError(
            f"HEAD and the base {base!r} ({commit[:12]}) share no history, so there is nothing to compare with",
            hint="check the base ref; for a repository's first commit run a full scan (no --base)",
        )
    return Base(requested=base, commit=commit, merge_base=merge_base, fetched=tuple(fetched))


#: Dependency manifests and lockfiles Trivy reads together with their neighbours.
MANIFESTS = frozenset({
    "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock",
    "requirements.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "pyproject.toml", "uv.lock", "setup.py",
    "go.mod", "go.sum", "Cargo.toml", "Cargo.lock", "Gemfile", "Gemfile.lock", "composer.json", "composer.lock",
    "pom.xml", "build.gradle", "build.gradle.kts", "gradle.lockfile", "packages.lock.json", "mix.lock",
    "pubspec.lock", "Package.resolved", "Podfile.lock", "conan.lock",
})
#: Files Trivy's misconfiguration checks evaluate together with the rest of their folder.
IAC_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".hcl")


def _kind(name: str) -> str:
    if name in MANIFESTS or (name.startswith("requirements") and name.endswith(".txt")):
        return "manifest"
    if name.endswith(IAC_SUFFIXES):
        return "iac"
    return "file"


def scope(changed: list[str], listing: dict[str, list[str]]) -> list[str]:
    """The files a pull-request Trivy scan reads.

    Each changed file, plus — for a changed manifest or IaC file — the manifests or IaC
    files beside it (Trivy evaluates them together: a lockfile with its manifest, a
    Terraform file with its module's other files).

    ``listing`` maps a folder (``""`` for the root) to the names of the files in it.
    """
    chosen: set[str] = set()
    for path in changed:
        folder, _, name = path.rpartition("/")
        chosen.add(path)
        kind = _kind(name)
        if kind != "file":
            chosen.update(f"{folder}/{n}" if folder else n for n in listing.get(folder, []) if _kind(n) == kind)
    return sorted(chosen)


def changed_files(root: Path, merge_base: str) -> list[str]:
    """Files added, modified or renamed since ``merge_base`` (head paths; deletions left out)."""
    done = git(root, "diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", merge_base, "HEAD")
    return sorted(p for p in done.stdout.split("\0") if p)


def _listing(root: Path, rev: str | None, folders: set[str]) -> dict[str, list[str]]:
    listing: dict[str, list[str]] = {}
    for folder in folders:
        if rev is None:
            directory = root / folder
            listing[folder] = sorted(p.name for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []
            continue
        spec = f"{rev}:{folder}" if folder else f"{rev}:"
        done = git(root, "ls-tree", "-z", spec, check=False)
        names = []
        for entry in done.stdout.split("\0"):
            meta, _, name = entry.partition("\t")
            if name and meta.split(" ")[1:2] == ["blob"]:
                names.append(name)
        listing[folder] = sorted(names)
    return listing


@contextmanager
def pull_request_trees(root: Path, merge_base: str) -> Iterator[tuple[Path, Path, list[str]]]:
    """Two small trees for Trivy — what the pull request touched, at the head and at the merge base.

    Yields ``(head, base, files)``: temporary directories holding the files of
    :func:`scope` with their repository paths (the head's from the working tree, the
    base's from git), so Trivy's findings carry repository paths and compare by
    fingerprint. Findings in folders the pull request did not touch are not scanned
    again here; the full scans of the default branch report them.
    """
    import shutil
    import tarfile

    changed = changed_files(root, merge_base)
    folders = {path.rpartition("/")[0] for path in changed}
    head_files = scope(changed, _listing(root, None, folders))
    base_listing = _listing(root, merge_base, folders)
    base_files = [path for path in scope(changed, base_listing)
                  if path.rpartition("/")[2] in base_listing.get(path.rpartition("/")[0], [])]
    with tempfile.TemporaryDirectory(prefix="idp-scan-pr-") as tmp:
        head, base = Path(tmp) / "head", Path(tmp) / "base"
        head.mkdir()
        base.mkdir()
        for path in head_files:
            source = root / path
            if source.is_file() and not source.is_symlink():
                (head / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, head / path)
        if base_files:
            archive = Path(tmp) / "base.tar"
            try:
                git(root, "archive", "--format=tar", f"--output={archive}", merge_base, "--", *base_files)
                with tarfile.open(archive) as tar:
                    tar.extractall(base, filter="data")
            except (ProcError, tarfile.TarError, OSError) as exc:
                raise ToolError(f"git could not export the base {merge_base[:12]} to scan it: {exc}") from exc
        yield head, base, head_files


def changed_lines(root: Path, merge_base: str) -> dict[str, set[int]]:
    """Lines added or changed since ``merge_base``, by path (the head's line numbers).

    A deleted line leaves nothing to annotate; a file with only deletions maps to an
    empty set, so whole-file findings in it still count as changed.
    """
    done = git(root, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames", merge_base, "HEAD")
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in done.stdout.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else changed.setdefault(target.removeprefix("b/"), set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) if match.group(2) is not None else 1)
                current.update(range(start, start + count))
    return changed
