"""``idp scaffold``: make a new repository from a template, or bring one up to a newer template version.

``new`` validates the request, renders the template into a temporary folder,
self-checks the result with the real tools, then creates the repository,
pushes its first commit and opens the GitOps pull request, all or nothing.
``--dry-run --output DIR`` stops after the self-check and writes the result.
``update`` renders a newer template version over an existing repository and
opens a pull request. ``list``/``show`` print the templates and their
parameters; ``backstage`` writes (or ``--check``s) the Backstage templates.

In a workflow each option falls back to an action input: ``request`` (the
JSON request), ``dry-run``, ``output`` and ``github-token``. Outputs:
``status`` (created, dry-run, updated, up-to-date, failed), ``repository``,
``repository-url``, ``entity-ref``, ``gitops-pull-request`` and, for update,
``pull-request`` and ``conflicts``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from idp_actions import gha
from idp_actions.errors import IdpError, UsageError

if TYPE_CHECKING:
    from idp_actions.config import IdpConfig
    from idp_actions.scaffold.request import ScaffoldRequest


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp scaffold new|update|list|show|backstage``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    new = actions.add_parser(
        "new", help="create a repository from a template (or --dry-run it)",
        description="Validate a request, render the template, self-check the result, then create the "
        "repository, push it and register it in the GitOps repository: all or nothing.",
    )
    new.add_argument("template", nargs="?", help="template name (or `template` in the request)")
    new.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="a parameter's value (repeatable); `idp scaffold show TEMPLATE` lists them")
    source = new.add_mutually_exclusive_group()
    source.add_argument("--request", metavar="JSON", help="the whole request as JSON (input `request`)")
    source.add_argument("--request-file", type=Path, metavar="FILE", help="read the JSON request from FILE")
    new.add_argument("--dry-run", action="store_true", help="render and self-check only; change nothing on GitHub")
    new.add_argument("--output", type=Path, metavar="DIR", help="with --dry-run: write the result to DIR (new)")
    _checks(new)
    _platform(new)

    update = actions.add_parser(
        "update", help="open a pull request bringing a repository up to its template's newer version",
        description="Render the template's current version over a repository made from an older one "
        "(a three-way merge: the repository's own changes stay) and open a pull request. "
        "Conflicts are committed as conflict markers and marked by a failing status.",
    )
    update.add_argument("repository", nargs="?", metavar="OWNER/NAME", help="the repository to update")
    update.add_argument("--path", type=Path, metavar="DIR",
                        help="update this local clone instead (no pull request; the result stays uncommitted)")
    update.add_argument("--history", type=Path, metavar="DIR", default=None,
                        help="a full clone of idp-actions holding the older template versions "
                        "(default: this checkout)")
    update.add_argument("--dry-run", action="store_true", help="show what would change; open no pull request")
    _platform(update)

    actions.add_parser("list", help="list the templates", description="List the templates and their versions.")
    show = actions.add_parser("show", help="print a template's parameters",
                              description="Print a template's parameters: type, default, pattern, description.")
    show.add_argument("template")

    backstage = actions.add_parser(
        "backstage", help="write the Backstage templates from the template manifests",
        description="Write templates/backstage/<template>/template.yaml from each manifest, or --check that "
        "they are up to date.",
    )
    backstage.add_argument("--check", action="store_true", help="exit 1 when a file is out of date")
    backstage.add_argument("--output", type=Path, metavar="DIR", help="where to write (default: templates/backstage)")
    backstage.add_argument("--workflow-repo", default="idp-actions/idp-actions", metavar="OWNER/NAME",
                           help="the repository whose scaffold.yml Backstage dispatches (your fork of idp-actions)")
    backstage.add_argument("--ref", default="main", help="branch or tag of that repository to dispatch on")


def _checks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-check", action="append", default=[], metavar="NAME",
                        help="leave one self-check out (repeatable): workflows, tests, kubernetes, docker, "
                        "terraform, catalog, policy, scan")
    parser.add_argument("--validate-terraform", action="store_true",
                        help="also `tofu init -backend=false && tofu validate` (downloads providers)")
    parser.add_argument("--trivy-cache-dir", type=Path, metavar="DIR",
                        help="the scan check's Trivy cache (passed to `idp scan`)")
    parser.add_argument("--skip-db-update", action="store_true",
                        help="the scan check uses the cached vulnerability DB as it is (offline runs)")


def _platform(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="DIR", default=Path(),
                        help="repository whose .github/idp.yaml holds the platform's settings (default: .)")


def run(args: argparse.Namespace) -> int:
    """Run ``idp scaffold <action>``."""
    if args.action == "list":
        return _list()
    if args.action == "show":
        return _show(args.template)
    if args.action == "backstage":
        from idp_actions.scaffold.backstage import write_all

        return write_all(check=args.check, output=args.output, workflow_repo=args.workflow_repo, ref=args.ref)
    if args.action == "update":
        from idp_actions.scaffold.update import run_update

        return run_update(args, _config(args))
    return _new(args)


# ---------------------------------------------------------------------- new


def _new(args: argparse.Namespace) -> int:
    from idp_actions.scaffold import report as reports
    from idp_actions.scaffold.manifest import CHECKS, templates_root
    from idp_actions.scaffold.render import entity_ref, render
    from idp_actions.scaffold.request import check_github, parse_request
    from idp_actions.scaffold.selfcheck import selfcheck

    dry_run = args.dry_run or gha.get_bool_input("dry-run")
    output = args.output or (Path(gha.get_input("output")) if gha.get_input("output") else None)
    if output is not None and not dry_run:
        raise UsageError("--output writes a dry run's result: add --dry-run")
    if output is not None and output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(f"--output {output} exists and is not an empty folder", hint="name a new folder")
    config = _config(args)
    templates = templates_root()
    try:
        request = parse_request(_request_data(args, templates), templates=templates, context=_context(config))
    except IdpError as exc:
        # The run's page is what Backstage links to: say there why nothing was made.
        quoted = "\n".join(f"> {line}" if line else ">" for line in str(exc).splitlines())
        gha.write_summary(f"## ❌ The scaffolding request was refused\n\n{quoted}\n\nNothing was created.\n")
        gha.set_output("status", "failed")
        raise
    manifest = request.manifest
    print(f"scaffold: {request.repository} from {manifest.name} {manifest.version}", file=sys.stderr)

    hub = token = None
    options = _options(config, request)
    if not dry_run:
        from idp_actions.github import make_github
        from idp_actions.scaffold.hub import Hub

        token = github_token(request.org)
        hub = Hub(make_github(token=token))
        with gha.group("check the request against GitHub"):
            try:
                check_github(request, hub, gitops_repository=options.gitops_repository if manifest.gitops else None)
            except IdpError as exc:
                gha.write_summary(reports.summary(request, None, error=str(exc)))
                _outputs(status="failed", request=request)
                raise

    skip = [*args.skip_check, *(w for line in gha.get_multiline_input("skip-checks") for w in line.split())]
    unknown = sorted({name for name in skip if name not in CHECKS})
    if unknown:
        raise UsageError(f"unknown self-check(s) to skip: {', '.join(unknown)}",
                         hint=f"the self-checks are {', '.join(CHECKS)}")
    workdir = Path(tempfile.mkdtemp(prefix="idp-scaffold-"))
    try:
        with gha.group(f"render {manifest.name} {manifest.version}"):
            rendered = render(manifest, request.answers, workdir / "rendered" / request.name)
            print(f"rendered {len(rendered.files)} files", file=sys.stderr)
        checks = selfcheck(rendered.root, manifest, skip=skip, validate_terraform=args.validate_terraform,
                           scan_args=_scan_args(args))
        print(checks.text(), end="", file=sys.stderr)
        if dry_run:
            if output is not None:
                shutil.copytree(rendered.root, output, dirs_exist_ok=True)
            gha.write_summary(reports.summary(request, checks, dry_run=True,
                                              output=str(output) if output else None))
            _outputs(status="dry-run" if checks.ok else "failed", request=request, entity=entity_ref(rendered.root))
            if not checks.ok:
                print(f"self-check failed: {', '.join(c.name for c in checks.failed)}", file=sys.stderr)
            return 0 if checks.ok else 1
        assert hub is not None
        try:
            if not checks.ok:
                failed = ", ".join(c.name for c in checks.failed)
                raise IdpError(f"the rendered project failed its self-check ({failed}); nothing was created",
                               hint="the step summary shows each failed check's output; fix the template or "
                               "the request")
            from idp_actions.scaffold.publish import prepare, publish

            with gha.group("prepare the GitOps registration"):
                plan = prepare(request, rendered, entity_ref(rendered.root), hub, settings=config.as_dict(),
                               options=options, token=token, workdir=workdir)
            with gha.group(f"create {request.repository}"):
                outcome = publish(plan, hub, options=options, token=token, settings=config.as_dict())
        except IdpError as exc:
            gha.write_summary(reports.summary(request, checks, error=str(exc)))
            _outputs(status="failed", request=request)
            raise
        envs = [env["name"] for env in config.as_dict()["gitops"]["environments"]]
        gha.write_summary(reports.summary(request, checks, outcome=outcome, environments=envs))
        _outputs(status="created", request=request, entity=outcome.entity_ref, url=outcome.repository_url,
                 pull=outcome.gitops_pull_url)
        print(f"created {outcome.repository_url}")
        if outcome.gitops_pull_url:
            print(f"registered by {outcome.gitops_pull_url}")
        print(f"catalog entity {outcome.entity_ref}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def github_token(org: str) -> str | None:
    """The token to act with: input `github-token`, else one minted for ``org`` from the App, else GITHUB_TOKEN."""
    from idp_actions.scaffold.hub import app_token

    token = gha.get_input("github-token") or None
    app_id, key = gha.get_input("app-id"), gha.get_input("app-private-key", trim=False)
    if key:
        gha.mask(key)
    if not token and app_id and key.strip():
        api = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
        token = app_token(app_id, key, org, base_url=api.rstrip("/"))
    token = token or os.environ.get("GITHUB_TOKEN") or None
    if token:
        gha.mask(token)
    return token


def _scan_args(args: argparse.Namespace) -> list[str]:
    extra = ["--skip-db-update"] if args.skip_db_update or gha.get_bool_input("skip-db-update") else []
    cache = args.trivy_cache_dir or gha.get_input("trivy-cache-dir")
    return [*extra, "--trivy-cache-dir", str(cache)] if cache else extra


def _request_data(args: argparse.Namespace, templates: Path) -> Any:
    from idp_actions.scaffold.manifest import find_template
    from idp_actions.scaffold.request import load_json, parse_assignments

    raw: str | bytes | None = args.request
    if args.request_file is not None:
        try:
            raw = args.request_file.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read --request-file {args.request_file}: {exc.strerror or exc}") from None
    if raw is None and not args.template and not args.param:
        raw = gha.get_input("request") or None
    if raw is not None:
        if args.template or args.param:
            raise UsageError("give either a JSON request or TEMPLATE with -p KEY=VALUE, not both")
        return load_json(raw)
    if not args.template:
        raise UsageError("no request: name a TEMPLATE (with -p KEY=VALUE) or pass --request JSON",
                         hint="`idp scaffold list` shows the templates")
    manifest = find_template(args.template, templates)
    return {"template": args.template, "parameters": parse_assignments(manifest, args.param)}


def _config(args: argparse.Namespace) -> IdpConfig:
    from idp_actions.config import load_config

    return load_config(args.config)


def _context(config: IdpConfig) -> Any:
    from idp_actions.scaffold.request import Context

    return Context(
        org=config.org_name or os.environ.get("GITHUB_REPOSITORY_OWNER") or None,
        owner=config.default_team,
        gitops_repository=config.gitops_repository,
    )


def _options(config: IdpConfig, request: ScaffoldRequest) -> Any:
    from idp_actions.scaffold.publish import Options

    scaffold = config.as_dict().get("scaffold") or {}
    return Options(
        team_permission=str(scaffold.get("team-permission", "push")),
        approvals=int(scaffold.get("required-approvals", 1)),
        on_failure=str(scaffold.get("on-failure", "delete")),
        gitops_repository=str(request.answers.get("gitops_repository") or config.gitops_repository or "") or None,
    )


def _outputs(*, status: str, request: ScaffoldRequest, entity: str | None = None, url: str | None = None,
             pull: str | None = None) -> None:
    gha.set_output("status", status)
    gha.set_output("repository", request.repository)
    gha.set_output("repository-url", url or "")
    gha.set_output("entity-ref", entity or "")
    gha.set_output("gitops-pull-request", pull or "")


# ------------------------------------------------------------ list and show


def _list() -> int:
    from idp_actions.scaffold.manifest import available, find_template, templates_root

    root = templates_root()
    for name in available(root):
        manifest = find_template(name, root)
        print(f"{name:<20} {manifest.version:<8} {manifest.title}")
    return 0


def _show(template: str) -> int:
    from idp_actions.scaffold.manifest import find_template, templates_root

    manifest = find_template(template, templates_root())
    print(f"{manifest.name} {manifest.version}: {manifest.title}\n\n{manifest.description}\n")
    for parameter in manifest.parameters:
        bits = [parameter.type, "required" if parameter.required else f"default {parameter.default!r}"]
        if parameter.enum:
            bits.append("one of " + ", ".join(map(str, parameter.enum)))
        if parameter.pattern:
            bits.append(f"pattern {parameter.pattern}")
        if parameter.minimum is not None or parameter.maximum is not None:
            bits.append(f"range {parameter.minimum}..{parameter.maximum}")
        print(f"  {parameter.name}  ({'; '.join(bits)})\n      {parameter.description}")
    return 0
