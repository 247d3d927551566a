"""`idp scan` settings: options over action inputs over .github/idp.yaml over defaults."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from idp_actions.cli import main
from idp_actions.commands import scan
from idp_actions.errors import UsageError
from idp_actions.findings import Severity


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    scan.configure(parser)
    return parser.parse_args(list(argv))


def test_defaults_come_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "idp.yaml").write_text(
        "version: 1\nscan:\n  severity-threshold: CRITICAL\n  ignore-unfixed: true\n  scanners: [vuln, sast]\n"
        "  exclude: [vendor/**]\n", encoding="utf-8")
    settings = scan.settings_from(_args(str(tmp_path)), environ={})
    assert settings.threshold is Severity.CRITICAL
    assert settings.ignore_unfixed is True
    assert settings.scanners == ("vuln", "sast")
    assert settings.exclude == ("vendor/**",)
    assert settings.base is None and settings.category == "idp-scan"


def test_action_inputs_override_the_configuration_and_options_override_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INPUT_SEVERITY_THRESHOLD", "medium")
    monkeypatch.setenv("INPUT_SCANNERS", "sast, secret")
    monkeypatch.setenv("INPUT_EXCLUDE", "docs/**\n\n  testdata/**  \n")
    monkeypatch.setenv("INPUT_IGNORE_UNFIXED", "true")
    monkeypatch.setenv("INPUT_CATEGORY", "platform")
    settings = scan.settings_from(_args(str(tmp_path)), environ={})
    assert (settings.threshold, settings.scanners, settings.exclude, settings.ignore_unfixed, settings.category) == (
        Severity.MEDIUM, ("sast", "secret"), ("docs/**", "testdata/**"), True, "platform")
    settings = scan.settings_from(_args(str(tmp_path), "--severity-threshold", "low", "--scanners", "vuln"),
                                  environ={})
    assert (settings.threshold, settings.scanners) == (Severity.LOW, ("vuln",))


def test_a_bad_input_names_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_SEVERITY_THRESHOLD", "urgent")
    with pytest.raises(UsageError, match=r"input `severity-threshold`: unknown severity 'urgent'"):
        scan.settings_from(_args(str(tmp_path)), environ={})
    monkeypatch.delenv("INPUT_SEVERITY_THRESHOLD")
    monkeypatch.setenv("INPUT_IGNORE_UNFIXED", "yes")
    with pytest.raises(UsageError, match="input `ignore-unfixed` must be a boolean"):
        scan.settings_from(_args(str(tmp_path)), environ={})


def test_pull_request_events_compare_with_the_base_commit(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 4, "base": {"sha": "a" * 40}}}), encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_SERVER_URL": "https://github.com", "GITHUB_TOKEN": "ghs_x"}
    settings = scan.settings_from(_args(str(tmp_path)), environ=env)
    assert settings.base == "a" * 40
    assert settings.fetch_env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert settings.fetch_env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ")
    assert scan.settings_from(_args(str(tmp_path), "--base", "none"), environ=env).base is None
    assert scan.settings_from(_args(str(tmp_path), "--base", "main"), environ=env).base == "main"
    push = {**env, "GITHUB_EVENT_NAME": "push"}
    assert scan.settings_from(_args(str(tmp_path)), environ=push).base is None


def test_download_db_only_needs_a_cache_dir(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--download-db-only"]) == 1
    assert "--download-db-only needs --trivy-cache-dir DIR" in capsys.readouterr().err


def test_sarif_locations_are_relative_to_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "services" / "web").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert scan._prefix(Path("services/web")) == "services/web/"
    assert scan._prefix(Path()) == ""
    assert scan._prefix(tmp_path.parent) == ""  # outside the workspace: paths as they are


def test_a_bad_comment_mode_is_refused_before_any_tool_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INPUT_COMMENT", "sometimes")
    monkeypatch.setenv("PATH", str(tmp_path))  # no semgrep, no trivy: a scan that started would fail on them
    assert main(["scan", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "input `comment` must be one of auto, always, never, got 'sometimes'" in err
    assert "not found" not in err and "semgrep" not in err
