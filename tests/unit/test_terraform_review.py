"""The apply decision, plan records, tool diagnostics and version constraints (all pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_actions.errors import ConfigError, ToolError
from idp_actions.terraform import diagnostics, review, version
from idp_actions.terraform.record import PlanRecord, decode, encode
from idp_actions.terraform.render import PolicyOutcome

BASE = PlanRecord(
    root="infra/prod",
    workspace="default",
    plan_hash="sha256:" + "a" * 64,
    backend="sha256:" + "b" * 64,
    variables="sha256:" + "c" * 64,
    tool="tofu 1.12.6",
    created_at="2025-01-01T00:00:00Z",
)


def with_(**changes: object) -> PlanRecord:
    return PlanRecord(**{**BASE.to_json(), **changes})


# -------------------------------------------------------------------- review


def test_the_reviewed_plan_is_applied() -> None:
    decision = review.decide(BASE, [BASE], has_changes=True)
    assert decision.applies and decision.reason is None


def test_a_different_hash_is_refused_as_plan_changed() -> None:
    decision = review.decide(with_(plan_hash="sha256:" + "d" * 64), [BASE], has_changes=True)
    assert decision.verdict == "refuse" and decision.reason == "plan-changed"
    assert "reviewed sha256:aaaaaaaaaaaa, now sha256:dddddddddddd" in decision.message


def test_a_different_backend_or_destroy_flag_is_refused() -> None:
    assert review.decide(with_(backend="sha256:x"), [BASE], has_changes=True).reason == "plan-changed"
    assert review.decide(with_(destroy=True), [BASE], has_changes=True).reason == "plan-changed"


def test_variables_and_tool_differences_are_only_reported() -> None:
    decision = review.decide(with_(variables="sha256:z", tool="tofu 1.12.7"), [BASE], has_changes=True)
    assert decision.applies
    assert decision.differences == (
        "the variables differ from the reviewed plan's",
        "the tool differs: reviewed with tofu 1.12.6, now tofu 1.12.7",
    )


def test_the_newest_record_of_the_root_counts() -> None:
    older = with_(plan_hash="sha256:" + "0" * 64, created_at="2024-12-31T00:00:00Z")
    other_root = with_(root="infra/dev", plan_hash="sha256:" + "9" * 64, created_at="2026-01-01T00:00:00Z")
    assert review.decide(BASE, [BASE, older, other_root], has_changes=True).applies
    assert review.decide(BASE, [older], has_changes=True).reason == "plan-changed"


def test_nothing_reviewed_is_refused_unless_nothing_changes() -> None:
    assert review.decide(BASE, [], has_changes=True).reason == "not-reviewed"
    assert review.decide(BASE, [], has_changes=False).verdict == "no-op"
    done = review.decide(with_(plan_hash="sha256:e"), [BASE], has_changes=False)
    assert done.verdict == "no-op" and "already in place" in done.message


def test_policy_deny_blocks_and_warn_does_not() -> None:
    deny = review.decide(BASE, [BASE], has_changes=True, policy=PolicyOutcome(status="deny"))
    assert deny.reason == "policy-denied"
    assert review.decide(BASE, [BASE], has_changes=True, policy=PolicyOutcome(status="warn")).applies


def test_a_newer_reviewed_plan_supersedes() -> None:
    newer = review.Newer(commit="f" * 40, pull=7, record=with_(plan_hash="sha256:" + "7" * 64))
    decision = review.decide(BASE, [BASE], has_changes=True, newer=newer)
    assert decision.verdict == "superseded" and not decision.applies
    assert "pull request #7" in decision.message and "ffffffffffff" in decision.message


# ------------------------------------------------------------------- records


def test_records_round_trip_and_hostile_names_stay_inside_the_comment() -> None:
    odd = with_(root="infra/--> <b>x</b>", workspace="ws")
    encoded = encode(odd)
    assert encoded.count("-->") == 1 and encoded.endswith(" -->")
    assert decode(f"text\n{encoded}\n{encode(BASE)}") == [odd, BASE]


def test_malformed_records_are_skipped() -> None:
    assert decode("<!-- idp-actions:terraform-plan v1 bm90IGpzb24= -->") == []
    assert decode("<!-- idp-actions:terraform-plan v1 e30= -->") == []  # {} lacks fields
    with pytest.raises(ValueError, match="has_changes"):
        PlanRecord.from_json({**BASE.to_json(), "has_changes": "yes"})


# --------------------------------------------------------------- diagnostics

TOFU_ERRORS = """
Error: Reference to undeclared input variable

  on main.tf line 6, in resource "terraform_data" "a":
   6:   input = var.undeclared

An input variable with the name "undeclared" has not been declared.

Warning: Deprecated attribute

  on ../../modules/naming/main.tf line 2:
   2:   x = 1

Use y instead.

Error: Failed to read file

The file "nonexist.hcl" could not be read.
"""

LOCKED = """
Error: Error acquiring the state lock

Error message: HTTP remote state already locked: ID=5a0c0f0e-1111-2222-3333-444455556666
Lock Info:
  ID:        5a0c0f0e-1111-2222-3333-444455556666
  Path:      
  Operation: OperationTypeApply
  Who:       runner@host
  Version:   1.12.6
  Created:   2025-01-01 00:00:00.000000001 +0000 UTC
  Info:      

