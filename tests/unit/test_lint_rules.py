"""Our own workflow/action rules, over small fixture repositories."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from idp_actions.lint import documents, rules

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def found(root: Path) -> list[tuple[str, str, int | None]]:
    return [(f.rule_id, f.path, f.start_line) for f in rules.check(documents.discover(root))]


CLEAN = f"""
    on: push
    permissions: {{}}
    jobs:
      build:
        runs-on: ubuntu-latest
        timeout-minutes: 10
        permissions:
          contents: read
          pull-requests: write  # post the sticky plan comment
        steps:
          - uses: actions/checkout@{SHA} # v4.2.2
            with:
              persist-credentials: false
          - uses: idp-actions/idp-actions/actions/setup@main
          - run: echo "$TITLE"
            env:
              TITLE: ${{{{ github.event.pull_request.title }}}}
      call:
        uses: ./.github/workflows/other.yml
        secrets:
          token: ${{{{ secrets.TOKEN }}}}
"""


def test_clean_workflow_has_no_findings(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/ci.yml", CLEAN)
    assert found(tmp_path) == []


@pytest.mark.parametrize(
    ("snippet", "rule", "line"),
    [
        ("- uses: actions/checkout@v4", "unpinned-uses", 8),
        ("- uses: actions/checkout@main", "unpinned-uses", 8),
        ("- uses: actions/checkout", "unpinned-uses", 8),
        (f"- uses: actions/checkout@{SHA}", "missing-version-comment", 8),
        ("- uses: docker://alpine:3.20", "unpinned-uses", 8),
        ('- run: echo "${{ github.head_ref }}"', "expression-in-run", 8),
    ],
)
def test_step_rules(tmp_path: Path, snippet: str, rule: str, line: int) -> None:
    write(
        tmp_path,
        ".github/workflows/ci.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          build:
            runs-on: ubuntu-latest
            timeout-minutes: 5
            steps:
              {snippet}
        """,
    )
    assert found(tmp_path) == [(rule, ".github/workflows/ci.yml", line)]


def test_permissions_and_timeouts(tmp_path: Path) -> None:
    write(
        tmp_path,
        ".github/workflows/ci.yml",
        """
        on: push
        permissions: write-all
        jobs:
          a:
            runs-on: ubuntu-latest
            permissions:
              contents: write
            steps:
              - run: "true"
          b:
            uses: ./.github/workflows/x.yml
            secrets: inherit
        """,
    )
    assert sorted(found(tmp_path)) == sorted(
        [
            ("top-level-permissions", ".github/workflows/ci.yml", 2),
            ("write-without-reason", ".github/workflows/ci.yml", 7),
            ("missing-timeout", ".github/workflows/ci.yml", 4),
            ("secrets-inherit", ".github/workflows/ci.yml", 12),
        ]
    )


def test_missing_top_level_permissions(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/ci.yml", "on: push\njobs: {}\n")
    assert found(tmp_path) == [("top-level-permissions", ".github/workflows/ci.yml", 1)]


def test_composite_action_rules_and_self_ref_mismatch(tmp_path: Path) -> None:
    write(
        tmp_path,
        "actions/a/action.yml",
        """
        name: a
        description: a
        runs:
          using: composite
          steps:
            - uses: idp-actions/idp-actions/actions/setup@v1
            - run: echo "${{ inputs.x }}"
              shell: bash
        """,
    )
    write(
        tmp_path,
        "actions/b/action.yml",
        """
        name: b
        description: b
        runs:
          using: composite
          steps:
            - uses: idp-actions/idp-actions/actions/setup@main
        """,
    )
    assert sorted(found(tmp_path)) == [
        ("expression-in-run", "actions/a/action.yml", 7),
        ("self-ref-mismatch", "actions/a/action.yml", 6),
        ("self-ref-mismatch", "actions/b/action.yml", 6),
    ]


def test_parse_errors_are_findings_not_crashes(tmp_path: Path) -> None:
    write(tmp_path, ".github/workflows/bad.yml", "on: [push\njobs:\n")
    (tmp_path / "action.yml").write_bytes(b"name: \xff\xfe\n")
    result = found(tmp_path)
    assert ("parse-error", ".github/workflows/bad.yml", 3) in result or any(
        r[0] == "parse-error" and r[1] == ".github/workflows/bad.yml" for r in result
    )
    assert ("parse-error", "action.yml", None) in result


def test_discovery_skips_dependencies_and_honours_excludes(tmp_path: Path) -> None:
    write(tmp_path, "node_modules/x/action.yml", "name: x\n")
    write(tmp_path, ".venv/action.yml", "name: x\n")
    write(tmp_path, "tests/fixtures/action.yml", "name: x\n")
    write(tmp_path, "actions/ok/action.yml", "name: ok\n")
    docs = documents.discover(tmp_path, exclude=["tests/*"])
    assert [d.rel for d in docs] == ["actions/ok/action.yml"]


def test_run_scripts_map_to_file_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        "action.yml",
        """
        name: a
        description: a
        runs:
          using: composite
          steps:
            - run: |
                set -euo pipefail
                echo $X
              shell: bash
            - run: echo one-liner
              shell: bash
            - run: Write-Host hi
              shell: pwsh
        """,
    )
    (doc,) = documents.discover(tmp_path)
    assert list(rules.run_scripts(doc)) == [
        ("set -euo pipefail\necho $X\n", 7, "bash"),
        ("echo one-liner", 10, "bash"),
    ]
