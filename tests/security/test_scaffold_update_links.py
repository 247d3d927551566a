"""A repository being updated cannot make the update write outside it through a symbolic link."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_actions.scaffold.source import History
from idp_actions.scaffold.update import UpdateError, update_tree
from tests.conftest import ROOT
from tests.integration.test_scaffold_update import git, history, made_from_old

__all__ = ["history"]  # the module-scoped fixture, shared with the integration tests


@pytest.mark.parametrize("where", ["Dockerfile", "monitoring"])
def test_a_link_out_of_the_repository_stops_the_update(history: History, tmp_path: Path, where: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("keep me\n")
    repo = made_from_old(history, tmp_path / "payments-api")
    target = repo / where
    if target.exists():
        target.unlink()
    target.symlink_to(victim if where == "Dockerfile" else outside)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "a link out")
    with pytest.raises(UpdateError, match=f"{where} is a symbolic link leading out of the repository"):
        update_tree(repo, templates=ROOT / "templates", history=history, work=tmp_path / "work")
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
