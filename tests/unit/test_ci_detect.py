"""idp test: the language and test commands a repository's files imply, and the command's behaviour."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from idp_actions.ci.detect import DetectError, Step, detect, plan
from idp_actions.cli import main
from idp_actions.errors import UsageError


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def argvs(root: Path, **options: str) -> list[tuple[str, ...]]:
    return [step.argv for step in plan(root, detect(root), **options).steps]


def test_a_stdlib_python_service_runs_unittest_with_its_src_layout(tmp_path: Path) -> None:
    root = tree(tmp_path, {"pyproject.toml": "[project]\nname='x'\nversion='1'\n", ".python-version": "3.12\n",
                           "src/x/__init__.py": "", "tests/test_x.py": ""})
    project = detect(root)
    assert (project.language, project.markers, project.version_file) == ("python", ("pyproject.toml",),
                                                                         ".python-version")
    steps = plan(root, project).steps
    assert [s.argv for s in steps] == [("python", "-m", "unittest", "discover", "-s", "tests", "-v")]
    assert steps[0].env == {"PYTHONPATH": "src"}


def test_python_with_dependencies_installs_itself_with_its_test_extra_and_runs_pytest(tmp_path: Path) -> None:
    root = tree(tmp_path, {"pyproject.toml": "[project]\nname='x'\nversion='1'\ndependencies=['flask']\n"
                           "[project.optional-dependencies]\ntest=['pytest>=8']\ndocs=['mkdocs']\n"})
    steps = plan(root, detect(root), python="/py/bin/python").steps
    assert [s.argv for s in steps] == [("/py/bin/python", "-m", "pip", "install", "-e", ".[test]"),
                                       ("/py/bin/python", "-m", "pytest")]
    assert steps[1].env == {}  # installed: no PYTHONPATH games


def test_requirements_files_are_installed_and_name_pytest(tmp_path: Path) -> None:
    root = tree(tmp_path, {"requirements.txt": "flask\n", "requirements-dev.txt": "pytest==8.3\n"})
    assert argvs(root) == [("python", "-m", "pip", "install", "-r", "requirements.txt", "-r", "requirements-dev.txt"),
                           ("python", "-m", "pytest")]


def test_node_uses_npm_ci_with_a_lockfile_and_npm_install_without(tmp_path: Path) -> None:
    root = tree(tmp_path, {"package.json": json.dumps({"scripts": {"test": "node --test"}}), ".nvmrc": "22\n"})
    assert detect(root).version_file == ".nvmrc"
    assert argvs(root)[0] == ("npm", "install", "--no-audit", "--no-fund")
    tree(root, {"package-lock.json": "{}"})
    assert argvs(root) == [("npm", "ci", "--no-audit", "--no-fund"), ("npm", "test")]


def test_node_without_a_real_test_script_says_what_to_add(tmp_path: Path) -> None:
    root = tree(tmp_path, {"package.json": json.dumps(
        {"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})})
    with pytest.raises(DetectError, match="has no test script") as caught:
        plan(root, detect(root))
    assert "test-command" in str(caught.value)


def test_go_vets_then_tests_and_reads_its_version_from_go_mod(tmp_path: Path) -> None:
    root = tree(tmp_path, {"go.mod": "module x\n\ngo 1.26\n"})
    assert detect(root).version_file == "go.mod"
    assert argvs(root) == [("go", "vet", "./..."), ("go", "test", "./...")]


def test_several_languages_must_be_chosen_between(tmp_path: Path) -> None:
    root = tree(tmp_path, {"go.mod": "module x\n", "package.json": "{}"})
    with pytest.raises(DetectError, match="several projects at once") as caught:
        detect(root)
    assert "node: package.json" in str(caught.value) and "set `language`" in str(caught.value)
    assert detect(root, "go").language == "go"


def test_nothing_recognisable_and_a_wrong_language_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DetectError, match="cannot tell the language"):
        detect(tmp_path)
    tree(tmp_path, {"go.mod": "module x\n"})
    with pytest.raises(DetectError, match="not a python project"):
        detect(tmp_path, "python")
    with pytest.raises(UsageError, match="unknown language 'rust'"):
        detect(tmp_path, "rust")


def test_a_test_command_is_split_not_shelled_and_unbalanced_quotes_are_refused(tmp_path: Path) -> None:
    root = tree(tmp_path, {"go.mod": "module x\n"})
    steps = plan(root, detect(root), command="make test ARGS='-run X'").steps
    assert [s.argv for s in steps] == [("make", "test", "ARGS=-run X")]
    with pytest.raises(UsageError, match="cannot be split into words"):
        plan(root, detect(root), command='"; touch /tmp/x; #')


def test_shown_commands_stay_on_one_line() -> None:
    step = Step(name="test", argv=("echo", "a\n::add-mask::b"))
    assert "\n" not in step.shown() and "\\n::add-mask::b" in step.shown()


def test_idp_test_runs_the_tests_and_fails_naming_the_step(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, {"setup.py": "", "tests/__init__.py": "",
                           "tests/test_ok.py": "import unittest\nclass T(unittest.TestCase):\n"
                                               "    def test_ok(self):\n        self.assertTrue(True)\n"})
    assert main(["test", str(root), "--python", sys.executable]) == 0
    out = capfd.readouterr()
    assert "is a python project (setup.py)" in out.out and "Ran 1 test" in out.err

    tree(root, {"tests/test_bad.py": "import unittest\nclass B(unittest.TestCase):\n"
                                     "    def test_bad(self):\n        self.fail('broken')\n"})
    assert main(["test", str(root), "--python", sys.executable]) == 1
    err = capfd.readouterr().err
    assert "test failed with exit code 1" in err and "AssertionError: broken" in err


def test_idp_test_reads_its_action_inputs(tmp_path: Path, actions_env: dict[str, Path],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree(tmp_path / "svc", {"go.mod": "module x\n"})
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", str(root))
    monkeypatch.setenv("INPUT_TEST_COMMAND", f"{sys.executable} -c 'print(42)'")
    assert main(["test"]) == 0
    outputs = actions_env["OUTPUT"].read_text(encoding="utf-8")
    assert "language" in outputs and "go" in outputs and "passed" in outputs
    assert "✅ Tests passed (go)" in actions_env["STEP_SUMMARY"].read_text(encoding="utf-8")


def test_conflict_markers_in_tracked_files_are_refused_before_any_test_runs(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import subprocess

    from idp_actions.ci.conflicts import find, markers

    assert markers("a\n<<<<<<< before updating\nb\n=======\nc\n>>>>>>> after updating\n") == [2, 6]
    assert markers("<<<<<<<< eight\n>>>>>>>x\n") == []
    root = tree(tmp_path, {"go.mod": "module x\n", "main.go": "package x\n<<<<<<< ours\n>>>>>>> theirs\n",
                           "untracked.txt": "<<<<<<< not tracked\n"})
    assert find(root, ["main.go", "go.mod"]) == [("main.go", 2), ("main.go", 3)]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "go.mod", "main.go"], cwd=root, check=True)
    assert main(["test", str(root), "--command", "false"]) == 1
    err = capfd.readouterr().err
    assert "unresolved conflict markers at main.go:2, main.go:3" in err and "untracked" not in err
