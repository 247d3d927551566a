"""The lint gate: every action.yml and workflow of this repository passes `idp lint`
with the real zizmor, actionlint and shellcheck — and the gate can fail."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from idp_actions.cli import main
from tests.conftest import ROOT, require_tool


@pytest.fixture(autouse=True)
def _tools() -> None:
    for name in ("zizmor", "actionlint", "shellcheck"):
        require_tool(name)


def test_this_repository_passes_the_gate(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lint", str(ROOT), "--exclude", "tests/*", "--format", "json"])
    out, err = capsys.readouterr()
    findings = json.loads(out)
    assert findings == [], "\n".join(f"{f['path']}:{f['start_line']}: {f['message']}" for f in findings)
    assert code == 0
    # zizmor's pedantic count is reported (not gating) so it stays visible.
    assert "more at the pedantic persona" in err
    print(err)


def test_the_gate_finds_real_problems_with_every_tool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = tmp_path / ".github" / "workflows" / "bad.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(
        textwrap.dedent(
            """
            on: pull_request
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                  - run: echo "${{ github.event.pull_request.title }}"
                  - run: echo ${{ matrix.nope }}
            """
        ).lstrip(),
        encoding="utf-8",
    )
    action = tmp_path / "actions" / "x" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(
        textwrap.dedent(
            """
            name: x
            description: x
            runs:
              using: composite
              steps:
                - run: |
                    files=$(ls)
                    rm $files
                  shell: bash
            """
        ).lstrip(),
        encoding="utf-8",
    )
    (tmp_path / ".github" / "idp.yaml").write_text("version: 2\n", encoding="utf-8")
    code = main(["lint", str(tmp_path), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)
    assert code == 1
    by_tool = {(f["tool"], f["rule_id"]) for f in findings}
    assert ("zizmor", "template-injection") in by_tool
    assert ("zizmor", "unpinned-uses") in by_tool
    assert ("actionlint", "expression") in by_tool
    assert ("idp-lint", "top-level-permissions") in by_tool
    assert ("idp-lint", "missing-timeout") in by_tool
    assert ("idp-config", "invalid-config") in by_tool
    shell = [f for f in findings if f["tool"] == "shellcheck"]
    assert shell and shell[0]["rule_id"] == "SC2086"
    # mapped back onto the action.yml line holding `rm $files`
    assert shell[0]["path"] == "actions/x/action.yml"
    assert shell[0]["start_line"] == 8


def test_text_report_and_annotations_in_actions(
    tmp_path: Path, actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / ".github" / "workflows" / "w.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                  "      - run: 'true'\n", encoding="utf-8")
    code = main(["lint", str(tmp_path), "--skip", "zizmor"])
    out = capsys.readouterr().out
    assert code == 1
    assert ".github/workflows/w.yml:4: medium: [idp-lint/missing-timeout]" in out
    annotation = next(line for line in out.splitlines() if line.startswith("::error "))
    assert "file=.github/workflows/w.yml,line=4," in annotation
    assert annotation.endswith("job `a` has no timeout-minutes (the default is 360): set one that fits the job")
    assert "missing-timeout" in actions_env["STEP_SUMMARY"].read_text(encoding="utf-8")


@pytest.mark.parametrize("starter", sorted((ROOT / "workflows").glob("*.yml")), ids=lambda p: p.stem)
def test_every_starter_workflow_passes_the_gate_as_a_repository_holds_it(
        starter: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from idp_actions.scaffold.starters import for_repository

    target = tmp_path / ".github" / "workflows" / starter.name
    target.parent.mkdir(parents=True)
    target.write_text(for_repository(starter.read_text(encoding="utf-8")), encoding="utf-8")
    (tmp_path / ".github" / "zizmor.yml").write_text((ROOT / "zizmor.yml").read_text(encoding="utf-8"),
                                                     encoding="utf-8")
    code = main(["lint", str(tmp_path), "--skip", "config", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)
    assert findings == [], "\n".join(f"{f['path']}:{f['start_line']}: {f['message']}" for f in findings)
    assert code == 0


def test_a_forks_release_references_pass_when_idp_was_installed_from_the_fork(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from idp_actions.commands.lint import suite_repositories

    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(textwrap.dedent("""\
        name: ci
        on: push
        permissions: {}
        jobs:
          ci:
            uses: acme/idp-actions/.github/workflows/service-ci.yml@v2
            permissions:
              contents: read # check out the code
        """), encoding="utf-8")
    (tmp_path / ".github" / "zizmor.yml").write_text(
        'rules:\n  unpinned-uses:\n    config:\n      policies:\n        "acme/idp-actions/*": ref-pin\n'
        '        "*": hash-pin\n', encoding="utf-8")
    monkeypatch.delenv("IDP_SUITE_REPOSITORY", raising=False)
    assert main(["lint", str(tmp_path), "--skip", "config", "--format", "json"]) == 1
    unknown = json.loads(capsys.readouterr().out)
    assert [f["rule_id"] for f in unknown] == ["unpinned-uses"], unknown  # ours: a moving tag, not the suite's

    monkeypatch.setenv("IDP_SUITE_REPOSITORY", "acme/idp-actions")
    assert suite_repositories({"IDP_SUITE_REPOSITORY": "acme/idp-actions"}) == ("idp-actions/idp-actions",
                                                                               "acme/idp-actions")
    assert main(["lint", str(tmp_path), "--skip", "config", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
