"""Hostile input through every reusable workflow, under act: a hostile value is data, never code.

DESIGN's rule is that expressions reach a shell only through ``env:``. These tests hold
every reusable workflow of .github/workflows/ to it end to end, on the channels a
hostile value arrives by: the string inputs of ``workflow_call`` (each one, fed from a
variable or a workflow_dispatch input by the callers in tests/e2e/fixtures/hostile/), the
fields of a pull request event (title, body, branch and label) and workflow_dispatch
inputs.

Each input gets its own :class:`Hostile` value: shell payloads that each ``touch`` a
canary file of their own (double-quote, single-quote, ``$( )``, backtick and a one-line
polyglot that fires in any of those contexts), workflow commands on lines of their own
(``::add-mask::``, ``::set-output``, ``::error::``), ``GITHUB_ENV``/``GITHUB_OUTPUT`` lines
(``NAME=value``, ``echo … >> $GITHUB_ENV``), a path out of the repository, an option
where an argument belongs (``--help``) and ``${{ }}`` expressions that must stay text.
Every run then checks (:func:`assert_harmless`):

* no canary file exists, and nothing named like one appeared anywhere under the test's
  or the act session's directories;
* no workflow command, output or environment variable that a payload carries took effect;
* no secret given to the run appears in the log act prints (act masks them as ``***``);
* no job crashed: no "internal error" (idp's exit 3) and no Python traceback.

and, job by job, that the hostile value reached the workflow — its marker appears in the
job's log, an error annotation, the step summary, an output or what the job recorded — and
that the job either treated it as data or failed with an ``::error::`` that says what was
wrong.

The checks are shown to bite: bash really runs the payloads when a script interpolates them,
and a deliberately vulnerable workflow (fixtures/hostile/vulnerable-caller.yml) fails
:func:`assert_harmless`. A guard fails when a reusable workflow or one of its string inputs
has no hostile case, and zizmor's template-injection audit must find nothing. Every job also
gets proxy variables pointing at a closed loopback port, so a hostile value that provokes a
download (a DB repository, an image reference, a git fetch) fails there, not on the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets as random_secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_tool
from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES, ROOT, ActResult, CallerRepo, JobResult
from tests.e2e.test_policy_check import DEPLOYMENT_SAMPLE, clean_files, pull_request_payload
from tests.e2e.test_promote import job_env
from tests.e2e.test_scaffold import _with_copier, _with_templates
from tests.e2e.test_setup_action import _QuietHandler
from tests.e2e.test_terraform import IDP_YAML, MODULE_TF, ROOT_TF
from tests.fakes import github_issues
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_state import Commit
from tests.fakes.promotion_world import SERVICE_REPO, PromotionWorld, digest
from tests.fixtures.scan.repos import build_db, materialize
from tests.integration.fixtures.terraform.tofu import CLI_CONFIG

HOSTILE = FIXTURES / "hostile"
WORKFLOWS = ROOT / ".github" / "workflows"
#: What a payload writes when it is (wrongly) run as workflow commands or environment-file lines.
INJECTED_OUTPUT = "pwned"
INJECTED_ENV = ("PWNED_ENV", "PWNED_SHELL")
INJECTED_MASK = "pwned-mask"
INJECTED_ERROR = "pwned-error"
#: Expressions a value may carry; they must reach the workflow as these very characters.
LITERALS = ("${{ github.token }}", "${{ secrets.GITOPS_TOKEN }}")
#: Every job a test starts gets these: any download a hostile value might provoke goes to a closed loopback port.
NO_WAY_OUT = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "all_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost,::1",
    "no_proxy": "127.0.0.1,localhost,::1",
}


# ------------------------------------------------------------------ payloads


@dataclass(frozen=True)
class Hostile:
    """The hostile values for one input (or event field), with canary files of their own."""

    key: str
    directory: Path

    def canary(self, n: int) -> Path:
        return self.directory / f"pwn-{self.key}-{n}"

    @property
    def marker(self) -> str:
        """A string every payload of this value contains: seen in a log, the value got there."""
        return f"pwn-{self.key}-"

    @property
    def canaries(self) -> list[Path]:
        return [self.canary(n) for n in range(6)]

    @property
    def polyglot(self) -> str:
        """One line that touches canary 5 inside '…', "…", unquoted or a heredoc, whichever it lands in."""
        c = self.canary(5)
        return f"'; touch {c}; ' $(touch {c}) `touch {c}` \"; touch {c}; #\" #"

    @property
    def single(self) -> str:
        """The one-line form, for inputs that take one value."""
        return f"{self.polyglot} {' '.join(LITERALS)}"

    @property
    def lines(self) -> list[str]:
        return [
            f"../../$(touch {self.canary(0)})",  # out of the repository, and a command substitution
            self.polyglot,
            f'"; touch {self.canary(1)}; #',
            f"$(touch {self.canary(2)})",
            f"`touch {self.canary(3)}`",
            f"'; touch {self.canary(4)}; '",
            f'"; echo {INJECTED_ENV[1]}=yes >> $GITHUB_ENV; echo {INJECTED_OUTPUT}=yes >> $GITHUB_OUTPUT; #',
            "--help",  # an option where an argument was expected ends a command early and "succeeds"
            f"::add-mask::{INJECTED_MASK}-{self.key}",
            f"::set-output name={INJECTED_OUTPUT}::yes",
            f"::error::{INJECTED_ERROR}-{self.key}",
            f"{INJECTED_ENV[0]}=yes",
            f"{INJECTED_OUTPUT}=yes",
            *LITERALS,
        ]

    @property
    def multi(self) -> str:
        """Every payload, one per line, for inputs that take several lines (or ought to refuse them)."""
        return "\n".join(self.lines)

    @property
    def branch(self) -> str:
        """A polyglot that is a valid git branch name (no spaces: ``${IFS}``)."""
        c = self.canary(5)
        return f"pwn/';touch${{IFS}}{c};'$(touch${{IFS}}{c})`touch${{IFS}}{c}`\";touch${{IFS}}{c};#\"#"


class Payloads:
    """Hands out :class:`Hostile` values, one per key, all with canaries in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.issued: dict[str, Hostile] = {}

    def __call__(self, key: str, directory: Path | None = None) -> Hostile:
        """The value for ``key``; ``directory`` puts its canaries elsewhere (a short path, for short values)."""
        if key not in self.issued:
            if not re.fullmatch(r"[a-z0-9-]+", key):
                raise ValueError(f"payload key {key!r}: lowercase letters, digits and dashes only")
            self.issued[key] = Hostile(key=key, directory=directory or self.directory)
        return self.issued[key]

    def canaries(self) -> list[Path]:
        return [c for h in self.issued.values() for c in h.canaries]

    def directories(self) -> set[Path]:
        return {self.directory, *(h.directory for h in self.issued.values())}


