"""Plan → sticky comment → apply exactly what was reviewed, with real tofu and the fake GitHub."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from idp_actions.comment import COMMENT_LIMIT, github_length
from idp_actions.terraform.record import decode
from tests.fakes import github_issues
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openapi import nonconforming
from tests.integration.fixtures.terraform.state_server import StateServer
from tests.integration.fixtures.terraform.tofu import Infra, make_infra, tofu

PROD = "infra/prod"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(extensions=[github_issues.register]) as server:
        yield server
    problems = nonconforming(server.exchanges)
    assert not problems, "the fake GitHub answered outside GitHub's OpenAPI description:\n" + "\n".join(problems)


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions_env: dict[str, Path], fake: FakeGitHub) -> Infra:
    return make_infra(tmp_path, monkeypatch, actions_env, fake)


def plan_on_pull(infra: Infra, number: int, root: str = PROD, *extra: str) -> dict[str, str]:
    code, outputs, _ = infra.run("terraform", "plan", "--root", root, "--comment", "--pr", str(number), *extra)
    assert code == 0
    return outputs


def apply_merged(infra: Infra, sha: str, root: str = PROD, *extra: str) -> tuple[int, dict[str, str], str]:
    os.environ["GITHUB_SHA"] = sha
    os.environ["GITHUB_REF_NAME"] = "main"
    return infra.run("terraform", "apply", "--root", root, *extra)


def test_happy_path_plan_comment_apply(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    number = infra.open_pull()
    outputs = plan_on_pull(infra, number)
    assert outputs["has-changes"] == "true"
    assert outputs["summary"] == "3 to add, 0 to change, 0 to destroy, 0 to replace"
    (body,) = infra.comments(number)
    assert body.startswith(f"<!-- idp-actions:sticky purpose=terraform-plan key={PROD}:default -->")
    (record,) = decode(body)
    assert record.plan_hash == outputs["plan-hash"] and record.tool == "tofu 1.12.6"
    assert "pa55-w0rd-from-default" not in body
    assert "```mermaid" in body and "terraform_data.item[1]" in body

    # a second plan of the same PR updates the one comment in place
    plan_on_pull(infra, number)
    assert len(infra.comments(number)) == 1

    sha = infra.merge(number)
    code, outputs, summary = apply_merged(infra, sha)
    captured = capsys.readouterr()
    assert code == 0, captured.out[-600:] + captured.err[-1500:]
    assert outputs["verdict"] == "apply" and outputs["applied"] == "true"
    assert outputs["reviewed-hash"] == record.plan_hash == outputs["plan-hash"]
    assert "✅ infra/prod:default: applied" in summary
    assert infra.state_list(PROD) == [
        "terraform_data.credentials", "terraform_data.item[0]", "terraform_data.item[1]"
    ]


def test_plan_changed_between_review_and_apply_is_refused(infra: Infra) -> None:
    number = infra.open_pull()
    plan_on_pull(infra, number)
    sha = infra.merge(number)
    # the variables differ at apply time: the plan is no longer the one reviewed
    code, outputs, summary = apply_merged(infra, sha, PROD, "--var", "size=3")
    assert code == 1
    assert outputs["failure-reason"] == "plan-changed" and outputs["applied"] == "false"
    assert "apply refused (plan-changed)" in summary and "the plan differs" in summary
    assert infra.state_list(PROD) == []  # nothing touched


def test_state_changed_out_of_band_is_refused_and_resources_untouched(infra: Infra) -> None:
    number = infra.open_pull()
    plan_on_pull(infra, number)
    # someone applies by hand after the review
    tofu(["apply", "-auto-approve", "-input=false", "-var", "size=1"], infra.root / PROD, infra.env)
    before = (infra.root / PROD / "terraform.tfstate").read_bytes()
    code, outputs, _ = apply_merged(infra, infra.merge(number))
    assert code == 1 and outputs["failure-reason"] == "plan-changed"
    assert (infra.root / PROD / "terraform.tfstate").read_bytes() == before


def test_no_change_plan_says_so_and_apply_is_a_no_op(infra: Infra) -> None:
    tofu(["init", "-input=false"], infra.root / PROD, infra.env)
    tofu(["apply", "-auto-approve", "-input=false"], infra.root / PROD, infra.env)
    number = infra.open_pull()
    outputs = plan_on_pull(infra, number)
    assert outputs["has-changes"] == "false" and outputs["summary"] == "no changes"
    (body,) = infra.comments(number)
    assert "✅ **No changes.**" in body
    serial = (infra.root / PROD / "terraform.tfstate").read_bytes()
    code, outputs, _ = apply_merged(infra, infra.merge(number))
    assert code == 0 and outputs["verdict"] == "no-op" and outputs["applied"] == "false"
    assert (infra.root / PROD / "terraform.tfstate").read_bytes() == serial


def test_apply_without_a_reviewed_plan_is_refused(infra: Infra) -> None:
    number = infra.open_pull()
    code, outputs, _ = apply_merged(infra, infra.merge(number))
    assert code == 1 and outputs["failure-reason"] == "not-reviewed"
    assert infra.state_list(PROD) == []


def test_a_record_pasted_by_someone_else_is_not_trusted(infra: Infra) -> None:
    number = infra.open_pull()
    plan_on_pull(infra, number)
    (body,) = infra.comments(number)
    infra.fake.state.comments.clear()
    infra.fake.state.repo("acme/infra").issues[number].comment_ids.clear()
    mallory = infra.fake.state.account("mallory")
    infra.fake.state.add_comment(infra.repo, number, body, user=mallory)
    code, outputs, _ = apply_merged(infra, infra.merge(number))
    assert code == 1 and outputs["failure-reason"] == "not-reviewed"


def test_reviewed_hash_given_by_hand_on_dispatch(infra: Infra) -> None:
    code, outputs, _ = infra.run("terraform", "plan", "--root", PROD)
    assert code == 0
    reviewed = outputs["plan-hash"]
    code, outputs, _ = infra.run("terraform", "apply", "--root", PROD, "--reviewed-hash", "sha256:" + "0" * 64)
    assert code == 1 and outputs["failure-reason"] == "plan-changed"
    code, outputs, _ = infra.run("terraform", "apply", "--root", PROD, "--reviewed-hash", reviewed)
    assert code == 0 and outputs["applied"] == "true"


def test_superseded_by_a_newer_reviewed_plan_says_so(infra: Infra) -> None:
    first = infra.open_pull("first")
    plan_on_pull(infra, first)
    second = infra.open_pull("second")
    plan_on_pull(infra, second)
    first_sha = infra.merge(first)
    infra.merge(second)  # main moved on before the first apply ran
    code, outputs, summary = apply_merged(infra, first_sha)
    assert code == 0
    assert outputs["verdict"] == "superseded" and outputs["applied"] == "false"
    assert "superseded by the newer reviewed plan" in summary and f"#{second}" in summary
    assert infra.state_list(PROD) == []


def test_a_plan_of_more_than_70000_characters_fits_the_comment_and_applies(infra: Infra) -> None:
    tofu(["init", "-input=false"], infra.root / "infra/big", infra.env)
    tofu(["apply", "-auto-approve", "-input=false", "-var", "suffix=old"], infra.root / "infra/big", infra.env)
    number = infra.open_pull()
    outputs = plan_on_pull(infra, number, "infra/big")
    assert outputs["summary"] == "0 to add, 250 to change, 0 to destroy, 0 to replace"
    plan_text = (Path(outputs["plan-dir"]) / "plan.txt").read_text(encoding="utf-8")
    assert len(plan_text) > 70_000 and "データ🚀" in plan_text
    (body,) = infra.comments(number)
    assert github_length(body) <= COMMENT_LIMIT
    assert "lists are shortened" in body
    (record,) = decode(body)
    assert record.plan_hash == outputs["plan-hash"]
    code, outputs, _ = apply_merged(infra, infra.merge(number), "infra/big")
    assert code == 0 and outputs["applied"] == "true"
    assert len(infra.state_list("infra/big")) == 250


def test_killed_apply_leaves_a_lock_reported_with_its_id_unlock_then_apply(
    infra: Infra, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StateServer() as server:
        config = [arg for item in server.backend_config("slow") for arg in ("--backend-config", item)]
        number = infra.open_pull()
        plan_on_pull(infra, number, "infra/slow", *config)
        sha = infra.merge(number)

        # an apply that is killed mid-way (the runner cancelled, the machine died)
        marker = tmp_path / "provisioner-started"
        env = {**os.environ, "IDP_TEST_SLOW": str(marker), "GITHUB_SHA": sha, "GITHUB_REF_NAME": "main",
               "GITHUB_ACTIONS": "", "GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": ""}
        idp = Path(sys.executable).parent / "idp"
        process = subprocess.Popen(
            [str(idp), "terraform", "apply", "--root", "infra/slow", *config, "--out-dir", str(tmp_path / "killed")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        assert marker.exists(), f"the apply never reached its provisioner:\n{stderr.decode()}"
        assert "slow" in server.locks
        lock_id = server.locks["slow"]["ID"]

        code, outputs, summary = apply_merged(infra, sha, "infra/slow", *config, "--lock-timeout", "1s")
        assert code == 1
        assert outputs["failure-reason"] == "state-locked" and outputs["lock-id"] == lock_id
        assert f"idp terraform unlock --root infra/slow --lock-id {lock_id}" in summary
        assert f"lock ID {lock_id}" in capsys.readouterr().out

        code, outputs, _ = infra.run("terraform", "unlock", "--root", "infra/slow", *config, "--lock-id", lock_id)
        assert code == 0 and outputs["unlocked"] == lock_id
        assert "slow" not in server.locks

        code, outputs, _ = apply_merged(infra, sha, "infra/slow", *config)
        assert code == 0 and outputs["applied"] == "true"
        assert b"terraform_data" in server.states["slow"]
    shutil.rmtree(tmp_path / "killed", ignore_errors=True)


def test_combined_comment_from_plan_artifacts_then_apply(infra: Infra, tmp_path: Path) -> None:
    number = infra.open_pull()
    artifacts = tmp_path / "downloaded"
    for root in (PROD, "infra/edge"):
        out_dir = str(artifacts / root.replace("/", "-"))
        code, _, _ = infra.run("terraform", "plan", "--root", root, "--out-dir", out_dir)
        assert code == 0
    code, outputs, _ = infra.run("terraform", "comment", "--sections", str(artifacts), "--mode", "combined",
                                 "--pr", str(number))
    assert code == 0
    (body,) = infra.comments(number)
    assert body.startswith("<!-- idp-actions:sticky purpose=terraform-plan key=combined -->")
    assert [r.key for r in decode(body)] == ["infra/edge:default", "infra/prod:default"]
    assert "## OpenTofu plans (2 roots)" in body
    code, outputs, _ = apply_merged(infra, infra.merge(number))
    assert code == 0 and outputs["applied"] == "true"


def test_policy_deny_blocks_the_plan_and_the_apply_warnings_are_shown(infra: Infra) -> None:
    (infra.root / ".github").mkdir()
    (infra.root / ".github" / "idp.yaml").write_text(
        "version: 1\npolicy:\n  extra-policies: [policy]\n", encoding="utf-8"
    )
    number = infra.open_pull()
    code, outputs, _ = infra.run("terraform", "plan", "--root", PROD, "--comment", "--pr", str(number))
    assert code == 1 and outputs["failure-reason"] == "policy-denied" and outputs["policy"] == "deny"
    (body,) = infra.comments(number)
    assert "⛔ **Policy:** denied" in body
    assert "terraform_data.item[1]: a second item is not allowed here" in body
    assert "rotate the credentials yearly" in body
    code, outputs, _ = apply_merged(infra, infra.merge(number))
    assert code == 1 and outputs["failure-reason"] == "policy-denied"
    assert infra.state_list(PROD) == []

    # with one item the deny is gone; the warning stays and is shown
    code, outputs, summary = infra.run("terraform", "plan", "--root", PROD, "--var", "size=1")
    assert code == 0 and outputs["policy"] == "warn"
    assert "⚠️ **Policy:** passed with warnings." in summary


def test_saved_plan_file_is_checked_against_the_review_then_applied(infra: Infra, tmp_path: Path) -> None:
    number = infra.open_pull()
    outputs = plan_on_pull(infra, number)
    saved = tmp_path / "reviewed.tfplan"
    shutil.copyfile(Path(outputs["plan-dir"]) / "plan.tfplan", saved)
    sha = infra.merge(number)
    # a saved plan made before the state changed is stale: refused as plan-changed, nothing applied
    other = tmp_path / "other.tfplan"
    shutil.copyfile(saved, other)
    code, outputs, _ = apply_merged(infra, sha, PROD, "--plan-file", str(saved), "--out-dir", str(tmp_path / "a"))
    assert code == 0 and outputs["applied"] == "true" and outputs["verdict"] == "apply"
    code, outputs, _ = apply_merged(infra, sha, PROD, "--plan-file", str(other), "--out-dir", str(tmp_path / "b"))
    assert code == 1 and outputs["failure-reason"] == "plan-changed"


def test_pull_request_target_is_refused(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["GITHUB_EVENT_NAME"] = "pull_request_target"
    code, _, _ = infra.run("terraform", "roots")
    assert code == 1
    assert "refusing to run on pull_request_target" in capsys.readouterr().out
