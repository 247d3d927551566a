"""The act harness refuses, before act starts, anything that would leave the machine.

These run without act (fast); the e2e tests beside them run act itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import (
    ROOT,
    SELF_REPO,
    HarnessError,
    default_payload,
    local_repositories,
    parse_log,
    stubs,
)

STEPS = "name: w\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {uses}\n"


def _workflow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_pinned_third_party_action_in_the_repository_has_a_stand_in_at_that_pin() -> None:
    stand_ins = stubs()
    documents = [
        *ROOT.glob(".github/workflows/*.yml"),
        *ROOT.glob("workflows/**/*.yml"),
        *ROOT.glob("action.yml"),
        *ROOT.glob("actions/*/action.yml"),
        *ROOT.glob("tests/e2e/fixtures/**/*.yml"),
    ]
    pins = {
        match
        for document in documents
        for match in re.findall(r"uses:\s*([\w.-]+/[\w.-]+)(?:/[^@\s]*)?@([0-9a-f]{40})", document.read_text())
    }
    assert pins, "no SHA-pinned actions found"
    for repo, sha in sorted(pins):
        assert repo in stand_ins, f"{repo}@{sha} has no stand-in under tests/e2e/stubs/{repo}"
        assert stand_ins[repo].ref == sha, f"{repo} is pinned to {sha}, its stand-in names {stand_ins[repo].ref}"


def test_stand_ins_are_composite_actions_that_document_every_input() -> None:
    for stub in stubs().values():
        # an action repository may hold its actions in subfolders (github/codeql-action/upload-sarif)
        actions = sorted(stub.directory.rglob("action.yml"))
        assert actions, f"{stub.repo}: no action.yml"
        for action in actions:
            metadata = yaml.safe_load(action.read_text())
            assert metadata["runs"]["using"] == "composite", action
            for name, spec in (metadata.get("inputs") or {}).items():
                assert spec.get("description"), f"{action}: input {name} has no description"


def test_maps_stand_ins_and_our_actions(tmp_path: Path) -> None:
    setup_python = stubs()["actions/setup-python"]
    workflow = _workflow(
        tmp_path,
        "name: w\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/setup-python@{setup_python.ref} # v5.6.0\n"
        f"      - uses: {SELF_REPO}/actions/setup@main\n",
    )

    mappings = local_repositories(workflow, tmp_path, ROOT)

    assert mappings[f"actions/setup-python@{setup_python.ref}"] == setup_python.directory
    assert mappings[f"{SELF_REPO}@main"] == ROOT
    # the actions our setup action uses are found by following it
    assert any(spec.startswith("actions/cache@") for spec in mappings)


@pytest.mark.parametrize(
    ("uses", "reason"),
    [
        ("someone/else@0123456789abcdef0123456789abcdef01234567", "has no offline stand-in"),
        ("actions/setup-python@v5", "stands in for"),
        (f"{SELF_REPO}/actions/setup@v1", "referenced at @main"),
        ("docker://alpine:3", "needs Docker"),
        ("./missing", "does not exist"),
    ],
)
def test_refuses_what_act_would_fetch(tmp_path: Path, uses: str, reason: str) -> None:
    workflow = _workflow(tmp_path, STEPS.format(uses=uses))
    with pytest.raises(HarnessError, match=re.escape(reason)):
        local_repositories(workflow, tmp_path, ROOT)


def test_refuses_a_reusable_workflow_by_remote_path(tmp_path: Path) -> None:
    workflow = _workflow(
        tmp_path, f"name: w\non: push\njobs:\n  a:\n    uses: {SELF_REPO}/.github/workflows/self-check.yml@main\n"
    )
    with pytest.raises(HarnessError, match="act issue 2390"):
        local_repositories(workflow, tmp_path, ROOT)


def test_default_payloads_come_from_webhooks_examples() -> None:
    dispatch = default_payload("workflow_dispatch")
    assert dispatch["ref"].startswith("refs/heads/")
    assert default_payload("pull_request")["action"] == "opened"
    assert "commits" in default_payload("push")
    with pytest.raises(HarnessError):
        default_payload("no_such_event")


def test_parse_log_reads_results_outputs_errors_and_summary() -> None:
    lines = [
        '{"job":"w/a","jobID":"a","msg":"⭐ Run Main x","stage":"Main","step":"x","stepID":["s"]}',
        '{"job":"w/a","jobID":"a","command":"set-output","name":"v","arg":"1","stepID":["s"],"msg":"o"}',
        '{"job":"w/a","jobID":"a","command":"summary","content":"## hi\\n","msg":"s"}',
        '{"job":"w/a","jobID":"a","command":"error","arg":"bad thing","msg":"e"}',
        '{"job":"w/a","jobID":"a","stage":"Main","step":"x","stepID":["s"],"stepResult":"failure","msg":"f"}',
        '{"job":"w/a","jobID":"a","jobResult":"failure","msg":"🏁  Job failed"}',
        "not json",
    ]
    job = parse_log("\n".join(lines))["w/a"]
    assert job.result == "failure"
    assert job.step_outputs == {("s",): {"v": "1"}}
    assert job.summary == "## hi\n"
    assert job.errors == ["bad thing"]
    assert job.step("s").result == "failure"
