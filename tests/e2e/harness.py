"""Run our real workflows under `act`, offline, and read back what happened.

How a run is put together (see tests/README.md, e2e tier):

* The caller repository is a throwaway git repository under ``tmp_path``: the
  caller workflow(s) a test supplies, plus local copies of the reusable workflows
  under test (act cannot map a reusable workflow referenced by remote path, act
  issue 2390, so callers use ``./.github/workflows/<name>.yml``).
* Every ``uses:`` reachable from the workflow being run is resolved before act
  starts: our own actions (``idp-actions/idp-actions/...@main``) map to a
  snapshot of this working tree; every third-party action maps to its stand-in
  under ``tests/e2e/stubs/<owner>/<repo>``, whose README names the exact pinned
  SHA it stands in for. A remote action without a stand-in, a pin that differs
  from the stand-in's, a remote reusable workflow or a ``docker://`` step fails
  the test before act runs — act would otherwise try to clone from github.com.
* act runs with ``-P ubuntu-latest=-self-hosted`` (no Docker), no cache server,
  its artifact server on 127.0.0.1, ``--action-offline-mode``,
  ``ACT_DISABLE_VERSION_CHECK=1`` (act otherwise asks api.nektosact.com for
  notices), HOME and the XDG directories inside the test session's tmp, and the
  event payload, inputs, secrets, variables and env from files.
* ``actions/setup`` builds idp's venv under ``$RUNNER_TOOL_CACHE`` (act's is
  ``<action cache>/tool_cache``, shared by the whole test session). pip cannot
  download here, so the session seeds that venv once, at the very path and key
  ``bootstrap.sh key`` computes, with exactly the distributions pinned in
  requirements/runtime.lock, copied from this checkout's .venv (versions
  checked). The action then takes its "reuse a complete venv" path. With
  ``IDP_E2E_WHEELHOUSE=<dir of the lock's wheels>`` nothing is seeded and the
  action's own ``pip install --require-hashes`` runs against that directory.
  ``PIP_NO_INDEX=1`` is always set, so a job never reaches PyPI.
* act's ``--json`` log is parsed into an :class:`ActResult`: each job's result,
  step results, step outputs (act logs every ``set-output``), job outputs that
  are plain ``${{ steps.<id>.outputs.<name> }}`` references, ``::error::``
  messages and the step summary (act logs what a step appends to
  ``$GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contracts import load_json, npm_contract

ROOT = Path(__file__).resolve().parents[2]
STUBS = Path(__file__).resolve().parent / "stubs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SELF_REPO = "idp-actions/idp-actions"
SELF_REF = "main"
DEFAULT_TIMEOUT = 120.0
#: What the snapshot of this working tree (our actions at ``@main``) contains.
SNAPSHOT_ITEMS = (
    "action.yml", "actions", "src", "requirements", "pyproject.toml", ".github", "policies", "policy-sets", "templates",
)
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
STEP_OUTPUT_RE = re.compile(r"^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$")


class HarnessError(AssertionError):
    """The harness refuses to start act (a run that would leave the machine) or cannot read act."""


# --------------------------------------------------------------------- results


@dataclass(frozen=True)
class StepResult:
    """One step as act reports it: ``stage`` is Pre/Main/Post, ``path`` the step ids down composites."""

    name: str
    stage: str
    path: tuple[str, ...]
    result: str


@dataclass
class JobResult:
    """What act reported about one job."""

    key: str
    job_id: str
    result: str = "unknown"
    steps: list[StepResult] = field(default_factory=list)
    #: step outputs by step-id path: ``("setup",)`` is a workflow step, ``("setup", "install")`` a
    #: step of the composite action that step ran.
    step_outputs: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)
    #: the job's ``outputs:`` that are plain ``${{ steps.<id>.outputs.<name> }}`` references
    outputs: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    summary: str = ""
    log: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """True when act reported the job as successful."""
        return self.result == "success"

    def step(self, name: str) -> StepResult:
        """The Main-stage top-level step called ``name`` (its ``name:`` or its id)."""
        for step in self.steps:
            if step.stage == "Main" and len(step.path) == 1 and name in (step.name, step.path[0]):
                return step
        raise KeyError(f"job {self.key!r} has no step {name!r}; steps: {[s.name for s in self.steps]}")

    def text(self) -> str:
        """The job's log as act printed it."""
        return "".join(self.log)


