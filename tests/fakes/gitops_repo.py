"""A GitOps repository as a local bare git repository: the "remote" promotions clone and push to.

Real git, no server: ``url`` is the bare repository's path, which git clones and
pushes like any remote. :meth:`GitOpsRemote.seed` lays out services the way
``idp scaffold`` registers them: a kustomize base per service and one overlay per
environment pinning the image by digest (or Helm values files).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

ENVIRONMENTS = ("dev", "staging", "prod")
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Platform Team",
    "GIT_AUTHOR_EMAIL": "platform@example.invalid",
    "GIT_COMMITTER_NAME": "Platform Team",
    "GIT_COMMITTER_EMAIL": "platform@example.invalid",
    "GIT_TERMINAL_PROMPT": "0",
}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git in ``cwd`` with a fixed identity and no global configuration."""
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout.strip()


def digest(n: int) -> str:
    """A well-formed, recognisable digest for test number ``n``."""
    return "sha256:" + f"{n:x}".rjust(4, "0") * 16


BASE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {service}
spec:
  selector:
    matchLabels: {{app: {service}}}
  template:
    metadata:
      labels: {{app: {service}}}
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/{service}:latest
"""

OVERLAY = """\
# {environment} overlay of {service}: `idp promote` pins the image digest below
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
namePrefix: {environment}-

images:
  - name: ghcr.io/acme/{service}
    digest: {digest}  # promoted by idp
"""


class GitOpsRemote:
    """A bare repository at ``root/gitops.git`` plus a private working clone for test-side commits."""

    def __init__(self, root: Path, *, branch: str = "main") -> None:
        self.root = root
        self.bare = root / "gitops.git"
        self.work = root / "gitops-work"
        self.branch = branch
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "--quiet", "--bare", "-b", branch, str(self.bare))
        git(self.bare, "config", "receive.denyNonFastForwards", "true")  # a force-push fails loudly
        git(root, "clone", "--quiet", str(self.bare), str(self.work))
        git(self.work, "checkout", "--quiet", "-B", branch)

    @property
    def url(self) -> str:
        """What ``git clone`` takes (a path works as a remote URL)."""
        return str(self.bare)

    # ---------------------------------------------------------------- layout

    def seed(self, services: Iterable[str], *, environments: Iterable[str] = ENVIRONMENTS, start: int = 1) -> None:
        """One commit laying out ``services``, every environment pinned to ``digest(start)``."""
        files: dict[str, str] = {"README.md": "# GitOps repository\n"}
        for service in services:
            files[f"apps/{service}/base/deployment.yaml"] = BASE_DEPLOYMENT.format(service=service)
            files[f"apps/{service}/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n"
            for environment in environments:
                files[f"apps/{service}/overlays/{environment}/kustomization.yaml"] = OVERLAY.format(
                    service=service, environment=environment, digest=digest(start)
                )
        self.commit(files, "Register services")

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        """Commit ``files`` (path -> text, None deletes) on the branch and push it; returns the commit."""
        git(self.work, "pull", "--quiet", "--rebase", "origin", self.branch, check=False)
        for path, text in files.items():
            target = self.work / path
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "--allow-empty", "-m", message)
        git(self.work, "push", "--quiet", "origin", f"HEAD:refs/heads/{self.branch}")
        return self.head()

    # --------------------------------------------------------------- reading

    def head(self, branch: str | None = None) -> str:
        """The commit at the tip of ``branch`` in the bare repository."""
        return git(self.bare, "rev-parse", f"refs/heads/{branch or self.branch}")

    def show(self, path: str, rev: str | None = None) -> str:
        """A file's text at ``rev`` (default: the branch tip)."""
        return git(self.bare, "show", f"{rev or self.branch}:{path}")

    def count(self, branch: str | None = None) -> int:
        """How many commits the branch has."""
        return int(git(self.bare, "rev-list", "--count", f"refs/heads/{branch or self.branch}"))

    def messages(self, branch: str | None = None) -> list[str]:
        """Full commit messages on the branch, newest first."""
        out = git(self.bare, "log", "--format=%B%x1e", f"refs/heads/{branch or self.branch}")
        return [m.strip() for m in out.split("\x1e") if m.strip()]

    def branches(self) -> list[str]:
        """Every branch of the bare repository."""
        out = git(self.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads")
        return sorted(out.split())

    def overlay(self, service: str, environment: str) -> str:
        """The overlay's path in the repository."""
        return f"apps/{service}/overlays/{environment}/kustomization.yaml"

    def contains(self, commit: str, branch: str | None = None) -> bool:
        """Whether ``commit`` is on the branch (a force-push would have dropped it)."""
        done = subprocess.run(
            ["git", "merge-base", "--is-ancestor", commit, f"refs/heads/{branch or self.branch}"],
            cwd=self.bare,
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def merge(self, branch: str, message: str = "Merge promotion") -> str:
        """Merge ``branch`` into the tracked branch, as a reviewer merging the pull request would."""
        git(self.work, "fetch", "--quiet", "origin")
        git(self.work, "reset", "--quiet", "--hard", f"origin/{self.branch}")
        git(self.work, "merge", "--quiet", "--no-ff", "-m", message, f"origin/{branch}")
        git(self.work, "push", "--quiet", "origin", f"HEAD:refs/heads/{self.branch}")
        return self.head()
