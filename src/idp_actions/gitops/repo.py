"""The git adapter: clone the GitOps repository, commit with trailers, push without ever forcing.

Every git command goes through :func:`idp_actions.proc.run`. A token travels in
the environment (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``), as an HTTP header
scoped to the server: never in a URL, on a command line or in ``.git/config``.

:meth:`GitRepo.push` retries a push the remote rejected because the branch moved:
it fetches, rebases the local commit onto the new tip and pushes again, waiting
a bounded, jittered, exponentially growing time between tries. A rebase that
conflicts (someone changed the same lines) is a :class:`PushConflict`; a commit
that became empty (someone pushed the same change) is reported as already there.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from idp_actions import proc
from idp_actions.errors import IdpError, ProcError
from idp_actions.gitops.backoff import Backoff, Clock

DEFAULT_AUTHOR = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
PUSH_BACKOFF = Backoff(attempts=12, base=0.5, cap=8.0)

_REJECTED = re.compile(r"\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref", re.I)
_TRANSIENT = re.compile(
    r"remote end hung up|RPC failed|Connection (?:reset|refused|timed out)|timed out|"
    r"returned error: 5\d\d|Could not read from remote|early EOF",
    re.I,
)


class GitError(IdpError):
    """A git operation on the GitOps repository failed."""


class PushConflict(GitError):
    """The local commit conflicts with what was pushed meanwhile; nothing was pushed."""

    def __init__(self, message: str, *, files: tuple[str, ...], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.files = files


@dataclass(frozen=True, kw_only=True)
class PushResult:
    """What :meth:`GitRepo.push` did: the commit now on the branch (None: it was already there)."""

    commit: str | None
    attempts: int
    rebased: bool


def auth_env(url: str, token: str | None) -> dict[str, str]:
    """Environment that makes git send ``token`` to ``url``'s server only, as GitHub expects."""
    if not token:
        return {}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return {}
    scope = f"{parts.scheme}://{parts.netloc}/"
    credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{scope}.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {credentials}",
    }