@dataclass
class ActResult:
    """The outcome of one act run."""

    command: list[str]
    returncode: int
    jobs: dict[str, JobResult]
    stdout: str
    stderr: str
    #: ``$RUNNER_TOOL_CACHE`` of the run (where actions/setup keeps idp's venvs)
    tool_cache: Path

    def job(self, name: str) -> JobResult:
        """The job whose id, full act name (``caller/workflow/job``) or last name segment is ``name``."""
        exact = [job for job in self.jobs.values() if name in (job.key, job.job_id)]
        if not exact:
            exact = [job for job in self.jobs.values() if job.key.rsplit("/", 1)[-1] == name]
        if len(exact) == 1:
            return exact[0]
        problem = "is ambiguous" if exact else "did not run"
        raise KeyError(f"job {name!r} {problem}; jobs act reported: {sorted(self.jobs)}\n{self.tail()}")

    @property
    def summary(self) -> str:
        """Every job's step summary, in the order the jobs appear."""
        return "".join(job.summary for job in self.jobs.values())

    def tail(self, lines: int = 60) -> str:
        """The end of act's log (for assertion messages)."""
        text = "".join(line for job in self.jobs.values() for line in job.log) or self.stdout
        return "\n".join([*text.splitlines()[-lines:], *self.stderr.splitlines()[-10:]])


# --------------------------------------------------------- reading workflows


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise HarnessError(f"cannot read {path}: {exc}") from exc


def _jobs(workflow: Any) -> dict[str, Any]:
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    return jobs if isinstance(jobs, dict) else {}


def _step_uses(document: Any) -> Iterator[str]:
    """``uses:`` of the steps of a workflow's jobs or of a composite action."""
    step_lists: list[Any] = []
    if isinstance(document, dict) and isinstance(document.get("runs"), dict):
        step_lists.append(document["runs"].get("steps"))
    for job in _jobs(document).values():
        if isinstance(job, dict):
            step_lists.append(job.get("steps"))
    for steps in step_lists:
        for step in steps or []:
            if isinstance(step, dict) and isinstance(step.get("uses"), str):
                yield step["uses"]


def _action_file(directory: Path) -> Path:
    for name in ("action.yml", "action.yaml"):
        if (directory / name).is_file():
            return directory / name
    raise HarnessError(f"no action.yml in {directory}")


@dataclass(frozen=True)
class Stub:
    """A local stand-in for one pinned third-party action repository."""

    repo: str
    ref: str
    directory: Path


def stubs(root: Path = STUBS) -> dict[str, Stub]:
    """Every stand-in under ``tests/e2e/stubs/<owner>/<repo>``, keyed by ``owner/repo``.

    Each README names the one ``owner/repo@<40-hex SHA>`` it stands in for.
    """
    found: dict[str, Stub] = {}
    for readme in sorted(root.glob("*/*/README.md")):
        repo = f"{readme.parent.parent.name}/{readme.parent.name}"
        pins = set(re.findall(rf"{re.escape(repo)}@([0-9a-f]{{40}})", readme.read_text(encoding="utf-8")))
        if len(pins) != 1:
            raise HarnessError(f"{readme} must name exactly one `{repo}@<40-hex SHA>`, found {sorted(pins)}")
        found[repo] = Stub(repo=repo, ref=pins.pop(), directory=readme.parent)
    return found


