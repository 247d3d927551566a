"""Policy exceptions: checked when read, applied by policy and resource, expired ones refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from idp_actions.policy.exceptions import apply, load
from idp_actions.policy.gatekeeper import PolicyError
from idp_actions.policy.violation import Resource, Violation

FILE = """\
exceptions:
  - id: batch
    policy: run-as-*
    match: {kind: Deployment, namespace: batch, name: legacy-*}
    reason: vendor image runs as root
    owner: team-batch
    expires: 2030-06-30
  - policy: s3-versioning
    match: {address: module.scratch.*}
    reason: scratch buckets
    owner: platform
    expires: 2030-01-01
  - policy: non-root-user
    match: {path: tools/*}
    reason: build tools
    owner: platform
    expires: 2024-01-31
"""


def violation(policy: str, *, path: str = "deploy/a.yaml", **resource: str) -> Violation:
    return Violation(policy=policy, constraint="c", enforcement="deny", message="m", area="kubernetes",
                     path=path, line=1, resource=Resource(**resource))


def test_apply_marks_used_reports_unused_and_refuses_expired(tmp_path: Path) -> None:
    path = tmp_path / "policy-exceptions.yaml"
    path.write_text(FILE, encoding="utf-8")
    exceptions = load(path, shown="policy-exceptions.yaml")
    assert [(e.id, e.line) for e in exceptions] == [("batch", 2), ("#2", 8), ("#3", 13)]
    found = [
        violation("run-as-non-root", kind="Deployment", namespace="batch", name="legacy-cron"),
        violation("run-as-non-root", kind="Deployment", namespace="shop", name="legacy-cron"),
        violation("non-root-user", path="tools/Dockerfile"),
    ]
    outcome = apply(found, exceptions, date(2025, 1, 1))
    assert [v.excepted_by for v in outcome.violations] == ["batch", None, None]
    assert outcome.violations[0].finding().suppressed == "policy exception batch: vendor image runs as root"
    assert not outcome.violations[0].gates and outcome.violations[1].gates
    assert outcome.used == {"batch": 1}
    assert [e.id for e in outcome.unused] == ["#2"]
    assert [e.id for e in outcome.expired] == ["#3"]
    assert apply(found, exceptions, date(2024, 1, 31)).used == {"batch": 1, "#3": 1}  # valid through its day


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("policy: x\n    match: {name: web}\n    reason: r\n    owner: o", "`expires` must be a date"),
        ("policy: x\n    reason: r\n    owner: o\n    expires: 2030-01-01", "`match` is required"),
        (
            "policy: x\n    match: {label: web}\n    reason: r\n    owner: o\n    expires: 2030-01-01",
            "match: unknown keys label",
        ),
        ("policy: x\n    match: {name: web}\n    owner: o\n    expires: 2030-01-01", "`reason` is required"),
    ],
)
def test_mistakes_name_the_entry_and_line(tmp_path: Path, entry: str, problem: str) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(f"exceptions:\n  - id: fine\n    policy: a\n    match: {{name: b}}\n    reason: r\n"
                    f"    owner: o\n    expires: 2030-01-01\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load(path, shown="e.yaml")
    assert f"e.yaml:8: exception #2: {problem}" in str(caught.value)
    assert caught.value.exit_code == 2