def made_secrets(*names: str) -> dict[str, str]:
    """Secrets with random values, to look for in the log afterwards."""
    return {name: f"{name.lower().replace('_', '-')}-{random_secrets.token_hex(12)}" for name in names}


# -------------------------------------------------------------- reading act


def entries(result: ActResult) -> Iterator[dict[str, Any]]:
    """act's JSON log entries."""
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                yield entry


def _unescape(value: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


@dataclass(frozen=True)
class Annotation:
    """One ``::error``/``::warning`` command, read the way GitHub's runner reads it.

    act reads the command name up to the first space, so a message that contains ``::``
    (one quoting a hostile value does) is mis-parsed by act but not by GitHub; this reads
    the raw line as GitHub does: ``::name[ properties]::message``, split at the first ``::``.
    """

    job: str
    level: str
    properties: str
    message: str

    @property
    def text(self) -> str:
        return f"{self.properties} {self.message}"


def annotations_of(result: ActResult, level: str = "error") -> list[Annotation]:
    found = []
    for entry in entries(result):
        raw = entry.get("raw")
        if not isinstance(raw, str) or not raw.startswith(f"::{level}"):
            continue
        body = raw.rstrip("\r\n")[2:]
        end = body.find("::")
        if end < 0:
            continue
        head, message = body[:end], body[end + 2 :]
        name, _, properties = head.partition(" ")
        if name == level:
            found.append(Annotation(str(entry.get("job", "")), level, _unescape(properties), _unescape(message)))
    return found


def called(result: ActResult, caller_job: str) -> list[JobResult]:
    """The jobs a caller job ran (``<caller job>/<workflow>/<job>``), or that job itself (``<workflow>/<job>``)."""
    jobs = [j for j in result.jobs.values()
            if j.key.startswith(f"{caller_job}/") or (j.job_id == caller_job and j.key.count("/") == 1)]
    assert jobs, f"caller job {caller_job!r} ran no job; act reported {sorted(result.jobs)}\n{result.tail()}"
    return jobs


def shown(result: ActResult) -> str:
    """What act prints for a person: each entry's message (commands' raw arguments left out), and stderr."""
    lines = []
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            try:
                lines.append(str(json.loads(line).get("msg", "")))
                continue
            except json.JSONDecodeError:
                pass
        lines.append(line)
    return "\n".join(lines) + "\n" + result.stderr


# ---------------------------------------------------------------- assertions


def assert_harmless(
    result: ActResult, payloads: Payloads, *, secrets: Mapping[str, str], roots: Iterable[Path]
) -> None:
    """What must hold after every run, whatever the jobs did with the hostile values."""
    fired = [str(c) for c in payloads.canaries() if c.exists()]
    assert not fired, f"a payload ran: {fired}\n{result.tail(80)}"
    for directory in payloads.directories():
        assert not any(directory.iterdir()), sorted(directory.iterdir())
    names = {c.name for c in payloads.canaries()}
    for root in roots:
        made = [str(p) for p in root.rglob("pwn-*") if p.name in names]
        assert not made, f"a payload created files: {made}"

    text = shown(result)
    for name, value in secrets.items():
        assert value not in text, f"secret {name} appears unmasked in the log"

    for entry in entries(result):
        command, name, arg = entry.get("command"), str(entry.get("name") or ""), str(entry.get("arg") or "")
        raw = str(entry.get("raw") or "")
        where = f"{entry.get('job')} / {entry.get('step')}"
        assert not (command == "add-mask" and INJECTED_MASK in arg), f"an injected ::add-mask:: took effect: {where}"
        assert not (command == "set-output" and name == INJECTED_OUTPUT), f"an injected output was set: {where}"
        assert not (command == "set-env" and name in INJECTED_ENV), f"an injected env variable was set: {where}"
        assert not raw.startswith(f"::error::{INJECTED_ERROR}"), f"an injected ::error:: took effect: {where}"
    for job in result.jobs.values():
        for path, outputs in job.step_outputs.items():
            assert INJECTED_OUTPUT not in outputs, f"{job.key} step {path} has an injected output"
        log = job.text()
        assert "Traceback (most recent call last)" not in log, f"{job.key} crashed:\n{log[-3000:]}"
    crashes = [a for a in annotations_of(result) if "internal error" in a.message]
    assert not crashes, f"idp crashed (exit 3) on a hostile value: {crashes}"


def job_text(jobs: Iterable[JobResult], result: ActResult) -> str:
    """Everything a set of jobs showed: log, summary, outputs and the annotations GitHub would read."""
    keys = set()
    parts = []
    for job in jobs:
        keys.add(job.key)
        parts += [job.text(), job.summary, *(v for o in job.step_outputs.values() for v in o.values()),
                  *job.outputs.values()]
    parts += [a.text for a in annotations_of(result) if a.job in keys]
    parts += [a.text for a in annotations_of(result, "warning") if a.job in keys]
    return "\n".join(parts)


def assert_reached(jobs: Iterable[JobResult], result: ActResult, hostile: Hostile, *, literal: bool = False) -> str:
    """The hostile value got into the jobs: its marker (and, with ``literal``, the ``${{ }}`` text) shows."""
    text = job_text(jobs, result)
    assert hostile.marker in text, f"the hostile value for {hostile.key!r} never showed: the run proves nothing\n" \
        f"{result.tail(60)}"
    if literal:
        for expression in LITERALS:
            assert expression in text, f"{expression!r} did not stay literal text for {hostile.key!r}"
    return text


def assert_refused(jobs: list[JobResult], result: ActResult, *needles: str) -> list[Annotation]:
    """The jobs failed with an ``::error::`` that names what was wrong (every needle in one annotation)."""
    keys = {job.key for job in jobs}
    assert any(job.result == "failure" for job in jobs), f"{sorted(keys)} did not fail\n{result.tail(60)}"
    errors = [a for a in annotations_of(result) if a.job in keys]
    assert errors, "failed without an ::error::\n" + "\n".join(
        f"--- {job.key}: {job.result}\n" + "".join(job.log[-30:]) for job in jobs)
    assert any(all(n in a.text for n in needles) for a in errors), (needles, [a.text for a in errors])
    return errors


def refused_each(result: ActResult, payloads: Payloads, cases: Iterable[tuple[str, str, str]], *,
                 marker: bool = False) -> None:
    """For each ``(caller job, payload key, needle)``: the value reached those jobs and they refused it
    with a message holding ``needle`` (and the payload's marker, with ``marker``)."""
    for job, key, needle in cases:
        jobs = called(result, job)
        assert_reached(jobs, result, payloads(key))
        if marker:
            assert_refused(jobs, result, needle, payloads(key).marker)
        else:
            assert_refused(jobs, result, needle)


def assert_fixture_filled(workflow: Path, provided: Iterable[str]) -> None:
    """Every hostile variable the caller reads is filled by the test (and no other is)."""
    wanted = set(re.findall(r"vars\.(HOSTILE_[A-Z0-9_]+)", workflow.read_text(encoding="utf-8")))
    given = {name for name in provided if name.startswith("HOSTILE_")}
    assert wanted == given, (sorted(wanted), sorted(given))


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def payloads(tmp_path: Path) -> Payloads:
    return Payloads(tmp_path / "canaries")


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path, for canaries of values that must stay short."""
    directory = Path(tempfile.mkdtemp(prefix="pwn", dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(extensions=[github_issues.register]) as server:
        yield server


def hostile_pull_request(repo: CallerRepo, number: int, payloads: Payloads) -> dict[str, Any]:
    """webhooks-examples' pull_request payload for ``repo`` whose title, body, branch and label are hostile."""
    payload = pull_request_payload(repo.slug, number, repo.head)
    pull = payload["pull_request"]
    pull["title"] = payloads("pr-title").single
    pull["body"] = payloads("pr-body").multi
    branch = payloads("pr-branch").branch
    label = payloads("pr-label").branch
    for ref in (branch, label):
        subprocess.run(["git", "check-ref-format", f"refs/heads/{ref}"], check=True)  # a branch GitHub would take
    pull["base"]["sha"] = repo.head  # a commit the clone has (webhooks-examples' is fetched from github.com)
    pull["head"]["ref"] = branch
    pull["head"]["label"] = f"{repo.slug.split('/')[0]}:{label}"
    return payload


def assert_event_reached(result: ActResult, payloads: Payloads) -> None:
    """The probe job saw every hostile field of the pull request, as text."""
    probe = result.job("probe")
    assert probe.succeeded, result.tail()
    for key in ("pr-title", "pr-body", "pr-branch", "pr-label"):
        assert payloads(key).marker in probe.summary, (key, probe.summary)
    assert payloads("pr-title").single in probe.summary
    assert payloads("pr-body").multi in probe.summary
    assert payloads("pr-branch").branch in probe.summary


# ===================================================================== tests


CONTEXTS = {
    "double-quoted": 'echo "{v}"',
    "single-quoted": "echo '{v}'",
    "unquoted": "echo {v}",
    "heredoc": "cat <<EOF\n{v}\nEOF",
}


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_the_payloads_fire_when_a_script_interpolates_them(context: str, tmp_path: Path) -> None:
    """The control for the canaries: pasted into a script (what `${{ }}` in `run:` does), the payloads run."""
    payloads = Payloads(tmp_path / "canaries")
    for form in ("single", "multi", "branch"):
        hostile = payloads(f"{context}-{form}")
        script = CONTEXTS[context].format(v=getattr(hostile, form))
        subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, check=False, timeout=30,
                       env={"PATH": "/usr/bin:/bin", "GITHUB_ENV": str(tmp_path / "env"),
                            "GITHUB_OUTPUT": str(tmp_path / "out")})
        fired = [c.name for c in hostile.canaries if c.exists()]
        assert hostile.canary(5).name in fired, (form, script, fired)  # the polyglot fires everywhere


