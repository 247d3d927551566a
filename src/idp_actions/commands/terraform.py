"""``idp terraform``: plan on pull requests, apply exactly what was reviewed, detect drift.

===========  =====================================================================
action       what it does
===========  =====================================================================
``roots``    which roots and workspaces a change touches (output ``matrix``)
``plan``     init, plan, summarise; step summary, files for the artifact, and with
             ``--comment`` the sticky pull-request comment for the root
``comment``  one combined comment (or one per root) from plans' ``section.json``
``apply``    plan again (or read ``--plan-file``), compare with the reviewed plan,
             apply only when they are the same
``drift``    plan; open, update or close the root's drift issue
``unlock``   release a state lock by its ID
===========  =====================================================================

Failures set the output ``failure-reason``: ``plan-changed``, ``not-reviewed``,
``policy-denied``, ``state-locked`` (with ``lock-id``), ``apply-failed`` or
``plan-failed``. Every option falls back to the action input of the same meaning
(see :mod:`idp_actions.terraform.inputs`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from idp_actions import gha
from idp_actions.errors import IdpError, UsageError
from idp_actions.terraform import inputs

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

    from idp_actions.terraform.operations import Options, Planned
    from idp_actions.terraform.pulls import Identity
    from idp_actions.terraform.render import Section
    from idp_actions.terraform.review import Newer
    from idp_actions.terraform.runner import TerraformError


def configure(parser: argparse.ArgumentParser) -> None:
    """The ``roots``, ``plan``, ``comment``, ``apply``, ``drift`` and ``unlock`` actions."""
    sub = parser.add_subparsers(dest="terraform_command", metavar="ACTION", required=True)

    found = sub.add_parser("roots", help="the roots and workspaces a change touches, as a job matrix")
    found.add_argument("--repo-root", type=Path, help="repository root (default: GITHUB_WORKSPACE, else .)")
    found.add_argument("--base", help="compare from this commit (a pull request's base, a push's `before`)")
    found.add_argument("--head", default=None, help="compare to this commit (default: HEAD)")
    found.add_argument("--changed-files", type=Path, help="a file listing changed paths, one per line")
    found.add_argument("--all", action="store_true", help="every root, whatever changed")
    found.add_argument("--root", action="append", default=[], help="only these roots (repeatable)")
    found.add_argument("--mode", choices=("plan", "apply", "drift"), help="output `mode` (default: from the event)")

    plan = sub.add_parser("plan", help="plan a root; summary, files and (with --comment) the PR comment")
    inputs.add_target_arguments(plan)
    _github_arguments(plan)
    plan.add_argument("--comment", action="store_true", help="write the root's sticky PR comment (input `comment`)")

    combined = sub.add_parser("comment", help="the plan comment from several plans' section.json files")
    combined.add_argument("--sections", type=Path, help="directory searched for section.json (input `sections`)")
    combined.add_argument("--mode", choices=("combined", "per-root"), help="default: terraform.comment-mode")
    combined.add_argument("--repo-root", type=Path, help="repository root (default: GITHUB_WORKSPACE, else .)")
    _github_arguments(combined)

    apply = sub.add_parser("apply", help="apply a root's plan only if it is the reviewed plan")
    inputs.add_target_arguments(apply)
    _github_arguments(apply)
    apply.add_argument("--plan-file", type=Path, help="apply this saved plan (after checking its hash)")
    apply.add_argument("--reviewed-hash", help="the hash of the plan you reviewed (instead of the PR comment)")
    apply.add_argument("--commit", help="the merged commit (default: GITHUB_SHA)")
    apply.add_argument("--branch", help="the branch applied from; a newer reviewed commit there supersedes this run")

    drift = sub.add_parser("drift", help="plan a root; open, update or close its drift issue")
    inputs.add_target_arguments(drift)
    _github_arguments(drift)
    drift.add_argument("--issue", action="store_true", help="keep the drift issue (input `issue`)")
    drift.add_argument("--fail-on-drift", action="store_true", help="exit 2 when drift is found")

    unlock = sub.add_parser("unlock", help="release a root's state lock by its ID")
    inputs.add_target_arguments(unlock)
    unlock.add_argument("--lock-id", help="the lock's ID, from the state-locked report (input `lock-id`)")


def _github_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", metavar="OWNER/NAME", help="repository (default: GITHUB_REPOSITORY)")
    parser.add_argument("--pr", type=int, metavar="N", help="pull request (default: the event's)")


def run(args: argparse.Namespace) -> int:
    """Run the chosen action."""
    handlers = {
        "roots": _roots,
        "plan": _plan,
        "comment": _comment,
        "apply": _apply,
        "drift": _drift,
        "unlock": _unlock,
    }
    return handlers[args.terraform_command](args)


# ---------------------------------------------------------------------- roots


def _changed_paths(args: argparse.Namespace, root: Path) -> list[str] | None:
    """Changed paths from --changed-files or git; None means "unknown, take every root"."""
    listing: Path | None = args.changed_files
    if listing is not None:
        try:
            return listing.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read --changed-files {listing}: {exc.strerror}") from None
    base = args.base or inputs.get_input("base") or _event_base()
    if args.all or inputs.bool_input("all") or not base or set(base) == {"0"}:
        return None
    head = args.head or inputs.get_input("head") or "HEAD"
    from idp_actions import proc

    result = proc.run(
        ["git", "-C", str(root), "diff", "--name-only", "--no-renames", "-z", f"{base}...{head}"], check=False
    )
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or ["git diff failed"])[-1]
        gha.warning(
            f"cannot compare {base[:12]}...{head[:12]} ({why}); planning every root "
            "(check out with `fetch-depth: 0` so both commits are there)",
            title="idp terraform roots",
        )
        return None
    return [path for path in result.stdout.split("\0") if path]


#: What the reusable workflow does for each event (workflow_dispatch: input `mode`).
MODES = {"pull_request": "plan", "push": "apply", "schedule": "drift", "merge_group": "plan"}


def _event_base() -> str | None:
    """The commit a change starts from: a pull request's base, a push's ``before``; else None."""
    payload = inputs.event()
    pull = payload.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("base"), dict):
        sha = pull["base"].get("sha")
        return sha if isinstance(sha, str) else None
    before = payload.get("before")
    return before if isinstance(before, str) else None


def _mode(args: argparse.Namespace) -> str:
    """plan, apply or drift: ``--mode``/input ``mode``, else from the event that started the workflow."""
    event = os.environ.get("GITHUB_EVENT_NAME", "")
    if event == "pull_request_target":
        raise UsageError(
            "refusing to run on pull_request_target: it would plan untrusted code with the base "
            "repository's secrets and a write token",
            hint="trigger the terraform workflow on `pull_request`; fork pull requests plan without credentials",
        )
    chosen = args.mode or inputs.get_input("mode") or MODES.get(event, "plan")
    if chosen not in ("plan", "apply", "drift"):
        raise UsageError(f"mode must be plan, apply or drift, got {chosen!r}")
    return chosen


def _roots(args: argparse.Namespace) -> int:
    import json

    from idp_actions.config import load_config
    from idp_actions.terraform import roots

    root = inputs.repo_root(args)
    config = load_config(root)
    specs = [
        roots.RootSpec(path=r.path, workspaces=r.workspaces, var_files=r.var_files, backend_config=r.backend_config)
        for r in config.terraform_roots
    ] or roots.discover(root)
    wanted = {roots.clean(r) for r in (*args.root, *inputs.multiline_input("roots"))}
    if wanted:
        known = {roots.clean(s.path) for s in specs}
        unknown = sorted(wanted - known)
        if unknown:
            raise UsageError(
                f"no Terraform root {', '.join(f'`{u}`' for u in unknown)} in this repository",
                hint=f"the roots are {', '.join(sorted(known)) or 'none'} (terraform.roots of .github/idp.yaml, "
                "else every folder with .tf files)",
            )
        specs = [s for s in specs if roots.clean(s.path) in wanted]
    mode = _mode(args)
    paths = None if mode == "drift" else _changed_paths(args, root)
    targets = roots.changed(paths, specs, root)
    gha.set_output("mode", mode)
    matrix = {"include": [t.to_json() for t in targets]}
    gha.set_output("matrix", json.dumps(matrix, separators=(",", ":")))
    gha.set_output("count", str(len(targets)))
    gha.set_output("roots", json.dumps(sorted({t.root for t in targets})))
    print(json.dumps(matrix, indent=2))
    return 0


# ----------------------------------------------------------------------- plan


def _report_tool_failure(error: TerraformError, *, reason: str) -> None:
    from idp_actions.terraform.operations import annotate
    from idp_actions.terraform.runner import StateLocked

    annotate(error)
    if isinstance(error, StateLocked):
        reason = "state-locked"
        gha.set_output("lock-id", error.lock.id)
        command = f"idp terraform unlock --root {error.root} --lock-id {error.lock.id}"
        gha.write_summary(
            f"## 🔒 State locked: `{error.root}`\n\n"
            f"| | |\n|---|---|\n| Lock ID | `{error.lock.id}` |\n| Who | {error.lock.who or '?'} |\n"
            f"| Operation | {error.lock.operation or '?'} |\n| Since | {error.lock.created or '?'} |\n\n"
            "If no other run holds this lock (a cancelled or killed run leaves its lock behind), "
            f"release it with the `terraform-unlock` action or:\n\n```sh\n{command}\n```\n"
        )
    gha.set_output("failure-reason", reason)


def _plan(args: argparse.Namespace) -> int:
    from idp_actions.terraform import operations
    from idp_actions.terraform.runner import TerraformError

    options = inputs.options(args)
    try:
        runner = operations.prepare(options)
        planned = operations.make_plan(options, runner)
    except TerraformError as error:
        _report_tool_failure(error, reason="plan-failed")
        raise
    _publish_plan(planned, options)
    if args.comment or inputs.bool_input("comment"):
        _post_comments(args, [planned.section], mode="per-root")
    policy = planned.section.policy
    if policy is not None and policy.status == "warn":
        gha.warning(f"policy warnings for {options.key}; see the plan comment", title="policy")
    if policy is not None and policy.blocks_apply:
        gha.set_output("failure-reason", "policy-denied")
        raise IdpError(
            f"the policy check {'denied' if policy.status == 'deny' else 'failed on'} the plan of {options.key}",
            hint="the report is in the plan comment and the step summary; the apply is blocked until it passes",
        )
    return 0


def _publish_plan(planned: Planned, options: Options) -> None:
    from idp_actions.terraform import render

    section = planned.section
    body, cap = render.comment_body([section], run_url=options.run_url)
    (options.out_dir / "comment.md").write_text(body, encoding="utf-8")
    summary = render.step_summary(section, planned.plan_text, run_url=options.run_url)
    (options.out_dir / "summary.md").write_text(summary, encoding="utf-8")
    gha.write_summary(summary)
    record, counts = section.record, section.summary
    for name, value in (
        ("key", record.key),
        ("plan-hash", record.plan_hash),
        ("has-changes", str(record.has_changes).lower()),
        ("summary", counts.headline() if record.has_changes else "no changes"),
        ("add", str(counts.count("create"))),
        ("change", str(counts.count("update"))),
        ("destroy", str(counts.count("delete"))),
        ("replace", str(counts.count("replace"))),
        ("policy", section.policy.status if section.policy else "none"),
        ("plan-dir", str(options.out_dir)),
    ):
        gha.set_output(name, value)
    shortened = f" (comment lists shortened to {cap} per action)" if cap is not None else ""
    verdict = counts.headline() if record.has_changes else "no changes"
    print(f"{record.key}: {verdict}; plan {record.plan_hash}{shortened}", file=sys.stderr)


def _github(args: argparse.Namespace, *, need_number: bool) -> tuple[Github, Repository, int | None]:
    from idp_actions.github import api_errors, make_github, resolve_target

    token = inputs.get_input("github-token") or None
    if token:
        gha.mask(token)
    target = resolve_target(
        repository=args.repo or inputs.get_input("repository") or None,
        number=args.pr or _int_input("pr-number"),
        need_number=need_number,
    )
    gh = make_github(token=token)
    with api_errors(f"read {target.full_name}", permission="contents: read"):
        repo = gh.get_repo(target.full_name)
    return gh, repo, target.number


def _int_input(name: str) -> int | None:
    raw = inputs.get_input(name)
    if not raw:
        return None
    if not raw.isdigit():
        raise UsageError(f"input `{name}` must be a number, got {raw!r}")
    return int(raw)


def _post_comments(args: argparse.Namespace, typed: list[Section], *, mode: str) -> None:
    from idp_actions import comment
    from idp_actions.github import api_errors
    from idp_actions.terraform import pulls, render

    gh, repo, number = _github(args, need_number=True)
    assert number is not None
    run_url = comment.run_url()
    with gh:
        with api_errors(f"read pull request #{number}", permission="pull-requests: read"):
            issue = repo.get_issue(number)
            who = pulls.identity(gh)
        groups = [(pulls.COMBINED_KEY, typed)] if mode == "combined" else [(s.record.key, [s]) for s in typed]
        for key, group in groups:
            body, _ = render.comment_body(group, run_url=run_url)
            with api_errors(f"write the plan comment on #{number}", permission="pull-requests: write"):
                result = pulls.upsert(issue, key, body, who, hint=comment.full_text_hint())
            gha.set_output("comment-url", result.url)
            print(f"{result.action}: plan comment {key}: {result.url}", file=sys.stderr)


# -------------------------------------------------------------------- comment


def _comment(args: argparse.Namespace) -> int:
    import json

    from idp_actions.config import load_config
    from idp_actions.terraform import operations

    directory = args.sections or (Path(inputs.get_input("sections")) if inputs.get_input("sections") else None)
    if directory is None or not directory.is_dir():
        raise UsageError(
            f"no sections directory: {directory or '(none given)'}",
            hint="pass --sections DIR (input `sections`): where the plan jobs' artifacts were downloaded",
        )
    sections = []
    for path in sorted(directory.rglob("section.json")):
        try:
            sections.append(operations.section_from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(f"{path} is not a plan section: {exc}") from None
    if not sections:
        print("idp: no plans to comment on", file=sys.stderr)
        return 0
    sections.sort(key=lambda s: s.record.key)
    mode = args.mode or inputs.get_input("mode") or load_config(inputs.repo_root(args)).terraform_comment_mode
    _post_comments(args, sections, mode=mode)
    return 0


# ---------------------------------------------------------------------- apply


def _apply(args: argparse.Namespace) -> int:
    from idp_actions import comment
    from idp_actions.github import api_errors
    from idp_actions.terraform import operations, pulls, review
    from idp_actions.terraform.record import PlanRecord
    from idp_actions.terraform.runner import TerraformError

    options = inputs.options(args)
    commit = args.commit or inputs.get_input("commit") or os.environ.get("GITHUB_SHA") or _git_head(options.repo_root)
    plan_file = args.plan_file or (Path(inputs.get_input("plan-file")) if inputs.get_input("plan-file") else None)
    try:
        runner = operations.prepare(options)
        planned = operations.make_plan(options, runner, saved=plan_file)
    except TerraformError as error:
        _report_tool_failure(error, reason="plan-failed")
        raise
    current = planned.record
    gha.set_output("plan-hash", current.plan_hash)
    reviewed_hash = args.reviewed_hash or inputs.get_input("reviewed-hash")
    newer = None
    source = "the pull request's plan comment"
    if reviewed_hash:
        source = "--reviewed-hash"
        reviewed = [PlanRecord(**{**current.to_json(), "plan_hash": reviewed_hash.strip(), "created_at": None})]
    else:
        gh, repo, number = _github(args, need_number=False)
        with gh, api_errors("find the reviewed plan", permission="pull-requests: read"):
            who = pulls.identity(gh)
            pull = repo.get_pull(number) if number else (pulls.pull_for_commit(repo, commit) if commit else None)
            reviewed = pulls.reviewed_records(repo.get_issue(pull.number), who) if pull is not None else []
            if pull is not None:
                source = f"the plan comment of pull request #{pull.number}"
            branch = args.branch or inputs.get_input("branch") or os.environ.get("GITHUB_REF_NAME")
            if branch and commit:
                newer = _newer(repo, branch, commit, pull.number if pull else None, current.key, who)
    decision = review.decide(
        current,
        reviewed,
        has_changes=current.has_changes,
        policy=planned.section.policy,
        newer=newer,
        source=source,
    )
    gha.set_output("verdict", decision.verdict)
    if decision.reviewed is not None:
        gha.set_output("reviewed-hash", decision.reviewed.plan_hash)
    for note in decision.differences:
        print(f"idp: {note}", file=sys.stderr)
    if decision.verdict in ("superseded", "no-op"):
        gha.notice(decision.message, title=f"terraform apply {current.key}")
        gha.write_summary(f"## {current.key}: {decision.verdict}\n\n{decision.message}\n")
        gha.set_output("applied", "false")
        return 0
    if decision.verdict == "refuse":
        assert decision.reason is not None
        gha.set_output("failure-reason", decision.reason)
        gha.set_output("applied", "false")
        gha.write_summary(
            f"## ⛔ {current.key}: apply refused ({decision.reason})\n\n{decision.message}\n\n"
            + "".join(f"- {note}\n" for note in decision.differences)
        )
        raise IdpError(decision.message, hint=_refusal_hint(decision.reason))
    try:
        operations.apply(planned, options)
    except TerraformError as error:
        stale = any(d.summary == "Saved plan is stale" for d in error.diagnostics)
        # a saved plan made before the state changed is not what would be applied now
        _report_tool_failure(error, reason="plan-changed" if stale else "apply-failed")
        gha.set_output("applied", "false")
        raise
    gha.set_output("applied", "true")
    where = f" in [this run]({comment.run_url()})" if comment.run_url() else ""
    gha.write_summary(
        f"## ✅ {current.key}: applied\n\nApplied the reviewed plan `{current.plan_hash}`{where}: "
        f"{planned.section.summary.headline()}.\n"
    )
    return 0


def _refusal_hint(reason: str) -> str:
    return {
        "plan-changed": "push to the pull request (or re-run its plan) so the new plan is reviewed, then merge; "
        "or dispatch the apply with `reviewed-hash` after reviewing the new plan",
        "not-reviewed": "plan the root on a pull request first; a plan comment records what was reviewed",
        "policy-denied": "fix the configuration so the policy check passes (the report is in the step summary)",
    }.get(reason, "see the step summary")


def _newer(repo: Repository, branch: str, commit: str, pull: int | None, key: str, who: Identity) -> Newer | None:
    """The newer reviewed plan for ``key`` at the tip of ``branch``, when the tip is not ``commit``."""
    from idp_actions.terraform import pulls, review

    head = pulls.branch_head(repo, branch)
    if head == commit:
        return None
    newer_pull = pulls.pull_for_commit(repo, head)
    if newer_pull is None or newer_pull.number == pull:
        return None
    records = [r for r in pulls.reviewed_records(repo.get_issue(newer_pull.number), who) if r.key == key]
    if not records:
        return None
    return review.Newer(commit=head, pull=newer_pull.number, record=records[-1])


def _git_head(root: Path) -> str | None:
    from idp_actions import proc

    done = proc.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=False)
    return (done.stdout.strip() or None) if done.returncode == 0 else None


# ---------------------------------------------------------------------- drift


def _drift(args: argparse.Namespace) -> int:
    from idp_actions import comment
    from idp_actions.github import api_errors
    from idp_actions.terraform import drift, operations, pulls, render
    from idp_actions.terraform.runner import TerraformError

    options = inputs.options(args)
    try:
        runner = operations.prepare(options)
        planned = operations.make_plan(options, runner)
    except TerraformError as error:
        _report_tool_failure(error, reason="plan-failed")
        raise
    section = planned.section
    drifted = section.record.has_changes
    gha.set_output("drift", str(drifted).lower())
    gha.set_output("plan-hash", section.record.plan_hash)
    gha.write_summary(render.step_summary(section, planned.plan_text, run_url=options.run_url))
    if args.issue or inputs.bool_input("issue"):
        gh, repo, _ = _github(args, need_number=False)
        with gh, api_errors(f"keep the drift issue of {section.record.key}", permission="issues: write"):
            who = pulls.identity(gh)
            result = drift.sync(repo, section, drifted=drifted, who=who, run_url=comment.run_url())
        gha.set_output("issue-action", result.action)
        gha.set_output("issue-number", "" if result.number is None else str(result.number))
        gha.set_output("issue-url", result.url or "")
        print(f"drift issue {section.record.key}: {result.action} {result.url or ''}".rstrip(), file=sys.stderr)
    if drifted:
        gha.warning(f"{section.record.key} has drifted: {section.summary.headline()}", title="terraform drift")
        return 2 if args.fail_on_drift or inputs.bool_input("fail-on-drift") else 0
    print(f"{section.record.key}: no drift", file=sys.stderr)
    return 0


# --------------------------------------------------------------------- unlock


def _unlock(args: argparse.Namespace) -> int:
    from idp_actions.terraform import operations

    lock_id = args.lock_id or inputs.get_input("lock-id")
    if not lock_id:
        raise UsageError(
            "--lock-id is required (input `lock-id`)",
            hint="take it from the state-locked report of the failed run; idp never guesses which lock to break",
        )
    options = inputs.options(args)
    operations.unlock(options, lock_id)
    gha.set_output("unlocked", lock_id)
    print(f"released lock {lock_id} of {options.key}", file=sys.stderr)
    return 0
