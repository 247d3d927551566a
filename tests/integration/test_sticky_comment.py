"""The sticky PR comment against the fake GitHub: the adapter and the ``idp comment`` command."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from idp_actions.cli import main
from idp_actions.comment import COMMENT_LIMIT, delete_comment, marker, upsert_comment
from idp_actions.github import make_github
from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_state import Issue, Repo
from tests.integration.conftest import FAST_RETRY

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue as GhIssue

PURPOSE = "terraform-plan"
KEY = "infra/prod:default"
MARK = marker(PURPOSE, KEY)
LIST = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
ONE = "/repos/{owner}/{repo}/issues/comments/{comment_id}"


@pytest.fixture
def repo(fake_github: FakeGitHub) -> Repo:
    return fake_github.state.create_repo("octocat", "infra")


@pytest.fixture
def pull(fake_github: FakeGitHub, repo: Repo) -> Issue:
    return fake_github.state.open_pull(repo, head="change", title="Scale the cluster")


@pytest.fixture
def issue(github_client: Github, repo: Repo, pull: Issue) -> GhIssue:
    """The pull request as PyGithub's Issue (comments on a PR live on its issue)."""
    return github_client.get_repo(repo.full_name).get_issue(pull.number)


def bodies(fake: FakeGitHub, repo: Repo, pull: Issue) -> list[str]:
    return [c.body for c in fake.state.comments_on(repo, pull.number)]


def writes(fake: FakeGitHub) -> list[str]:
    return [f"{e.method} {e.template}" for e in fake.exchanges if e.method != "GET"]


# ------------------------------------------------------------------ adapter


def test_create_then_update_in_place_then_unchanged(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    first = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="Plan: 1 to add")
    assert first.action == "created"
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nPlan: 1 to add"]
    assert first.url.endswith(f"/octocat/infra/pull/{pull.number}#issuecomment-{first.id}")

    second = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="Plan: 2 to add")
    assert (second.action, second.id) == ("updated", first.id)
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nPlan: 2 to add"]

    fake_github.clear_record()
    third = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="Plan: 2 to add")
    assert (third.action, third.id) == ("unchanged", first.id)
    assert writes(fake_github) == []  # no API call when nothing changed
    assert fake_github.count("GET", LIST) == 1


def test_other_comments_are_left_alone(fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue) -> None:
    octocat = fake_github.state.account("octocat")
    assert octocat is not None
    fake_github.state.add_comment(repo, pull.number, "LGTM", user=octocat)
    fake_github.state.add_comment(repo, pull.number, f"quoting:\n{MARK}\n", user=octocat)
    upsert_comment(issue, purpose=PURPOSE, key=KEY, body="plan")
    assert bodies(fake_github, repo, pull) == ["LGTM", f"quoting:\n{MARK}\n", f"{MARK}\nplan"]


def test_duplicates_are_resolved_to_the_oldest(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    octocat = fake_github.state.account("octocat")
    assert octocat is not None
    now = fake_github.state.now()
    # Same second (GitHub's resolution): ties are broken by id, which grows with time.
    oldest = fake_github.state.add_comment(repo, pull.number, f"{MARK}\nold", user=octocat, created_at=now)
    dup1 = fake_github.state.add_comment(repo, pull.number, f"{MARK}\nold", user=octocat, created_at=now)
    dup2 = fake_github.state.add_comment(
        repo, pull.number, f"{MARK}\nold", user=octocat, created_at=now + timedelta(seconds=5)
    )
    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="new")
    assert (result.action, result.id) == ("updated", oldest.id)
    assert set(result.removed_duplicates) == {dup1.id, dup2.id}
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nnew"]
    assert fake_github.count("DELETE", ONE) == 2


