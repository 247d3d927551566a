"""All self-references agree, and the release script moves them to the release tag together."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "release"), *args], capture_output=True, text=True, check=False
    )


def test_self_references_in_this_tree_agree() -> None:
    result = run(ROOT, "--check")
    assert result.returncode == 0, result.stderr
    assert "idp-actions/idp-actions@" in result.stdout


def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "suite"
    (dest / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "release", dest / "scripts" / "release")
    shutil.copy2(ROOT / "action.yml", dest / "action.yml")
    shutil.copytree(ROOT / "actions", dest / "actions")
    shutil.copytree(ROOT / ".github" / "workflows", dest / ".github" / "workflows")
    return dest


def test_release_rewrites_every_self_reference(tmp_path: Path) -> None:
    suite = copy(tmp_path)
    result = run(suite, "v1.4.0", "--org", "acme")
    assert result.returncode == 0, result.stderr
    assert "acme/idp-actions@v1.4.0" in result.stdout
    texts = [p.read_text(encoding="utf-8") for p in suite.rglob("*.yml")]
    assert any("uses: acme/idp-actions/actions/setup@v1.4.0" in t for t in texts)
    assert not any("idp-actions/idp-actions/actions/setup@main" in t for t in texts)


def test_disagreeing_references_are_reported(tmp_path: Path) -> None:
    suite = copy(tmp_path)
    action = suite / "action.yml"
    action.write_text(action.read_text(encoding="utf-8").replace("setup@main", "setup@v9.9.9"), encoding="utf-8")
    result = run(suite, "--check")
    assert result.returncode == 1
    assert "disagree" in result.stderr
    assert "idp-actions/idp-actions@v9.9.9: action.yml" in result.stderr


def test_a_tag_must_look_like_a_release(tmp_path: Path) -> None:
    result = run(copy(tmp_path), "main")
    assert result.returncode == 1
    assert "not a release tag" in result.stderr
