"""``idp terraform plan`` with real tofu: workspaces, var files, backend config, versions and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import github_issues
from tests.fakes.github_server import FakeGitHub
from tests.integration.fixtures.terraform.tofu import Infra, make_infra, tofu

PROD = "infra/prod"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(extensions=[github_issues.register]) as server:
        yield server


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions_env: dict[str, Path], fake: FakeGitHub) -> Infra:
    return make_infra(tmp_path, monkeypatch, actions_env, fake)


def errors(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("::error")]


def test_plan_writes_summary_files_and_outputs(infra: Infra) -> None:
    code, outputs, summary = infra.run("terraform", "plan", "--root", PROD)
    assert code == 0
    out_dir = Path(outputs["plan-dir"])
    assert out_dir.is_relative_to(infra.root.parent / "runner-temp")
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "comment.md", "plan.json", "plan.tfplan", "plan.txt", "section.json", "summary.md"
    ]
    assert (out_dir / "plan.json").stat().st_mode & 0o077 == 0  # may hold secrets
    assert (out_dir / "plan.tfplan").stat().st_mode & 0o077 == 0
    section = json.loads((out_dir / "section.json").read_text(encoding="utf-8"))
    assert section["record"]["plan_hash"] == outputs["plan-hash"]
    assert "pa55-w0rd-from-default" not in (out_dir / "section.json").read_text(encoding="utf-8")
    assert outputs["add"] == "3" and outputs["key"] == "infra/prod:default"
    assert "## OpenTofu plan: `infra/prod`" in summary
    assert "Full OpenTofu output" in summary and 'input  = "hello-svc-0"' in summary


def test_workspaces_var_files_and_workspace_placeholder(infra: Infra) -> None:
    (infra.root / ".github").mkdir()
    (infra.root / ".github" / "idp.yaml").write_text(
        "version: 1\nterraform:\n  roots:\n    - path: infra/prod\n      workspaces: [staging, prod]\n"
        "      var-files: ['{workspace}.tfvars']\n",
        encoding="utf-8",
    )
    (infra.root / PROD / "staging.tfvars").write_text("size = 1\n", encoding="utf-8")
    (infra.root / PROD / "prod.tfvars").write_text("size = 4\n", encoding="utf-8")
    code, staging, _ = infra.run("terraform", "plan", "--root", PROD, "--workspace", "staging")
    assert code == 0 and staging["add"] == "2" and staging["key"] == "infra/prod:staging"
    code, prod, _ = infra.run("terraform", "plan", "--root", PROD, "--workspace", "prod")
    assert code == 0 and prod["add"] == "5"
    assert staging["plan-hash"] != prod["plan-hash"]
    assert (infra.root / PROD / "terraform.tfstate.d").is_dir() or (infra.root / PROD / ".terraform").is_dir()
    code, _, _ = infra.run("terraform", "plan", "--root", PROD, "--workspace", "qa")
    assert code == 1  # not configured for this root


def test_backend_config_key_value_and_vars(infra: Infra) -> None:
    code, outputs, _ = infra.run(
        "terraform", "plan", "--root", PROD, "--backend-config", "path=elsewhere.tfstate", "--var", "size=1"
    )
    assert code == 0 and outputs["add"] == "2"


def test_missing_root_is_a_clear_error(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = infra.run("terraform", "plan", "--root", "infra/nowhere")
    assert code == 1
    (line,) = errors(capsys.readouterr().out)
    assert "root 'infra/nowhere' does not exist" in line and "hint:" in line


def test_unknown_binary_is_a_clear_error(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = infra.run("terraform", "plan", "--root", PROD, "--binary", "terragrunt")
    assert code == 1
    (line,) = errors(capsys.readouterr().out)
    assert "unknown binary 'terragrunt'" in line and "tofu" in line


def test_missing_backend_config_file_is_a_clear_error(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = infra.run("terraform", "plan", "--root", PROD, "--backend-config", "nope.hcl")
    assert code == 1
    (line,) = errors(capsys.readouterr().out)
    assert "backend config file 'nope.hcl' does not exist" in line


def test_invalid_backend_config_is_annotated_on_its_line(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    code, outputs, _ = infra.run("terraform", "plan", "--root", PROD, "--backend-config", "bad-backend.hcl")
    assert code == 1 and outputs["failure-reason"] == "plan-failed"
    found = errors(capsys.readouterr().out)
    assert any(
        line.startswith("::error title=tofu init%3A Unsupported argument,file=infra/prod/bad-backend.hcl,line=1,")
        for line in found
    ), found
    assert any("`tofu init` failed in infra/prod" in line for line in found)


def test_tool_errors_become_annotations_on_the_file_and_line(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    code, outputs, _ = infra.run("terraform", "plan", "--root", "infra/broken")
    assert code == 1 and outputs["failure-reason"] == "plan-failed"
    found = errors(capsys.readouterr().out)
    assert any("file=infra/broken/main.tf,line=6" in line and "undeclared input variable" in line for line in found)


def test_version_file_the_tool_does_not_satisfy(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    (infra.root / ".opentofu-version").write_text("1.6.2\n", encoding="utf-8")
    code, _, _ = infra.run("terraform", "plan", "--root", PROD)
    assert code == 1
    (line,) = errors(capsys.readouterr().out)
    assert "does not satisfy the root: .opentofu-version asks for 1.6.2" in line
    (infra.root / ".opentofu-version").write_text("1.12.6\n", encoding="utf-8")
    code, _, _ = infra.run("terraform", "plan", "--root", PROD)
    assert code == 0


def test_required_version_the_tool_does_not_satisfy(infra: Infra, capsys: pytest.CaptureFixture[str]) -> None:
    main = infra.root / PROD / "main.tf"
    main.write_text(main.read_text(encoding="utf-8").replace('">= 1.6"', '"~> 1.7.0"'), encoding="utf-8")
    code, _, _ = infra.run("terraform", "plan", "--root", PROD)
    assert code == 1
    (line,) = errors(capsys.readouterr().out)
    assert "required_version in infra/prod/main.tf is '~> 1.7.0'" in line


def test_destroy_needs_the_flag_and_plans_deletions(infra: Infra) -> None:
    tofu(["init", "-input=false"], infra.root / PROD, infra.env)
    tofu(["apply", "-auto-approve", "-input=false"], infra.root / PROD, infra.env)
    code, outputs, _ = infra.run("terraform", "plan", "--root", PROD)
    assert code == 0 and outputs["destroy"] == "0" and outputs["has-changes"] == "false"
    code, outputs, summary = infra.run("terraform", "plan", "--root", PROD, "--destroy")
    assert code == 0 and outputs["destroy"] == "3"
    assert "⚠️ **Destroy plan** (requested explicitly)" in summary