def redact(url: str) -> str:
    """``url`` without user information (a token someone put there)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        return parts._replace(netloc=parts.hostname or "").geturl()
    return url


class GitRepo:
    """A working copy of one branch of the GitOps repository."""

    def __init__(self, path: Path, *, branch: str, env: Mapping[str, str], url: str) -> None:
        self.path = path
        self.branch = branch
        self.url = url
        self._env = dict(env)

    # -------------------------------------------------------------- setup

    @classmethod
    def clone(
        cls,
        url: str,
        branch: str,
        dest: Path,
        *,
        token: str | None = None,
        author: tuple[str, str] | None = None,
    ) -> GitRepo:
        """Clone ``branch`` of ``url`` into ``dest`` (which must not exist or be empty)."""
        name, email = author or (
            os.environ.get("GIT_AUTHOR_NAME") or DEFAULT_AUTHOR[0],
            os.environ.get("GIT_AUTHOR_EMAIL") or DEFAULT_AUTHOR[1],
        )
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_EDITOR": "true",
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "LC_ALL": "C",
            **auth_env(url, token),
        }
        repo = cls(dest, branch=branch, env=env, url=url)
        try:
            proc.run(
                ["git", "clone", "--quiet", "--no-tags", "--single-branch", "--branch", branch, url, str(dest)],
                env=env,
                timeout=300,
            )
        except ProcError as exc:
            raise GitError(
                f"cannot clone branch `{branch}` of {redact(url)}: {_last_line(exc)}",
                hint="check gitops.repository and gitops.branch in .github/idp.yaml, and that the token "
                "(`gitops-token`) may read that repository",
            ) from None
        return repo

    def git(
        self, *args: str, check: bool = True, ok_codes: tuple[int, ...] = (0,), stdin: str | None = None
    ) -> proc.Result:
        """Run ``git args`` in the working copy."""
        return proc.run(
            ["git", *args], cwd=self.path, env=self._env, check=check, ok_codes=ok_codes, stdin=stdin, timeout=300
        )

    # ------------------------------------------------------------ reading

    def head(self) -> str:
        """The commit checked out."""
        return self.git("rev-parse", "HEAD").stdout.strip()

    def show(self, path: str, rev: str = "HEAD") -> str | None:
        """The text of ``path`` at ``rev``, or None when it does not exist there."""
        done = self.git("show", f"{rev}:{path}", check=False)
        return done.stdout if done.returncode == 0 else None

    def file_mode(self, path: str, rev: str = "HEAD") -> str | None:
        """The git mode of ``path`` at ``rev`` (``100644``; ``120000`` is a symbolic link), or None."""
        done = self.git("ls-tree", rev, "--", path, check=False)
        line = done.stdout.strip()
        return line.split()[0] if done.returncode == 0 and line and "\t" in line else None

    def list_dir(self, path: str, rev: str = "HEAD") -> list[str]:
        """Names of the directories directly under ``path`` at ``rev``."""
        done = self.git("ls-tree", "-d", "--name-only", rev, "--", path.rstrip("/") + "/", check=False)
        return sorted(line.rsplit("/", 1)[-1] for line in done.stdout.splitlines() if line.strip())

    def fetch(self) -> None:
        """Bring the tracked branch's newest commits into the clone (HEAD stays where it is)."""
        self.git(
            "fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{self.branch}:refs/remotes/origin/{self.branch}"
        )

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        """Whether ``ancestor`` is ``commit`` or one of its ancestors (False for unknown commits)."""
        return self.git("merge-base", "--is-ancestor", ancestor, commit, check=False).returncode == 0

    def has_commit(self, commit: str) -> bool:
        """Whether ``commit`` exists in this clone."""
        return self.git("cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0

    def history(self, path: str, *, limit: int = 50) -> list[tuple[str, str, str]]:
        """``(commit, ISO committer date, message)`` of the last commits touching ``path``, newest first."""
        done = self.git("log", f"-n{limit}", "--format=%H%x00%cI%x00%B%x1e", "--", path)
        out = []
        for record in done.stdout.split("\x1e"):
            record = record.strip("\n")
            if record:
                commit, date, message = record.split("\x00", 2)
                out.append((commit, date, message))
        return out

    def diff(self, rev: str = "HEAD~1", to: str = "HEAD") -> str:
        """The unified diff between two revisions."""
        return self.git("diff", "--no-color", rev, to).stdout

    # ------------------------------------------------------------ writing

    def write(self, path: str, text: str) -> None:
        """Write ``text`` to ``path`` in the working tree (bytes as given: no newline translation)."""
        target = self.path / path
        with target.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)

    def commit(self, paths: list[str], message: str) -> str | None:
        """Commit ``paths`` with ``message``; None when they hold no change."""
        self.git("add", "--", *paths)
        if self.git("diff", "--cached", "--quiet", check=False, ok_codes=(0, 1)).returncode == 0:
            return None
        self.git("commit", "--quiet", "--no-verify", "--no-gpg-sign", "-F", "-", stdin=message)
        return self.head()

    def remote_branch_exists(self, branch: str) -> str | None:
        """The commit at ``branch`` on the remote, or None when it does not exist there."""
        done = self.git("ls-remote", "--heads", "origin", f"refs/heads/{branch}")
        line = done.stdout.strip().splitlines()
        return line[0].split()[0] if line else None

    def push(
        self,
        *,
        branch: str | None = None,
        backoff: Backoff = PUSH_BACKOFF,
        clock: Clock | None = None,
    ) -> PushResult:
        """Push HEAD to ``branch`` (default: the tracked one), rebasing onto it when it moved. Never forces."""
        target = branch or self.branch
        clock = clock or Clock()
        rebased = False
        last = ""
        for attempt in range(backoff.attempts):
            if attempt:
                clock.sleep(backoff.delay(attempt - 1, clock.rng))
                if not self._rebase_onto_remote(target):
                    return PushResult(commit=None, attempts=attempt + 1, rebased=True)
                rebased = True
            done = self.git("push", "--quiet", "origin", f"HEAD:refs/heads/{target}", check=False)
            if done.returncode == 0:
                return PushResult(commit=self.head(), attempts=attempt + 1, rebased=rebased)
            last = _push_detail(done.stderr)
            if not (_REJECTED.search(last) or _TRANSIENT.search(last)):
                raise GitError(
                    f"git push to `{target}` of {redact(self.url)} failed: {last}",
                    hint="check that the token (`gitops-token`) may push to the GitOps repository and that "
                    "branch protection lets it push",
                )
        raise GitError(
            f"could not push to `{target}` after {backoff.attempts} attempts: the branch kept moving "
            f"or the server kept failing ({last})",
            hint="many promotions are landing at once; run the promotion again",
        )

    def _rebase_onto_remote(self, branch: str) -> bool:
        """Fetch ``branch`` and rebase HEAD onto it; False when nothing of ours is left to push."""
        fetched = self.git(
            "fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{branch}:refs/idp/upstream", check=False
        )
        if fetched.returncode != 0:
            return True  # the branch may be new or the server flaky: the next push says which
        done = self.git("rebase", "--quiet", "refs/idp/upstream", check=False)
        if done.returncode != 0:
            conflicted = tuple(self.git("diff", "--name-only", "--diff-filter=U", check=False).stdout.split())
            self.git("rebase", "--abort", check=False)
            files = ", ".join(conflicted) or "the promoted file"
            raise PushConflict(
                f"another change to {files} was pushed to `{branch}` while this promotion was being made, "
                "and it conflicts with this one; nothing was pushed",
                files=conflicted,
                hint="see the GitOps repository's latest commits, then run the promotion again if it is still wanted",
            )
        upstream = self.git("rev-parse", "refs/idp/upstream").stdout.strip()
        return self.head() != upstream


def _push_detail(stderr: str) -> str:
    """What went wrong in ``git push``'s output: rejections and the server's own words, on one line."""
    kept = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line or line.startswith(("To ", "hint:")):
            continue
        kept.append(line.removeprefix("remote:").strip())
    return "; ".join(k for k in kept if k)[:500] or "no output"


def _last_line(exc: ProcError) -> str:
    return _tail(exc.stderr or exc.stdout)


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@contextmanager
def workspace(prefix: str = "idp-gitops-") -> Iterator[Path]:
    """A private temporary directory (under ``RUNNER_TEMP`` in Actions), removed afterwards."""
    base = os.environ.get("RUNNER_TEMP") or None
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
