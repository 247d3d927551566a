"""`idp_actions.gha`: what reaches the runner through its files and workflow commands."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from idp_actions import gha
from idp_actions.errors import InputError


def parse_runner_file(path: Path) -> list[tuple[str, str]]:
    """Read GITHUB_OUTPUT / GITHUB_ENV as the runner does (actions/runner FileCommandManager, Linux).

    Lines are split at LF. A line is `name=value` when its first `=` comes before any `<<`,
    otherwise a heredoc `name<<DELIMITER`: the value is everything up to the line that equals
    the delimiter, without the newline before it. Empty lines between commands are skipped.
    """
    text = path.read_bytes().decode("utf-8")
    pairs: list[tuple[str, str]] = []
    index = 0

    def read_line() -> tuple[str | None, bool]:
        nonlocal index
        if index >= len(text):
            return None, False
        end = text.find("\n", index)
        if end < 0:
            line, index = text[index:], len(text)
            return line, False
        line, index = text[index:end], end + 1
        return line, True

    line, _ = read_line()
    while line is not None:
        if line:
            equals, heredoc = line.find("="), line.find("<<")
            if equals >= 0 and (heredoc < 0 or equals < heredoc):
                name, value = line.split("=", 1)
                assert name, f"invalid format {line!r}: name must not be empty"
            elif heredoc >= 0:
                name, delimiter = line.split("<<", 1)
                assert name and delimiter, f"invalid format {line!r}"
                start = end = index
                current, had_newline = read_line()
                while current != delimiter:
                    assert current is not None, f"matching delimiter not found {delimiter!r}"
                    assert had_newline, "EOF marker missing new line"
                    end = index - 1
                    current, had_newline = read_line()
                value = text[start:end] if end > start else ""
            else:
                raise AssertionError(f"invalid format {line!r}")
            pairs.append((name, value))
        line, _ = read_line()
    return pairs


# -------------------------------------------------------------------- outputs

TRICKY = [
    "plain",
    "line one\nline two",
    "EOF",
    "EOF\nEOF",
    "x=y",
    "a<<b",
    "ghadelimiter_00000000-0000-0000-0000-000000000000",
    "value\nghadelimiter_00000000-0000-0000-0000-000000000000\nmore",
    "",
    "trailing newline\n",
    "\n\nleading newlines",
    "crlf\r\nline",
    "  spaces kept  ",
    "ünïcødé ✓",
]


@pytest.mark.parametrize("value", TRICKY)
def test_set_output_arrives_as_exactly_one_output(value: str, actions_env: dict[str, Path]) -> None:
    gha.set_output("result", value)
    assert parse_runner_file(actions_env["OUTPUT"]) == [("result", value)]


def test_many_outputs_in_a_row(actions_env: dict[str, Path]) -> None:
    for i, value in enumerate(TRICKY):
        gha.set_output(f"out-{i}", value)
    gha.set_output("count", 3)
    gha.set_output("data", {"a": [1, 2]})
    gha.set_output("flag", True)
    expected = [(f"out-{i}", v) for i, v in enumerate(TRICKY)]
    expected += [("count", "3"), ("data", '{"a": [1, 2]}'), ("flag", "true")]
    assert parse_runner_file(actions_env["OUTPUT"]) == expected


def test_set_output_outside_actions_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    gha.set_output("result", "value")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("name", ["", "a=b", "a<<b", "a\nb"])
def test_output_names_that_would_corrupt_the_file_are_refused(name: str, actions_env: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="invalid output name"):
        gha.set_output(name, "x")
    assert actions_env["OUTPUT"].read_text() == ""


def test_export_variable_uses_the_same_format(actions_env: dict[str, Path]) -> None:
    gha.export_variable("MULTI", "a\nb=c\nEOF")
    assert parse_runner_file(actions_env["ENV"]) == [("MULTI", "a\nb=c\nEOF")]
    assert os.environ["MULTI"] == "a\nb=c\nEOF"


def test_add_path(actions_env: dict[str, Path], tmp_path: Path) -> None:
    gha.add_path(tmp_path / "bin")
    assert actions_env["PATH"].read_text() == f"{tmp_path / 'bin'}\n"
    assert os.environ["PATH"].startswith(f"{tmp_path / 'bin'}{os.pathsep}")


# --------------------------------------------------------------------- inputs


def test_required_input_missing_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as info:
        gha.get_input("severity-threshold", required=True)
    message = str(info.value)
    assert "input `severity-threshold` is required but was not supplied" in message
    assert "INPUT_SEVERITY_THRESHOLD" in message
    monkeypatch.setenv("INPUT_SEVERITY_THRESHOLD", "   ")
    with pytest.raises(InputError, match="severity-threshold"):
        gha.get_input("severity-threshold", required=True)


def test_input_is_trimmed_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gha.get_input("missing", default="fallback") == "fallback"
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", "  infra/prod \n")
    assert gha.get_input("working-directory") == "infra/prod"
    assert gha.get_input("working-directory", trim=False) == "  infra/prod \n"


def test_input_with_the_runners_own_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    # JavaScript and Docker actions get INPUT_ names with the dashes kept.
    monkeypatch.setenv("INPUT_SEVERITY-THRESHOLD", "HIGH")
    assert gha.get_input("severity-threshold") == "HIGH"


@pytest.mark.parametrize(("raw", "expected"), [
    ("true", True), ("True", True), ("TRUE", True), (" true ", True),
    ("false", False), ("False", False), ("FALSE", False),
])
def test_bool_input(raw: str, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_FAIL_ON_FINDINGS", raw)
    assert gha.get_bool_input("fail-on-findings") is expected


@pytest.mark.parametrize("raw", ["yes", "1", "on", "tRue", "enabled"])
def test_bool_input_refuses_other_words(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_FAIL_ON_FINDINGS", raw)
    with pytest.raises(InputError) as info:
        gha.get_bool_input("fail-on-findings")
    assert str(info.value) == (
        f"input `fail-on-findings` must be a boolean, got {raw!r}\n"
        "  hint: use one of: true, True, TRUE, false, False, FALSE"
    )


def test_bool_input_default() -> None:
    assert gha.get_bool_input("absent") is False
    assert gha.get_bool_input("absent", default=True) is True


def test_multiline_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_PATHS", "  infra/a \n\n   \r\ninfra/b\r\n  infra/c\n")
    assert gha.get_multiline_input("paths") == ["infra/a", "infra/b", "infra/c"]
    assert gha.get_multiline_input("absent") == []
    with pytest.raises(InputError, match="input `absent` is required"):
        gha.get_multiline_input("absent", required=True)


def test_int_and_choice_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gha.get_int_input("timeout", default=5) == 5
    monkeypatch.setenv("INPUT_TIMEOUT", "ten")
    with pytest.raises(InputError, match="input `timeout` must be a whole number, got 'ten'"):
        gha.get_int_input("timeout", default=5)
    monkeypatch.setenv("INPUT_TIMEOUT", "0")
    with pytest.raises(InputError, match="input `timeout` must be at least 1, got 0"):
        gha.get_int_input("timeout", default=5, minimum=1)
    monkeypatch.setenv("INPUT_MODE", "sideways")
    with pytest.raises(InputError, match="input `mode` must be one of direct, pull-request; got 'sideways'"):
        gha.get_choice_input("mode", ("direct", "pull-request"), default="direct")


# --------------------------------------------------------------- step summary


def test_summary_is_appended(actions_env: dict[str, Path]) -> None:
    gha.write_summary("# one")
    gha.write_summary("two\n")
    assert actions_env["STEP_SUMMARY"].read_text() == "# one\ntwo\n"


def test_summary_outside_actions_is_skipped() -> None:
    assert gha.write_summary("# nothing") is None


def test_summary_is_capped_at_one_mib(actions_env: dict[str, Path]) -> None:
    rows = "".join(f"| row {i} | {'x' * 80} |\n" for i in range(30_000))  # ~2.7 MB
    gha.write_summary(rows)
    data = actions_env["STEP_SUMMARY"].read_bytes()
    assert len(data) <= gha.SUMMARY_LIMIT
    assert len(data) > gha.SUMMARY_LIMIT - 200  # nearly all of the budget is used
    text = data.decode("utf-8")
    assert text.endswith(gha.TRUNCATION_NOTICE)
    body = text[: -len(gha.TRUNCATION_NOTICE)]
    assert body.endswith(" |\n")  # cut at a row boundary, not mid-row


def test_summary_cap_counts_existing_content(actions_env: dict[str, Path]) -> None:
    summary = actions_env["STEP_SUMMARY"]
    earlier = "## earlier step\n" + "e" * 600_000 + "\n"
    summary.write_text(earlier, encoding="utf-8")
    gha.write_summary("\n".join("y" * 99 for _ in range(10_000)))  # 1 MB more
    data = summary.read_bytes()
    assert len(data) <= gha.SUMMARY_LIMIT
    assert data.startswith(earlier.encode())
    assert data.decode().endswith(gha.TRUNCATION_NOTICE)


def test_summary_when_the_file_is_nearly_full(actions_env: dict[str, Path]) -> None:
    summary = actions_env["STEP_SUMMARY"]
    summary.write_bytes(b"z" * (gha.SUMMARY_LIMIT - 20))
    gha.write_summary("more text than twenty bytes can hold, by a long way")
    assert summary.stat().st_size <= gha.SUMMARY_LIMIT
    gha.write_summary("tiny")  # still fits
    assert summary.read_bytes().endswith(b"tiny\n")
    assert summary.stat().st_size <= gha.SUMMARY_LIMIT


def test_summary_when_the_file_is_already_over_the_limit(actions_env: dict[str, Path]) -> None:
    summary = actions_env["STEP_SUMMARY"]
    summary.write_bytes(b"z" * (gha.SUMMARY_LIMIT + 5))
    gha.write_summary("anything")
    assert summary.stat().st_size == gha.SUMMARY_LIMIT + 5


@pytest.mark.parametrize("budget", [-1, 0, 1, 10, 100, 149, 150, 151, 155, 156, 200, 1000])
def test_fit_summary_never_exceeds_the_budget(budget: int) -> None:
    notice = len(gha.TRUNCATION_NOTICE.encode())
    for text in ("a" * 5000, "é" * 3000 + "\n" * 10, "```\n" + "code\n" * 1000, "line\n" * 1000):
        fitted = gha.fit_summary(text, budget)
        size = len(fitted.encode("utf-8"))
        assert size <= max(budget, 0)
        if budget >= notice:
            assert fitted.endswith(gha.TRUNCATION_NOTICE)
        else:
            assert fitted == ""


def test_fit_summary_keeps_text_that_fits_and_never_splits_characters() -> None:
    assert gha.fit_summary("short", 10) == "short"
    fitted = gha.fit_summary("é" * 1000, 400)
    fitted.encode("utf-8").decode("utf-8")  # valid UTF-8
    assert fitted.endswith(gha.TRUNCATION_NOTICE)


def test_fit_summary_closes_an_open_code_block() -> None:
    text = "## Plan\n\n```diff\n" + "".join(f"+ resource {i}\n" for i in range(2000)) + "```\n"
    fitted = gha.fit_summary(text, 2000)
    assert len(fitted.encode()) <= 2000
    body = fitted[: -len(gha.TRUNCATION_NOTICE)]
    assert body.endswith("\n```\n")
    assert sum(1 for line in body.splitlines() if line.startswith("```")) == 2


# ---------------------------------------------------------------- annotations


def test_annotation_with_file_and_line(actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gha.error("boom", file="src/app.py", line=3)
    gha.warning("careful", file="src/app.py", line=10, end_line=12, title="Style")
    gha.notice("fyi", file="README.md")
    gha.error("no place")
    assert capsys.readouterr().out.splitlines() == [
        "::error file=src/app.py,line=3,endLine=3::boom",
        "::warning title=Style,file=src/app.py,line=10,endLine=12::careful",
        "::notice file=README.md::fyi",
        "::error::no place",
    ]


def test_annotation_escaping(actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gha.error("100% broken\nsecond line\r\n::warning::injected", file="dir,with:odd.py", line=1,
              title="a: b, c")
    (line,) = capsys.readouterr().out.splitlines()
    assert line == (
        "::error title=a%3A b%2C c,file=dir%2Cwith%3Aodd.py,line=1,endLine=1::"
        "100%25 broken%0Asecond line%0D%0A::warning::injected"
    )


def test_annotation_outside_actions(capsys: pytest.CaptureFixture[str]) -> None:
    gha.error("boom", file="src/app.py", line=3)
    gha.warning("careful", file="src/app.py")
    gha.notice("fyi", title="Note")
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["src/app.py:3: error: boom", "src/app.py: warning: careful", "notice: Note: fyi"]


# -------------------------------------------------------------------- masking


def test_mask_registers_every_line_of_a_multiline_secret(
    actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "-----BEGIN KEY-----\r\nMIIEabc\n  indented\n\nMIIEabc\n-----END KEY-----\n"
    gha.mask(secret)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "::add-mask::-----BEGIN KEY-----",
        "::add-mask::MIIEabc",
        "::add-mask::  indented",
        "::add-mask::-----END KEY-----",
    ]


def test_mask_single_line_and_empty(actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gha.mask("hunter2")
    gha.mask("")
    gha.mask("   ")
    assert capsys.readouterr().out.splitlines() == ["::add-mask::hunter2"]


def test_mask_outside_actions_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    gha.mask("hunter2\nline")
    assert capsys.readouterr() == ("", "")


# --------------------------------------------------------------------- groups


def test_group_in_actions(actions_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    with gha.group("tofu plan: infra/prod"):
        print("planning")
    with pytest.raises(RuntimeError), gha.group("failing"):
        raise RuntimeError("x")
    assert capsys.readouterr().out.splitlines() == [
        "::group::tofu plan: infra/prod",
        "planning",
        "::endgroup::",
        "::group::failing",
        "::endgroup::",
    ]


def test_group_outside_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with gha.group("scan"):
        print("work")
    out, err = capsys.readouterr()
    assert (out, err) == ("work\n", "== scan\n")


def test_in_actions(actions_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    assert gha.in_actions()
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert not gha.in_actions()
