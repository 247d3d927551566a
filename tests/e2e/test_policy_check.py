"""The policy-check reusable workflow and action under act, on fixture repositories with and without violations.

The violating repository is put together from the policy library's own samples (the
source of truth for what each policy denies) plus a Dockerfile that follows `latest`
and never leaves root (tests/e2e/fixtures/policy/violations/):

* ``deploy/web.yaml`` — the image-digests ``tags`` sample (a Deployment that breaks
  most Kubernetes policies of the baseline set), then ``---`` and the service-exposure
  sample (a NodePort Service without the approval annotation), so one violation sits
  on a later line of the file;
* ``infra/plan.json`` — the s3-public-access ``denied_public_website`` plan, whose
  ``expected.out`` lists the messages conftest gives for it.

The pull-request run goes against the fake GitHub on 127.0.0.1 (sticky comment); opa
comes from .tools/bin (act runs offline, nothing is installed).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES, ROOT, ActResult, default_payload
from tests.fakes import github_issues
from tests.fakes.github_server import FakeGitHub

pytestmark = pytest.mark.e2e

CALLER = FIXTURES / "callers" / "policy-check-caller.yml"
POLICY_FIXTURES = FIXTURES / "policy"
SAMPLES = ROOT / "policies"
DEPLOYMENT_SAMPLE = SAMPLES / "kubernetes" / "image-digests" / "samples" / "tags" / "example_disallowed.yaml"
SERVICE_SAMPLE = SAMPLES / "kubernetes/service-exposure/samples/default-annotation/example_disallowed.yaml"
PLAN_SAMPLE = SAMPLES / "terraform" / "s3-public-access" / "samples" / "denied_public_website"
CLEAN_PLAN_SAMPLE = SAMPLES / "terraform" / "rds-security" / "samples" / "allowed_private_encrypted" / "plan.json"
CLEAN_DOCKERFILE_SAMPLE = SAMPLES / "docker" / "non-root-user" / "samples" / "allowed_app_user" / "Dockerfile"
IDP_YAML = "version: 1\npolicy:\n  sets: [baseline]\n"
CHECK_STEP = "Check policies"
MAX_ANNOTATIONS = 50  # idp_actions.policy.report.MAX_ANNOTATIONS
TIMEOUT = 150  # one act run: setup from the seeded venv, one idp policy check (a few seconds of opa)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(extensions=[github_issues.register]) as server:
        yield server


def violating_files() -> dict[str, str | Path]:
    deployment = DEPLOYMENT_SAMPLE.read_text(encoding="utf-8")
    service = SERVICE_SAMPLE.read_text(encoding="utf-8")
    return {
        ".github/idp.yaml": IDP_YAML,
        "Dockerfile": POLICY_FIXTURES / "violations" / "Dockerfile",
        "deploy/web.yaml": deployment.rstrip("\n") + "\n---\n" + service,
        "infra/plan.json": PLAN_SAMPLE / "plan.json",
    }


def clean_files() -> dict[str, str | Path]:
    return {
        ".github/idp.yaml": IDP_YAML,
        "Dockerfile": CLEAN_DOCKERFILE_SAMPLE,
        "deploy/web.yaml": POLICY_FIXTURES / "clean" / "deploy" / "web.yaml",
        "infra/plan.json": CLEAN_PLAN_SAMPLE,
    }


COMMAND_RE = re.compile(r"^::(?P<level>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<message>.*)$", re.S)


def _unescape(value: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def workflow_commands(result: ActResult, level: str = "error") -> list[dict[str, Any]]:
    """Every ``::<level>`` workflow command act logged, with its file, line and title.

    Read from the raw command (act's own ``kvPairs`` drop a value that contains ``=``).
    """
    found = []
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("command") != level:
            continue
        match = COMMAND_RE.match(str(entry.get("raw", "")).rstrip("\n"))
        assert match, entry
        pairs = dict(item.split("=", 1) for item in (match.group("properties") or "").split(",") if "=" in item)
        found.append({"message": _unescape(match.group("message")), "file": _unescape(pairs.get("file", "")) or None,
                      "line": int(pairs["line"]) if pairs.get("line") else None,
                      "title": _unescape(pairs["title"]) if "title" in pairs else None})
    return found


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def pull_request_payload(slug: str, number: int, head: str) -> dict[str, Any]:
    payload = default_payload("pull_request")
    owner, name = slug.split("/")
    payload["number"] = number
    pull = payload["pull_request"]
    pull["number"] = number
    pull["head"]["sha"] = head
    pull["head"]["repo"] = {**pull["head"]["repo"], "fork": False, "full_name": slug, "name": name}
    payload["repository"].update(full_name=slug, name=name, default_branch="main")
    payload["repository"]["owner"]["login"] = owner
    return payload


def test_violations_fail_the_job_with_annotations_a_summary_a_report_and_one_sticky_comment(
    act: Act, fake: FakeGitHub, tmp_path: Path
) -> None:
    files = violating_files()
    repo = act.repo(workflows=[CALLER], reusable=["policy-check.yml"], files=files)
    remote = fake.state.create_repo("acme", "service")
    fake.state.commit(remote, "change", {"Dockerfile": "FROM python:latest\n"}, message="a change")
    number = fake.state.open_pull(remote, head="change", title="Add the service").number
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {
        "GITHUB_API_URL": fake.api_url,
        "IDP_E2E_ARTIFACTS": str(artifacts),
        # the harness's snapshot of our actions leaves policies/ out: point the engine at ours
        "IDP_POLICY_LIBRARY": str(ROOT),
    }
    secrets = {"GITHUB_TOKEN": fake.bot_token}
    # multi-line input, one path per line, with blanks and surrounding spaces to trim
    variables = {"PATHS": "deploy\n\n  infra/plan.json  \nDockerfile\n"}

    result = act.run(
        repo, "policy-check-caller.yml", event="pull_request",
        payload=pull_request_payload(repo.slug, number, repo.head),
        env=env, secrets=secrets, variables=variables, timeout=TIMEOUT,
    )

    check = result.job("policy-check")
    assert not check.succeeded, result.tail()
    assert result.returncode != 0
    assert check.step(CHECK_STEP).result == "failure"
    assert not any("internal error" in e for e in check.errors), check.errors

    # annotations: file:line, policy in the title, the policy's own message
    errors = workflow_commands(result)
    where = {(a["file"], a["line"], a["title"]) for a in errors}
    web = str(files["deploy/web.yaml"])
    service_line = line_of(web, "kind: Service") - 1  # the document starts at apiVersion
    assert ("deploy/web.yaml", 1, "required-labels (deny)") in where, errors
    assert ("deploy/web.yaml", 1, "image-digests (deny)") in where
    assert ("deploy/web.yaml", 1, "run-as-non-root (deny)") in where
    assert ("deploy/web.yaml", service_line, "service-exposure (deny)") in where
    assert ("Dockerfile", 1, "no-latest-tag (deny)") in where
    assert ("Dockerfile", 1, "non-root-user (deny)") in where
    plan_text = (PLAN_SAMPLE / "plan.json").read_text(encoding="utf-8")
    bucket_line = line_of(plan_text, '"address": "aws_s3_bucket_acl.website"')
    assert ("infra/plan.json", line_of(plan_text, '"address": "aws_s3_bucket_public_access_block.website"'),
            "s3-public-access (deny)") in where
    messages = {a["message"] for a in errors}
    assert 'Deployment shop/web must have the label "owner"' in messages
    assert "FROM python:latest: the final stage sets no USER, so the container runs as root; add USER with a " \
           "non-root user" in messages

    # the step summary: the first violations by location, the headline and every policy with its counts
    summary = check.summary
    assert "Policy check: ❌ failed" in summary, summary
    assert "| Dockerfile:1 | non-root-user (deny): FROM python:latest: the final stage sets no USER" in summary
    assert "| deploy/web.yaml:1 | allowed-registries (deny): Deployment shop/web:" in summary
    assert "checked 2 kubernetes, 1 terraform, 1 docker against" in summary
    for policy, area, count in (("s3-public-access", "terraform", 4), ("s3-encryption", "terraform", 2),
                                ("service-exposure", "kubernetes", 1), ("required-labels", "kubernetes", 6),
                                ("non-root-user", "docker", 1), ("no-latest-tag", "docker", 1)):
        assert re.search(rf"^\| {policy} \| {area} \| [^|]+ \| [^|]+ \| {count} \|", summary, re.M), policy

    # outputs of the action, as the called job's outputs (act runs no job after a failed one, so the
    # caller's report job is exercised by the clean run)
    outputs = check.outputs
    assert outputs["result"] == "failed", outputs
    denied = int(outputs["denied"])
    assert outputs["warnings"] == "0"
    assert re.search(rf"against \d+ policies \(baseline\): {denied} denied, 0 warnings", summary), summary
    assert f"Top 10 of {denied}" in summary

    # GitHub shows a bounded number of annotations: idp writes the first 50 and says where the rest are
    if denied > MAX_ANNOTATIONS:
        assert len(errors) == MAX_ANNOTATIONS
        notices = [a["message"] for a in workflow_commands(result, "notice")]
        assert f"{denied - MAX_ANNOTATIONS} more policy findings are in the step summary and the report" in notices
    else:
        assert len(errors) == denied

    # the SARIF report, uploaded as the artifact, holds every violation, with the samples' own messages
    (sarif_file,) = (artifacts / "policy-report").glob("*.sarif")
    sarif = json.loads(sarif_file.read_text(encoding="utf-8"))
    (run,) = sarif["runs"]
    assert len(run["results"]) == denied
    located = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"], r["message"]["text"])
               for r in run["results"]}
    expected = [  # conftest's verdict on the sample: `FAIL - <namespace> - <message>`
        line.split(" - ", 2)[2]
        for line in (PLAN_SAMPLE / "expected.out").read_text(encoding="utf-8").splitlines()
        if line.startswith("FAIL - ")
    ]
    plan_results = {(line, text) for uri, line, text in located if uri == "infra/plan.json"}
    assert expected and {text for _, text in plan_results} >= set(expected), (expected, plan_results)
    assert (bucket_line, next(m for m in expected if m.startswith("aws_s3_bucket_acl.website"))) in plan_results
    assert any(uri == "Dockerfile" and line == 1 for uri, line, _ in located)

    # one sticky comment on the pull request
    (comment,) = fake.state.comments_on(remote, number)
    assert "idp-actions:sticky purpose=policy-check" in comment.body
    assert "Policy check: ❌ failed" in comment.body and "s3-public-access" in comment.body

    # the next run on the same pull request updates that comment in place
    shutil.rmtree(artifacts)
    artifacts.mkdir()
    again = act.run(
        repo, "policy-check-caller.yml", event="pull_request",
        payload=pull_request_payload(repo.slug, number, repo.head),
        env=env, secrets=secrets, variables=variables, timeout=TIMEOUT,
    )
    assert again.job("policy-check").outputs["denied"] == str(denied), again.tail()
    (updated,) = fake.state.comments_on(remote, number)
    assert updated.id == comment.id and updated.body == comment.body


def test_a_clean_repository_passes(act: Act, tmp_path: Path) -> None:
    repo = act.repo(workflows=[CALLER], reusable=["policy-check.yml"], files=clean_files())
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {"IDP_E2E_ARTIFACTS": str(artifacts), "IDP_POLICY_LIBRARY": str(ROOT)}

    # workflow_dispatch with no paths: the whole repository, its workflows included
    result = act.run(repo, "policy-check-caller.yml", env=env, timeout=TIMEOUT)

    check = result.job("policy-check")
    assert check.succeeded, f"{workflow_commands(result)}\n{result.tail()}"
    assert check.step(CHECK_STEP).result == "success"
    assert workflow_commands(result) == [] and workflow_commands(result, "warning") == []
    assert "Policy check: ✅ passed" in check.summary, check.summary
    headline = re.search(r"checked (.*?) against", check.summary)
    assert headline and all(kind in headline.group(1) for kind in ("kubernetes", "terraform", "docker",
                                                                     "workflows")), check.summary
    outputs = result.job("report").step_outputs[("report",)]
    assert outputs == {"result": "passed", "denied": "0", "warnings": "0", "job": "success"}, outputs
    (sarif_file,) = (artifacts / "policy-report").glob("*.sarif")
    assert json.loads(sarif_file.read_text(encoding="utf-8"))["runs"][0]["results"] == []


def test_inputs_are_arguments_never_shell_words(act: Act, tmp_path: Path) -> None:
    """A path that looks like shell code or an option stays one path: idp reports it as missing."""
    repo = act.repo(workflows=[CALLER], reusable=["policy-check.yml"], files=clean_files())
    canary = tmp_path / "pwned"
    hostile = f"deploy\n$(touch {canary})\n--set=none\n  ; touch {canary}\n"

    result = act.run(repo, "policy-check-caller.yml", inputs={"paths": hostile},
                     env={"IDP_E2E_ARTIFACTS": str(tmp_path), "IDP_POLICY_LIBRARY": str(ROOT)}, timeout=TIMEOUT)

    check = result.job("policy-check")
    assert not check.succeeded, result.tail()
    assert not canary.exists()
    problems = {(a["file"], a["message"]) for a in workflow_commands(result)}
    assert problems == {
        (f"$(touch {canary})", "no such file or directory"),
        ("--set=none", "no such file or directory"),
        (f"; touch {canary}", "no such file or directory"),
    }, problems
    assert "(baseline)" in check.summary  # `--set=none` was a path, not an option


def test_every_input_reaches_the_check() -> None:
    """Every action input is mapped into the step (env or with), and the workflow forwards every action input
    it offers; none is silently dropped."""
    action = yaml.safe_load((ROOT / "actions" / "policy-check" / "action.yml").read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    used = json.dumps(steps)
    for name in action["inputs"]:
        assert f"inputs.{name} }}}}" in used, f"input `{name}` is not used by any step"
    check = next(s for s in steps if s.get("id") == "check")
    for variable in check["env"]:
        assert re.search(rf"\$\{{?{variable}\b", check["run"]), f"env {variable} is not read by the script"
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "policy-check.yml").read_text(encoding="utf-8"))
    call = workflow[True]["workflow_call"]
    (job,) = workflow["jobs"].values()
    step = next(s for s in job["steps"] if s.get("id") == "check")
    for name in call["inputs"]:
        if name in ("upload-report", "artifact-name"):
            continue  # the workflow's own (the upload step)
        assert name in step["with"] and f"inputs.{name}" in step["with"][name], f"`{name}` is not forwarded"
    assert set(step["with"]) <= set(action["inputs"])
