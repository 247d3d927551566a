"""The org Semgrep rule pack: shape, coverage, and `semgrep --test` on every rule's fixtures."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, require_tool

PACK = ROOT / "policies" / "semgrep"
RULE_FILES = sorted(PACK.glob("*/*.yaml"))
REQUIRED_LANGUAGES = {"python", "javascript", "typescript", "go", "bash", "dockerfile"}
EXTENSIONS = {"python": ".py", "javascript": ".js", "typescript": ".ts", "go": ".go", "bash": ".bash",
              "dockerfile": ".dockerfile"}


def _rules() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, rule) for path in RULE_FILES for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]]


def test_the_pack_has_at_least_15_rules_across_the_required_languages() -> None:
    rules = _rules()
    assert len(rules) >= 15
    languages = {language for _, rule in rules for language in rule["languages"]}
    assert REQUIRED_LANGUAGES <= languages
    ids = [rule["id"] for _, rule in rules]
    assert len(ids) == len(set(ids)), "rule ids must be unique"


@pytest.mark.parametrize(("path", "rule"), _rules(), ids=lambda value: getattr(value, "name", ""))
def test_every_rule_is_documented_and_has_test_fixtures(path: Path, rule: dict[str, Any]) -> None:
    language_dir = path.parent.name
    assert rule["id"] == f"idp.{language_dir}.{rule['id'].split('.')[-1]}", "ids are idp.<language>.<name>"
    assert rule["severity"] in ("ERROR", "WARNING", "INFO")
    assert len(rule["message"]) > 60, "the message says what is wrong and what to do"
    metadata = rule["metadata"]
    assert metadata["category"] == "security"
    assert metadata["cwe"] and metadata["confidence"] in ("HIGH", "MEDIUM", "LOW")
    assert metadata["references"][0].startswith("https://")
    fixtures = [path.with_suffix(EXTENSIONS[language]) for language in rule["languages"]]
    existing = [f for f in fixtures if f.is_file()]
    assert existing, f"{path.name} has no test file ({', '.join(f.name for f in fixtures)})"
    for fixture in existing:
        text = fixture.read_text(encoding="utf-8")
        assert f"ruleid: {rule['id']}" in text, f"{fixture.name} has no `ruleid:` case"
        assert f"ok: {rule['id']}" in text, f"{fixture.name} has no `ok:` case"


def _semgrep_test(directory: Path) -> dict[str, Any]:
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    done = subprocess.run(
        [require_tool("semgrep"), "--metrics=off", "--disable-version-check", "--test", "--json", str(directory)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    try:
        data: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"semgrep --test {directory.name} printed no JSON (exit {done.returncode}):\n{done.stderr[-2000:]}")
    data["returncode"] = done.returncode
    return data


def test_semgrep_test_passes_for_every_rule() -> None:
    """`semgrep --test` per language folder (one Semgrep per rule inside; the folders run in parallel)."""
    folders = sorted(p for p in PACK.iterdir() if p.is_dir())
    with ThreadPoolExecutor(max_workers=len(folders)) as pool:
        reports = dict(zip(folders, pool.map(_semgrep_test, folders), strict=True))
    checked: set[str] = set()
    for folder, data in reports.items():
        assert data["returncode"] == 0, f"{folder.name}: {json.dumps(data, indent=1)[:3000]}"
        assert not data["config_missing_tests"] and not data["config_with_errors"], folder.name
        for result in data["results"].values():
            for rule_id, check in result["checks"].items():
                assert check["passed"], f"{rule_id}: {json.dumps(check['matches'], indent=1)}"
                for expectation in check["matches"].values():
                    assert expectation["expected_lines"], f"{rule_id} has a test file without ruleid: lines"
                checked.add(rule_id)
    assert checked == {rule["id"] for _, rule in _rules()}
