"""All self-references agree, and the release script moves them to the release tag together."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


# ---------------------------------------------------------------- a release of the whole tree

#: Everything scripts/release reads (workflows/ only once the starter workflows exist).
RELEASED = ("action.yml", "actions", ".github/workflows", "templates", "workflows", "zizmor.yml")
#: `OWNER/idp-actions[/path]@ref` — the shape of a self-reference.
SELF_REF = re.compile(r"(?P<repo>[A-Za-z0-9_.-]+/idp-actions)(?P<path>/[A-Za-z0-9_./-]+)?@(?P<ref>[A-Za-z0-9_./-]+)")


def is_pin_policy(line: str) -> bool:
    """zizmor's pin policy for the suite (`"OWNER/idp-actions/*": ref-pin`), which a fork's release renames."""
    return bool(re.search(r'"[A-Za-z0-9_.-]+/idp-actions/\*"\s*:\s*ref-pin', line))


def full_copy(tmp_path: Path) -> Path:
    """A copy of everything a release rewrites, with the release script."""
    dest = tmp_path / "suite"
    (dest / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "release", dest / "scripts" / "release")
    for name in RELEASED:
        source = ROOT / name
        if source.is_file():
            shutil.copy2(source, dest / name)
        elif source.is_dir():
            shutil.copytree(source, dest / name)
    return dest


def yaml_files(root: Path) -> dict[str, str]:
    """``relative path -> text`` of every YAML file a release reads."""
    out: dict[str, str] = {}
    for name in RELEASED:
        path = root / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        for file in candidates:
            if file.is_file() and file.suffix in (".yml", ".yaml"):
                out[file.relative_to(root).as_posix()] = file.read_text(encoding="utf-8")
    return out


def is_uses(line: str) -> bool:
    return line.lstrip().removeprefix("- ").lstrip().startswith("uses:")


def self_refs(text: str) -> list[str]:
    """The self-references on the `uses:` lines of ``text``, in order."""
    return [m.group(0) for line in text.splitlines() if is_uses(line) for m in SELF_REF.finditer(line)]


def test_a_release_moves_every_self_reference_of_the_tree(tmp_path: Path) -> None:
    before = yaml_files(ROOT)
    suite = full_copy(tmp_path)

    result = run(suite, "v9.9.9", "--org", "acme")

    assert result.returncode == 0, result.stderr
    after = yaml_files(suite)
    assert after.keys() == before.keys()
    moved = {path for path, text in before.items() if self_refs(text)}
    # The places that must move: workflows, actions, the umbrella action, the workflows
    # the templates write, and the starter workflows once they exist.
    assert "action.yml" in moved
    assert any(p.startswith(".github/workflows/") for p in moved)
    assert any(p.startswith("actions/") for p in moved)
    assert any(p.startswith("templates/") and "/.github/workflows/" in p for p in moved)
    if (ROOT / "workflows").is_dir():
        assert any(p.startswith("workflows/") for p in moved)
    for path in sorted(moved):
        old, new = self_refs(before[path]), self_refs(after[path])
        assert len(new) == len(old), f"{path}: a self-reference was lost or added"
        for was, now in zip(old, new, strict=True):
            old_match, new_match = SELF_REF.fullmatch(was), SELF_REF.fullmatch(now)
            assert old_match is not None and new_match is not None
            assert (new_match["repo"], new_match["ref"]) == ("acme/idp-actions", "v9.9.9"), f"{path}: {now}"
            assert new_match["path"] == old_match["path"], f"{path}: {was} became {now}"
        # Only `uses:` lines change; comments and everything else stay as they were.
        for line_before, line_after in zip(before[path].splitlines(), after[path].splitlines(), strict=True):
            if not is_uses(line_before) and not is_pin_policy(line_before):
                assert line_after == line_before, f"{path}: a line that is not `uses:` changed"
    for path in before.keys() - moved:
        kept = [line for line in before[path].splitlines() if not is_pin_policy(line)]
        assert [line for line in after[path].splitlines() if not is_pin_policy(line)] == kept, \
            f"{path} has no self-reference but changed"

    check = run(suite, "--check")
    assert check.returncode == 0, check.stderr
    assert "every self-reference uses acme/idp-actions@v9.9.9" in check.stdout
    left = [f"{path}: {ref}" for path, text in after.items() for ref in self_refs(text) if ref.endswith("@main")]
    assert not left, "self-references still on @main:\n" + "\n".join(left)
    assert not any(re.search(r"idp-actions(/[\w./-]+)?@main\b", text) for text in after.values())


@pytest.mark.parametrize("tag", ["main", "1.2.3", "v1", "v1.2", "V1.2.3", "v1.2.3.4", "v1.2.3; touch pwn",
                                 "v1.2.3\n"])
def test_a_bad_tag_is_refused_and_nothing_is_written(tmp_path: Path, tag: str) -> None:
    suite = full_copy(tmp_path)
    before = yaml_files(suite)

    result = run(suite, tag)

    assert result.returncode == 1
    assert f"{tag!r} is not a release tag like v1.2.3" in result.stderr
    assert yaml_files(suite) == before


def test_a_release_for_a_fork_moves_zizmors_pin_policy_to_the_fork(tmp_path: Path) -> None:
    suite = full_copy(tmp_path)
    assert run(suite, "v2.0.0", "--org", "acme").returncode == 0
    policies = [suite / "zizmor.yml", *sorted((suite / "templates").glob("*/template/.github/zizmor.yml"))]
    assert len(policies) >= 3
    for path in policies:
        text = path.read_text(encoding="utf-8")
        assert '"acme/idp-actions/*": ref-pin' in text, path
        assert '"idp-actions/idp-actions/*"' not in text, path
    same_org = full_copy(tmp_path / "again")
    assert run(same_org, "v2.0.0").returncode == 0  # no --org: the policy keeps upstream's name
    assert '"idp-actions/idp-actions/*": ref-pin' in (same_org / "zizmor.yml").read_text(encoding="utf-8")