def local_repositories(
    workflow: Path, repo_root: Path, snapshot: Path, stand_ins: Mapping[str, Stub] | None = None
) -> dict[str, Path]:
    """``--local-repository`` mappings for every action reachable from ``workflow``.

    Fails (before act runs) on anything that act would fetch from the network.
    """
    stand_ins = stubs() if stand_ins is None else stand_ins
    mappings: dict[str, Path] = {}
    seen: set[Path] = set()
    pending: list[tuple[Path, Path]] = [(workflow, repo_root)]  # (document, the repo it lives in)

    def visit_action(directory: Path, where: str) -> None:
        if not directory.is_dir():
            raise HarnessError(f"{where}: action directory {directory} does not exist")
        pending.append((_action_file(directory), directory))

    while pending:
        document_path, _base = pending.pop()
        if document_path in seen:
            continue
        seen.add(document_path)
        document = _load_yaml(document_path)
        where = str(document_path)
        for job_id, job in _jobs(document).items():
            uses = job.get("uses") if isinstance(job, dict) else None
            if not isinstance(uses, str):
                continue
            if not uses.startswith("./"):
                raise HarnessError(
                    f"{where}: job `{job_id}` calls the reusable workflow `{uses}` by remote path; act cannot "
                    "map those to a local checkout (act issue 2390): copy it into the caller repository and "
                    "call it as ./.github/workflows/<name>.yml"
                )
            pending.append((repo_root / uses[2:].split("@")[0], repo_root))
        for uses in _step_uses(document):
            if uses.startswith("./"):
                visit_action(repo_root / uses[2:], where)
                continue
            if uses.startswith("docker://"):
                raise HarnessError(f"{where}: `{uses}` needs Docker, which act runs without here")
            target, _, ref = uses.partition("@")
            parts = target.split("/")
            if len(parts) < 2 or not ref:
                raise HarnessError(f"{where}: cannot read `uses: {uses}`")
            repo, subpath = "/".join(parts[:2]), "/".join(parts[2:])
            if repo == SELF_REPO:
                if ref != SELF_REF:
                    raise HarnessError(
                        f"{where}: `{uses}` — our own actions are referenced at @{SELF_REF} in the "
                        "development tree (the release script rewrites them); this one is not"
                    )
                mappings[f"{repo}@{ref}"] = snapshot
                visit_action(snapshot / subpath, where)
                continue
            stub = stand_ins.get(repo)
            if stub is None:
                raise HarnessError(
                    f"{where}: `{uses}` has no offline stand-in; act would clone it from github.com. "
                    f"Add tests/e2e/stubs/{repo}/ (action.yml + README.md naming `{repo}@<sha>`)"
                )
            if ref != stub.ref:
                raise HarnessError(
                    f"{where}: `{uses}` is pinned to {ref}, but tests/e2e/stubs/{repo} stands in for "
                    f"{stub.ref}: update the stand-in (its inputs and outputs) together with the pin"
                )
            mappings[f"{repo}@{ref}"] = stub.directory
            visit_action(stub.directory / subpath, where)
    return mappings


# ------------------------------------------------------------------- payloads


def default_payload(event: str) -> dict[str, Any]:
    """A real example payload of ``event`` from @octokit/webhooks-examples (a deep copy).

    For events with actions, ``opened`` (else the first example) is used.
    """
    index = load_json(npm_contract("@octokit/webhooks-examples", "api.github.com/index.json"))
    for entry in index:
        if entry.get("name") == event:
            examples = entry.get("examples") or []
            preferred = [e for e in examples if e.get("action") == "opened"] or examples
            if preferred:
                return copy.deepcopy(preferred[0])
    raise HarnessError(f"@octokit/webhooks-examples has no example payload for event {event!r}")


def _fit_payload(payload: dict[str, Any], event: str, slug: str, head: str, inputs: Mapping[str, str]) -> None:
    owner, name = slug.split("/", 1)
    repository = payload.get("repository")
    if isinstance(repository, dict):
        repository.update(full_name=slug, name=name, default_branch="main")
        if isinstance(repository.get("owner"), dict):
            repository["owner"]["login"] = owner
    if event in ("push", "workflow_dispatch"):
        payload["ref"] = "refs/heads/main"
    if event == "push":
        payload["after"] = head
    if event == "workflow_dispatch":
        payload["inputs"] = dict(inputs)


# -------------------------------------------------------------- the session


@dataclass(frozen=True)
class CallerRepo:
    """A throwaway caller repository (a git repository with one commit)."""

    path: Path
    slug: str
    head: str


