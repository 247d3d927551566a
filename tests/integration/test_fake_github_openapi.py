"""The fake GitHub answers as GitHub's published OpenAPI description says GitHub does.

A scripted run drives every route of the fake, through PyGithub (what our code
uses) and through raw HTTP for error paths, and every recorded response is
validated against the schema of its operation + status code in
``@octokit/openapi`` (see tests/fakes/openapi.py). The ``fake_github`` fixture
applies the same check after every other test that uses the fake.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from idp_actions.github import make_github
from tests.fakes.github_server import Exchange, FakeGitHub
from tests.fakes.openapi import Contract, contract, nonconforming, to_json_schema
from tests.integration.conftest import FAST_RETRY

COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"


@pytest.fixture(scope="module")
def scripted() -> Iterator[FakeGitHub]:
    """A fake after a run that exercises every route, with successes and failures."""
    with FakeGitHub() as fake:
        _script(fake)
        yield fake


def _script(fake: FakeGitHub) -> None:
    state = fake.state
    infra = state.create_repo("octocat", "infra", description="Terraform for prod")
    state.create_repo("acme", "secret", private=True)
    state.create_repo("octocat", "empty", auto_init=False)
    with make_github(token=fake.user_token, base_url=fake.api_url, retry=FAST_RETRY) as gh:
        assert gh.get_user().login == "octocat"
        org = gh.get_organization("acme")
        org.create_repo("payments-api", description="scaffolded", private=True)
        created = gh.get_user().create_repo("scratch", auto_init=True)
        assert created.default_branch == "main"
        assert gh.get_repo("acme/secret").private  # a member sees the private repo

        repo = gh.get_repo("octocat/infra")
        readme = repo.get_contents("README.md")
        assert not isinstance(readme, list) and readme.decoded_content == b"# infra\n"
        repo.create_file("envs/prod/main.tf", "add prod", 'resource "terraform_data" "x" {}\n', branch="main")
        current = repo.get_contents("envs/prod/main.tf")
        assert not isinstance(current, list)
        repo.update_file(current.path, "edit prod", "# changed\n", current.sha, branch="main")
        listing = repo.get_contents("envs")
        assert isinstance(listing, list) and [c.type for c in listing] == ["dir"]

        main = repo.get_git_ref("heads/main")
        branch = repo.create_git_ref("refs/heads/promote", main.object.sha)
        repo.create_file("envs/prod/image.txt", "promote", "sha256:abc\n", branch="promote")
        tip = repo.get_git_ref("heads/promote").object.sha
        main.edit(tip)  # a fast-forward
        branch.edit(main.object.sha, force=True)

        state.commit(infra, "feature", {"x.tf": "# x\n"}, message="feature work")
        pull = repo.create_pull(base="main", head="feature", title="Add x", body="Adds x", draft=True)
        assert [p.number for p in repo.get_pulls(state="open", head="octocat:feature")] == [pull.number]
        assert repo.get_pull(pull.number).changed_files == 1

        issue = repo.get_issue(pull.number)
        comment = issue.create_comment("first")
        for i in range(3):
            issue.create_comment(f"chatter {i}")
        assert len(list(issue.get_comments())) == 4
        again = issue.get_comment(comment.id)
        again.edit("first, edited")
        again.delete()

    with make_github(token=fake.bot_token, base_url=fake.api_url, retry=FAST_RETRY) as bot:
        bot.get_repo("octocat/infra").get_issue(pull.number).create_comment("from the bot")

    _error_paths(fake)


def _error_paths(fake: FakeGitHub) -> None:
    api = fake.api_url
    user = {"Authorization": f"Bearer {fake.user_token}"}
    bot = {"Authorization": f"Bearer {fake.bot_token}"}
    other = {"Authorization": f"Bearer {fake.other_token}"}
    comment_id = next(iter(fake.state.comments))
    calls: list[tuple[str, str, dict[str, str], Any, int]] = [
        ("GET", "/user", {}, None, 401),
        ("GET", "/user", {"Authorization": "token ghp_revoked"}, None, 401),
        ("GET", "/user", bot, None, 403),
        ("GET", "/repos/octocat/nope", user, None, 404),
        ("GET", "/repos/acme/secret", other, None, 404),
        ("GET", "/orgs/nope", user, None, 404),
        ("GET", "/no/such/route", user, None, 404),
        ("POST", "/user/repos", user, {"name": "infra"}, 422),
        ("POST", "/user/repos", bot, {"name": "x"}, 403),
        ("POST", "/orgs/acme/repos", other, {"name": "x"}, 403),
        ("GET", "/repos/octocat/infra/contents/nope.txt", user, None, 404),
        ("GET", "/repos/octocat/empty/contents/README.md", user, None, 404),
        ("PUT", "/repos/octocat/infra/contents/README.md", user, {"message": "m", "content": "eA=="}, 422),
        (
            "PUT",
            "/repos/octocat/infra/contents/README.md",
            user,
            {"message": "m", "content": "eA==", "sha": "0" * 40},
            409,
        ),
        ("PUT", "/repos/octocat/infra/contents/x", user, {"message": "m", "content": "%%%"}, 422),
        ("GET", "/repos/octocat/infra/git/ref/heads/nope", user, None, 404),
        ("GET", "/repos/octocat/empty/git/ref/heads/main", user, None, 409),
        ("POST", "/repos/octocat/infra/git/refs", user, {"ref": "refs/heads/main", "sha": "0" * 40}, 422),
        ("POST", "/repos/octocat/infra/git/refs", user, {"ref": "main", "sha": "0" * 40}, 422),
        ("PATCH", "/repos/octocat/infra/git/refs/heads/nope", user, {"sha": "0" * 40}, 422),
        ("POST", "/repos/octocat/infra/pulls", user, {"title": "t", "head": "main", "base": "main"}, 422),
        ("POST", "/repos/octocat/infra/pulls", user, {"title": "t", "head": "feature", "base": "main"}, 422),
        ("GET", "/repos/octocat/infra/pulls/999", user, None, 404),
        ("GET", "/repos/octocat/infra/issues/999", user, None, 404),
        ("GET", "/repos/octocat/infra/issues/999/comments", user, None, 404),
        ("POST", "/repos/octocat/infra/issues/1/comments", user, {"body": "x" * 65537}, 422),
        ("POST", "/repos/octocat/infra/issues/1/comments", user, {}, 422),
        ("GET", "/repos/octocat/infra/issues/comments/1", user, None, 404),
        ("PATCH", "/repos/octocat/infra/issues/comments/1", user, {"body": "x"}, 404),
        ("PATCH", f"/repos/octocat/infra/issues/comments/{comment_id}", user, {"body": 5}, 422),
        ("DELETE", "/repos/octocat/infra/issues/comments/1", user, None, 404),
    ]
    faults = [("GET", "/repos/octocat/infra", user, None, status) for status in (403, 429, 403, 502, 200)]
    with requests.Session() as session:
        for n, (method, path, headers, body, status) in enumerate(calls + faults):
            if n == len(calls):  # the next requests of this route fail, one fault each
                fake.inject("secondary-rate-limit", route="/repos/{owner}/{repo}", retry_after=30)
                fake.inject("too-many-requests", route="/repos/{owner}/{repo}")
                fake.inject("primary-rate-limit", route="/repos/{owner}/{repo}", reset_in=600)
                fake.inject("server-error", route="/repos/{owner}/{repo}")
            response = session.request(method, api + path, headers=headers, json=body, timeout=10)
            assert response.status_code == status, (method, path, response.text[:300])
            if status >= 400:
                assert response.headers["Content-Type"].startswith("application/json")
                assert response.json()["message"]
            response.close()
        page = session.get(
            f"{api}/repos/octocat/infra/issues/1/comments", headers=user, params={"per_page": 2, "page": 2}, timeout=10
        )
        assert "rel=\"prev\"" in page.headers["Link"] and len(page.json()) == 2
        page.close()


# -------------------------------------------------------------------- tests


def test_every_route_of_the_fake_is_a_documented_operation() -> None:
    check = contract()
    for method, template in FakeGitHub().router.operations():
        assert check.operation(method, template) is not None, f"{method} {template} is not in GitHub's API"


def test_the_scripted_run_covers_every_route(scripted: FakeGitHub) -> None:
    succeeded = {(e.method, e.template) for e in scripted.exchanges if e.status < 300}
    missing = set(scripted.router.operations()) - succeeded
    assert not missing, f"routes never exercised successfully: {sorted(missing)}"
    failed = {(e.method, e.template) for e in scripted.exchanges if e.status >= 400}
    assert len(failed) >= 15
    assert {e.fault for e in scripted.exchanges} >= {
        "secondary-rate-limit",
        "too-many-requests",
        "primary-rate-limit",
        "server-error",
    }


def test_every_response_of_the_scripted_run_conforms(scripted: FakeGitHub) -> None:
    assert len(scripted.exchanges) > 60
    problems = nonconforming(scripted.exchanges)
    assert not problems, "\n".join(problems)


def test_urls_point_at_the_fake_and_timestamps_are_utc(scripted: FakeGitHub) -> None:
    def walk(value: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield key, item
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    host = scripted.base_url.split("://", 1)[1]
    for exchange in scripted.exchanges:
        for key, value in walk(exchange.body):
            if key.endswith("_url") and key != "documentation_url" and isinstance(value, str):
                # http(s) links, git://, git@host: — always the fake's own host and port
                assert host in value, (key, value)
            if key in ("url", "html_url", "href"):
                assert value.startswith(scripted.base_url), (key, value)
            if key.endswith("_at") and isinstance(value, str):
                assert value.endswith("Z") and "T" in value, (key, value)


# ------------------------------------------- the validator can and does fail


def _recorded(fake: FakeGitHub, method: str, template: str, status: int) -> Exchange:
    return next(e for e in fake.exchanges if (e.method, e.template, e.status) == (method, template, status))


def _mutations() -> list[tuple[str, Any]]:
    def drop(key: str) -> Any:
        return lambda body: body.pop(key)

    def setter(path: list[Any], value: Any) -> Any:
        def apply(body: Any) -> None:
            target = body
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value

        return apply

    return [
        ("missing required field", drop("node_id")),
        ("wrong type", setter(["id"], "1001")),
        ("null where not nullable", setter(["html_url"], None)),
        ("timestamp without zone", setter(["created_at"], "2024-05-01T10:00:00")),
        ("timestamp with a space", setter(["updated_at"], "2024-05-01 10:00:00Z")),
        ("not a URI", setter(["url"], "repos/o/r/issues/comments/1")),
        ("invented field", setter(["reviewed"], True)),
        ("bad nested user", setter(["user", "login"], 42)),
        ("missing nested required", lambda body: body["user"].pop("site_admin")),
        ("bad enum", setter(["author_association"], "FRIEND")),
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[name for name, _ in _mutations()])
def test_a_broken_comment_is_rejected(scripted: FakeGitHub, name: str, mutate: Any) -> None:
    good = _recorded(scripted, "POST", COMMENTS, 201)
    assert contract().errors("POST", COMMENTS, 201, good.body) == []
    broken = copy.deepcopy(good.body)
    mutate(broken)
    assert contract().errors("POST", COMMENTS, 201, broken), f"{name} was accepted"


def test_broken_lists_nullables_and_statuses_are_rejected(scripted: FakeGitHub) -> None:
    check = contract()
    listed = _recorded(scripted, "GET", COMMENTS, 200)
    assert check.errors("GET", COMMENTS, 200, listed.body) == []
    assert check.errors("GET", COMMENTS, 200, listed.body[0])  # an object where a list belongs
    repo = copy.deepcopy(_recorded(scripted, "GET", "/repos/{owner}/{repo}", 200).body)
    repo["description"] = None  # nullable: fine
    repo["license"] = None  # nullable object: fine
    assert check.errors("GET", "/repos/{owner}/{repo}", 200, repo) == []
    repo["default_branch"] = None
    assert check.errors("GET", "/repos/{owner}/{repo}", 200, repo)
    # A status the operation does not declare as a success, a body on a 204, no body on a 200.
    assert check.errors("GET", "/repos/{owner}/{repo}", 201, repo)
    delete = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
    assert check.errors("DELETE", delete, 204, None) == []
    assert check.errors("DELETE", delete, 204, {"message": "gone"})
    assert check.errors("GET", "/repos/{owner}/{repo}", 200, None)
    # Errors: Basic Error shape, also for undeclared statuses, and nothing invented.
    assert check.errors("GET", "/repos/{owner}/{repo}", 404, {"message": "Not Found"}) == []
    assert check.errors("GET", "/repos/{owner}/{repo}", 429, {"message": "slow down", "status": "429"}) == []
    assert check.errors("GET", "/repos/{owner}/{repo}", 404, {"message": 404})
    assert check.errors("GET", "/repos/{owner}/{repo}", 429, {"message": "x", "retry": 1})
    # Unknown operations are reported, not skipped.
    assert check.errors("GET", "/repos/{owner}/{repo}/nonsense", 200, {})


def test_file_contents_round_trip_as_base64(scripted: FakeGitHub) -> None:
    got = _recorded(scripted, "GET", "/repos/{owner}/{repo}/contents/{path}", 200)
    body = got.body if isinstance(got.body, dict) else None
    if body is None:  # the first recorded GET may be a directory; find a file
        body = next(
            e.body
            for e in scripted.exchanges
            if e.template == "/repos/{owner}/{repo}/contents/{path}" and isinstance(e.body, dict) and e.status == 200
        )
    assert body["encoding"] == "base64"
    assert base64.b64decode(body["content"]) == b"# infra\n"


# ---------------------------------------- the OpenAPI 3.0 -> JSON Schema step


def test_nullable_becomes_a_null_alternative() -> None:
    schema = to_json_schema({"type": "string", "nullable": True, "format": "date-time"})
    assert schema == {"anyOf": [{"type": "null"}, {"type": "string", "format": "date-time"}]}
    assert to_json_schema({"type": "string"}) == {"type": "string"}


def test_objects_are_closed_except_directly_under_all_of() -> None:
    schema = to_json_schema(
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "object", "properties": {"x": {}}}}},
                {"type": "object", "properties": {"b": {}}},
            ]
        }
    )
    first, second = schema["allOf"]
    assert "additionalProperties" not in first and "additionalProperties" not in second
    assert first["properties"]["a"]["additionalProperties"] is False
    open_map = to_json_schema({"type": "object", "additionalProperties": {"type": "string"}})
    assert open_map == {"type": "object", "additionalProperties": {"type": "string"}}


def test_a_nullable_one_of_accepts_null_and_each_closed_branch() -> None:
    from jsonschema import Draft4Validator

    schema = to_json_schema(
        {
            "nullable": True,
            "oneOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]},
            ],
        }
    )
    validator = Draft4Validator(schema)
    for good in (None, {"a": "x"}, {"b": 1}):
        assert validator.is_valid(good), good
    for bad in ({"a": 1}, {"a": "x", "b": 1}, {"c": 1}, "x", {}):
        assert not validator.is_valid(bad), bad


def test_the_description_is_the_pinned_one() -> None:
    assert isinstance(contract(), Contract)
    description_version = contract().paths  # loaded through tests/contracts.py
    assert "/repos/{owner}/{repo}/issues/{issue_number}/comments" in description_version