def test_a_duplicate_created_concurrently_is_removed_after_creating(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another job posts its comment between our look-up and our create: theirs is older, so ours goes."""
    bot = fake_github.state.account("github-actions[bot]")
    assert bot is not None
    real_create = type(issue).create_comment
    theirs: list[int] = []

    def racing_create(self: GhIssue, body: str) -> object:
        theirs.append(fake_github.state.add_comment(repo, pull.number, f"{MARK}\ntheirs", user=bot).id)
        return real_create(self, body)

    monkeypatch.setattr(type(issue), "create_comment", racing_create)
    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="ours")
    assert (result.action, result.id) == ("updated", theirs[0])
    assert len(result.removed_duplicates) == 1
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nours"]


def test_two_jobs_racing_leave_exactly_one_comment(fake_github: FakeGitHub, repo: Repo, pull: Issue) -> None:
    rounds = 4
    errors: list[BaseException] = []

    def job(barrier: threading.Barrier, key: str, body: str) -> None:
        try:
            with make_github(token=fake_github.user_token, base_url=fake_github.api_url, retry=FAST_RETRY) as gh:
                target = gh.get_repo(repo.full_name).get_issue(pull.number)
                barrier.wait(timeout=10)
                upsert_comment(target, purpose=PURPOSE, key=key, body=body)
        except BaseException as exc:  # reported below
            errors.append(exc)

    for n in range(rounds):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=job, args=(barrier, f"race-{n}", f"job {j}")) for j in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors
    for n in range(rounds):
        mark = marker(PURPOSE, f"race-{n}")
        found = [b for b in bodies(fake_github, repo, pull) if b.startswith(mark)]
        assert len(found) == 1, found


def test_pagination_finds_a_comment_beyond_the_first_hundred(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    octocat = fake_github.state.account("octocat")
    assert octocat is not None
    for i in range(130):
        fake_github.state.add_comment(repo, pull.number, f"chatter {i}", user=octocat)
    sticky = fake_github.state.add_comment(repo, pull.number, f"{MARK}\nold", user=octocat)
    for i in range(120):
        fake_github.state.add_comment(repo, pull.number, f"more chatter {i}", user=octocat)

    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="new")
    assert (result.action, result.id) == ("updated", sticky.id)
    pages = [e for e in fake_github.calls("GET", LIST)]
    assert [e.query.get("page", "1") for e in pages] == ["1", "2", "3"]
    assert {e.query["per_page"] for e in pages} == {"100"}
    assert 'rel="next"' in pages[0].headers["Link"] and 'rel="last"' in pages[0].headers["Link"]
    assert 'rel="next"' not in pages[-1].headers["Link"]
    assert len(pages[-1].body) == 51
    assert fake_github.count("POST", LIST) == 0


def test_different_keys_and_purposes_do_not_clash(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    pairs = [(PURPOSE, KEY), (PURPOSE, "infra/prod"), (PURPOSE, "infra/prod:default2"), ("policy-check", KEY)]
    ids = {pair: upsert_comment(issue, purpose=pair[0], key=pair[1], body=str(pair)).id for pair in pairs}
    assert len(set(ids.values())) == 4
    again = upsert_comment(issue, purpose=PURPOSE, key="infra/prod", body="changed")
    assert (again.action, again.id) == ("updated", ids[(PURPOSE, "infra/prod")])
    assert sorted(bodies(fake_github, repo, pull)) == sorted(
        [f"{marker(p, k)}\n{(p, k)}" for p, k in pairs if (p, k) != (PURPOSE, "infra/prod")]
        + [f"{marker(PURPOSE, 'infra/prod')}\nchanged"]
    )


def test_only_our_authors_comments_are_ours(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    mallory = fake_github.state.account("mallory")
    assert mallory is not None
    planted = fake_github.state.add_comment(repo, pull.number, f"{MARK}\nplanted", user=mallory)
    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="real", author="octocat")
    assert result.action == "created" and result.id != planted.id
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nplanted", f"{MARK}\nreal"]
    assert delete_comment(issue, purpose=PURPOSE, key=KEY, bots_only=True) == ()
    assert delete_comment(issue, purpose=PURPOSE, key=KEY, author="octocat") == (result.id,)
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nplanted"]


def test_an_oversized_body_is_fitted_and_accepted(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    body = "".join(f"  # resource.r{i} will be updated in-place\n" for i in range(5000))
    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body=body, hint="the step summary")
    assert result.truncated
    (stored,) = bodies(fake_github, repo, pull)
    assert stored.startswith(MARK) and len(stored) <= COMMENT_LIMIT
    assert "full text is in the step summary" in stored


def test_a_comment_deleted_under_us_is_recreated(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from github.IssueComment import IssueComment

    octocat = fake_github.state.account("octocat")
    assert octocat is not None
    doomed = fake_github.state.add_comment(repo, pull.number, f"{MARK}\nold", user=octocat)
    real_edit = IssueComment.edit

    def edit_after_someone_deleted_it(self: IssueComment, body: str) -> None:
        if self.id in fake_github.state.comments:
            fake_github.state.delete_comment(self.id)
        real_edit(self, body)

    monkeypatch.setattr(IssueComment, "edit", edit_after_someone_deleted_it)
    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="new")
    assert result.action == "created" and result.id != doomed.id
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nnew"]


def test_rate_limits_while_writing_do_not_duplicate(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue
) -> None:
    fake_github.inject("secondary-rate-limit", method="POST", route=LIST, retry_after=0)
    fake_github.inject("too-many-requests", method="GET", route=LIST, retry_after=0)
    result = upsert_comment(issue, purpose=PURPOSE, key=KEY, body="plan")
    assert result.action == "created"
    assert [e.status for e in fake_github.calls("POST", LIST)] == [403, 201]
    assert bodies(fake_github, repo, pull) == [f"{MARK}\nplan"]


def test_delete_removes_every_copy(fake_github: FakeGitHub, repo: Repo, pull: Issue, issue: GhIssue) -> None:
    octocat = fake_github.state.account("octocat")
    assert octocat is not None
    ids = {fake_github.state.add_comment(repo, pull.number, f"{MARK}\n{i}", user=octocat).id for i in range(3)}
    upsert_comment(issue, purpose=PURPOSE, key="other", body="keep me")
    assert set(delete_comment(issue, purpose=PURPOSE, key=KEY)) == ids
    assert delete_comment(issue, purpose=PURPOSE, key=KEY) == ()
    assert bodies(fake_github, repo, pull) == [f"{marker(PURPOSE, 'other')}\nkeep me"]


# -------------------------------------------------------- idp comment (CLI)


@pytest.fixture
def cli_env(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in fake_github.env().items():
        monkeypatch.setenv(name, value)
    yield


def outputs(actions_env: dict[str, Path]) -> dict[str, str]:
    text = actions_env["OUTPUT"].read_text(encoding="utf-8")
    found = {}
    for name, _delimiter, value in re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, re.MULTILINE | re.DOTALL):
        found[name] = value
    return found


def test_cli_creates_updates_and_reports_outputs(
    fake_github: FakeGitHub,
    repo: Repo,
    pull: Issue,
    cli_env: None,
    actions_env: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = tmp_path / "plan.md"
    body.write_text("## Plan\n\n1 to add\n", encoding="utf-8")
    argv = ["comment", "--purpose", PURPOSE, "--key", KEY, "--body-file", str(body)]
    argv += ["--repo", repo.full_name, "--pr", str(pull.number)]
    assert main(argv) == 0
    out = outputs(actions_env)
    assert out["action"] == "created"
    (stored,) = fake_github.state.comments_on(repo, pull.number)
    assert out["comment-id"] == str(stored.id)
    assert out["comment-url"].endswith(f"#issuecomment-{stored.id}")
    assert stored.body == f"{MARK}\n## Plan\n\n1 to add\n"
    assert "created: http://127.0.0.1" in capsys.readouterr().out

    actions_env["OUTPUT"].write_text("", encoding="utf-8")
    assert main(argv) == 0
    assert outputs(actions_env)["action"] == "unchanged"

    body.write_text("## Plan\n\n2 to add\n", encoding="utf-8")
    actions_env["OUTPUT"].write_text("", encoding="utf-8")
    assert main(argv) == 0
    expected = {"action": "updated", "comment-id": str(stored.id), "comment-url": out["comment-url"]}
    assert outputs(actions_env) == expected
    assert len(fake_github.state.comments_on(repo, pull.number)) == 1


def test_cli_reads_action_inputs_and_the_event_with_a_bot_token(
    fake_github: FakeGitHub,
    repo: Repo,
    pull: Issue,
    cli_env: None,
    actions_env: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": pull.number}}), "utf-8")
    mallory = fake_github.state.account("mallory")
    assert mallory is not None
    fake_github.state.add_comment(repo, pull.number, f"{MARK}\nplanted by a person", user=mallory)
    monkeypatch.delenv("GITHUB_TOKEN")
    for name, value in {
        "INPUT_PURPOSE": PURPOSE,
        "INPUT_KEY": KEY,
        "INPUT_BODY": "from the input\n",
        "INPUT_GITHUB_TOKEN": fake_github.bot_token,
        "GITHUB_REPOSITORY": repo.full_name,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_RUN_ID": "42",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["comment"]) == 0
    assert outputs(actions_env)["action"] == "created"
    stored = fake_github.state.comments_on(repo, pull.number)
    assert [(c.user.login, c.body) for c in stored] == [
        ("mallory", f"{MARK}\nplanted by a person"),  # never taken over: the token's comments are a bot's
        ("github-actions[bot]", f"{MARK}\nfrom the input\n"),
    ]
    assert fake_github.calls("GET", "/user")[0].status == 403


def test_cli_puts_the_full_text_of_a_cut_comment_in_the_step_summary(
    fake_github: FakeGitHub,
    repo: Repo,
    pull: Issue,
    cli_env: None,
    actions_env: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", repo.full_name)
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    text = "".join(f"| r{i} | update |\n" for i in range(8000))
    body = tmp_path / "plan.md"
    body.write_text(text, encoding="utf-8")
    assert main(["comment", "--purpose", PURPOSE, "--key", KEY, "--body-file", str(body), "--pr", "1"]) == 0
    (stored,) = fake_github.state.comments_on(repo, pull.number)
    assert len(stored.body) <= COMMENT_LIMIT
    run = f"{fake_github.base_url}/{repo.full_name}/actions/runs/4242"
    assert f"the step summary of [this workflow run]({run})" in stored.body
    assert text in actions_env["STEP_SUMMARY"].read_text(encoding="utf-8")


def test_cli_delete(
    fake_github: FakeGitHub, repo: Repo, pull: Issue, cli_env: None, actions_env: dict[str, Path]
) -> None:
    base = ["comment", "--purpose", PURPOSE, "--key", KEY, "--repo", repo.full_name, "--pr", str(pull.number)]
    assert main([*base, "--body", "x"]) == 0
    comment_id = outputs(actions_env)["comment-id"]
    actions_env["OUTPUT"].write_text("", encoding="utf-8")
    assert main([*base, "--delete"]) == 0
    assert outputs(actions_env) == {"action": "deleted", "comment-id": comment_id, "comment-url": ""}
    actions_env["OUTPUT"].write_text("", encoding="utf-8")
    assert main([*base, "--delete"]) == 0
    assert outputs(actions_env)["action"] == "absent"
    assert fake_github.state.comments_on(repo, pull.number) == []


@pytest.mark.parametrize(
    ("extra", "env_drop", "message"),
    [
        ([], "GITHUB_TOKEN", "`github-token` input is empty and GITHUB_TOKEN is not set"),
        (["--repo", "octocat/missing"], None, "refused to read octocat/missing#1: HTTP 404"),
        (["--pr", "99"], None, "refused to read octocat/infra#99: HTTP 404"),
        (["--purpose", "Terraform Plan"], None, "purpose must be a lower-case slug"),
        (["--body-file", "/nonexistent/plan.md"], None, "body file /nonexistent/plan.md does not exist"),
    ],
)
def test_cli_errors_say_what_is_wrong(
    fake_github: FakeGitHub,
    repo: Repo,
    pull: Issue,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    env_drop: str | None,
    message: str,
) -> None:
    if env_drop:
        monkeypatch.delenv(env_drop)
    args = {"--purpose": PURPOSE, "--key": KEY, "--repo": repo.full_name, "--pr": "1", "--body": "x"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        args[flag] = value
    if "--body-file" in args:
        del args["--body"]
    argv = ["comment"] + [item for pair in args.items() for item in pair]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert fake_github.state.comments_on(repo, pull.number) == []


def test_cli_without_purpose_or_key_asks_for_them(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["comment", "--key", KEY, "--body", "x", "--repo", "o/r", "--pr", "1"]) == 1
    assert "--purpose is required (action input `purpose`)" in capsys.readouterr().err
    assert main(["comment", "--purpose", PURPOSE, "--body", "x", "--repo", "o/r", "--pr", "1"]) == 1
    assert "--key is required (action input `key`)" in capsys.readouterr().err


def test_cli_without_a_body_asks_for_one(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["comment", "--purpose", PURPOSE, "--key", KEY, "--repo", "o/r", "--pr", "1"]) == 1
    assert "no comment body: pass --body-file FILE or --body TEXT" in capsys.readouterr().err