def reusable_workflows() -> dict[str, list[str]]:
    """``{file name: its string inputs}`` for every workflow of .github/workflows/ with ``on.workflow_call``."""
    found = {}
    for path in sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")]):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        triggers = document.get(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
        if not isinstance(triggers, dict) or "workflow_call" not in triggers:
            continue
        inputs = (triggers["workflow_call"] or {}).get("inputs") or {}
        found[path.name] = sorted(name for name, spec in inputs.items() if (spec or {}).get("type") == "string")
    return found


HOSTILE_BINDING = re.compile(r"^\$\{\{\s*(vars\.HOSTILE_[A-Z0-9_]+|inputs\.[A-Za-z0-9_-]+)\s*\}\}$")


def hostile_cases() -> dict[str, set[str]]:
    """``{reusable workflow: inputs}`` that some caller under fixtures/hostile/ binds to a hostile value."""
    cases: dict[str, set[str]] = {}
    for path in sorted(HOSTILE.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for job in (document.get("jobs") or {}).values():
            uses = job.get("uses") if isinstance(job, dict) else None
            if not isinstance(uses, str) or not uses.startswith("./.github/workflows/"):
                continue
            bound = {name for name, value in (job.get("with") or {}).items() if HOSTILE_BINDING.match(str(value))}
            cases.setdefault(uses.rsplit("/", 1)[1], set()).update(bound)
    return cases


def test_every_reusable_workflow_and_string_input_has_a_hostile_case() -> None:
    """A new reusable workflow, or a new string input, needs a hostile caller here before it can land."""
    workflows = reusable_workflows()
    assert {"policy-check.yml", "promote.yml", "scaffold.yml", "self-check.yml"} <= set(workflows), workflows
    cases = hostile_cases()
    missing = {name: sorted(set(inputs) - cases.get(name, set())) for name, inputs in workflows.items()}
    missing = {name: inputs for name, inputs in missing.items() if inputs or name not in cases}
    assert not missing, (
        "reusable workflows or string inputs without a hostile case — add a job to a caller under "
        f"tests/e2e/fixtures/hostile/ that passes a hostile value, and run it here: {missing}"
    )
    source = Path(__file__).read_text(encoding="utf-8")
    unrun = [p.name for p in HOSTILE.glob("*.yml") if f'"{p.name}"' not in source]
    assert not unrun, f"hostile callers no test runs: {unrun}"


def test_zizmor_finds_no_template_injection(tmp_path: Path) -> None:
    """zizmor's template-injection audit, at its most pedantic, over every workflow, action and hostile caller."""
    zizmor = require_tool("zizmor")
    targets = [*sorted(WORKFLOWS.glob("*.yml")), ROOT / "action.yml", *sorted((ROOT / "actions").glob("*/action.yml")),
               *sorted(HOSTILE.glob("*.yml"))]
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "json", "--persona", "pedantic",
         "--config", str(ROOT / "zizmor.yml"), *map(str, targets)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")},
    )
    assert done.returncode in (0, 10, 11, 12, 13, 14), done.stderr
    findings = json.loads(done.stdout or "[]")
    injections = [f for f in findings if f.get("ident") == "template-injection"]
    assert not injections, json.dumps(injections, indent=2)[:4000]


