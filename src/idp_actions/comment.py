"""One sticky pull-request comment per purpose and key.

A comment is found again by a hidden first line,
``<!-- idp-actions:sticky purpose=terraform-plan key=infra/prod:default -->``, and
updated in place on every run instead of piling up new comments. Its body is
fitted to GitHub's size limit with a visible notice that points to the full text
in the workflow run's step summary.

The pure half (:func:`marker`, :func:`fit_body`) takes strings; the adapter half
(:func:`upsert_comment`, :func:`delete_comment`) takes a PyGithub ``Issue`` (a pull
request is an issue for comments) built by the caller.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from idp_actions.errors import UsageError

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment

#: GitHub's maximum comment body ("Body is too long (maximum is 65536 characters)").
COMMENT_LIMIT = 65_536
MARKER_PREFIX = "<!-- idp-actions:sticky "
DEFAULT_HINT = "the step summary of this workflow run"
MAX_KEY_LENGTH = 200

_PURPOSE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Besides letters, digits and `_.-~` (never escaped), these stay readable in keys.
_KEY_SAFE = "/:@+=,"
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_DETAILS_OPEN = re.compile(r"<details[\s>]", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)

Action = Literal["created", "updated", "unchanged"]


# ---------------------------------------------------------------- pure core


def marker(purpose: str, key: str) -> str:
    """The hidden first line that identifies the comment for ``purpose`` and ``key``.

    ``purpose`` is a lower-case slug (``terraform-plan``). ``key`` may hold any
    text (``infra/prod:default``); characters that could end or confuse an HTML
    comment (``>``, ``--``, ``<``, ``!``, spaces, non-ASCII) are percent-encoded,
    so distinct keys give distinct markers and none escapes the comment.
    """
    if not _PURPOSE.fullmatch(purpose) or len(purpose) > 64:
        raise UsageError(
            f"comment purpose must be a lower-case slug like `terraform-plan`, got {purpose!r}",
            hint="use letters a-z, digits and single hyphens (at most 64 characters)",
        )
    if not key or len(key) > MAX_KEY_LENGTH:
        raise UsageError(
            f"comment key must be 1 to {MAX_KEY_LENGTH} characters, got {len(key)}",
            hint="use something short that tells instances apart, like `infra/prod:default`",
        )
    return f"{MARKER_PREFIX}purpose={purpose} key={encode_key(key)} -->"


def encode_key(key: str) -> str:
    """``key`` percent-encoded for a marker: no ``--``, ``>``, ``<`` or whitespace survive."""
    encoded = quote(key, safe=_KEY_SAFE)
    while "--" in encoded:
        encoded = encoded.replace("--", "-%2D")
    return encoded


def github_length(text: str) -> int:
    """The length GitHub's limit is checked against, counted safely.

    GitHub counts characters; this counts UTF-16 code units, which equals the
    number of characters except that characters outside the Basic Multilingual
    Plane (most emoji) count twice. It is never less than the character count,
    so a body that fits by this count fits on GitHub.
    """
    return len(text.encode("utf-16-le")) // 2


def with_marker(body: str, mark: str) -> str:
    """``body`` with ``mark`` as its first line (not added twice)."""
    if body.startswith(mark):
        return body
    return f"{mark}\n{body}"


def truncation_notice(limit: int = COMMENT_LIMIT, full_text_hint: str = DEFAULT_HINT) -> str:
    """The visible notice that ends a cut comment."""
    return (
        "\n> [!WARNING]\n"
        f"> **Truncated:** this comment was cut to fit GitHub's limit of {limit:,} characters. "
        f"The full text is in {full_text_hint}.\n"
    )


def fit_body(
    body: str,
    mark: str,
    limit: int = COMMENT_LIMIT,
    full_text_hint: str = DEFAULT_HINT,
) -> str:
    """``body`` behind ``mark``, cut to at most ``limit`` (see :func:`github_length`).

    A body that fits is returned whole. Otherwise it is cut at a line boundary,
    an open code fence or ``<details>`` is closed so the notice renders, and
    :func:`truncation_notice` is appended. The marker always survives.
    """
    full = with_marker(body, mark)
    if github_length(full) <= limit:
        return full
    head = f"{mark}\n"
    content = full[len(head) :]
    notice = truncation_notice(limit, full_text_hint)
    budget = limit - github_length(head) - github_length(notice)
    if budget < 0:
        raise ValueError(f"a limit of {limit} cannot hold the marker and the truncation notice")
    kept = _cut_at_line(_cut(content, budget))
    while True:
        tail = _closers(kept)
        result = head + kept + tail + notice
        overflow = github_length(result) - limit
        if overflow <= 0:
            return result
        kept = _cut_at_line(_cut(kept, max(0, github_length(kept) - overflow)))


def _cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` of at most ``units`` UTF-16 units, never half a character."""
    return text.encode("utf-16-le")[: units * 2].decode("utf-16-le", "ignore")


def _cut_at_line(text: str) -> str:
    """Drop a trailing partial line when that keeps at least half of ``text``."""
    cut = text.rfind("\n") + 1
    if cut and cut >= len(text) // 2:
        return text[:cut]
    return text