OpenTofu acquires a state lock to protect the state from being written
by multiple users at the same time.
"""


def test_diagnostics_with_file_and_line() -> None:
    found = diagnostics.parse(TOFU_ERRORS)
    assert [(d.severity, d.summary, d.file, d.line) for d in found] == [
        ("error", "Reference to undeclared input variable", "main.tf", 6),
        ("warning", "Deprecated attribute", "../../modules/naming/main.tf", 2),
        ("error", "Failed to read file", None, None),
    ]
    assert found[0].detail == 'An input variable with the name "undeclared" has not been declared.'
    assert found[0].located("infra/prod") == "infra/prod/main.tf"
    assert found[1].located("infra/prod") == "modules/naming/main.tf"
    assert found[1].located(".") is None  # outside the repository: no annotation location


def test_coloured_box_output_is_read_too() -> None:
    boxed = (
        "╷\n│ Error: Unsupported argument\n│ \n│   on bad.hcl line 1:\n│    1: bogus = 1\n│ \n"
        "│ Not expected here.\n╵\n"
    )
    (found,) = diagnostics.parse(boxed)
    assert (found.summary, found.file, found.line) == ("Unsupported argument", "bad.hcl", 1)
    assert found.detail == "Not expected here."


def test_lock_info() -> None:
    lock = diagnostics.parse_lock(LOCKED)
    assert lock is not None
    assert lock.id == "5a0c0f0e-1111-2222-3333-444455556666"
    assert (lock.operation, lock.who, lock.version) == ("OperationTypeApply", "runner@host", "1.12.6")
    assert diagnostics.parse_lock(TOFU_ERRORS) is None


# ------------------------------------------------------------------ versions


@pytest.mark.parametrize(
    ("have", "constraint", "ok"),
    [
        ("1.12.6", ">= 1.6", True),
        ("1.12.6", ">= 1.6, < 1.12", False),
        ("1.12.6-dev", "= 1.12.6", True),
        ("1.12.6", "1.12.6", True),
        ("1.12.6", "!= 1.12.6", False),
        ("1.12.6", "~> 1.12.0", True),
        ("1.13.0", "~> 1.12.0", False),
        ("1.13.0", "~> 1.12", True),
        ("2.0.0", "~> 1.12", False),
        ("1.5.7", "~> 1.6", False),
        ("1.9.0", "> 1.8, <= 1.9", True),
    ],
)
def test_constraints(have: str, constraint: str, ok: bool) -> None:
    assert version.satisfies(have, constraint) is ok


def test_requirement_from_files(tmp_path: Path) -> None:
    root = tmp_path / "infra" / "prod"
    root.mkdir(parents=True)
    (root / "versions.tf").write_text(
        '# required_version = "= 0.1.0" is a comment\nterraform {\n  required_version = ">= 1.6, < 2.0"\n}\n',
        encoding="utf-8",
    )
    (tmp_path / ".terraform-version").write_text("1.9.5\n", encoding="utf-8")
    wanted = version.requirement(root, tmp_path, "terraform")
    assert wanted.exact == "1.9.5" and wanted.exact_source == ".terraform-version"
    assert wanted.constraints == ((">= 1.6, < 2.0", "infra/prod/versions.tf"),)
    (tmp_path / "infra" / ".opentofu-version").write_text("v1.12.6\n", encoding="utf-8")
    assert version.requirement(root, tmp_path, "tofu").exact == "1.12.6"  # the nearer file, tofu's own
    assert version.requirement(root, tmp_path, "terraform").exact == "1.9.5"  # terraform ignores it
    version.check("tofu", "1.12.6", version.requirement(root, tmp_path, "tofu"))
    with pytest.raises(ToolError, match=r"infra/\.opentofu-version asks for 1\.12\.6"):
        version.check("tofu", "1.11.0", version.requirement(root, tmp_path, "tofu"))


def test_latest_pins_nothing_and_garbage_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".opentofu-version").write_text("latest:^1.8\n", encoding="utf-8")
    assert version.requirement(tmp_path, tmp_path, "tofu").empty
    (tmp_path / ".opentofu-version").write_text("one point eight\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a version"):
        version.requirement(tmp_path, tmp_path, "tofu")
    (tmp_path / ".opentofu-version").unlink()
    (tmp_path / "main.tf").write_text('terraform {\n  required_version = ">= banana"\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid version constraint"):
        version.check("tofu", "1.12.6", version.requirement(tmp_path, tmp_path, "tofu"))


# ---------------------------------------------------------------------- gate


def test_policy_report_lines_and_warning_count() -> None:
    from idp_actions.terraform import gate

    report = {
        "summary": {"deny": 1, "warn": 2, "excepted": 0},
        "sets": ["baseline"],
        "violations": [
            {"enforcement": "deny", "policy": "s3-encryption", "address": "aws_s3_bucket.logs", "message": "encrypt"},
            {"enforcement": "warn", "policy": "required-tags", "path": "plan.json", "message": "tag Owner"},
        ],
    }
    lines, warnings = gate._report(__import__("json").dumps(report)) or ("", -1)
    assert warnings == 2
    assert lines.splitlines() == [
        "deny [s3-encryption] aws_s3_bucket.logs: encrypt",
        "warn [required-tags] plan.json: tag Owner",
        "1 denied, 2 warnings, 0 excepted (baseline)",
    ]
    assert gate._report("not json") is None
    assert gate._report('{"no": "summary"}') is None


def test_policy_modes(tmp_path: Path) -> None:
    from idp_actions.errors import UsageError
    from idp_actions.terraform import gate

    assert gate.check_plan(tmp_path / "plan.json", mode="off") is None
    with pytest.raises(UsageError, match="policy mode"):
        gate.check_plan(tmp_path / "plan.json", mode="sometimes")
