"""The one subprocess wrapper."""

from __future__ import annotations

import sys

import pytest

from idp_actions import proc
from idp_actions.errors import ProcError, ToolError


def test_captures_output_and_passes_stdin_and_env() -> None:
    result = proc.run(
        [sys.executable, "-c", "import os,sys; print(sys.stdin.read().upper(), os.environ['IDP_X'])"],
        stdin="abc",
        extra_env={"IDP_X": "42"},
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "ABC 42"


def test_failure_raises_with_args_code_and_stderr_tail() -> None:
    with pytest.raises(ProcError) as info:
        proc.run([sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(4)"])
    err = info.value
    assert err.returncode == 4
    assert err.stderr == "boom\n"
    assert "exited with code 4" in str(err)
    assert "boom" in str(err)


def test_ok_codes_and_check_false() -> None:
    assert proc.run([sys.executable, "-c", "raise SystemExit(2)"], ok_codes=(0, 2)).returncode == 2
    assert proc.run([sys.executable, "-c", "raise SystemExit(9)"], check=False).returncode == 9


def test_missing_program_is_a_tool_error_with_a_hint() -> None:
    with pytest.raises(ToolError, match="was not found") as info:
        proc.run(["idp-no-such-tool-xyz"])
    assert info.value.hint


def test_timeout_is_reported() -> None:
    with pytest.raises(ProcError, match="timed out"):
        proc.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2)


def test_no_shell_is_involved() -> None:
    result = proc.run([sys.executable, "-c", "import sys; print(sys.argv[1])", "$(touch /tmp/pwn); `id`"])
    assert result.stdout.strip() == "$(touch /tmp/pwn); `id`"