def _closers(text: str) -> str:
    """What closes the code fence and ``<details>`` blocks left open at the end of ``text``."""
    fence: str | None = None
    opened = 0
    for line in text.splitlines():
        found = _FENCE.match(line)
        if fence is None:
            if found:
                fence = found.group(1)
                continue
            opened += len(_DETAILS_OPEN.findall(line)) - len(_DETAILS_CLOSE.findall(line))
        elif found and found.group(1)[0] == fence[0] and len(found.group(1)) >= len(fence):
            if not found.group(2).strip():
                fence = None
    tail = "" if not text or text.endswith("\n") else "\n"
    if fence is not None:
        tail += fence + "\n"
    tail += "</details>\n" * max(0, opened)
    return tail


def run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The URL of the current workflow run (and attempt), or None outside Actions."""
    env = os.environ if environ is None else environ
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    run_id = env.get("GITHUB_RUN_ID", "")
    if not (server and repository and run_id.isdigit()):
        return None
    url = f"{server}/{repository}/actions/runs/{run_id}"
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    if attempt.isdigit() and attempt != "1":
        url += f"/attempts/{attempt}"
    return url


def full_text_hint(environ: Mapping[str, str] | None = None) -> str:
    """Where the full text of a truncated comment is: this run's step summary, linked when known."""
    url = run_url(environ)
    if url is None:
        return DEFAULT_HINT
    return f"the step summary of [this workflow run]({url})"


# ------------------------------------------------------------------ adapter


@dataclass(frozen=True, kw_only=True)
class CommentResult:
    """What :func:`upsert_comment` did: ``created``, ``updated`` or ``unchanged``."""

    action: Action
    id: int
    url: str
    truncated: bool = False
    removed_duplicates: tuple[int, ...] = ()


def find_comments(
    issue: Issue,
    mark: str,
    *,
    author: str | None = None,
    bots_only: bool = False,
) -> list[IssueComment]:
    """Every comment on ``issue`` that starts with ``mark``, oldest first.

    ``author`` keeps only comments by that login; ``bots_only`` keeps only
    comments by bot accounts (for tokens that cannot tell who they are, such as
    GITHUB_TOKEN and GitHub App tokens). Comments by others that merely quote a
    marker are never touched.
    """
    found = []
    for comment in issue.get_comments():  # paginated by PyGithub
        if not (comment.body or "").startswith(mark):
            continue
        user = comment.user
        if author is not None and (user is None or user.login != author):
            continue
        if bots_only and (user is None or user.type != "Bot"):
            continue
        found.append(comment)
    found.sort(key=lambda c: (c.created_at, c.id))
    return found


def upsert_comment(
    issue: Issue,
    *,
    purpose: str,
    key: str,
    body: str,
    author: str | None = None,
    bots_only: bool = False,
    limit: int = COMMENT_LIMIT,
    hint: str = DEFAULT_HINT,
) -> CommentResult:
    """Create or update the one comment for ``purpose``/``key`` on ``issue``.

    The body is fitted with :func:`fit_body` (``hint`` says where the full text
    is). An identical body makes no write. Duplicates, left by two jobs racing,
    are resolved to the oldest comment, which is kept and updated; the others are
    deleted, also after this call's own create.
    """
    from github.GithubException import UnknownObjectException

    mark = marker(purpose, key)
    text = fit_body(body, mark, limit, hint)
    truncated = text != with_marker(body, mark)
    for _ in range(3):
        existing = find_comments(issue, mark, author=author, bots_only=bots_only)
        created: IssueComment | None = None
        if not existing:
            created = issue.create_comment(text)
            # Another job may have created one at the same time: look again.
            existing = find_comments(issue, mark, author=author, bots_only=bots_only)
            if all(c.id != created.id for c in existing):
                existing.append(created)
                existing.sort(key=lambda c: (c.created_at, c.id))
        keep, duplicates = existing[0], existing[1:]
        removed = tuple(c.id for c in duplicates if _delete(c))
        if created is not None and keep.id == created.id:
            return _result("created", keep, truncated, removed)
        if _same(keep.body, text):
            return _result("unchanged", keep, truncated, removed)
        try:
            keep.edit(text)
        except UnknownObjectException:
            continue  # deleted under us (by a person or another job): start over
        return _result("updated", keep, truncated, removed)
    raise UsageError(
        f"the sticky comment {mark} kept disappearing while it was being updated",
        hint="another job or person is deleting it; run again",
    )


def delete_comment(
    issue: Issue,
    *,
    purpose: str,
    key: str,
    author: str | None = None,
    bots_only: bool = False,
) -> tuple[int, ...]:
    """Delete every comment for ``purpose``/``key`` on ``issue``; returns the ids deleted."""
    found = find_comments(issue, marker(purpose, key), author=author, bots_only=bots_only)
    return tuple(c.id for c in found if _delete(c))


def _delete(comment: IssueComment) -> bool:
    """Delete ``comment``; False when it was already gone (another job deleted it first)."""
    from github.GithubException import UnknownObjectException

    try:
        comment.delete()
    except UnknownObjectException:
        return False
    return True


def _same(current: str | None, wanted: str) -> bool:
    return (current or "").replace("\r\n", "\n") == wanted.replace("\r\n", "\n")


def _result(
    action: Action, comment: IssueComment, truncated: bool, removed: tuple[int, ...]
) -> CommentResult:
    return CommentResult(
        action=action,
        id=comment.id,
        url=comment.html_url,
        truncated=truncated,
        removed_duplicates=removed,
    )
