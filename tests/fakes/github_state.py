"""The fake GitHub's state: accounts, tokens, repositories (git data), issues, pulls, comments.

Plain dataclasses, mutated under :attr:`FakeState.lock` by the route handlers
and by tests that seed data directly (``state.create_repo(...)``,
``state.add_comment(...)``) instead of going through HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, at GitHub's one-second resolution."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as GitHub writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    """A GraphQL global id in GitHub's current shape (``IC_kwDO…``)."""
    raw = number.to_bytes(8, "big").lstrip(b"\0") or b"\0"
    return f"{kind}_kwDO{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def blob_sha(data: bytes) -> str:
    """The git blob id of ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class Account:
    """A user, bot or organization."""

    login: str
    id: int
    type: str  # "User" | "Bot" | "Organization"
    created_at: datetime
    name: str | None = None
    email: str | None = None
    members: set[str] = field(default_factory=set)  # organizations: member logins

    @property
    def node_id(self) -> str:
        """Its GraphQL id."""
        return node_id({"User": "U", "Bot": "BOT", "Organization": "O"}[self.type], self.id)


@dataclass
class Commit:
    """A commit: a whole tree of files (path -> bytes) and its parents."""

    sha: str
    tree: dict[str, bytes]
    parents: list[str]
    message: str
    author_name: str
    author_email: str
    date: datetime

    @property
    def tree_sha(self) -> str:
        """A stable id for the tree."""
        listing = "".join(f"{path}\0{blob_sha(data)}\n" for path, data in sorted(self.tree.items()))
        return hashlib.sha1(listing.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Pull:
    """The pull-request half of an issue."""

    id: int
    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    head_owner: Account
    draft: bool = False
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None


@dataclass
class Issue:
    """An issue or, with ``pull`` set, a pull request (they share numbers, as on GitHub)."""

    number: int
    id: int
    title: str
    body: str | None
    user: Account
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    closed_at: datetime | None = None
    pull: Pull | None = None
    comment_ids: list[int] = field(default_factory=list)


@dataclass
class Repo:
    """A repository with its git data and issues."""

    id: int
    owner: Account
    name: str
    private: bool
    description: str | None
    default_branch: str
    created_at: datetime
    updated_at: datetime
    pushed_at: datetime
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> commit sha
    commits: dict[str, Commit] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner.login}/{self.name}"

    def head(self, branch: str) -> Commit | None:
        """The commit at the tip of ``branch``, if it exists."""
        sha = self.refs.get(f"refs/heads/{branch}")
        return self.commits[sha] if sha else None

    def is_ancestor(self, ancestor: str, sha: str) -> bool:
        """True when ``ancestor`` is ``sha`` or one of its ancestors."""
        todo, seen = [sha], set()
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            todo.extend(self.commits[current].parents)
        return False


@dataclass
class Comment:
    """An issue (or pull-request conversation) comment."""

    id: int
    repo: Repo
    issue_number: int
    body: str
    user: Account
    created_at: datetime
    updated_at: datetime


@dataclass
class FakeState:
    """Everything the fake knows. Lock :attr:`lock` around changes made from tests."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    accounts: dict[str, Account] = field(default_factory=dict)  # lower-case login -> account
    tokens: dict[str, Account] = field(default_factory=dict)  # token -> identity
    integration_tokens: set[str] = field(default_factory=set)  # tokens of apps (GITHUB_TOKEN)
    repos: dict[str, Repo] = field(default_factory=dict)  # lower-case full name -> repo
    comments: dict[int, Comment] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now
    next_id: int = 1000

    # ---------------------------------------------------------------- ids

    def new_id(self) -> int:
        """A fresh id, increasing like GitHub's."""
        with self.lock:
            self.next_id += 1
            return self.next_id

    def now(self) -> datetime:
        """The fake's current time."""
        return self.clock()

    # ----------------------------------------------------------- accounts

    def add_account(
        self,
        login: str,
        *,
        type: str = "User",
        token: str | None = None,
        integration: bool = False,
        id: int | None = None,
        name: str | None = None,
    ) -> Account:
        """Create a user, bot or organization; ``token`` authenticates as it.

        ``integration`` marks the token as an app installation token (like
        GITHUB_TOKEN): ``GET /user`` answers 403 for it, as on GitHub.
        """
        with self.lock:
            account = Account(
                login=login,
                id=id if id is not None else self.new_id(),
                type=type,
                created_at=self.now(),
                name=name,
            )
            self.accounts[login.lower()] = account
            if token:
                self.tokens[token] = account
                if integration:
                    self.integration_tokens.add(token)
            return account

    def account(self, login: str) -> Account | None:
        """The account called ``login`` (any case)."""
        return self.accounts.get(login.lower())

    # -------------------------------------------------------- repositories

    def repo(self, full_name: str) -> Repo | None:
        """The repository ``owner/name`` (any case)."""
        return self.repos.get(full_name.lower())

    def create_repo(
        self,
        owner: str,
        name: str,
        *,
        private: bool = False,
        description: str | None = None,
        default_branch: str = "main",
        auto_init: bool = True,
        files: Mapping[str, bytes | str] | None = None,
    ) -> Repo:
        """A repository owned by ``owner``, with one commit unless ``auto_init`` is false."""
        with self.lock:
            account = self.account(owner)
            if account is None:
                raise KeyError(f"no account {owner!r}")
            now = self.now()
            repo = Repo(
                id=self.new_id(),
                owner=account,
                name=name,
                private=private,
                description=description,
                default_branch=default_branch,
                created_at=now,
                updated_at=now,
                pushed_at=now,
            )
            self.repos[repo.full_name.lower()] = repo
            if auto_init or files:
                content = dict(files or {"README.md": f"# {name}\n"})
                self.commit(repo, default_branch, content, message="Initial commit")
            return repo

    def commit(
        self,
        repo: Repo,
        branch: str,
        changes: Mapping[str, bytes | str | None],
        *,
        message: str,
        author: Account | None = None,
    ) -> Commit:
        """Commit ``changes`` (path -> content, None deletes) on top of ``branch``.

        A new branch starts from the default branch (or from nothing in an empty repository).
        """
        with self.lock:
            parent = repo.head(branch) or repo.head(repo.default_branch)
            tree = dict(parent.tree) if parent else {}
            for path, data in changes.items():
                if data is None:
                    tree.pop(path, None)
                else:
                    tree[path] = data.encode() if isinstance(data, str) else data
            who = author or repo.owner
            now = self.now()
            seed = f"{parent.sha if parent else ''}\n{message}\n{self.new_id()}".encode()
            commit = Commit(
                sha=hashlib.sha1(seed, usedforsecurity=False).hexdigest(),
                tree=tree,
                parents=[parent.sha] if parent else [],
                message=message,
                author_name=who.name or who.login,
                author_email=f"{who.id}+{who.login}@users.noreply.github.com",
                date=now,
            )
            repo.commits[commit.sha] = commit
            repo.refs[f"refs/heads/{branch}"] = commit.sha
            repo.pushed_at = repo.updated_at = now
            return commit

    # ------------------------------------------------------ issues & pulls

    def open_issue(self, repo: Repo, *, title: str, body: str | None = None, user: Account) -> Issue:
        """A new issue on ``repo``."""
        with self.lock:
            now = self.now()
            issue = Issue(
                number=repo.next_number,
                id=self.new_id(),
                title=title,
                body=body,
                user=user,
                created_at=now,
                updated_at=now,
            )
            repo.next_number += 1
            repo.issues[issue.number] = issue
            return issue

    def open_pull(
        self,
        repo: Repo,
        *,
        head: str,
        base: str | None = None,
        title: str = "Change",
        body: str | None = None,
        user: Account | None = None,
        draft: bool = False,
    ) -> Issue:
        """A pull request from branch ``head`` (created from ``base`` when missing) into ``base``."""
        with self.lock:
            base = base or repo.default_branch
            base_commit = repo.head(base)
            if base_commit is None:
                raise KeyError(f"{repo.full_name} has no branch {base!r}")
            if repo.head(head) is None:
                repo.refs[f"refs/heads/{head}"] = base_commit.sha
            head_commit = repo.head(head)
            assert head_commit is not None
            issue = self.open_issue(repo, title=title, body=body, user=user or repo.owner)
            issue.pull = Pull(
                id=self.new_id(),
                head_ref=head,
                base_ref=base,
                head_sha=head_commit.sha,
                base_sha=base_commit.sha,
                head_owner=repo.owner,
                draft=draft,
            )
            return issue

    def add_comment(
        self,
        repo: Repo,
        number: int,
        body: str,
        *,
        user: Account,
        created_at: datetime | None = None,
    ) -> Comment:
        """A comment on issue or pull request ``number``."""
        with self.lock:
            issue = repo.issues[number]
            moment = created_at or self.now()
            comment = Comment(
                id=self.new_id(),
                repo=repo,
                issue_number=number,
                body=body,
                user=user,
                created_at=moment,
                updated_at=moment,
            )
            self.comments[comment.id] = comment
            issue.comment_ids.append(comment.id)
            return comment

    def comments_on(self, repo: Repo, number: int) -> list[Comment]:
        """The comments of issue ``number`` in the order GitHub lists them (by id)."""
        with self.lock:
            issue = repo.issues[number]
            return [self.comments[i] for i in issue.comment_ids if i in self.comments]

    def delete_comment(self, comment_id: int) -> None:
        """Remove a comment."""
        with self.lock:
            comment = self.comments.pop(comment_id)
            issue = comment.repo.issues[comment.issue_number]
            issue.comment_ids.remove(comment_id)