@pytest.mark.e2e
def test_the_checks_catch_a_workflow_that_interpolates(act: Act, payloads: Payloads, tmp_path: Path) -> None:
    """The control: a workflow that pastes the values into its scripts or prints them is caught."""
    workflow = HOSTILE / "vulnerable-caller.yml"
    repo = act.repo(workflows=[workflow])
    values = {
        "HOSTILE_DOUBLE": payloads("control-double").multi,
        "HOSTILE_SINGLE": payloads("control-single").multi,
        "HOSTILE_UNQUOTED": payloads("control-unquoted").single,
        "HOSTILE_PRINTED": payloads("control-printed").multi,
    }
    assert_fixture_filled(workflow, values)

    result = act.run(repo, workflow.name, variables=values, env=NO_WAY_OUT)

    for key in ("control-double", "control-single", "control-unquoted"):
        assert payloads(key).canary(5).exists(), f"{key}: the polyglot did not fire\n{result.tail()}"
    with pytest.raises(AssertionError, match="a payload ran"):
        assert_harmless(result, payloads, secrets={}, roots=[tmp_path])
    for canary in payloads.canaries():
        canary.unlink(missing_ok=True)
    with pytest.raises(AssertionError, match="injected"):  # the printed value's workflow commands took effect
        assert_harmless(result, payloads, secrets={}, roots=[tmp_path])


@pytest.mark.e2e
def test_self_check_takes_a_hostile_dispatch_input_as_a_path(act: Act, payloads: Payloads, tmp_path: Path) -> None:
    workflow = HOSTILE / "self-check-caller.yml"
    repo = act.repo(workflows=[workflow], reusable=["self-check.yml"], files={".github/idp.yaml": "version: 1\n"})
    path = payloads("self-check-path")
    secrets = made_secrets("GITHUB_TOKEN", "GITOPS_TOKEN")

    values = {"HOSTILE_OPTION": "--help"}
    assert_fixture_filled(workflow, values)

    result = act.run(repo, workflow.name, inputs={"path": path.multi}, variables=values, secrets=secrets,
                     env=NO_WAY_OUT)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base])
    # a path is never an option: `--help` would print lint's usage and pass the check without linting
    option = called(result, "option")
    assert_refused(option, result, "--help is not a directory")
    jobs = called(result, "path")
    assert_reached(jobs, result, path, literal=True)
    # idp resolves the path (the first line's `../../` is folded away); the rest arrives as it was sent
    assert_refused(jobs, result, path.multi.split("\n", 1)[1] + " is not a directory")


@pytest.mark.e2e
def test_policy_check_on_a_hostile_pull_request(
    act: Act, fake: FakeGitHub, payloads: Payloads, tmp_path: Path
) -> None:
    workflow = HOSTILE / "policy-check-caller.yml"
    unscoped = DEPLOYMENT_SAMPLE.read_text(encoding="utf-8").replace("  namespace: shop\n", "")
    assert "namespace:" not in unscoped
    repo = act.repo(workflows=[workflow], reusable=["policy-check.yml"],
                    files={**clean_files(), "unscoped/web.yaml": unscoped})
    remote = fake.state.create_repo("acme", "service")
    fake.state.commit(remote, "change", {"README.md": "hi\n"}, message="a change")
    number = fake.state.open_pull(remote, head="change", title=payloads("pr-title").single).number
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    values = {
        "HOSTILE_PATHS": payloads("policy-paths").multi,
        "HOSTILE_SETS": payloads("policy-sets").multi,
        "HOSTILE_POLICY_DIRS": payloads("policy-dirs").multi,
        "HOSTILE_EXCEPTIONS": payloads("policy-exceptions").single,
        "HOSTILE_NAMESPACE": payloads("policy-namespace").single,
        "HOSTILE_FORMAT": payloads("policy-format").single,
        "HOSTILE_INSTALL_TOOLS": payloads("policy-install-tools").multi,
        "HOSTILE_EXCLUDE": payloads("policy-exclude").multi + "\nunscoped/*",
        "HOSTILE_ARTIFACT_NAME": payloads("policy-artifact").polyglot,
        "HOSTILE_COMMENT": payloads("policy-action-comment").multi,
    }
    assert_fixture_filled(workflow, values)
    secrets = {"GITHUB_TOKEN": fake.bot_token, "COMMENT_TOKEN": fake.bot_token, **made_secrets("GITOPS_TOKEN")}
    env = {**NO_WAY_OUT, "GITHUB_API_URL": fake.api_url, "IDP_E2E_ARTIFACTS": str(artifacts),
           "IDP_POLICY_LIBRARY": str(ROOT)}

    result = act.run(repo, workflow.name, event="pull_request", payload=hostile_pull_request(repo, number, payloads),
                     variables=values, secrets=secrets, env=env, timeout=240)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base])
    assert_event_reached(result, payloads)

    # each line of `paths` is one path, reported missing as it was written (an annotation on that "file")
    paths = called(result, "paths")
    assert_reached(paths, result, payloads("policy-paths"), literal=True)
    missing = {a.properties.split("file=", 1)[1] for a in assert_refused(paths, result, "no such file or directory")
               if "file=" in a.properties}
    assert set(payloads("policy-paths").lines[1:]) <= missing, missing
    refused_each(result, payloads, (
        ("sets", "policy-sets", "unknown policy set"),
        ("policy-dirs", "policy-dirs", "policy directory not found"),
        ("exceptions", "policy-exceptions", "exceptions file not found"),
        ("format", "policy-format", "argument --format: invalid choice"),
        ("install-tools", "policy-install-tools", "unknown tools"),
    ))
    exceptions = called(result, "exceptions")
    assert_refused(exceptions, result, payloads("policy-exceptions").single + ": exceptions file not found")
    # a namespace must be a Kubernetes name before it is given to the objects that name none
    namespace = called(result, "namespace")
    assert_reached(namespace, result, payloads("policy-namespace"), literal=True)
    assert_refused(namespace, result, "is not a Kubernetes namespace name")

    # data: the check passes only because `exclude` arrived (its last glob leaves unscoped/ out),
    # the comment is written, and the report is uploaded under the hostile name
    (data,) = called(result, "data")
    assert data.succeeded, f"{data.errors}\n{result.tail(60)}"
    assert (artifacts / payloads("policy-artifact").polyglot).is_dir(), sorted(artifacts.rglob("*"))
    assert_reached([data], result, payloads("policy-artifact"))
    # the action's own `comment` input, used directly: refused, quoted as one message
    comment = called(result, "action-comment")
    assert_reached(comment, result, payloads("policy-action-comment"), literal=True)
    value = payloads("policy-action-comment").multi
    assert_refused(comment, result, f"input `comment` must be true or false, got `{value}`")

    # (the namespace job comments too: two runs side by side, which the workflow's concurrency group serialises)
    comments = [c.body for c in fake.state.comments_on(remote, number)]
    assert any("Policy check: ✅ passed" in body for body in comments), comments


