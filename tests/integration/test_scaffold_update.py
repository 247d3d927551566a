"""``idp scaffold update`` on a repository made from an older template version.

The history: a git repository standing in for idp-actions, whose first commit holds
python-service 0.9.0 (this template with an older README, no monitoring/, no
operations page) and whose second holds the current template. The repository was
made from 0.9.0 and then changed by its team; the update must keep their changes,
bring the template's, and mark where both changed the same lines.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from idp_actions import cli
from idp_actions.scaffold.manifest import find_template, load_manifest
from idp_actions.scaffold.render import read_answers, render
from idp_actions.scaffold.request import Context
from idp_actions.scaffold.source import History, TemplateError
from idp_actions.scaffold.update import STATUS_CONTEXT, UpdateError, update_tree
from tests.conftest import ROOT
from tests.fakes.github_scaffold import GitBacking
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openapi import nonconforming
from tests.unit.test_scaffold_render import answers_for

TEMPLATES = ROOT / "templates"
OLD = "0.9.0"
NEW = find_template("python-service", TEMPLATES).version
USER_README_LINE = "## Working on it (our team's notes)\n"


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(cwd),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_old_version(folder: Path) -> None:
    """Turn a copy of the current python-service into its (fictional) 0.9.0."""
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace(f"version: {NEW}", f"version: {OLD}"))
    template = folder / "template"
    readme = template / "README.md.jinja"
    readme.write_text(readme.read_text().replace("## Develop\n", "## Development\n"))
    shutil.rmtree(template / "monitoring")
    (template / "docs" / "operations.md.jinja").unlink()
    mkdocs = template / "mkdocs.yml.jinja"
    mkdocs.write_text(mkdocs.read_text().replace("  - Operations: operations.md\n", ""))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """A stand-in for idp-actions' history: python-service 0.9.0, then the current one."""
    repo = tmp_path_factory.mktemp("idp-actions-history")
    git(repo, "init", "--quiet", "--initial-branch", "main")
    target = repo / "templates" / "python-service"
    shutil.copytree(TEMPLATES / "python-service", target)
    make_old_version(target)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", f"python-service {OLD}")
    shutil.rmtree(target)
    shutil.copytree(TEMPLATES / "python-service", target)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", f"python-service {NEW}")
    return History(repo)


def made_from_old(history: History, dest: Path) -> Path:
    """A repository rendered from 0.9.0 and committed, then changed by its team."""
    old = history.export("python-service", OLD, dest.parent / "old-template")
    render(load_manifest(old / "manifest.yaml"), answers_for("python-service"), dest)
    git(dest, "init", "--quiet", "--initial-branch", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "Scaffold")
    readme = dest / "README.md"
    readme.write_text(readme.read_text().replace("## Development\n", USER_README_LINE))
    (dest / "CHANGELOG.md").write_text("# Changelog\n\n- our own file\n")
    app = dest / "src" / "payments_api" / "app.py"
    app.write_text("# Our team's note: keep this comment.\n" + app.read_text())
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "Our changes")
    return dest


def test_history_exports_a_version(history: History, tmp_path: Path) -> None:
    old = history.export("python-service", OLD, tmp_path / "x")
    assert load_manifest(old / "manifest.yaml").version == OLD
    with pytest.raises(TemplateError, match=r"version 0\.1\.0 of template python-service is not in the history"):
        history.export("python-service", "0.1.0", tmp_path / "y")


def test_update_merges_the_template_with_the_repositorys_own_changes(history: History, tmp_path: Path) -> None:
    repo = made_from_old(history, tmp_path / "payments-api")
    result = update_tree(repo, templates=TEMPLATES, history=history, context=Context(), work=tmp_path / "work")

    assert (result.old_version, result.new_version) == (OLD, NEW)
    changed = dict((path, letter) for letter, path in result.changes)
    assert changed["monitoring/grafana/dashboard.json"] == "A"
    assert changed["docs/operations.md"] == "A"
    assert changed["mkdocs.yml"] == "M" and changed[".copier-answers.yml"] == "M"
    assert "CHANGELOG.md" not in changed and "src/payments_api/app.py" not in changed
    # the team's own changes are still there
    assert (repo / "CHANGELOG.md").read_text().endswith("our own file\n")
    assert (repo / "src/payments_api/app.py").read_text().startswith("# Our team's note")
    # both changed the README heading: a conflict, marked in the file
    assert result.conflicts == ("README.md",)
    readme = (repo / "README.md").read_text()
    assert "<<<<<<< before updating" in readme and ">>>>>>> after updating" in readme
    assert USER_README_LINE in readme and "## Develop\n" in readme
    # the answers now name the new version, and the stable template location
    answers = read_answers(repo)
    assert answers["_commit"] == f"v{NEW}"
    assert answers["_src_path"] == "idp-actions:templates/python-service"
    # the result is staged on the original commit: the temporary commit is gone
    assert git(repo, "log", "--format=%s").split("\n")[:2] == ["Our changes", "Scaffold"]
    assert git(repo, "diff", "--name-only").strip() == ""


