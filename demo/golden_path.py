"""The golden path on local defaults: a service from template to dev, with no accounts.

What runs is the product, for real: ``idp scaffold`` renders and self-checks the
python-service template; the result becomes a git repository whose CI — the
scaffolded ``ci`` workflow calling our ``service-ci`` reusable workflow — runs under
``act``: its tests, Semgrep and Trivy, the policy check on real OPA, an image built
without a Docker engine and pushed to a real OCI registry (CNCF distribution) on
127.0.0.1, a Trivy scan of that image by digest, and ``idp promote`` writing the
digest into the dev overlay of a GitOps repository and waiting for Argo CD.

What stands in for what cannot run here: GitHub's API and Argo CD's API are the
test suite's stateful fakes on 127.0.0.1 (their exchanges are checked against the
published API descriptions when they stop); the GitOps "remote" is a bare git
repository; third-party actions are the offline stand-ins of tests/e2e/stubs; the
base image is a small image the demo builds and pushes itself; Trivy's
vulnerability DB is the fixture DB built offline by trivy-db. Where the scaffolded
``ci.yml`` is adapted for ``act`` (reusable workflows by local path, tools from
PATH, the fixture DB), the report says so.

``python -m demo`` runs it; ``scripts/demo`` sets everything up first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.e2e.harness import _git
from tests.integration.fixtures.terraform.tofu import read_outputs

from demo.report import FAILED, PASSED, SKIPPED, JobRecord, Outcome, StepRecord

ROOT = Path(__file__).resolve().parents[1]
ORG = "acme"
GITOPS_REPO = f"{ORG}/gitops"
OWNER = "team-demo"
REUSABLE = ("service-ci.yml", "self-check.yml")
SELF_CALL = re.compile(r"uses: idp-actions/idp-actions/\.github/workflows/([\w.-]+\.yml)@\S+")
CI_TIMEOUT = 900.0
#: The python-service template's own test command (its manifest's `tests:`), needing nothing from PyPI.
OFFLINE_TESTS = "python -m unittest discover -s tests -v"

#: The base image the demo builds first: no distribution, one Python package the
#: fixture advisories know (requests 2.25.0, a MEDIUM finding: reported, below the gate).
BASE_FILES = {
    "usr/local/lib/python3.12/site-packages/requests-2.25.0.dist-info/METADATA":
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\nSummary: HTTP for Humans.\n",
    "usr/local/lib/python3.12/site-packages/requests-2.25.0.dist-info/RECORD": "",
    "etc/idp-demo-base": "A stand-in base image built by the idp golden-path demo.\n",
}
BASE_DOCKERFILE = """\
# The demo's stand-in for a Python base image (no Docker engine here to pull one).
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
"""

Say = Callable[[str], None]


class StepFailed(Exception):
    """A step of the golden path failed; the message says what and where to look."""


def _python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _tool(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([str(ROOT / ".tools" / "bin"), os.environ.get("PATH", "")]))
    if not found:
        raise StepFailed(f"`{name}` is not installed: run scripts/setup (scripts/demo does)")
    return found


def _run(args: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin"), str(ROOT / ".tools" / "bin"), full.get("PATH", "")])
    return subprocess.run(args, cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout, check=False)


class GoldenPath:
    """One run of the golden path in ``work`` (a fresh directory), reporting into ``out``."""

    def __init__(self, work: Path, out: Path, *, service: str = "hello-api", say: Say = print,
                 peer: bool = False) -> None:
        self.work = work
        self.out = out
        self.service = service
        self.say = say
        self.steps = [
            StepRecord("services", "start the local services"),
            StepRecord("base", "build and push the base image"),
            StepRecord("scaffold", "scaffold python-service (render + self-check)"),
            StepRecord("repository", "make it a git repository"),
            StepRecord("register", "register it in the GitOps repository"),
            StepRecord("ci", "run its CI under act"),
            StepRecord("verify", "verify registry, GitOps, Argo CD, deployment"),
            StepRecord("stop", "stop the services, check the fakes' API contracts"),
        ]
        #: benchmarks/golden_path: after verifying, run the CI's commands directly (no act) and time them
        self.peer = peer
        self.peer_steps: list[tuple[str, float]] = []
        self.outcome = Outcome(service=service, steps=self.steps)
        self.registry_host = ""
        self.trivy_cache = work / "trivy-cache"
        self.service_dir = work / "repos" / service
        self.head = ""
        self.world: dict[str, Any] = {}

    # ------------------------------------------------------------------ running

    def run(self) -> Outcome:
        """Every step in order; the first failure skips the rest. Writes the report either way."""
        self.work.mkdir(parents=True, exist_ok=True)
        actions: dict[str, Callable[[ExitStack], str]] = {
            "services": self._services, "base": self._base_image, "scaffold": self._scaffold,
            "repository": self._repository, "register": self._register, "ci": self._ci, "verify": self._verify,
            "stop": self._stop,
        }
        if self.peer:
            actions["verify"] = self._verify_then_peer
        stack = ExitStack()
        try:
            for index, step in enumerate(self.steps, 1):
                if any(s.status == FAILED for s in self.steps):
                    break
                self.say(f"[{index}/{len(self.steps)}] {step.title} …")
                started = time.monotonic()
                try:
                    step.detail = actions[step.name](stack)
                    step.status = PASSED
                except StepFailed as exc:
                    step.status, step.detail = FAILED, str(exc)
                except BaseException as exc:  # pytest.fail from the act harness, or a bug: report it
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    step.status, step.detail = FAILED, f"{type(exc).__name__}: {exc}"
                step.seconds = time.monotonic() - started
                if step.name == "verify":  # the benchmark's peer ran inside it; it is not the demo's time
                    step.seconds -= sum(seconds for _name, seconds in self.peer_steps)
                mark = "ok" if step.status == PASSED else "FAILED"
                self.say(f"      {mark} in {step.seconds:.1f}s — {step.detail}")
        finally:
            try:
                stack.close()  # after a failure: stop whatever still runs
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
        for step in self.steps:
            if step.status not in (PASSED, FAILED):
                step.status = SKIPPED
        return self.outcome

    # ------------------------------------------------------------------- steps

    def _verify_then_peer(self, stack: ExitStack) -> str:
        detail = self._verify(stack)
        self._peer()
        return detail

    def _peer(self) -> None:
        """The CI's work as plain commands, one after another, in the same world (the benchmark's peer)."""
        github, argocd, remote = self.world["github"], self.world["argocd"], self.world["remote"]
        repo, outputs = self.service_dir, self.work / "peer-outputs"
        outputs.write_text("", encoding="utf-8")
        image = f"{self.registry_host}/{ORG}/{self.service}"
        cache = ["--trivy-cache-dir", str(self.trivy_cache), "--skip-db-update"]
        env = {"GITHUB_API_URL": github.api_url, "GITHUB_SERVER_URL": github.base_url,
               "GITHUB_TOKEN": github.bot_token, "GITOPS_TOKEN": github.bot_token,
               "ARGOCD_AUTH_TOKEN": argocd.token, "IDP_GITOPS_URL": remote.url,
               "GITHUB_REPOSITORY": f"{ORG}/{self.service}", "GITHUB_SHA": self.head,
               "GITHUB_OUTPUT": str(outputs), "SOURCE_DATE_EPOCH": "1"}
        commands: list[tuple[str, list[str]]] = [
            ("test", ["idp", "test", ".", "--command", OFFLINE_TESTS]),
            ("security scan", ["idp", "scan", ".", *cache, "--comment", "never"]),
            ("policy check", ["idp", "policy", "check"]),
            ("image build + push", ["idp", "image", "build", "--image", image, "--tag", "peer", "--push"]),
        ]
        for name, args in commands:
            self._timed(name, args, repo, env)
        digest = read_outputs(outputs).get("digest", "")
        self._timed("image scan", ["idp", "scan", ".", "--scanners", "vuln,secret", "--image", f"{image}@{digest}",
                                   "--base", "none", "--comment", "never", *cache], repo, env)
        self._timed("promote to dev", ["idp", "promote", "--to", "dev", "--service", self.service,
                                       "--digest", digest], repo, env)

    def _timed(self, name: str, args: list[str], cwd: Path, env: Mapping[str, str]) -> None:
        started = time.monotonic()
        done = _run(args, cwd=cwd, env=env)
        if done.returncode != 0:
            raise StepFailed(f"peer `{' '.join(args)}` failed: {(done.stderr or done.stdout).strip()[-400:]}")
        self.peer_steps.append((name, time.monotonic() - started))

    def _stop(self, stack: ExitStack) -> str:
        stack.close()
        return "registry, fake GitHub and fake Argo CD stopped; their exchanges conform to the API descriptions"

    def _services(self, stack: ExitStack) -> str:
        from tests.fakes.argocd_server import running_argocd
        from tests.fakes.github_deployments import DeploymentsExtension
        from tests.fakes.gitops_repo import GitOpsRemote
        from tests.fakes.promotion_world import checked_github
        from tests.fixtures.scan.repos import build_db
        from tests.registry import running_registry

        registry = stack.enter_context(running_registry(self.work / "registry", binary=_tool("registry")))
        self.registry_host = registry.host
        build_db(self.trivy_cache)
        remote = GitOpsRemote(self.work / "gitops")
        remote.commit({"README.md": "# GitOps repository\n\nOne folder per service under apps/.\n"},
                      "Start the GitOps repository")
        ext = DeploymentsExtension(mirrors={GITOPS_REPO: remote.bare})
        github = stack.enter_context(checked_github(ext))
        github.state.create_repo(ORG, self.service, files={"README.md": f"# {self.service}\n"})
        github.state.create_repo(ORG, "gitops", auto_init=False)
        argocd = stack.enter_context(running_argocd(remote.bare))
        self.world = {"registry": registry, "remote": remote, "ext": ext, "github": github, "argocd": argocd}
        return (f"registry {registry.host}, GitHub API {github.api_url} and Argo CD {argocd.url} (fakes), "
                f"GitOps repository {remote.bare.name}")

    def _base_image(self, stack: ExitStack) -> str:
        context = base_context(self.work / "base")
        outputs = self.work / "base-outputs"
        outputs.write_text("", encoding="utf-8")
        image = f"{self.registry_host}/library/python"
        done = _run(["idp", "image", "build", "--context", str(context), "--image", image, "--tag", "3.12-demo",
                     "--push"], env={"GITHUB_OUTPUT": str(outputs), "SOURCE_DATE_EPOCH": "0"})
        if done.returncode != 0:
            raise StepFailed(f"idp image build failed: {(done.stderr or done.stdout).strip()[-600:]}")
        digest = read_outputs(outputs).get("digest", "")
        if not digest.startswith("sha256:"):
            raise StepFailed(f"idp image build printed no digest: {done.stdout.strip()[-300:]}")
        self.outcome.base_image = f"{image}@{digest}"
        return self.outcome.base_image

    def _scaffold(self, stack: ExitStack) -> str:
        argocd = self.world["argocd"]
        params = {
            "name": self.service, "owner": OWNER, "org": ORG, "description": "The golden path's demo service",
            "python_version": _python_version(), "base_image": self.outcome.base_image,
            "registry": f"{self.registry_host}/{ORG}", "argocd_server": argocd.url,
            "gitops_repository": GITOPS_REPO,
        }
        args = ["idp", "scaffold", "new", "python-service", "--dry-run", "--output", str(self.service_dir),
                "--trivy-cache-dir", str(self.trivy_cache), "--skip-db-update"]
        for key, value in params.items():
            args += ["-p", f"{key}={value}"]
        done = _run(args, cwd=self.work, env={"IDP_DEBUG": "1"})  # a bug's traceback lands in the log
        (self.work / "scaffold.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise StepFailed(f"idp scaffold failed (log: {self.work / 'scaffold.log'}): "
                             f"{(done.stderr or done.stdout).strip()[-600:]}")
        checks = re.findall(r"^\s*(passed|failed)\s+(\w+)", done.stdout + done.stderr, flags=re.M)
        passed = [name for verdict, name in checks if verdict == "passed"]
        return f"{len(list(self.service_dir.rglob('*')))} files; self-checks passed: {', '.join(passed)}"

    def _repository(self, stack: ExitStack) -> str:
        from tests.fakes.github_state import Commit

        repo = self.service_dir
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "remote", "add", "origin", f"https://github.com/{ORG}/{self.service}.git")  # read by act only
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--no-gpg-sign", "-m", f"Create {self.service} from python-service")
        scaffolded = _git(repo, "rev-parse", "HEAD")
        adapted = self._adapt_for_act(repo)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "Run CI under act: reusable workflows by local path")
        self.head = _git(repo, "rev-parse", "HEAD")
        github = self.world["github"]
        with github.state.lock:  # the fake GitHub knows the commit CI runs on (the deployment's ref)
            service = github.state.repo(f"{ORG}/{self.service}")
            first = service.head("main")
            service.commits[self.head] = Commit(
                sha=self.head, tree=dict(first.tree), parents=[], message="CI commit", author_name="idp demo",
                author_email="demo@example.invalid", date=first.date)
        self.outcome.notes.append(
            "For act, the scaffolded ci.yml calls the reusable workflows by local path (act cannot fetch them, "
            f"act#2390) and runs offline: {adapted}.")
        return f"commit {scaffolded[:12]} (scaffolded) + {self.head[:12]} (act adaptation)"

    def _adapt_for_act(self, repo: Path) -> str:
        ci = repo / ".github" / "workflows" / "ci.yml"
        text = ci.read_text(encoding="utf-8")
        called = sorted(set(SELF_CALL.findall(text)))
        if sorted(called) != sorted(REUSABLE):
            raise StepFailed(f"the scaffolded ci.yml calls {called}, expected {list(REUSABLE)}")
        text = SELF_CALL.sub(r"uses: ./.github/workflows/\1 # zizmor: ignore[self-repository]", text)
        offline = ("    with:\n      install-tools: false\n      trivy-cache-dir: ${{ vars.TRIVY_CACHE_DIR }}\n"
                   "      skip-db-update: true\n"
                   f"      test-command: {OFFLINE_TESTS}\n")
        marker = "      deployments: write # record the promotion to dev as a GitHub deployment\n"
        if marker not in text:
            raise StepFailed("the scaffolded ci.yml does not grant deployments to service-ci as expected")
        text = text.replace(marker, marker + offline, 1)
        ci.write_text(text, encoding="utf-8")
        for name in REUSABLE:
            shutil.copyfile(ROOT / ".github" / "workflows" / name, repo / ".github" / "workflows" / name)
        return ("tools from PATH, the fixture Trivy DB, and the service's tests run with the standard library's "
                f"unittest (`{OFFLINE_TESTS}`, as the template's manifest runs them) because its `dev` extra "
                "(pytest, ruff) cannot be downloaded")

    def _register(self, stack: ExitStack) -> str:
        from idp_actions.config import load_config
        from idp_actions.scaffold.manifest import find_template
        from idp_actions.scaffold.registration import Settings, registration

        remote, argocd = self.world["remote"], self.world["argocd"]
        config = load_config(self.service_dir).as_dict()
        settings = Settings.from_config(config, repository_url=str(remote.bare))
        made = registration(self.service_dir, find_template("python-service", ROOT / "templates"), self.service,
                            settings)
        commit = remote.commit(dict(made.files), f"Register {self.service} ({', '.join(made.applications)})")
        for env, name in made.applications.items():
            argocd.add_app(name, path=made.overlays[env])
        self.outcome.gitops_commit = commit
        return f"{len(made.files)} files, Argo CD applications {', '.join(made.applications.values())}"

    def _ci(self, stack: ExitStack) -> str:
        from tests.e2e.harness import ActSession, CallerRepo

        github, argocd, remote = self.world["github"], self.world["argocd"], self.world["remote"]
        session = ActSession(self.work / "act", act=_tool("act"))
        repo = CallerRepo(path=self.service_dir, slug=f"{ORG}/{self.service}", head=self.head)
        result = session.run(
            repo, "ci.yml", run_dir=self.work / "act-run", event="push", timeout=CI_TIMEOUT,
            secrets={"ARGOCD_AUTH_TOKEN": argocd.token, "GITOPS_TOKEN": github.bot_token,
                     "GITHUB_TOKEN": github.bot_token},
            variables={"TRIVY_CACHE_DIR": str(self.trivy_cache)},
            env={"GITHUB_API_URL": github.api_url, "GITHUB_SERVER_URL": github.base_url,
                 "IDP_GITOPS_URL": remote.url},
        )
        names = {"test": "test", "security-scan": "security scan", "policy-check": "policy check",
                 "image": "image", "promote": "promote to dev", "self-check": "idp self-check"}
        for job in result.jobs.values():
            label = names.get(job.job_id, job.job_id)
            self.outcome.jobs.append(JobRecord(name=label, result=job.result, summary=job.summary))
        self.outcome.findings = _gates(result.jobs.values())
        image = next((job for job in result.jobs.values() if job.job_id == "image"), None)
        if image is not None:
            self.outcome.digest = image.outputs.get("digest", "") or _digest_in(image.text())
        failed = [job.job_id for job in result.jobs.values() if job.result != "success"]
        if failed or result.returncode != 0:
            raise StepFailed(f"jobs not successful: {', '.join(failed) or 'act exited ' + str(result.returncode)} "
                             f"(log: {self.work / 'act-run' / 'act.log'})\n{result.tail(40)}")
        return f"{len(result.jobs)} jobs passed: {', '.join(job.name for job in self.outcome.jobs)}"

    def _verify(self, stack: ExitStack) -> str:
        registry, remote, argocd, ext = (self.world[k] for k in ("registry", "remote", "argocd", "ext"))
        digest = self.outcome.digest
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise StepFailed(f"CI reported no image digest (got {digest!r})")
        repository = f"{ORG}/{self.service}"
        request = urllib.request.Request(
            f"http://{registry.host}/v2/{repository}/manifests/{digest}", method="HEAD",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # 127.0.0.1 only
            served = response.headers.get("Docker-Content-Digest", "")
        if served != digest:
            raise StepFailed(f"the registry serves {served or 'nothing'} for {digest}")
        self.outcome.image = f"{registry.host}/{repository}@{digest}"
        for env in ("dev", "staging", "prod"):
            app = argocd.apps.get(f"{self.service}-{env}")
            if app is None:
                continue
            pinned = argocd.digest_at(remote.branch, app.path) or ""
            self.outcome.environments[env] = {"digest": pinned, "sync": app.sync_status, "health": app.health,
                                              "revision": app.revision}
        dev = self.outcome.environments.get("dev", {})
        if dev.get("digest") != digest:
            raise StepFailed(f"the dev overlay pins {dev.get('digest')!r}, not the built {digest}")
        if (dev.get("sync"), dev.get("health")) != ("Synced", "Healthy") or dev.get("revision") != remote.head():
            raise StepFailed(f"Argo CD reports dev {dev.get('sync')}/{dev.get('health')} at {dev.get('revision')}, "
                             f"expected Synced/Healthy at {remote.head()}")
        deployments = ext.of(f"{ORG}/{self.service}", "dev")
        states = [s.state for s in deployments[-1].statuses] if deployments else []
        if not states or states[-1] != "success":
            raise StepFailed(f"the dev deployment's statuses are {states}, expected it to end in success")
        self.outcome.deployment = f"#{deployments[-1].id}: {' → '.join(states)}"
        return f"dev runs {digest[:19]}… (Synced, Healthy); deployment {self.outcome.deployment}"

    # ------------------------------------------------------------------ report

    def write_report(self) -> tuple[Path, Path]:
        """The Markdown and HTML reports under ``out``."""
        from demo.report import html_page, markdown

        self.out.mkdir(parents=True, exist_ok=True)
        text = markdown(self.outcome)
        md = self.out / "golden-path.md"
        md.write_text(text, encoding="utf-8")
        page = self.out / "golden-path.html"
        page.write_text(html_page(self.outcome, text), encoding="utf-8")
        (self.out / "golden-path.json").write_text(json.dumps({
            "service": self.outcome.service, "succeeded": self.outcome.succeeded,
            "total_seconds": round(self.outcome.total_seconds, 2), "image": self.outcome.image,
            "digest": self.outcome.digest,
            "steps": [{"name": s.name, "status": s.status, "seconds": round(s.seconds, 2), "detail": s.detail}
                      for s in self.steps],
            "jobs": [{"name": j.name, "result": j.result} for j in self.outcome.jobs],
        }, indent=2) + "\n", encoding="utf-8")
        return md, page


def base_context(directory: Path) -> Path:
    """The build context of the demo's stand-in base image (a Dockerfile and its rootfs/)."""
    for relative, text in BASE_FILES.items():
        target = directory / "rootfs" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (directory / "Dockerfile").write_text(BASE_DOCKERFILE, encoding="utf-8")
    return directory


def _gates(jobs: Any) -> dict[str, str]:
    """What each gate found, from the outputs its action set (security scan, policy check, image scan)."""
    found: dict[str, str] = {}
    for job in jobs:
        values: dict[str, str] = {}
        for outputs in job.step_outputs.values():
            values.update(outputs)
        if job.job_id == "policy-check" and "denied" in values:
            found["policy check"] = f"{values['denied']} denied, {values.get('warnings', '0')} warning(s)"
        elif job.job_id in ("security-scan", "image") and "findings" in values:
            name = "security scan" if job.job_id == "security-scan" else "image scan"
            found[name] = f"{values['findings']} finding(s), {values.get('failing', '0')} failing the gate"
    return found


def _digest_in(text: str) -> str:
    found = re.findall(r"sha256:[0-9a-f]{64}", text)
    return found[-1] if found else ""