def known_to_github(world: PromotionWorld, repo: CallerRepo) -> None:
    """Tell the fake GitHub about the caller's commit (the ref its deployments are made for)."""
    with world.github.state.lock:
        service = world.github.state.repo(SERVICE_REPO)
        assert service is not None
        head = service.head("main")
        assert head is not None
        service.commits[repo.head] = Commit(sha=repo.head, tree=dict(head.tree), parents=[], message="caller fixture",
                                            author_name="e2e", author_email="e2e@example.invalid", date=head.date)


def assert_recorded(world: PromotionWorld, reason: Hostile) -> None:
    """A force reason reached the promotion as text: the GitOps commit and the deployment record it (on one line,
    shortened: a reason cannot add trailers to the commit)."""
    done = subprocess.run(["git", "-C", str(world.remote.bare), "log", "--format=%B", world.remote.branch],
                          capture_output=True, text=True, check=True)
    deployments = json.dumps([d.payload for d in world.deployments("dev")])
    for where, text in (("no GitOps commit", done.stdout), ("no deployment", deployments)):
        assert reason.marker in text, f"{where} records the reason:\n{text}"


@pytest.mark.e2e
def test_promote_takes_hostile_inputs_and_dispatch_inputs_as_data(act: Act, payloads: Payloads, tmp_path: Path) -> None:
    workflow = HOSTILE / "promote-caller.yml"
    with PromotionWorld(tmp_path / "world", services=("payments", "orders")) as world:
        config = (world.service_dir / ".github" / "idp.yaml").read_text(encoding="utf-8")
        repo = act.repo(workflows=[workflow], reusable=["promote.yml"], files={".github/idp.yaml": config},
                        slug=SERVICE_REPO)
        known_to_github(world, repo)
        values = {
            "DIGEST": digest(7),
            "HOSTILE_SERVICE": payloads("promote-service").multi,
            "HOSTILE_DIGEST": payloads("promote-digest").multi,
            "HOSTILE_TIMEOUT": payloads("promote-timeout").single,
            "HOSTILE_TO": payloads("promote-to").single,
            "HOSTILE_FORCE_REASON": payloads("promote-force-reason").multi,
        }
        assert_fixture_filled(workflow, values)
        secrets = {"ARGOCD_AUTH_TOKEN": world.argocd.token, "GITOPS_TOKEN": world.github.bot_token,
                   "GITHUB_TOKEN": world.github.bot_token}
        env = {**NO_WAY_OUT, **job_env(world)}
        roots = [tmp_path, act.session.base]

        result = act.run(repo, workflow.name, variables=values, secrets=secrets, env=env, timeout=240)

        assert_harmless(result, payloads, secrets=secrets, roots=roots)
        for job, key, needle in (
            ("service", "promote-service", "service name"),
            ("digest", "promote-digest", "--digest"),
            ("timeout", "promote-timeout", "input `timeout` must be a number of seconds"),
        ):
            jobs = called(result, job)
            assert_reached(jobs, result, payloads(key))
            assert_refused(jobs, result, needle, payloads(key).marker)
            assert not any(j.key.endswith(("promote to staging", "promote to prod")) for j in jobs)
        assert_reached(called(result, "timeout"), result, payloads("promote-timeout"), literal=True)
        # `to` never leaves the expression engine (it only gates the staging and prod jobs): not equal to
        # `staging` or `prod`, it promotes to dev alone
        to = called(result, "to")
        assert [(j.job_id, j.result) for j in to] == [("dev", "success")], result.tail()
        assert world.pinned("orders", "dev") == digest(7)
        # the reason is recorded, as text, in the GitOps commit and the deployment
        (forced,) = called(result, "force-reason")
        assert forced.succeeded and forced.outputs["status"] == "promoted", f"{forced.errors}\n{result.tail(60)}"
        assert world.pinned("payments", "dev") == digest(7)
        assert_recorded(world, payloads("promote-force-reason"))

        # promote.yml dispatched by hand, its form filled with payloads (`to` is a choice on GitHub; act takes any)
        form = {"service": "payments", "digest": digest(8), "to": payloads("dispatch-to").single,
                "force-reason": payloads("dispatch-force-reason").multi, "timeout": "20"}
        dispatched = act.run(repo, "promote.yml", inputs=form, secrets=secrets, env=env, timeout=240)

        assert_harmless(dispatched, payloads, secrets=secrets, roots=roots)
        assert len(dispatched.jobs) == 1, f"{sorted(dispatched.jobs)}\n{dispatched.tail()}"
        (dev,) = dispatched.jobs.values()
        assert dev.succeeded and dev.outputs["status"] == "promoted", f"{dev.errors}\n{dispatched.tail(60)}"
        assert world.pinned("payments", "dev") == digest(8)
        assert_recorded(world, payloads("dispatch-force-reason"))


