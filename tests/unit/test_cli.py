"""The `idp` entry point: version, help, usage errors and the one error handler."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from idp_actions import __version__, cli, gha
from idp_actions.errors import REPORT_URL, IdpError

ROOT = Path(__file__).resolve().parents[2]


def fake_command(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[argparse.Namespace], int], name: str = "fake"
) -> None:
    """Register a command module `name` whose run() calls `action`."""
    module = types.ModuleType(f"idp_test_commands_{name}")

    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--flag", action="store_true")

    module.configure = configure  # type: ignore[attr-defined]
    module.run = action  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(cli.COMMANDS, name, (module.__name__, f"a {name} command for tests"))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"idp {__version__}\n"


def help_commands(text: str) -> list[str]:
    section = text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return re.findall(r"^    (\S+)", section, flags=re.MULTILINE)


def test_help_lists_exactly_the_registered_commands(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert help_commands(out) == list(cli.COMMANDS)
    for _, help_text in cli.COMMANDS.values():
        assert help_text.split(",")[0] in out


def test_help_follows_the_registry(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    fake_command(monkeypatch, lambda args: 0)
    assert cli.main(["--help"]) == 0
    assert help_commands(capsys.readouterr().out) == list(cli.COMMANDS)
    assert "fake" in cli.COMMANDS


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    assert "usage: idp" in capsys.readouterr().out


def test_unknown_command_names_it_and_points_to_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate", "--now"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "frobnicate" in err
    assert "invalid choice" in err
    assert "idp --help" in err
    assert "Traceback" not in err


def test_unknown_option_of_a_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake_command(monkeypatch, lambda args: 0)
    assert cli.main(["fake", "--nope"]) == 1
    err = capsys.readouterr().err
    assert "unrecognized arguments: --nope" in err


def test_command_runs_and_returns_its_code(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[argparse.Namespace] = []

    def action(args: argparse.Namespace) -> int:
        seen.append(args)
        return 7

    fake_command(monkeypatch, action)
    assert cli.main(["fake", "--flag"]) == 7
    assert seen[0].flag is True


def test_missing_required_input_names_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def action(args: argparse.Namespace) -> int:
        gha.get_input("environment", required=True)
        return 0

    fake_command(monkeypatch, action)
    assert cli.main(["fake"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("idp: error: input `environment` is required but was not supplied\n")
    assert "hint: set `with: environment: …`" in err


def test_missing_required_input_in_actions_is_an_error_annotation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, actions_env: dict[str, Path]
) -> None:
    def action(args: argparse.Namespace) -> int:
        gha.get_input("environment", required=True)
        return 0

    fake_command(monkeypatch, action)
    assert cli.main(["fake"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error::input `environment` is required but was not supplied%0A  hint: ")


def test_expected_errors_keep_their_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Refused(IdpError):
        exit_code = 2

    def action(args: argparse.Namespace) -> int:
        raise Refused("the plan changed since it was reviewed", hint="plan again and get a new review")

    fake_command(monkeypatch, action)
    assert cli.main(["fake"]) == 2
    assert capsys.readouterr().err == (
        "idp: error: the plan changed since it was reviewed\n  hint: plan again and get a new review\n"
    )


def test_unexpected_exception_exits_3_with_the_report_pointer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def action(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    fake_command(monkeypatch, action)
    assert cli.main(["fake"]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: division by zero" in err
    assert REPORT_URL in err
    assert "IDP_DEBUG=1" in err
    assert "Traceback" not in err


def test_unexpected_exception_with_debug_prints_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def action(args: argparse.Namespace) -> int:
        raise KeyError("missing")

    fake_command(monkeypatch, action)
    monkeypatch.setenv("IDP_DEBUG", "1")
    assert cli.main(["fake"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'missing'" in err


def test_keyboard_interrupt_exits_130(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def action(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    fake_command(monkeypatch, action)
    assert cli.main(["fake"]) == 130
    assert capsys.readouterr().err == "idp: interrupted\n"


HEAVY = ("jsonschema", "yaml", "ruamel", "actions_toolkit", "requests", "github", "jinja2")


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["config", "--help"], ["config", "validate", "--help"]])
def test_fast_paths_import_nothing_heavy(argv: list[str]) -> None:
    """`idp --version` and help must start fast (<150 ms): no heavy imports on those paths."""
    code = (
        "import sys\n"
        "from idp_actions.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print('HEAVY:', ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )
    assert result.stdout.splitlines()[-1] == "HEAVY: "