def _git(repo: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(repo),  # no global git config, nothing written to the real home
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "idp e2e",
        "GIT_AUTHOR_EMAIL": "e2e@example.invalid",
        "GIT_COMMITTER_NAME": "idp e2e",
        "GIT_COMMITTER_EMAIL": "e2e@example.invalid",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_kv(path: Path, values: Mapping[str, str]) -> Path:
    """A dotenv file act reads with --env-file/--secret-file/--var-file (values JSON-quoted).

    act reads it with godotenv, which expands ``$NAME`` inside double quotes (``\\$`` keeps
    a literal ``$``), strips every ``"`` at either end of a value and turns escapes other
    than ``\\n``/``\\r``/``\\\\``/``\\"`` into the bare letter (``\\t`` becomes ``t``): ``$`` is
    escaped, non-ASCII text is written as it is, and a value godotenv cannot carry fails
    here instead of arriving changed.
    """
    lines = []
    for key, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
            raise HarnessError(f"not a valid name for act: {key!r}")
        if value.startswith('"') or value.endswith(('"', "\\")) or re.search(r"[\x00-\x09\x0b-\x0c\x0e-\x1f]", value):
            raise HarnessError(
                f"{key}: act's dotenv reader would change this value (a `\"` at either end, a trailing `\\`, "
                f"a tab or another control character): {value!r}"
            )
        quoted = json.dumps(value, ensure_ascii=False).replace("$", "\\$")
        lines.append(f"{key}={quoted}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


class ActSession:
    """What every act run of a test session shares: act, a fake HOME, the tool cache, a snapshot."""

    def __init__(self, base: Path, *, act: str, repo_root: Path = ROOT) -> None:
        self.base = base
        self.act = act
        self.repo_root = repo_root
        self.home = base / "home"
        self.action_cache = base / "act-cache"
        self.snapshot = base / "idp-actions"
        self.python_bin = Path(sys.base_prefix) / "bin"
        self.wheelhouse = os.environ.get("IDP_E2E_WHEELHOUSE") or None
        for directory in (self.home, self.action_cache):
            directory.mkdir(parents=True, exist_ok=True)
        self._snapshot_tree()
        self.stand_ins = stubs()
        if not self.wheelhouse:
            self.seed_venv(self.action_cache / "tool_cache")

    # -- environment --------------------------------------------------------

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment act runs in (self-hosted jobs inherit it)."""
        dropped = ("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_", "ACT_", "PIP_", "DOCKER_", "XDG_")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(dropped) and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CI")
        }
        venv_bin = str(self.repo_root / ".venv" / "bin")
        rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
        tools_bin = str(self.repo_root / ".tools" / "bin")
        env.update(
            PATH=os.pathsep.join([str(self.python_bin), tools_bin, *rest]),
            HOME=str(self.home),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            ACT_DISABLE_VERSION_CHECK="1",
            PIP_NO_INDEX="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PIP_CACHE_DIR=str(self.home / ".cache" / "pip"),
        )
        if self.wheelhouse:
            env["PIP_FIND_LINKS"] = self.wheelhouse
        env.update(extra or {})
        return env

    # -- our actions ----------------------------------------------------------

    def _snapshot_tree(self) -> None:
        """A lean copy of this working tree for ``idp-actions/idp-actions@main``.

        act copies a --local-repository directory into every job (twice: main and
        post); the whole clone with .venv and .tools takes tens of seconds.
        """
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        self.snapshot.mkdir(parents=True, exist_ok=True)
        for item in SNAPSHOT_ITEMS:
            source = self.repo_root / item
            if source.is_dir():
                shutil.copytree(source, self.snapshot / item, ignore=ignore, dirs_exist_ok=True)
            elif source.is_file():
                shutil.copy2(source, self.snapshot / item)

    def venv_key(self, tool_cache: Path) -> dict[str, str]:
        """``bootstrap.sh key`` for the Python the setup-python stand-in will find."""
        python = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}", path=str(self.python_bin))
        if python is None:
            raise HarnessError(f"no python{sys.version_info.major}.{sys.version_info.minor} in {self.python_bin}")
        env = self.environment({"RUNNER_TOOL_CACHE": str(tool_cache), "IDP_PYTHON": python})
        done = subprocess.run(
            ["bash", str(self.snapshot / "actions" / "setup" / "bootstrap.sh"), "key"],
            env=env, capture_output=True, text=True, check=False, timeout=60,
        )
        if done.returncode != 0:
            raise HarnessError(f"bootstrap.sh key failed: {done.stdout}{done.stderr}")
        return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)

    def seed_venv(self, tool_cache: Path) -> Path:
        """Seed idp's venv where actions/setup looks for it, with exactly the runtime lock.

        The distributions are copied, file by file from their RECORD, out of the
        environment running the tests; each must be the version the lock pins.
        """
        key = self.venv_key(tool_cache)
        venv = Path(key["venv"])
        marker = venv / ".idp-complete"
        if marker.is_file() and marker.read_text(encoding="utf-8").strip() == key["key"]:
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([key["python"], "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        lock = (self.repo_root / "requirements" / "runtime.lock").read_text(encoding="utf-8")
        for name, version in re.findall(r"(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", lock):
            try:
                dist = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                pytest.fail(f"{name} (pinned in requirements/runtime.lock) is not installed: run scripts/setup")
            if dist.version != version:
                pytest.fail(f"{name} {dist.version} is installed but the lock pins {version}: run scripts/setup")
            for entry in dist.files or []:
                relative = Path(str(entry))
                if relative.is_absolute() or ".." in relative.parts or "__pycache__" in relative.parts:
                    continue  # console scripts outside site-packages; byte code is rebuilt
                target = site / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(str(dist.locate_file(entry))), target)
        marker.write_text(key["key"] + "\n", encoding="utf-8")
        return venv

    # -- caller repositories ----------------------------------------------------

    def caller_repo(
        self,
        path: Path,
        *,
        workflows: Mapping[str, str | Path] | Sequence[str | Path] = (),
        reusable: Sequence[str] = (),
        files: Mapping[str, str | Path] | None = None,
        slug: str = "acme/service",
    ) -> CallerRepo:
        """A git repository at ``path`` holding caller workflows, our reusable workflows and files.

        ``workflows`` are file paths (copied under their own name) or ``{name: path-or-text}``;
        ``reusable`` names files of this repository's .github/workflows/ to copy beside them
        (with the repository's zizmor.yml, whose policy they are written for);
        ``files`` are extra ``{relative path: text or source path}``.
        """
        path.mkdir(parents=True, exist_ok=True)
        target = path / ".github" / "workflows"
        target.mkdir(parents=True, exist_ok=True)
        items = workflows.items() if isinstance(workflows, Mapping) else ((Path(w).name, Path(w)) for w in workflows)
        for name, source in items:
            _put(target / name, source)
        for name in reusable:
            source = self.repo_root / ".github" / "workflows" / name
            if not source.is_file():
                raise HarnessError(f"no reusable workflow .github/workflows/{name} in {self.repo_root}")
            _put(target / name, source)
        if reusable and (self.repo_root / "zizmor.yml").is_file():
            _put(path / "zizmor.yml", self.repo_root / "zizmor.yml")
        for relative, source in (files or {}).items():
            _put(path / relative, source)
        _git(path, "init", "-q", "-b", "main")
        _git(path, "remote", "add", "origin", f"https://github.com/{slug}.git")  # read by act, never fetched
        _git(path, "add", "-A")
        _git(path, "commit", "-q", "--no-gpg-sign", "-m", "caller fixture")
        return CallerRepo(path=path, slug=slug, head=_git(path, "rev-parse", "HEAD"))

    # -- running act -------------------------------------------------------------

    def run(
        self,
        repo: CallerRepo,
        workflow: str,
        *,
        run_dir: Path,
        event: str = "workflow_dispatch",
        payload: Mapping[str, Any] | None = None,
        inputs: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        job: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        fresh_tool_cache: bool = False,
    ) -> ActResult:
        """Run ``.github/workflows/<workflow>`` of ``repo`` for ``event`` and parse act's log.

        ``payload`` replaces the webhooks-examples payload; ``inputs`` are
        workflow_dispatch inputs; ``env`` is extra job environment (--env-file).
        ``fresh_tool_cache`` gives this run an empty tool cache of its own (no
        seeded venv), to exercise actions/setup's install path.
        """
        workflow_path = repo.path / ".github" / "workflows" / workflow
        if not workflow_path.is_file():
            raise HarnessError(f"{workflow_path} does not exist")
        run_dir.mkdir(parents=True, exist_ok=True)
        action_cache = run_dir / "act-cache" if fresh_tool_cache else self.action_cache
        action_cache.mkdir(parents=True, exist_ok=True)
        mappings = local_repositories(workflow_path, repo.path, self.snapshot, self.stand_ins)

        body = dict(payload) if payload is not None else default_payload(event)
        if payload is None:
            _fit_payload(body, event, repo.slug, repo.head, inputs or {})
        event_file = run_dir / "event.json"
        event_file.write_text(json.dumps(body, indent=2), encoding="utf-8")
        artifacts = run_dir / "artifacts"
        artifacts.mkdir(exist_ok=True)

        command = [
            self.act, event,
            "--json",
            "-W", str(workflow_path),
            "-e", str(event_file),
            "-P", "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--action-cache-path", str(action_cache),
            "--no-cache-server",
            "--cache-server-addr", "127.0.0.1",
            "--artifact-server-addr", "127.0.0.1",
            "--artifact-server-port", str(_free_loopback_port()),
            "--artifact-server-path", str(artifacts),
            "--env-file", str(_write_kv(run_dir / "job.env", env or {})),
            "--secret-file", str(_write_kv(run_dir / "secrets.env", secrets or {})),
            "--var-file", str(_write_kv(run_dir / "vars.env", variables or {})),
            "--input-file", str(_write_kv(run_dir / "inputs.env", {
                k: v for k, v in (inputs or {}).items() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)
            })),
            "--defaultbranch", "main",
        ]
        for name, value in (inputs or {}).items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):  # the input file's reader refuses `-` in names
                command += ["--input", f"{name}={value}"]
        for spec, directory in sorted(mappings.items()):
            command += ["--local-repository", f"{spec}={directory}"]
        if job:
            command += ["--job", job]

        process = subprocess.Popen(  # an argv list, never a shell
            command, cwd=repo.path, env=self.environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            errors="replace", start_new_session=True,
        )
        with process:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                stdout, stderr = process.communicate()
                (run_dir / "act.log").write_text(stdout + stderr, encoding="utf-8")
                pytest.fail(
                    f"act did not finish within {timeout:.0f}s (log: {run_dir / 'act.log'}):\n"
                    + "\n".join((stdout + stderr).splitlines()[-40:])
                )
        (run_dir / "act.log").write_text(stdout, encoding="utf-8")
        result = ActResult(
            command=command,
            returncode=process.returncode,
            jobs=parse_log(stdout),
            stdout=stdout,
            stderr=stderr,
            tool_cache=action_cache / "tool_cache",
        )
        _resolve_job_outputs(result, workflow_path, repo.path)
        return result


def _put(target: Path, source: str | Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_text(source, encoding="utf-8")


def _kill_group(process: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------- act's log


def parse_log(stdout: str) -> dict[str, JobResult]:
    """Jobs from act's ``--json`` log (one JSON object per line; other lines are ignored)."""
    jobs: dict[str, JobResult] = {}
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        key = entry.get("job")
        if not isinstance(key, str):
            continue
        job = jobs.setdefault(key, JobResult(key=key, job_id=str(entry.get("jobID", key))))
        message = str(entry.get("msg", ""))
        job.log.append(message if message.endswith("\n") else message + "\n")
        path = tuple(str(p) for p in entry.get("stepID") or entry.get("stepid") or ())
        command = entry.get("command")
        if "jobResult" in entry:
            job.result = str(entry["jobResult"])
        elif "stepResult" in entry:
            job.steps.append(
                StepResult(
                    name=str(entry.get("step", "")),
                    stage=str(entry.get("stage", "")),
                    path=path,
                    result=str(entry["stepResult"]),
                )
            )
        elif command == "set-output":
            job.step_outputs.setdefault(path, {})[str(entry.get("name"))] = str(entry.get("arg", ""))
        elif command == "summary":
            job.summary += str(entry.get("content", ""))
        elif command == "error":
            job.errors.append(str(entry.get("arg", "")))
    return jobs


def _resolve_job_outputs(result: ActResult, workflow: Path, repo_root: Path) -> None:
    """Fill :attr:`JobResult.outputs` from the job definitions (act does not log job outputs).

    A job's act name is ``<workflow name>/<job name>``, or for a job of a called
    workflow ``<caller job id>/<called workflow name>/<job name>``.
    """
    top = _load_yaml(workflow)
    called = {
        job_id: _load_yaml(repo_root / job["uses"][2:])
        for job_id, job in _jobs(top).items()
        if isinstance(job, dict) and isinstance(job.get("uses"), str) and job["uses"].startswith("./")
    }
    for job in result.jobs.values():
        first = job.key.split("/", 1)[0]
        document = called[first] if first in called and job.key.count("/") >= 2 else top
        definition = _jobs(document).get(job.job_id)
        outputs = definition.get("outputs") if isinstance(definition, dict) else None
        for name, expression in (outputs or {}).items():
            match = STEP_OUTPUT_RE.match(str(expression).strip())
            if match and match.group(2) in job.step_outputs.get((match.group(1),), {}):
                job.outputs[str(name)] = job.step_outputs[(match.group(1),)][match.group(2)]