@pytest.mark.e2e
def test_terraform_takes_hostile_inputs_as_data_or_refuses_them(
    act: Act, fake: FakeGitHub, payloads: Payloads, tmp_path: Path
) -> None:
    workflow = HOSTILE / "terraform-caller.yml"
    files = {"infra/prod/main.tf": ROOT_TF, "modules/naming/main.tf": MODULE_TF, ".github/idp.yaml": IDP_YAML}
    repo = act.repo(workflows=[workflow], reusable=["terraform.yml"], slug="acme/infra", files=files)
    fake.state.create_repo("acme", "infra")
    values = {
        "HOSTILE_MODE": payloads("tf-mode").single,
        "HOSTILE_ROOTS": payloads("tf-roots").multi,
        "HOSTILE_INSTALL_TOOL": payloads("tf-install-tool").multi,
        "HOSTILE_LOCK_TIMEOUT": payloads("tf-lock-timeout").single,
        "HOSTILE_REVIEWED_HASH": payloads("tf-reviewed-hash").single,
        # the OIDC stand-in prints these raw, as no real action would: one line each
        "HOSTILE_AWS_ROLE_ARN": payloads("tf-aws-role-arn").polyglot,
        "HOSTILE_AWS_APPLY_ROLE_ARN": payloads("tf-aws-apply-role-arn").polyglot,
        "HOSTILE_AWS_REGION": payloads("tf-aws-region").polyglot,
    }
    assert_fixture_filled(workflow, values)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    rc = tmp_path / "tofurc"
    rc.write_text(CLI_CONFIG, encoding="utf-8")
    env = {**NO_WAY_OUT, "GITHUB_API_URL": fake.api_url, "IDP_E2E_ARTIFACTS": str(artifacts),
           "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1", "IDP_POLICY_LIBRARY": str(ROOT)}
    secrets = {"GITHUB_TOKEN": fake.bot_token, **made_secrets("PLAN_HASH_KEY", "GITOPS_TOKEN")}

    result = act.run(repo, workflow.name, variables=values, secrets=secrets, env=env, timeout=300)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base])
    refused_each(result, payloads, (
        ("mode", "tf-mode", "mode must be plan, apply or drift"),
        ("roots", "tf-roots", "is outside the repository"),
        ("install-tool", "tf-install-tool", "unknown tools"),
        ("plan", "tf-lock-timeout", "lock timeout must be a duration"),
        ("apply", "tf-reviewed-hash", "the plan changed since it was reviewed"),
    ))
    assert_reached(called(result, "mode"), result, payloads("tf-mode"), literal=True)
    assert_reached(called(result, "plan"), result, payloads("tf-lock-timeout"), literal=True)
    assert_refused(called(result, "apply"), result, "Nothing was applied")
    # the roles and the region reach the OIDC step as text, each exactly as given
    roles = (tmp_path / "aws-roles.txt").read_text(encoding="utf-8").splitlines()
    assert sorted(roles) == sorted([f"idp-terraform-plan {payloads('tf-aws-role-arn').polyglot}",
                                    f"idp-terraform-apply {payloads('tf-aws-apply-role-arn').polyglot}"]), roles
    assert_reached(called(result, "plan"), result, payloads("tf-aws-region"))


def scaffold_request(**parameters: str) -> str:
    """A scaffolding request as Backstage sends it (test_scaffold's), with some parameters replaced."""
    return json.dumps({"template": "python-service", "id": "backstage-task-7",
                       "parameters": {"name": "payments-api", "owner": "group:default/team-payments", "org": "acme",
                                      "description": "Takes payments", **parameters}})


@pytest.mark.e2e
def test_scaffold_takes_a_hostile_backstage_request_and_inputs(
    act: Act, payloads: Payloads, short_dir: Path, tmp_path: Path
) -> None:
    _with_copier(act.session)
    _with_templates(act.session)
    workflow = HOSTILE / "scaffold-caller.yml"
    repo = act.repo(workflows=[workflow], reusable=["scaffold.yml"], slug="acme/idp-actions")
    every_check = "workflows tests kubernetes docker terraform catalog policy scan"
    values = {
        "REQUEST": scaffold_request(),
        # (idp shortens a template name it quotes: short canary paths)
        "HOSTILE_REQUEST": json.dumps({"template": payloads("tpl", short_dir).multi, "parameters": {}}),
        # a description is free text of at most 200 characters: short canary paths
        "HOSTILE_DESCRIBED_REQUEST": scaffold_request(description=payloads("desc", short_dir).polyglot),
        "HOSTILE_COMMAND": payloads("scaffold-command").single,
        "HOSTILE_REPOSITORY": payloads("scaffold-repository").single,
        "HOSTILE_SKIP_CHECKS": f"{payloads('scaffold-skip-checks').multi}\n{every_check}",
        "HOSTILE_INSTALL_TOOLS": payloads("scaffold-install-tools").multi,
        "HOSTILE_SEMGREP_VERSION": payloads("scaffold-semgrep-version").multi,
        "HOSTILE_APP_ID": payloads("scaffold-app-id").single,
    }
    assert_fixture_filled(workflow, values)
    # what a person types into the Backstage form, within its length limits, dispatched as `request`
    name, owner = payloads("nm", short_dir), payloads("ow", short_dir)
    request = scaffold_request(name=f"$(touch {name.canary(2)})",
                               owner=f"$(touch {owner.canary(2)}) \"; touch {owner.canary(1)}; #",
                               description=payloads("scaffold-description").multi)
    secrets = {"SCAFFOLD_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\n" + random_secrets.token_hex(32)
               + "\n-----END RSA PRIVATE KEY-----", **made_secrets("GITHUB_TOKEN", "GITOPS_TOKEN")}

    result = act.run(repo, workflow.name, inputs={"request": request}, variables=values, secrets=secrets,
                     env=NO_WAY_OUT, timeout=360)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base, short_dir])
    # the request is refused parameter by parameter, each named, before anything is rendered
    backstage = called(result, "request")
    errors = assert_refused(backstage, result, f"parameter `name`: '$(touch {name.canary(2)})' does not match",
                            "parameter `owner`", "parameter `description`: contains the control character")
    assert owner.marker in " ".join(a.text for a in errors)
    for job, key, needle in (
        ("request-text", "tpl", "is not a template name"),
        ("command", "scaffold-command", "input `command` must be new or update"),
        ("repository", "scaffold-repository", "repository must look like `owner/name`"),
        ("install-tools", "scaffold-install-tools", "unknown tools"),
        ("app-id", "scaffold-app-id", "app-id must be the GitHub App's numeric ID"),
    ):
        jobs = called(result, job)
        assert_reached(jobs, result, payloads(key))
        assert_refused(jobs, result, needle)
        assert all(j.outputs.get("status") in ("", "failed") for j in jobs), [j.outputs for j in jobs]
    assert_reached(called(result, "command"), result, payloads("scaffold-command"), literal=True)
    # semgrep-version is quoted in one ::error:: (it used to be echoed raw: its lines were workflow commands)
    semgrep = called(result, "semgrep-version")
    assert_refused(semgrep, result, "semgrep-version must look like 1.185.0, got "
                   f"'{payloads('scaffold-semgrep-version').multi}'")
    # the hostile names among the checks to skip are no checks at all: refused by name before anything
    # is rendered (the real ones listed after them change nothing about that)
    skipped = called(result, "skip-checks")
    assert_reached(skipped, result, payloads("scaffold-skip-checks"))
    assert_refused(skipped, result, "unknown self-check(s) to skip")
    assert all(j.outputs.get("status") in ("", "failed") for j in skipped), [j.outputs for j in skipped]


