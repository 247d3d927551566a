"""What scaffolding needs of the fake GitHub: teams, repositories created in organizations and backed
by local bare git repositories, topics, rulesets, team permissions, commit statuses, repository
deletion and GitHub App installation tokens.

Use it as an extension::

    backing = GitBacking(tmp_path / "remotes")
    with FakeGitHub(extensions=[backing]) as fake:
        backing.attach(fake)            # remembers the fake's URLs, writes the git redirect
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(backing.gitconfig))

**Git.** Every repository created through ``POST /orgs/{org}/repos`` (or :meth:`GitBacking.add_repo`)
gets a bare repository at ``<root>/<owner>/<name>.git``. The fake's clone URLs
(``http://127.0.0.1:PORT/<owner>/<name>.git``) are redirected there by a ``url.<base>.insteadOf``
entry in :attr:`GitBacking.gitconfig`, so the code under test pushes and clones with plain git
against what it believes is GitHub. Before any request touching a repository is answered, its
branches are imported from the bare repository into the fake's state: what was pushed is what the
API sees, as on GitHub.

**Rulesets** are checked against the request schema of GitHub's OpenAPI description (422 when the
body would be refused). **Deletion** can be forbidden per organization (GitHub lets organizations
restrict it), and any route can be made to fail with :meth:`GitBacking.fail_next`.

**GitHub App**: :meth:`GitBacking.add_app` registers an App (an RSA key pair) installed in an
organization; ``GET /orgs/{org}/installation`` and ``POST /app/installations/{id}/access_tokens``
accept only JWTs signed with its key and hand out installation tokens that act as ``<slug>[bot]``.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.fakes.github_routes import full_repository, repository, simple_user
from tests.fakes.github_server import (
    ApiError,
    FakeGitHub,
    Request,
    Response,
    Router,
    not_found,
    validation_failed,
)
from tests.fakes.github_state import Account, Commit, FakeState, Repo, iso, node_id

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C"}


def _git(cwd: Path, *args: str, input: bytes | None = None) -> bytes:
    done = subprocess.run(["git", *args], cwd=cwd, env={**GIT_ENV, "PATH": "/usr/bin:/bin"}, input=input,
                          capture_output=True, check=False, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {cwd}: {done.stderr.decode(errors='replace')}")
    return done.stdout


@dataclass
class Team:
    """A team of an organization and its repository permissions."""

    id: int
    org: Account
    slug: str
    name: str
    repos: dict[str, str] = field(default_factory=dict)  # lower-case full name -> permission


@dataclass
class App:
    """A GitHub App installed in one organization."""

    id: int
    slug: str
    private_key: str
    public_key: Any
    org: Account
    installation_id: int
    bot: Account
    tokens: list[str] = field(default_factory=list)


@dataclass
class RepoExtras:
    """What the core fake does not keep about a repository."""

    visibility: str = "private"
    topics: list[str] = field(default_factory=list)
    archived: bool = False
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)


class GitBacking:
    """The extension: call it with the router (FakeGitHub does), then :meth:`attach` the running fake."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.gitconfig = root / "gitconfig"
        self.teams: dict[tuple[str, str], Team] = {}
        self.extras: dict[str, RepoExtras] = {}
        self.deleted: list[str] = []
        self.deletion_forbidden: set[str] = set()  # lower-case org logins
        self.apps: dict[int, App] = {}
        self.failures: dict[tuple[str, str], int] = {}
        self.fake: FakeGitHub | None = None

    # ------------------------------------------------------------ setup

    def attach(self, fake: FakeGitHub) -> None:
        """Remember the running fake and write the git configuration that redirects its URLs."""
        self.fake = fake
        self.gitconfig.write_text(
            f'[url "file://{self.root}/"]\n\tinsteadOf = {fake.base_url}/\n'
            '[user]\n\tname = test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n',
            encoding="utf-8",
        )

    def __call__(self, router: Router) -> None:
        """Register the routes (FakeGitHub calls this with its router)."""
        for method, template in list(router.operations()):
            if template.startswith("/repos/{owner}/{repo}"):
                route = next(r for r in router.routes if (r.method, r.template) == (method, template))
                router.add(method, template, self._synced(route.handler), auth=route.auth)
        router.add("POST", "/orgs/{org}/repos", self._synced(self.create_org_repo))
        router.add("GET", "/repos/{owner}/{repo}", self._synced(self.get_repo))
        router.add("PATCH", "/repos/{owner}/{repo}", self._synced(self.update_repo))
        router.add("DELETE", "/repos/{owner}/{repo}", self._synced(self.delete_repo))
        router.add("PUT", "/repos/{owner}/{repo}/topics", self._synced(self.replace_topics))
        router.add("POST", "/repos/{owner}/{repo}/rulesets", self._synced(self.create_ruleset))
        router.add("POST", "/repos/{owner}/{repo}/statuses/{sha}", self._synced(self.create_status))
        router.add("GET", "/orgs/{org}/teams/{team_slug}", self._synced(self.get_team))
        router.add("PUT", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}", self._synced(self.grant_team))
        router.add("GET", "/orgs/{org}/installation", self.get_installation, auth=False)
        router.add("POST", "/app/installations/{installation_id}/access_tokens", self.create_token, auth=False)

    def add_team(self, state: FakeState, org: str, slug: str, *, name: str | None = None) -> Team:
        """A team ``slug`` in organization ``org``."""
        account = state.account(org)
        assert account is not None and account.type == "Organization"
        team = Team(id=state.new_id(), org=account, slug=slug, name=name or slug)
        self.teams[(org.lower(), slug)] = team
        return team

    def add_repo(self, state: FakeState, owner: str, name: str, *, private: bool = True) -> Repo:
        """A repository with a bare git backing (empty: push to it, or seed the bare repository)."""
        repo = state.create_repo(owner, name, private=private, auto_init=False)
        self._bare(repo.full_name)
        self.extras[repo.full_name.lower()] = RepoExtras(visibility="private" if private else "public")
        return repo

    def bare(self, full_name: str) -> Path:
        """The bare repository behind ``owner/name``."""
        owner, name = full_name.split("/", 1)
        return self.root / owner / f"{name}.git"

    def add_app(self, state: FakeState, org: str, *, slug: str = "idp-scaffold") -> App:
        """A GitHub App installed in ``org``, with a fresh RSA key."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        account = state.account(org)
        assert account is not None
        bot = state.add_account(f"{slug}[bot]", type="Bot")
        app = App(id=state.new_id(), slug=slug, private_key=pem, public_key=key.public_key(), org=account,
                  installation_id=state.new_id(), bot=bot)
        self.apps[app.id] = app
        return app

    def fail_next(self, method: str, template: str, times: int = 1) -> None:
        """Make the next ``times`` requests of one operation answer 500."""
        self.failures[(method, template)] = times

    # ----------------------------------------------------------- git sync

    def _bare(self, full_name: str) -> Path:
        path = self.bare(full_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _git(path.parent, "init", "--quiet", "--bare", "--initial-branch", "main", path.name)
            _git(path, "config", "receive.denyNonFastForwards", "true")
        return path

    def sync(self, state: FakeState, repo: Repo) -> None:
        """Import the bare repository's branches (and their history) into the fake's state."""
        path = self.bare(repo.full_name)
        if not path.is_dir():
            return
        heads = _git(path, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads").decode().split("\n")
        refs = dict(line.split(" ", 1) for line in heads if line)
        for sha in refs.values():
            for line in _git(path, "rev-list", "--reverse", "--parents", sha).decode().split("\n"):
                if not line:
                    continue
                commit, *parents = line.split()
                if commit not in repo.commits:
                    repo.commits[commit] = self._commit(path, commit, parents)
        for ref in [r for r in repo.refs if r.startswith("refs/heads/") and r not in refs]:
            del repo.refs[ref]
        repo.refs.update(refs)

    def _commit(self, path: Path, sha: str, parents: list[str]) -> Commit:
        listing = [e for e in _git(path, "ls-tree", "-r", "-z", sha).decode().split("\0") if e]
        names = [entry.split("\t", 1)[1] for entry in listing]
        blobs = [entry.split("\t", 1)[0].split()[2] for entry in listing]
        out = _git(path, "cat-file", "--batch", input="".join(f"{b}\n" for b in blobs).encode())
        tree: dict[str, bytes] = {}
        offset = 0
        for name in names:  # "<sha> blob <size>\n<content>\n" per object, in order
            header_end = out.index(b"\n", offset)
            size = int(out[offset:header_end].split()[2])
            tree[name] = out[header_end + 1 : header_end + 1 + size]
            offset = header_end + 1 + size + 1
        author, email, message = _git(path, "show", "-s", "--format=%an%x00%ae%x00%B", sha).decode().split("\0", 2)
        assert self.fake is not None
        return Commit(sha=sha, tree=tree, parents=parents, message=message, author_name=author, author_email=email,
                      date=self.fake.state.now())

    def _synced(self, handler: Callable[[FakeState, Request], Response]) -> Callable[[FakeState, Request], Response]:
        def wrapped(state: FakeState, request: Request) -> Response:
            remaining = self.failures.get((request.method, request.template), 0)
            if remaining:
                self.failures[(request.method, request.template)] = remaining - 1
                raise ApiError(500, "Internal Server Error (injected by the test)")
            owner, name = request.params.get("owner"), request.params.get("repo")
            if owner and name:
                repo = state.repo(f"{owner}/{name}")
                if repo is not None:
                    self.sync(state, repo)
            return handler(state, request)

        return wrapped

    # ------------------------------------------------------------- routes

    def _repo(self, state: FakeState, request: Request) -> Repo:
        repo = state.repo(f"{request.params['owner']}/{request.params['repo']}")
        if repo is None:
            raise not_found()
        return repo

    def _payload(self, repo: Repo, request: Request) -> dict[str, Any]:
        extras = self.extras.setdefault(repo.full_name.lower(), RepoExtras())
        payload = full_repository(repo, request.urls, viewer=request.identity)
        payload.update(topics=list(extras.topics), archived=extras.archived, visibility=extras.visibility)
        return payload

    def create_org_repo(self, state: FakeState, request: Request) -> Response:
        """``POST /orgs/{org}/repos``: an empty repository with a bare backing."""
        org = state.account(request.params["org"])
        me = request.identity
        if org is None or org.type != "Organization":
            raise not_found()
        assert me is not None
        if me.type != "Bot" and me.login not in org.members:
            raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
        body = request.body if isinstance(request.body, dict) else {}
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise validation_failed("name is missing", resource="Repository", field_name="name")
        if state.repo(f"{org.login}/{name}") is not None:
            raise validation_failed("name already exists on this account", resource="Repository", field_name="name")
        visibility = body.get("visibility") or ("private" if body.get("private") else "public")
        repo = state.create_repo(org.login, name, private=visibility != "public",
                                 description=body.get("description"), auto_init=bool(body.get("auto_init")))
        self._bare(repo.full_name)
        self.extras[repo.full_name.lower()] = RepoExtras(visibility=visibility)
        return Response(201, self._payload(repo, request))

    def get_repo(self, state: FakeState, request: Request) -> Response:
        """``GET /repos/{owner}/{repo}`` with topics, archived and visibility."""
        return Response(200, self._payload(self._repo(state, request), request))

    def update_repo(self, state: FakeState, request: Request) -> Response:
        """``PATCH /repos/{owner}/{repo}``: default branch (must exist), description, archived."""
        repo = self._repo(state, request)
        extras = self.extras.setdefault(repo.full_name.lower(), RepoExtras())
        if extras.archived:
            raise ApiError(403, "Repository was archived so is read-only.")
        body = request.body if isinstance(request.body, dict) else {}
        if "default_branch" in body:
            if repo.head(str(body["default_branch"])) is None:
                raise validation_failed("Cannot update default branch for an empty repository. "
                                        "Please init the repository and push first.", resource="Repository",
                                        field_name="default_branch", code="invalid")
            repo.default_branch = str(body["default_branch"])
        if "description" in body:
            repo.description = body["description"]
        if body.get("archived"):
            extras.archived = True
        return Response(200, self._payload(repo, request))

    def delete_repo(self, state: FakeState, request: Request) -> Response:
        """``DELETE /repos/{owner}/{repo}``; 403 where the organization forbids deletion."""
        repo = self._repo(state, request)
        if repo.owner.login.lower() in self.deletion_forbidden:
            refused = ApiError(403, "Must have admin rights to Repository.",
                               docs="https://docs.github.com/rest/repos/repos#delete-a-repository")
            refused.response.body.pop("status")  # this operation's documented 403 has no status field
            raise refused
        del state.repos[repo.full_name.lower()]
        self.deleted.append(repo.full_name)
        bare = self.bare(repo.full_name)
        if bare.exists():
            subprocess.run(["rm", "-rf", str(bare)], check=True)
        return Response(204)

    def replace_topics(self, state: FakeState, request: Request) -> Response:
        """``PUT /repos/{owner}/{repo}/topics``."""
        repo = self._repo(state, request)
        extras = self.extras.setdefault(repo.full_name.lower(), RepoExtras())
        if extras.archived:
            raise ApiError(403, "Repository was archived so is read-only.")
        names = (request.body or {}).get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise validation_failed("names must be a list of strings", resource="Repository", field_name="names")
        extras.topics = [n.lower() for n in names]
        return Response(200, {"names": extras.topics})

    def create_ruleset(self, state: FakeState, request: Request) -> Response:
        """``POST /repos/{owner}/{repo}/rulesets``: the body must match GitHub's request schema."""
        repo = self._repo(state, request)
        problems = request_problems("POST", "/repos/{owner}/{repo}/rulesets", request.body)
        if problems:
            raise validation_failed("; ".join(problems), resource="Ruleset")
        body = dict(request.body)
        ruleset = {
            "id": state.new_id(),
            "name": body["name"],
            "target": body.get("target", "branch"),
            "source_type": "Repository",
            "source": repo.full_name,
            "enforcement": body["enforcement"],
            "bypass_actors": body.get("bypass_actors", []),
            "node_id": node_id("RRS", state.new_id()),
            "_links": {"self": {"href": f"{request.urls.api}/repos/{repo.full_name}/rulesets/1"}},
            "conditions": body.get("conditions"),
            "rules": body.get("rules", []),
            "created_at": iso(state.now()),
            "updated_at": iso(state.now()),
        }
        self.extras.setdefault(repo.full_name.lower(), RepoExtras()).rulesets.append(ruleset)
        return Response(201, ruleset)

    def create_status(self, state: FakeState, request: Request) -> Response:
        """``POST /repos/{owner}/{repo}/statuses/{sha}``."""
        repo = self._repo(state, request)
        sha = request.params["sha"]
        if sha not in repo.commits:
            raise validation_failed(f"No commit found for SHA: {sha}", resource="Status")
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("state") not in ("error", "failure", "pending", "success"):
            raise validation_failed("state is not included in the list", resource="Status", field_name="state")
        assert request.identity is not None
        status_id = state.new_id()
        status = {
            "url": f"{request.urls.api}/repos/{repo.full_name}/statuses/{sha}",
            "avatar_url": None,
            "id": status_id,
            "node_id": node_id("SC", status_id),
            "state": body["state"],
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "context": body.get("context", "default"),
            "created_at": iso(state.now()),
            "updated_at": iso(state.now()),
            "creator": simple_user(request.identity, request.urls),
        }
        self.extras.setdefault(repo.full_name.lower(), RepoExtras()).statuses.append({**status, "sha": sha})
        return Response(201, status)

    def _team(self, request: Request) -> Team:
        team = self.teams.get((request.params["org"].lower(), request.params["team_slug"]))
        if team is None:
            raise not_found()
        return team

    def get_team(self, state: FakeState, request: Request) -> Response:
        """``GET /orgs/{org}/teams/{team_slug}`` (Full Team)."""
        team = self._team(request)
        org = team.org
        api = f"{request.urls.api}/organizations/{org.id}/team/{team.id}"
        org_api = f"{request.urls.api}/orgs/{quote(org.login)}"
        organization = {
            "login": org.login, "id": org.id, "node_id": org.node_id, "url": org_api,
            "repos_url": f"{org_api}/repos", "events_url": f"{org_api}/events", "hooks_url": f"{org_api}/hooks",
            "issues_url": f"{org_api}/issues", "members_url": f"{org_api}/members{{/member}}",
            "public_members_url": f"{org_api}/public_members{{/member}}",
            "avatar_url": f"{request.urls.web}/avatars/u/{org.id}", "description": None, "name": org.name,
            "html_url": f"{request.urls.web}/{quote(org.login)}", "has_organization_projects": True,
            "has_repository_projects": True, "public_repos": 0, "public_gists": 0, "followers": 0,
            "following": 0, "type": "Organization", "created_at": iso(org.created_at),
            "updated_at": iso(org.created_at), "archived_at": None,
        }
        return Response(200, {
            "id": team.id, "node_id": node_id("T", team.id), "url": api,
            "html_url": f"{request.urls.web}/orgs/{quote(org.login)}/teams/{team.slug}",
            "name": team.name, "slug": team.slug, "description": None, "privacy": "closed",
            "notification_setting": "notifications_enabled", "permission": "pull",
            "members_url": f"{api}/members{{/member}}", "repositories_url": f"{api}/repos", "parent": None,
            "members_count": 0, "repos_count": len(team.repos), "created_at": iso(org.created_at),
            "updated_at": iso(org.created_at), "organization": organization, "type": "organization",
            "organization_id": org.id,
        })

    def grant_team(self, state: FakeState, request: Request) -> Response:
        """``PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}``."""
        team = self._team(request)
        repo = self._repo(state, request)
        permission = (request.body or {}).get("permission", "push")
        if permission not in ("pull", "triage", "push", "maintain", "admin"):
            raise validation_failed("permission is not valid", resource="Team", field_name="permission")
        team.repos[repo.full_name.lower()] = permission
        return Response(204)

    # ------------------------------------------------------- GitHub Apps

    def _app(self, request: Request) -> App:
        import jwt

        header = request.headers.get("Authorization") or request.headers.get("authorization") or ""
        token = header.removeprefix("Bearer ").removeprefix("bearer ").strip()
        for app in self.apps.values():
            try:
                claims = jwt.decode(token, app.public_key, algorithms=["RS256"], options={"verify_aud": False})
            except jwt.PyJWTError:
                continue
            if str(claims.get("iss")) == str(app.id):
                return app
        raise ApiError(401, "A JSON web token could not be decoded")

    def get_installation(self, state: FakeState, request: Request) -> Response:
        """``GET /orgs/{org}/installation`` with the App's JWT."""
        app = self._app(request)
        if app.org.login.lower() != request.params["org"].lower():
            raise not_found()
        now = iso(state.now())
        return Response(200, {
            "id": app.installation_id, "account": simple_user(app.org, request.urls),
            "repository_selection": "all",
            "access_tokens_url": f"{request.urls.api}/app/installations/{app.installation_id}/access_tokens",
            "repositories_url": f"{request.urls.api}/installation/repositories",
            "html_url": f"{request.urls.web}/organizations/{app.org.login}/settings/installations/"
                        f"{app.installation_id}",
            "app_id": app.id, "target_id": app.org.id, "target_type": "Organization",
            "permissions": {"administration": "write", "contents": "write", "pull_requests": "write",
                            "members": "read", "statuses": "write"},
            "events": [], "created_at": now, "updated_at": now, "single_file_name": None,
            "app_slug": app.slug, "suspended_by": None, "suspended_at": None,
        })

    def create_token(self, state: FakeState, request: Request) -> Response:
        """``POST /app/installations/{installation_id}/access_tokens``: a token acting as the App's bot."""
        app = self._app(request)
        if int(request.params["installation_id"]) != app.installation_id:
            raise not_found()
        token = "ghs_" + secrets.token_hex(18)
        state.tokens[token] = app.bot
        state.integration_tokens.add(token)
        app.tokens.append(token)
        expires = state.now() + timedelta(hours=1)
        return Response(201, {"token": token, "expires_at": iso(expires), "repository_selection": "all",
                              "permissions": {"administration": "write", "contents": "write"}})


def request_problems(method: str, template: str, body: Any) -> list[str]:
    """Why ``body`` does not match the request schema GitHub documents for the operation."""
    from jsonschema import Draft4Validator

    from tests.fakes.openapi import contract, to_json_schema

    operation = contract().operation(method, template)
    assert operation is not None, f"{method} {template} is not in GitHub's description"
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft4Validator(to_json_schema(schema))
    return [f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message[:200]}"
            for e in validator.iter_errors(body)]


__all__ = ["App", "GitBacking", "Team", "repository", "request_problems"]
