"""actions/setup/bootstrap.sh on its own: keys, refusals and error messages (no act needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "actions" / "setup" / "bootstrap.sh"
PYTHON = sys.executable


def bootstrap(command: str, env: dict[str, str], script: Path = BOOTSTRAP) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": env.get("HOME", "/nonexistent")}
    return subprocess.run(
        ["bash", str(script), command], env={**base, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def outputs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_key_names_a_venv_under_the_tool_cache_and_writes_step_outputs(tmp_path: Path) -> None:
    github_output = tmp_path / "output"
    github_output.touch()
    env = {"IDP_PYTHON": PYTHON, "RUNNER_TOOL_CACHE": str(tmp_path / "cache"), "GITHUB_OUTPUT": str(github_output)}

    done = bootstrap("key", env)

    assert done.returncode == 0, done.stdout + done.stderr
    values = outputs(github_output.read_text())
    assert len(values["key"]) == 16
    assert values["venv"] == f"{tmp_path / 'cache'}/idp-actions/venv/{values['key']}"
    assert values["python-version"] == ".".join(map(str, sys.version_info[:3]))
    assert bootstrap("key", env).returncode == 0
    assert outputs(github_output.read_text())["key"] == values["key"], "the key is stable"


def test_key_changes_with_the_lock(tmp_path: Path) -> None:
    copy = tmp_path / "idp-actions"
    shutil.copytree(ROOT / "actions", copy / "actions")
    shutil.copytree(ROOT / "requirements", copy / "requirements")
    env = {"IDP_PYTHON": PYTHON, "RUNNER_TOOL_CACHE": str(tmp_path / "cache")}
    before = outputs(bootstrap("key", env, copy / "actions" / "setup" / "bootstrap.sh").stdout)["key"]
    with (copy / "requirements" / "runtime.lock").open("a") as lock:
        lock.write("# changed\n")
    after = outputs(bootstrap("key", env, copy / "actions" / "setup" / "bootstrap.sh").stdout)["key"]
    assert before != after


def test_key_refuses_an_old_python(tmp_path: Path) -> None:
    old = next((p for p in map(shutil.which, ("python3.10", "python3.9")) if p), None)
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine")
    done = bootstrap("key", {"IDP_PYTHON": old, "RUNNER_TOOL_CACHE": str(tmp_path)})
    assert done.returncode == 1
    assert "idp needs Python 3.11 or newer" in done.stdout
    assert done.stdout.startswith("::error title=idp-actions::")


def test_key_outside_actions_says_so(tmp_path: Path) -> None:
    done = bootstrap("key", {"IDP_PYTHON": PYTHON})
    assert done.returncode == 1
    assert "RUNNER_TOOL_CACHE is not set" in done.stdout


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", "input `command` is required"),
        ("--version", "takes command words only"),
        ("lint; touch pwned", "takes command words only"),
        ("policy\ncheck", "must be one line"),
    ],
)
def test_run_refuses_anything_but_command_words(tmp_path: Path, command: str, message: str) -> None:
    done = bootstrap("run", {"IDP_COMMAND": command, "IDP_ARGS": "", "HOME": str(tmp_path)})
    assert done.returncode == 1
    assert message in done.stdout
    assert not (Path.cwd() / "pwned").exists()


def test_tools_with_nothing_to_install_does_nothing() -> None:
    done = bootstrap("tools", {"IDP_TOOLS": " \n , \n"})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_unknown_subcommand_is_an_error() -> None:
    done = bootstrap("frobnicate", {})
    assert done.returncode == 1
    assert "usage: bootstrap.sh key|install|tools|run" in done.stdout


def _recording_idp(tmp_path: Path) -> tuple[str, Path]:
    """A stand-in `idp` that records its argv (here only the argument handling is under test)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv"
    script = bin_dir / "idp"
    script.write_text(f"#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > {record}\n", encoding="utf-8")
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}", record


def test_tools_splits_names_on_spaces_commas_and_newlines(tmp_path: Path) -> None:
    path, record = _recording_idp(tmp_path)
    done = bootstrap("tools", {"IDP_TOOLS": "opa, trivy\n\n  conftest\t*\n", "PATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    assert record.read_text().splitlines() == ["tools", "install", "--", "opa", "trivy", "conftest", "*"]


def test_run_passes_one_argument_per_trimmed_line(tmp_path: Path) -> None:
    path, record = _recording_idp(tmp_path)
    args = "--format\r\n  json \n\n--output\nlint report.json\n$(touch pwned) `id` *\n"
    done = bootstrap("run", {"IDP_COMMAND": " policy  check ", "IDP_ARGS": args, "PATH": path, "GITHUB_TOKEN": ""})
    assert done.returncode == 0, done.stdout + done.stderr
    assert record.read_text().splitlines() == [
        "policy", "check", "--format", "json", "--output", "lint report.json", "$(touch pwned) `id` *",
    ]