@pytest.mark.e2e
def test_security_scan_on_a_hostile_pull_request(
    act: Act, fake: FakeGitHub, payloads: Payloads, tmp_path: Path
) -> None:
    workflow = HOSTILE / "security-scan-caller.yml"
    clean = materialize("clean", tmp_path / "clean")
    repo = act.repo(workflows=[workflow], reusable=["security-scan.yml"],
                    files={str(p.relative_to(clean)): p for p in clean.rglob("*") if p.is_file()})
    remote = fake.state.create_repo("acme", "service")
    fake.state.commit(remote, "change", {"README.md": "hi\n"}, message="a change")
    number = fake.state.open_pull(remote, head="change", title=payloads("pr-title").single).number
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    values = {
        "TRIVY_CACHE_DIR": str(build_db(tmp_path / "trivy-cache")),
        "HOSTILE_PATH": payloads("scan-path").multi,
        "HOSTILE_SEVERITY_THRESHOLD": payloads("scan-severity").single,
        "HOSTILE_SCANNERS": payloads("scan-scanners").branch,  # split at commas and spaces: no spaces
        "HOSTILE_IGNORE_UNFIXED": payloads("scan-ignore-unfixed").single,
        "HOSTILE_IMAGE": payloads("scan-image").multi,
        "HOSTILE_BASE": payloads("scan-base").single,
        "HOSTILE_COMMENT": payloads("scan-comment").single,
        "HOSTILE_TRIVY_CACHE_DIR": payloads("scan-cache-dir").multi,
        "HOSTILE_SKIP_DB_UPDATE": payloads("scan-skip-db-update").single,
    }
    assert_fixture_filled(workflow, values)
    secrets = {"GITHUB_TOKEN": fake.bot_token, **made_secrets("GITOPS_TOKEN")}
    env = {**NO_WAY_OUT, "GITHUB_API_URL": fake.api_url, "IDP_E2E_ARTIFACTS": str(artifacts),
           "IDP_POLICY_LIBRARY": str(ROOT)}

    result = act.run(repo, workflow.name, event="pull_request", payload=hostile_pull_request(repo, number, payloads),
                     variables=values, secrets=secrets, env=env, timeout=300)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base])
    assert_event_reached(result, payloads)
    refused_each(result, payloads, (
        ("path", "scan-path", "cannot scan"),
        ("severity-threshold", "scan-severity", "input `severity-threshold`: unknown severity"),
        ("scanners", "scan-scanners", "input `scanners`: unknown scanner"),
        ("ignore-unfixed", "scan-ignore-unfixed", "input `ignore-unfixed` must be a boolean"),
        ("image", "scan-image", "the scan did not complete"),
        ("base", "scan-base", "the base '"),
        ("comment", "scan-comment", "input `comment` must be one of auto, always, never"),
        ("trivy-cache-dir", "scan-cache-dir", "no vulnerability DB in"),
        ("skip-db-update", "scan-skip-db-update", "input `skip-db-update` must be a boolean"),
    ), marker=True)
    for job, key in (("severity-threshold", "scan-severity"), ("base", "scan-base"), ("comment", "scan-comment")):
        assert_reached(called(result, job), result, payloads(key), literal=True)
    # every line of `image` is one image reference, refused by Trivy as it was written
    image = " ".join(a.text for a in annotations_of(result) if a.job.startswith("image/"))
    for line in payloads("scan-image").lines[2:]:
        assert f"trivy image {line}: " in image, line


