"""``idp comment``: create, update or delete a sticky pull-request comment.

Every option falls back to the action input of the same meaning, so the command
works both from a shell and as the body of a composite action:

=================  ================  =============================================
option             action input      meaning
=================  ================  =============================================
``--purpose``      ``purpose``       what the comment is for (``terraform-plan``)
``--key``          ``key``           which instance (``infra/prod:default``)
``--body-file``    ``body-file``     Markdown file with the body
``--body``         ``body``          the body itself
``--repo``         ``repository``    ``owner/name`` (default: ``GITHUB_REPOSITORY``)
``--pr``           ``pr-number``     pull request (default: the event's)
``--delete``       ``delete``        remove the comment instead
(none)             ``github-token``  token (default: ``GITHUB_TOKEN``)
=================  ================  =============================================

Outputs: ``action`` (created, updated, unchanged, deleted, absent),
``comment-id`` (after ``--delete``: the ids deleted, comma-separated) and
``comment-url``. When the body had to be cut to fit GitHub's
limit, the full body goes to the step summary the comment's notice points to.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from idp_actions import gha
from idp_actions.errors import UsageError

if TYPE_CHECKING:
    from github import Github


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp comment``."""
    parser.add_argument("--purpose", help="what the comment is for, a slug like terraform-plan")
    parser.add_argument("--key", help="which instance of that purpose, like infra/prod:default")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--body-file", type=Path, metavar="FILE", help="read the Markdown body from FILE")
    body.add_argument("--body", metavar="TEXT", help="the Markdown body")
    parser.add_argument("--repo", metavar="OWNER/NAME", help="repository (default: GITHUB_REPOSITORY)")
    parser.add_argument("--pr", type=int, metavar="N", help="pull request (default: the workflow event's)")
    parser.add_argument("--delete", action="store_true", help="delete the comment instead of writing it")


def run(args: argparse.Namespace) -> int:
    """Write (or delete) the sticky comment and set the step outputs."""
    from idp_actions import comment
    from idp_actions.github import api_errors, make_github, resolve_target

    purpose = _required(args.purpose, "purpose")
    key = _required(args.key, "key")
    comment.marker(purpose, key)  # check both before any request
    delete = args.delete or gha.get_bool_input("delete")
    body = None if delete else _body(args)
    target = resolve_target(repository=args.repo or gha.get_input("repository") or None, number=_number(args))
    assert target.number is not None  # resolve_target requires one
    where = f"{target.full_name}#{target.number}"
    token = gha.get_input("github-token") or None
    if token:
        gha.mask(token)

    with make_github(token=token) as gh:
        with api_errors(f"read {where}", permission="pull-requests: read"):
            issue = gh.get_repo(target.full_name).get_issue(target.number)
        with api_errors("find out which account the token belongs to"):
            author, bots_only = _identity(gh)
        if body is None:
            with api_errors(f"delete the {purpose} comment on {where}", permission="pull-requests: write"):
                deleted = comment.delete_comment(
                    issue, purpose=purpose, key=key, author=author, bots_only=bots_only
                )
            action = "deleted" if deleted else "absent"
            gha.set_output("action", action)
            gha.set_output("comment-id", ",".join(map(str, deleted)))
            gha.set_output("comment-url", "")
            print(f"{action}: {purpose} comment {key} on {where}")
            return 0
        with api_errors(f"write the {purpose} comment on {where}", permission="pull-requests: write"):
            result = comment.upsert_comment(
                issue,
                purpose=purpose,
                key=key,
                body=body,
                author=author,
                bots_only=bots_only,
                hint=comment.full_text_hint(),
            )

    if result.truncated:
        gha.write_summary(body)
        gha.warning(
            f"the {purpose} comment was cut to GitHub's size limit; the full text is in the step summary"
        )
    if result.removed_duplicates:
        removed = ", ".join(map(str, result.removed_duplicates))
        print(f"removed duplicate {purpose} comments: {removed}", file=sys.stderr)
    gha.set_output("action", result.action)
    gha.set_output("comment-id", str(result.id))
    gha.set_output("comment-url", result.url)
    print(f"{result.action}: {result.url}")
    return 0


def _required(value: str | None, name: str) -> str:
    found = value or gha.get_input(name)
    if not found:
        raise UsageError(
            f"--{name} is required (action input `{name}`)",
            hint="for example: idp comment --purpose terraform-plan --key infra/prod:default --body-file plan.md",
        )
    return found


def _body(args: argparse.Namespace) -> str:
    if args.body is not None:
        return str(args.body)
    path = args.body_file
    if path is None:
        inline = gha.get_input("body", trim=False)
        file_input = gha.get_input("body-file")
        if inline and file_input:
            raise UsageError("inputs `body` and `body-file` are both set", hint="set exactly one")
        if inline:
            return inline
        if not file_input:
            raise UsageError(
                "no comment body: pass --body-file FILE or --body TEXT (inputs `body-file` / `body`)",
                hint="or pass --delete to remove the comment",
            )
        path = Path(file_input)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"body file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read body file {path}: {exc}") from None


def _number(args: argparse.Namespace) -> int | None:
    if args.pr is not None:
        return int(args.pr)
    raw = gha.get_input("pr-number")
    if not raw:
        return None
    if not raw.isdigit():
        raise UsageError(f"input `pr-number` must be a pull-request number, got {raw!r}")
    return int(raw)


def _identity(gh: Github) -> tuple[str | None, bool]:
    """Whose comments are ours: the token's login, or any bot when the token cannot say.

    GITHUB_TOKEN and GitHub App installation tokens get 403 from ``GET /user``;
    their comments are written by a bot account (``github-actions[bot]``,
    ``my-app[bot]``), so comments by people are never taken for ours.
    """
    from github.GithubException import GithubException

    try:
        login = gh.get_user().login
    except GithubException as exc:
        if exc.status == 403:
            return None, True
        raise
    return login, False