def test_an_up_to_date_repository_is_left_alone(history: History, tmp_path: Path) -> None:
    repo = tmp_path / "current"
    render(find_template("python-service", TEMPLATES), answers_for("python-service"), repo)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "Scaffold")
    result = update_tree(repo, templates=TEMPLATES, history=history, work=tmp_path / "work")
    assert result.up_to_date and result.changes == ()


def test_a_repository_from_a_newer_version_is_refused(history: History, tmp_path: Path) -> None:
    repo = made_from_old(history, tmp_path / "payments-api")
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"_commit: v{OLD}", "_commit: v9.0.0"))
    git(repo, "commit", "--quiet", "-am", "from the future")
    with pytest.raises(UpdateError, match="newer than this idp's"):
        update_tree(repo, templates=TEMPLATES, history=history, work=tmp_path / "work")


# ------------------------------------------------------------------ the pull request


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeGitHub, GitBacking]]:
    backing = GitBacking(tmp_path / "remotes")
    with FakeGitHub(extensions=[backing]) as fake:
        backing.attach(fake)
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(backing.gitconfig))
        monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
        monkeypatch.setenv("INPUT_GITHUB_TOKEN", fake.bot_token)
        yield fake, backing
    problems = nonconforming(fake.exchanges)
    assert not problems, "\n".join(problems)


def publish_old(history: History, backing: GitBacking, fake: FakeGitHub, tmp_path: Path) -> None:
    backing.add_repo(fake.state, "acme", "payments-api")
    repo = made_from_old(history, tmp_path / "payments-api")
    git(repo, "push", "--quiet", str(backing.bare("acme/payments-api")), "HEAD:refs/heads/main")


def test_update_opens_a_pull_request_with_conflicts_and_a_failing_status(
    history: History, github: tuple[FakeGitHub, GitBacking], tmp_path: Path, actions_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, backing = github
    publish_old(history, backing, fake, tmp_path)
    code = cli.main(["scaffold", "update", "acme/payments-api", "--history", str(history.repo)])
    out, err = capsys.readouterr()
    assert code == 0, err

    repo = fake.state.repo("acme/payments-api")
    assert repo is not None
    (pull,) = [issue for issue in repo.issues.values() if issue.pull]
    assert pull.pull is not None
    branch = f"idp/template-python-service-{NEW}"
    assert (pull.pull.head_ref, pull.pull.base_ref) == (branch, "main")
    assert pull.title == f"Update from template python-service {NEW} (1 conflicts)"
    body = pull.body or ""
    assert f"**{OLD}** to **{NEW}**" in body and "- `README.md`" in body and "1 file(s) need you" in body
    head = repo.head(branch)
    assert head is not None
    assert "<<<<<<< before updating" in head.tree["README.md"].decode()
    assert "monitoring/prometheus/scrape-config.yaml" in head.tree
    assert head.tree["CHANGELOG.md"].decode().endswith("our own file\n")
    assert yaml.safe_load(head.tree[".copier-answers.yml"])["_commit"] == f"v{NEW}"
    assert head.parents == [repo.head("main").sha]  # type: ignore[union-attr]
    (status,) = backing.extras["acme/payments-api"].statuses
    assert (status["state"], status["context"], status["sha"]) == ("failure", STATUS_CONTEXT, head.sha)
    outputs = actions_env["OUTPUT"].read_text()
    assert "updated" in outputs and f"/acme/payments-api/pull/{pull.number}" in outputs
    assert "README.md  (conflict)" in err
    assert f"/acme/payments-api/pull/{pull.number}" in out


def test_update_of_an_up_to_date_repository_opens_nothing(
    history: History, github: tuple[FakeGitHub, GitBacking], tmp_path: Path, actions_env: dict[str, Path],
) -> None:
    fake, backing = github
    backing.add_repo(fake.state, "acme", "current")
    repo = tmp_path / "current"
    render(find_template("python-service", TEMPLATES), answers_for("python-service", name="current"), repo)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "Scaffold")
    git(repo, "push", "--quiet", str(backing.bare("acme/current")), "HEAD:refs/heads/main")
    assert cli.main(["scaffold", "update", "acme/current", "--history", str(history.repo)]) == 0
    assert fake.count("POST") == 0
    assert "up-to-date" in actions_env["OUTPUT"].read_text()


def test_update_needs_a_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scaffold", "update", "acme/x", "--history", str(tmp_path)]) == 1
    assert "holds no earlier template versions" in capsys.readouterr().err


def test_update_of_a_local_clone_stages_the_changes(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = made_from_old(history, tmp_path / "payments-api")
    code = cli.main(["scaffold", "update", "--path", str(repo), "--history", str(history.repo)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"python-service {OLD} → {NEW}" in err and "1 conflict(s)" in err
    assert "monitoring/grafana/dashboard.json" in git(repo, "diff", "--cached", "--name-only")
    assert git(repo, "log", "--format=%s").split("\n")[0] == "Our changes"
