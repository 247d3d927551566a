"""The git scaffolding does: push a new repository's first commit, branch and push a clone.

Every command goes through :func:`idp_actions.proc.run`. The token travels as
an HTTP header scoped to the remote's server, set through ``GIT_CONFIG_*``
environment variables: never in a URL, on a command line or in ``.git/config``.
Hooks are off and nothing is signed, so the machine's git setup cannot change
what is committed.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from idp_actions import proc
from idp_actions.errors import IdpError, ProcError
from idp_actions.scaffold.source import GIT_IDENTITY

_SAFE = ["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.hooksPath=/dev/null"]


class GitError(IdpError):
    """A git command failed."""


def auth_env(url: str, token: str | None) -> dict[str, str]:
    """Environment that makes git send ``token`` to ``url``'s server, and only there."""
    parts = urlsplit(url)
    if not token or parts.scheme not in ("http", "https") or not parts.netloc:
        return {}
    credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{parts.netloc}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {credentials}",
    }


class Git:
    """git in one working tree, authenticated for one remote."""

    def __init__(self, path: Path, *, url: str, token: str | None, author: tuple[str, str] | None = None) -> None:
        self.path = path
        self.url = url
        env = dict(os.environ)
        env.update(GIT_IDENTITY)
        if author:
            env.update({"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
                        "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]})
        env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", "GIT_EDITOR": "true"})
        env.update(auth_env(url, token))
        self._env: Mapping[str, str] = env

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> proc.Result:
        """``git args`` in the working tree."""
        try:
            return proc.run(["git", *_SAFE, *args], cwd=cwd or self.path, env=self._env, timeout=600, check=check)
        except ProcError as exc:
            detail = (exc.stderr or exc.stdout).strip().splitlines()
            raise GitError(f"git {args[0]} failed for {_redact(self.url)}: {detail[-1] if detail else exc}") from None

    # ------------------------------------------------------------ operations

    def push_new(self, branch: str, message: str) -> str:
        """Make the tree at :attr:`path` the first commit of ``branch`` and push it; returns the commit."""
        self.run("init", "--quiet", "--initial-branch", branch)
        self.run("add", "--all")
        self.run("commit", "--quiet", "--no-verify", "--message", message)
        commit = self.head()
        self.run("push", "--quiet", self.url, f"HEAD:refs/heads/{branch}")
        return commit

    def clone(self, branch: str) -> None:
        """Clone ``branch`` of the remote into :attr:`path` (which must not exist)."""
        self.run("clone", "--quiet", "--no-tags", "--single-branch", "--branch", branch, self.url, str(self.path),
                 cwd=self.path.parent)

    def head(self) -> str:
        """The commit checked out."""
        return self.run("rev-parse", "HEAD").stdout.strip()

    def commit_all(self, message: str) -> str | None:
        """Commit every change of the working tree; None when there is nothing to commit."""
        self.run("add", "--all")
        if self.run("diff", "--cached", "--quiet", check=False).returncode == 0:
            return None
        self.run("commit", "--quiet", "--no-verify", "--message", message)
        return self.head()

    def push_branch(self, branch: str) -> None:
        """Push HEAD as the new branch ``branch`` (refused if it exists: nothing is overwritten)."""
        if self.remote_has(branch):
            raise GitError(f"branch {branch} already exists in {_redact(self.url)}",
                           hint="an earlier run left it: merge or close its pull request, delete the branch, "
                           "and run again")
        self.run("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")

    def remote_has(self, branch: str) -> bool:
        """Whether the remote has ``branch``."""
        return bool(self.run("ls-remote", "--heads", "origin", f"refs/heads/{branch}").stdout.strip())

    def delete_remote_branch(self, branch: str) -> None:
        """Delete ``branch`` on the remote."""
        self.run("push", "--quiet", "origin", f":refs/heads/{branch}")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return parts._replace(netloc=parts.hostname or "").geturl()
    return url
