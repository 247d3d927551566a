"""Create the repository, push its first commit and register it by pull request: all or nothing.

:func:`prepare` does everything that can fail without changing anything:
the registration's files are written into a scratch copy of the GitOps layout
and built with kustomize, and the GitOps repository is cloned to make sure
the service is not registered there yet and its branch is free.

:func:`publish` then makes the changes, in this order: the repository (empty,
with its description and visibility), its topics, the owning team's
permission, the first commit on ``main``, ``main`` as the default branch, the
ruleset (reviews by code owners, required status checks, no force-push or
deletion; created after the first push, which it would refuse), and the GitOps
pull request. When any step fails after the repository exists, the repository
is deleted (or, when deleting is refused or ``on_failure`` is ``archive``,
archived and marked failed in its description and topics) and a pushed
GitOps branch is removed; the error says which step failed and what was undone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from idp_actions import proc, tools
from idp_actions.errors import GitHubError, IdpError
from idp_actions.scaffold.git import Git, GitError
from idp_actions.scaffold.hub import Hub, RepoInfo, ruleset
from idp_actions.scaffold.registration import Registration, RegistrationError, Settings, registration
from idp_actions.scaffold.render import Rendered
from idp_actions.scaffold.request import ScaffoldRequest

FAILED_TOPIC = "idp-scaffold-failed"
DEFAULT_BRANCH = "main"


class ScaffoldError(IdpError):
    """Publishing failed; what was created has been undone (or marked), as the message says."""


@dataclass(frozen=True, kw_only=True)
class Options:
    """How the repository is set up and what happens on failure."""

    team_permission: str = "push"
    approvals: int = 1
    on_failure: str = "delete"
    gitops_repository: str | None = None


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Everything decided before anything changes."""

    request: ScaffoldRequest
    rendered: Rendered
    entity_ref: str
    gitops: RepoInfo | None = None
    registration: Registration | None = None
    gitops_clone: Git | None = None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What was made."""

    repository: str
    repository_url: str
    commit: str
    entity_ref: str
    gitops_pull_url: str | None = None
    applications: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def prepare(
    request: ScaffoldRequest,
    rendered: Rendered,
    entity_ref: str,
    hub: Hub,
    *,
    settings: Mapping[str, object],
    options: Options,
    token: str | None,
    workdir: Path,
) -> Plan:
    """Decide the GitOps registration and check it can be made, changing nothing."""
    manifest = request.manifest
    if manifest.gitops is None:
        return Plan(request=request, rendered=rendered, entity_ref=entity_ref)
    if not options.gitops_repository:
        raise ScaffoldError(
            f"template {manifest.name} makes a deployable service, but no GitOps repository is configured",
            hint="set gitops.repository in the platform's .github/idp.yaml (or the request's gitops_repository)",
        )
    gitops = hub.repo(options.gitops_repository)
    config = Settings.from_config(settings, gitops.clone_url)
    made = registration(rendered.root, manifest, request.name, config)
    _build_overlays(made, workdir / "registration")
    clone = Git(workdir / "gitops", url=gitops.clone_url, token=token)
    clone.clone(config.branch)
    taken = sorted(p for p in made.files if (clone.path / p).exists())
    if taken:
        raise ScaffoldError(
            f"{request.name} is already registered in {gitops.full_name}: {', '.join(taken[:5])} exist",
            hint="choose another name, or remove the old registration first",
        )
    branch = _branch(request)
    if clone.remote_has(branch):
        raise ScaffoldError(f"branch {branch} already exists in {gitops.full_name}",
                            hint="an earlier run left it: close its pull request and delete the branch")
    return Plan(request=request, rendered=rendered, entity_ref=entity_ref, gitops=gitops, registration=made,
                gitops_clone=clone)


def publish(plan: Plan, hub: Hub, *, options: Options, token: str | None, settings: Mapping[str, object]) -> Outcome:
    """Make the repository and its registration; undo the repository when a later step fails."""
    request = plan.request
    step = "create the repository"
    created: RepoInfo | None = None
    pushed_branch: str | None = None
    try:
        created = hub.create_repo(request.org, request.name, description=request.description,
                                  visibility=request.visibility)
        step = "set the topics"
        hub.set_topics(created.full_name, _topics(request))
        step = f"give team {request.owner} access"
        hub.grant_team(request.org, request.owner, created.full_name, options.team_permission)
        step = "push the first commit"
        commit = Git(plan.rendered.root, url=created.clone_url, token=token).push_new(
            DEFAULT_BRANCH, _commit_message(request))
        step = "make main the default branch"
        hub.update_repo(created.full_name, default_branch=DEFAULT_BRANCH)
        step = "protect the default branch"
        hub.create_ruleset(created.full_name, ruleset(approvals=options.approvals,
                                                      checks=request.manifest.required_checks))
        pull_url = None
        if plan.registration is not None and plan.gitops is not None and plan.gitops_clone is not None:
            step = "register the service in the GitOps repository"
            config = Settings.from_config(settings, plan.gitops.clone_url)
            pushed_branch, pull_url = _register(plan, hub, config, created)
    except (IdpError, OSError) as exc:
        if created is None:
            raise ScaffoldError(f"could not {step}: {_reason(exc)}; nothing was created",
                                hint=getattr(exc, "hint", None)) from None
        undone = _undo(created, plan, hub, options, pushed_branch, f"could not {step}")
        raise ScaffoldError(f"could not {step}: {_reason(exc)}; {undone}", hint=getattr(exc, "hint", None)) from None
    return Outcome(
        repository=created.full_name,
        repository_url=created.html_url,
        commit=commit,
        entity_ref=plan.entity_ref,
        gitops_pull_url=pull_url,
        applications=MappingProxyType(dict(plan.registration.applications) if plan.registration else {}),
    )


# ---------------------------------------------------------------- registration


def _register(plan: Plan, hub: Hub, config: Settings, created: RepoInfo) -> tuple[str, str]:
    assert plan.registration is not None and plan.gitops is not None and plan.gitops_clone is not None
    request, made, clone = plan.request, plan.registration, plan.gitops_clone
    for path, text in made.files.items():
        target = clone.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    envs = ", ".join(made.applications)
    clone.commit_all(f"Register {request.name} ({envs})\n\nScaffolded from {request.manifest.name} "
                     f"{request.manifest.version}: {created.html_url}\n")
    branch = _branch(request)
    clone.push_branch(branch)
    try:
        _number, url = hub.create_pull(
            plan.gitops.full_name, head=branch, base=config.branch,
            title=f"Register {request.name} ({envs})", body=_pull_body(plan, created))
    except IdpError:
        clone.delete_remote_branch(branch)
        raise
    return branch, url


def _build_overlays(made: Registration, scratch: Path) -> None:
    """Write the registration into a scratch tree and ``kustomize build`` every overlay there."""
    for path, text in made.files.items():
        target = scratch / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    kustomize = tools.find("kustomize")
    for env, overlay in made.overlays.items():
        result = proc.run([kustomize, "build", str(scratch / overlay)], check=False, timeout=120)
        if result.returncode != 0:
            raise RegistrationError(f"the {env} overlay would not build in the GitOps repository: "
                                    f"{result.stderr.strip()}")
    shutil.rmtree(scratch)


def _pull_body(plan: Plan, created: RepoInfo) -> str:
    request, made = plan.request, plan.registration
    assert made is not None
    rows = "\n".join(f"| {env} | `{made.overlays[env]}` | `{app}` |" for env, app in made.applications.items())
    lines = [
        f"Registers **{request.name}**, scaffolded from the `{request.manifest.name}` template "
        f"{request.manifest.version}: {created.html_url} (catalog entity `{plan.entity_ref}`).",
        "",
        "| environment | overlay | Argo CD application |",
        "|---|---|---|",
        rows,
        "",
        "The overlays pin an all-zero placeholder digest until the service's first promotion "
        "(`idp promote` writes the real one).",
    ]
    if request.id:
        lines += ["", f"Request: `{request.id}`"]
    return "\n".join(lines) + "\n"


def _branch(request: ScaffoldRequest) -> str:
    return f"scaffold/{request.name}"


def _topics(request: ScaffoldRequest) -> list[str]:
    topics = [*request.manifest.topics, f"template-{request.manifest.name}"]
    return sorted(set(topics))[:20]


def _commit_message(request: ScaffoldRequest) -> str:
    message = (f"Scaffold {request.name} from {request.manifest.name} {request.manifest.version}\n\n"
               "Made by idp scaffold: the answers are in .copier-answers.yml; `idp scaffold update` brings "
               "newer versions of the template in by pull request.\n")
    if request.id:
        message += f"\nScaffold-Request: {request.id}\n"
    return message


# ---------------------------------------------------------------------- undo


def _undo(created: RepoInfo, plan: Plan, hub: Hub, options: Options, branch: str | None, why: str) -> str:
    notes = []
    if branch and plan.gitops_clone is not None:
        try:
            plan.gitops_clone.delete_remote_branch(branch)
            notes.append(f"branch {branch} of the GitOps repository was deleted")
        except GitError as exc:
            notes.append(f"branch {branch} of the GitOps repository could not be deleted ({exc.message})")
    if options.on_failure == "delete":
        try:
            hub.delete_repo(created.full_name)
            return "; ".join([f"repository {created.full_name} was deleted", *notes])
        except GitHubError as exc:
            refused = f"could not be deleted ({exc.message})"
    else:
        refused = "was kept (scaffold.on-failure: archive)"
    marked = _mark_failed(created, hub, why)
    return "; ".join([f"repository {created.full_name} {refused}; {marked}", *notes])


def _mark_failed(created: RepoInfo, hub: Hub, why: str) -> str:
    try:
        hub.set_topics(created.full_name, [FAILED_TOPIC])
        hub.update_repo(created.full_name, description=f"FAILED SCAFFOLD, safe to delete: {why}"[:350])
        hub.update_repo(created.full_name, archived=True)
    except GitHubError as exc:
        return (f"marking it failed did not work either ({exc.message}): delete {created.html_url} by hand")
    return f"it is archived and marked `{FAILED_TOPIC}`: delete {created.html_url} when convenient"


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, IdpError) else str(exc)


def scratch_dir() -> Path:
    """A fresh working directory for one publication."""
    return Path(tempfile.mkdtemp(prefix="idp-scaffold-"))