@pytest.fixture
def trivy_mirror(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A release mirror on 127.0.0.1 serving this machine's trivy, and a manifest pinning its SHA-256.

    trivy-db-refresh installs trivy with `idp tools install` (IDP_TOOLS_MIRROR, IDP_TOOLS_MANIFEST).
    """
    trivy = Path(require_tool("trivy")).resolve()
    version = re.search(r"Version: (\S+)", subprocess.run([str(trivy), "--version"], capture_output=True, text=True,
                                                         check=True).stdout)
    assert version, "trivy --version printed no version"
    release = f"/aquasecurity/trivy/releases/download/v{version.group(1)}/trivy"
    served = tmp_path / "mirror" / release.lstrip("/")
    served.parent.mkdir(parents=True)
    served.symlink_to(trivy)
    entry = {"url": f"https://github.com{release}", "sha256": hashlib.sha256(trivy.read_bytes()).hexdigest(),
             "archive": "raw", "binary": "trivy"}
    manifest = tmp_path / "tools.json"
    manifest.write_text(json.dumps({"schema": 1, "tools": {"trivy": {"version": version.group(1),
                                                                    "platforms": {"linux-amd64": entry}}}}),
                        encoding="utf-8")
    handler = partial(_QuietHandler, directory=str(tmp_path / "mirror"))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"IDP_TOOLS_MIRROR": f"http://127.0.0.1:{server.server_address[1]}",
                   "IDP_TOOLS_MANIFEST": str(manifest)}
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.mark.e2e
def test_trivy_db_refresh_takes_a_hostile_db_repository(
    act: Act, payloads: Payloads, trivy_mirror: dict[str, str], tmp_path: Path
) -> None:
    workflow = HOSTILE / "trivy-db-refresh-caller.yml"
    repo = act.repo(workflows=[workflow], reusable=["trivy-db-refresh.yml"])
    db = payloads("db-repository")
    values = {"HOSTILE_DB_REPOSITORY": f"{db.branch}\n{db.multi}"}  # trivy quotes the first word: one without spaces
    assert_fixture_filled(workflow, values)
    secrets = made_secrets("GITHUB_TOKEN", "GITOPS_TOKEN")

    result = act.run(repo, workflow.name, variables=values, secrets=secrets, env={**NO_WAY_OUT, **trivy_mirror},
                     timeout=240)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base])
    jobs = called(result, "db-repository")
    assert_reached(jobs, result, db)
    assert_refused(jobs, result, f"invalid DB repository: could not parse reference: {db.branch}")


@pytest.mark.e2e
def test_service_ci_takes_hostile_inputs_as_data_or_refuses_them(act: Act, payloads: Payloads, tmp_path: Path) -> None:
    workflow = HOSTILE / "service-ci-caller.yml"
    clean = materialize("clean", tmp_path / "clean")
    files: dict[str, str | Path] = {str(p.relative_to(clean)): p for p in clean.rglob("*") if p.is_file()}
    # the policies want the base image by digest (the image job never gets as far as pulling it)
    dockerfile = (clean / "Dockerfile").read_text(encoding="utf-8")
    files["Dockerfile"] = dockerfile.replace("FROM python:3.12-slim\n", f"FROM python:3.12-slim@sha256:{'4b7c' * 16}\n")
    assert files["Dockerfile"] != dockerfile
    repo = act.repo(workflows=[workflow], reusable=["service-ci.yml"],
                    files={**files, ".github/idp.yaml": "version: 1\n"})
    values = {
        "TRIVY_CACHE_DIR": str(build_db(tmp_path / "trivy-cache")),
        "HOSTILE_WORKING_DIRECTORY": payloads("ci-working-directory").multi,
        "HOSTILE_LANGUAGE": payloads("ci-language").single,
        "HOSTILE_POLICY_PATHS": payloads("ci-policy-paths").multi,
        "HOSTILE_SEVERITY_THRESHOLD": payloads("ci-severity").single,
        "HOSTILE_TEST_COMMAND": payloads("ci-test-command").multi,
        "HOSTILE_TRIVY_CACHE_DIR": payloads("ci-cache-dir").multi,
        "HOSTILE_SERVICE": payloads("ci-service").multi,
        "HOSTILE_BUILDER": payloads("ci-builder").single,
        "HOSTILE_IMAGE": payloads("ci-image").single,
        "HOSTILE_DOCKERFILE": payloads("ci-dockerfile").multi,
    }
    assert_fixture_filled(workflow, values)
    secrets = made_secrets("GITHUB_TOKEN", "GITOPS_TOKEN", "ARGOCD_AUTH_TOKEN")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {**NO_WAY_OUT, "IDP_E2E_ARTIFACTS": str(artifacts), "IDP_POLICY_LIBRARY": str(ROOT)}

    result = act.run(repo, workflow.name, variables=values, secrets=secrets, env=env, timeout=420)

    assert_harmless(result, payloads, secrets=secrets, roots=[tmp_path, act.session.base])

    def job(caller: str, job_id: str) -> list[JobResult]:
        found = [j for j in called(result, caller) if j.job_id == job_id]
        assert len(found) == 1, (caller, job_id, sorted(result.jobs))
        return found

    def outcome(caller: str) -> dict[str, str]:
        return {j.job_id: j.result for j in called(result, caller)}

    # the working directory reaches every job; each refuses it (the policy job's step cannot even start there)
    assert_reached(called(result, "working-directory"), result, payloads("ci-working-directory"), literal=True)
    assert_refused(job("working-directory", "test"), result, payloads("ci-working-directory").marker)
    assert_refused(job("working-directory", "security-scan"), result, "cannot scan")
    assert outcome("working-directory") == {"test": "failure", "security-scan": "failure", "policy-check": "failure"}
    # one hostile value in each of the test, scan and policy jobs
    for job_id, key, needle in (("test", "ci-language", "unknown language"),
                                ("security-scan", "ci-severity", "input `severity-threshold`: unknown severity"),
                                ("policy-check", "ci-policy-paths", "no such file or directory")):
        assert_reached(job("inputs", job_id), result, payloads(key))
        assert_refused(job("inputs", job_id), result, needle, payloads(key).marker)
    # a test command is split into words and run without a shell: its first word is no command
    assert_reached(job("later", "test"), result, payloads("ci-test-command"))
    assert_refused(job("later", "test"), result, "`../../$(touch` was not found")
    assert_refused(job("later", "security-scan"), result, "no vulnerability DB in", payloads("ci-cache-dir").marker)
    assert outcome("later")["policy-check"] == "success"
    # with test, scan and policy passed, the image job reads the rest, and nothing is built, pushed or promoted
    for caller, key, needle in (("service", "ci-service", "service name"),
                                ("builder", "ci-builder", "unknown builder"),
                                ("image", "ci-image", "invalid repository name"),
                                ("dockerfile", "ci-dockerfile", "there is no Dockerfile at")):
        assert outcome(caller) == {"test": "success", "security-scan": "success", "policy-check": "success",
                                   "image": "failure"}, (caller, outcome(caller), result.tail(60))
        assert_reached(job(caller, "image"), result, payloads(key))
        assert_refused(job(caller, "image"), result, needle, payloads(key).marker)
    assert_reached(job("service", "image"), result, payloads("ci-service"), literal=True)
    assert_reached(job("image", "image"), result, payloads("ci-image"), literal=True)
