"""One promotion, start to end: check, edit, commit, push or propose, verify, record, roll back.

:func:`prepare` does everything that can refuse a promotion while nothing has been
written anywhere: the service, environment and overlay exist, the digest is one,
the overlay can be edited, the environments before this one run the digest
Synced and Healthy (unless forced, with a reason). :func:`execute` then writes:
a commit pushed to the tracked branch (``direct``) or to a promotion branch with
a pull request (``pull-request``), a GitHub deployment, Argo CD's sync and the
wait for it, and — when verification fails and ``gitops.rollback`` is ``auto`` —
the previous digest promoted back through the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from idp_actions.errors import IdpError, UsageError
from idp_actions.gitops.argocd import ArgoCDError
from idp_actions.gitops.backoff import Backoff, Clock
from idp_actions.gitops.digest import Digest
from idp_actions.gitops.layout import Edited, Target, read_digest, set_digest
from idp_actions.gitops.message import Change, Stage, commit_message, one_line, pr_body, title
from idp_actions.gitops.repo import PUSH_BACKOFF, GitRepo
from idp_actions.gitops.settings import KUSTOMIZATION_FILES, EnvironmentSettings, GitOpsSettings, check_service
from idp_actions.gitops.wait import POLL, Outcome, verify

if TYPE_CHECKING:
    from github.Deployment import Deployment

    from idp_actions.gitops.argocd import ArgoCD
    from idp_actions.gitops.deployments import Deployments, PullRef, PullRequests

Status = Literal["promoted", "already-promoted", "proposed", "already-proposed", "failed", "rolled-back"]
PENDING_STATES = ("queued", "pending", "in_progress", "error")  # "error": Argo CD did not answer


class PromotionBlocked(IdpError):
    """The promotion order is not met (a required environment does not run the digest healthily)."""


@dataclass(frozen=True, kw_only=True)
class Request:
    """What a person (or a workflow) asked for."""

    service: str
    environment: str
    digest: Digest | None = None
    source_environment: str | None = None
    force_reason: str | None = None
    wait: bool = True
    source_run: str | None = None
    source_sha: str | None = None
    rollback_of: Digest | None = None
    rollback_reason: str | None = None


@dataclass
class Context:
    """The adapters and knobs one promotion runs with (built by the command)."""

    settings: GitOpsSettings
    repo: GitRepo
    argo: ArgoCD | None = None
    deployments: Deployments | None = None
    pulls: PullRequests | None = None
    timeout: float = 600.0
    poll: Backoff = POLL
    push_backoff: Backoff = field(default_factory=lambda: PUSH_BACKOFF)
    clock: Clock = field(default_factory=Clock)
    say: Callable[[str], None] = lambda _: None


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A checked promotion, ready to be written."""

    request: Request
    environment: EnvironmentSettings
    file: str
    target: Target
    digest: Digest
    edited: Edited
    checks: dict[str, str]

    @property
    def app(self) -> str:
        """The Argo CD Application to verify."""
        return self.environment.app_for(self.request.service)

    def change(self) -> Change:
        """The change as the commit message and pull request describe it."""
        r = self.request
        return Change(
            service=r.service,
            environment=r.environment,
            digest=self.digest,
            previous=self.edited.previous,
            path=self.file,
            source_run=r.source_run,
            source_sha=r.source_sha,
            force_reason=r.force_reason,
            rollback_of=r.rollback_of,
            rollback_reason=r.rollback_reason,
        )


@dataclass(frozen=True, kw_only=True)
class Result:
    """How a promotion ended."""

    status: Status
    service: str
    environment: str
    digest: Digest
    previous: Digest | None
    reason: str
    commit: str | None = None
    pull: PullRef | None = None
    deployment_id: int | None = None
    checks: dict[str, str] = field(default_factory=dict)
    rollback: Result | None = None
    app_url: str | None = None
    polls: int = 0

    @property
    def ok(self) -> bool:
        """True unless the promotion failed (a rolled-back promotion failed too)."""
        return self.status not in ("failed", "rolled-back")


# ------------------------------------------------------------------ prepare


def overlay_file(repo: GitRepo, settings: GitOpsSettings, service: str, environment: str) -> str:
    """The file holding ``service``'s digest in ``environment``; errors say what is missing."""
    base = settings.overlay_path(service, environment)
    candidates = [base] if settings.layout == "helm" else [f"{base}/{name}" for name in KUSTOMIZATION_FILES]
    for candidate in candidates:
        mode = repo.file_mode(candidate)
        if mode == "120000":
            raise UsageError(f"{candidate} is a symbolic link; idp edits only regular files")
        if mode is not None:
            return candidate
    root = settings.service_root(service)
    if root and repo.file_mode(root) is None:
        prefix = settings.services_prefix()
        known = repo.list_dir(prefix) if prefix else []
        listed = ", ".join(known[:20]) + (" …" if len(known) > 20 else "") if known else "none"
        raise UsageError(
            f"unknown service `{service}`: {root}/ does not exist in the GitOps repository",
            hint=f"services there: {listed} (a service is registered when it is scaffolded)",
        )
    raise UsageError(
        f"no overlay for `{service}` in `{environment}`: {candidates[0]} does not exist in the GitOps repository",
        hint="register the environment for the service first (idp scaffold writes one overlay per environment)",
    )


def prepare(request: Request, ctx: Context) -> Plan:
    """Check everything that can refuse the promotion; nothing is written."""
    settings = ctx.settings
    service = check_service(request.service)
    environment = settings.environment(request.environment)
    if request.force_reason is not None and not request.force_reason.strip():
        raise UsageError("--force needs a reason (--reason TEXT); it is recorded in the commit and the deployment")
    if request.digest is None and request.source_environment is None:
        raise UsageError("say what to promote: --digest sha256:… or --from ENVIRONMENT")
    if request.wait and ctx.argo is None:
        raise UsageError(
            "no Argo CD server to verify the promotion with",
            hint="set gitops.argocd.server in .github/idp.yaml (or --argocd-server / ARGOCD_SERVER), "
            "or pass --no-wait to promote without verifying",
        )
    if environment.mode == "pull-request" and ctx.pulls is None:
        raise UsageError(
            f"`{environment.name}` promotes by pull request, but there is no GitHub token for the GitOps repository",
            hint="pass the `gitops-token` secret (GITOPS_TOKEN) with contents: write and pull-requests: write "
            "on the GitOps repository",
        )
    file = overlay_file(ctx.repo, settings, service, environment.name)
    target = Target(
        layout=settings.layout, image=settings.image_for(service), values_key=settings.values_key, file=file
    )
    digest = request.digest or _digest_of(ctx, service, request.source_environment or "", target)
    text = ctx.repo.show(file)
    if text is None:  # pragma: no cover - overlay_file found it in HEAD
        raise UsageError(f"cannot read {file}")
    edited = set_digest(text, digest, target)
    if request.rollback_of is not None:
        checks = {}
    elif request.force_reason:
        checks = {
            r: f"not checked: order overridden ({one_line(request.force_reason, 120)})" for r in environment.requires
        }
    else:
        checks = check_order(ctx, service, environment, digest)
    return Plan(
        request=request, environment=environment, file=file, target=target, digest=digest, edited=edited, checks=checks
    )


def _digest_of(ctx: Context, service: str, source: str, target: Target) -> Digest:
    env = ctx.settings.environment(source)
    file = overlay_file(ctx.repo, ctx.settings, service, env.name)
    found = read_digest(ctx.repo.show(file) or "", replace(target, file=file))
    if found is None:
        raise UsageError(f"`{service}` has no digest in `{source}` yet ({file}); nothing to promote from there")
    return found


def check_order(ctx: Context, service: str, environment: EnvironmentSettings, digest: Digest) -> dict[str, str]:
    """``environment.requires`` each run ``digest``, Synced and Healthy, per Argo CD and the GitOps repository."""
    checks: dict[str, str] = {}
    problems: list[str] = []
    for name in environment.requires:
        required = ctx.settings.environment(name)
        if ctx.argo is None:
            raise PromotionBlocked(
                f"cannot check that `{name}` runs {digest.short}: there is no Argo CD connection "
                "(a server URL and ARGOCD_AUTH_TOKEN)",
                hint="configure gitops.argocd.server and pass the `argocd-token` secret, or pass "
                "--force --reason TEXT to promote without the check",
            )
        app = required.app_for(service)
        ctx.say(f"checking that {name} ({app}) runs {digest.short}")
        status = ctx.argo.application(app)
        runs = _pinned_at(ctx, service, name, status.revision)
        wrong: list[str] = []
        if runs != digest:
            wrong.append(f"runs {runs.short if runs else 'no digest'}")
        elif status.images and not any(image.endswith(f"@{digest}") for image in status.images):
            wrong.append(f"reports images {', '.join(status.images)}")
        if status.sync_status != "Synced":
            wrong.append(f"is {status.sync_status or 'not synced'}")
        if status.health != "Healthy":
            wrong.append(f"is {status.health or 'of unknown health'}")
        if wrong:
            problems.append(f"`{name}` {' and '.join(wrong)}")
            checks[name] = "; ".join(wrong)
        else:
            checks[name] = f"runs {digest.short}, Synced and Healthy"
    if problems:
        first = environment.requires[0] if len(environment.requires) == 1 else "the required environments"
        raise PromotionBlocked(
            f"cannot promote {service} to `{environment.name}` yet: {'; '.join(problems)} "
            f"(it must run {digest.short}, Synced and Healthy, first)",
            hint=f"promote {digest.short} to {first} and let it become healthy; to override the order, "
            "pass --force --reason TEXT (the reason is recorded)",
        )
    return checks


def _pinned_at(ctx: Context, service: str, environment: str, revision: str | None) -> Digest | None:
    if not revision:
        return None
    if not ctx.repo.has_commit(revision):
        ctx.repo.fetch()
        if not ctx.repo.has_commit(revision):
            return None
    try:
        file = overlay_file(ctx.repo, ctx.settings, service, environment)
    except UsageError:
        return None
    text = ctx.repo.show(file, revision)
    target = Target(
        layout=ctx.settings.layout, image=ctx.settings.image_for(service), values_key=ctx.settings.values_key, file=file
    )
    try:
        return read_digest(text, target) if text is not None else None
    except IdpError:
        return None


# ------------------------------------------------------------------ execute


def promote(request: Request, ctx: Context) -> Result:
    """Prepare, then execute (see the module docstring)."""
    return execute(prepare(request, ctx), ctx)


def execute(plan: Plan, ctx: Context) -> Result:
    """Write the promotion and verify it."""
    if not plan.edited.changed:
        return _already_promoted(plan, ctx)
    ctx.repo.write(plan.file, plan.edited.text)
    local = ctx.repo.commit([plan.file], commit_message(plan.change()))
    if local is None:  # pragma: no cover - set_digest said it changed
        return _already_promoted(plan, ctx)
    if plan.environment.mode == "pull-request":
        return _propose(plan, ctx)
    ctx.say(f"pushing {title(plan.change())} to {ctx.settings.branch}")
    pushed = ctx.repo.push(backoff=ctx.push_backoff, clock=ctx.clock)
    if pushed.commit is None:
        ctx.say("the same change was pushed meanwhile by another run")
        return _result(plan, "already-promoted", "already promoted (by a concurrent run)", commit=ctx.repo.head())
    ctx.say(f"pushed {pushed.commit[:12]} after {pushed.attempts} attempt(s)")
    deployment = _create_deployment(plan, ctx, pushed.commit)
    return _verify(plan, ctx, pushed.commit, deployment)


def _already_promoted(plan: Plan, ctx: Context) -> Result:
    """No diff: nothing is written, but a deployment left waiting for this digest is completed."""
    history = ctx.repo.history(plan.file, limit=1)
    commit = history[0][0] if history else ctx.repo.head()
    pending = _pending_deployment(plan, ctx)
    if pending is None or not plan.request.wait:
        reason = f"already promoted: {plan.request.service} in {plan.environment.name} pins {plan.digest.short}"
        return _result(plan, "already-promoted", reason, commit=commit)
    ctx.say(f"completing deployment {pending.id}, which waited for {plan.digest.short}")
    return _verify(plan, ctx, commit, pending)


def _pending_deployment(plan: Plan, ctx: Context) -> Deployment | None:
    if ctx.deployments is None:
        return None
    for record in ctx.deployments.latest(plan.environment.name, limit=1):
        if record.payload.get("digest") == str(plan.digest) and record.state in PENDING_STATES:
            return ctx.deployments.get(record.id)
    return None


def _propose(plan: Plan, ctx: Context) -> Result:
    r = plan.request
    verb = "rollback" if r.rollback_of is not None else "promote"
    branch = f"idp/{verb}/{r.service}/{r.environment}/{plan.digest.value[7:19]}"
    existed = ctx.repo.remote_branch_exists(branch) is not None
    ctx.say(f"pushing branch {branch}")
    ctx.repo.push(branch=branch, backoff=ctx.push_backoff, clock=ctx.clock)
    commit = ctx.repo.head()
    assert ctx.pulls is not None  # prepare() refused pull-request environments without it
    if existed:
        found = ctx.pulls.find_open(branch, ctx.settings.branch)
        if found is not None:
            return _result(plan, "already-proposed", f"already proposed in {found.url}", commit=commit, pull=found)
    change = plan.change()
    body = pr_body(
        change,
        diff=ctx.repo.diff("HEAD~1", "HEAD"),
        stages=pipeline(ctx, r.service, highlight_digest=(r.environment, plan.digest)),
        checks=plan.checks,
        links=_links(plan, ctx),
    )
    labels = ["promotion", f"env:{r.environment}", f"service:{r.service}"]
    labels += ["rollback"] if r.rollback_of is not None else []
    labels += ["order-overridden"] if r.force_reason else []
    pull = ctx.pulls.open(branch=branch, base=ctx.settings.branch, title=title(change), body=body, labels=labels)
    ctx.say(f"opened {pull.url}")
    deployment = _create_deployment(plan, ctx, commit, pull=pull)
    if deployment is not None and ctx.deployments is not None:
        ctx.deployments.status(
            deployment, "queued", description=f"waiting for review: pull request #{pull.number}", log_url=pull.url
        )
    return _result(
        plan,
        "proposed",
        f"proposed in {pull.url}",
        commit=commit,
        pull=pull,
        deployment_id=deployment.id if deployment is not None else None,
    )


def _links(plan: Plan, ctx: Context) -> dict[str, str]:
    links = {}
    if plan.request.source_run:
        links["workflow run"] = plan.request.source_run
    if ctx.argo is not None:
        links[f"Argo CD: {plan.app}"] = ctx.argo.app_url(plan.app)
    return links


def _create_deployment(plan: Plan, ctx: Context, commit: str, *, pull: PullRef | None = None) -> Deployment | None:
    r = plan.request
    if ctx.deployments is None or not r.source_sha:
        return None
    payload: dict[str, object] = {
        "service": r.service,
        "digest": str(plan.digest),
        "previous_digest": str(plan.edited.previous) if plan.edited.previous else None,
        "gitops_repository": ctx.settings.repository,
        "gitops_commit": commit,
        "gitops_path": plan.file,
    }
    if r.force_reason:
        payload["force_reason"] = one_line(r.force_reason)
    if r.rollback_of is not None:
        payload["rollback_of"] = str(r.rollback_of)
        payload["rollback_reason"] = one_line(r.rollback_reason or "")
    if pull is not None:
        payload["pull_request"] = pull.url
    description = f"{'roll back' if r.rollback_of else 'promote'} {r.service} to {plan.digest.short}"
    last = ctx.settings.environments[-1].name == plan.environment.name
    deployment = ctx.deployments.create(
        ref=r.source_sha,
        environment=plan.environment.name,
        description=description,
        payload=payload,
        production=last or plan.environment.name in ("prod", "production"),
    )
    ctx.say(f"deployment {deployment.id} created in {ctx.deployments.repository}")
    return deployment


def _log_url(plan: Plan, ctx: Context) -> str:
    if plan.request.source_run:
        return plan.request.source_run
    if ctx.argo is not None:
        return ctx.argo.app_url(plan.app)
    return "https://github.com/" + (ctx.settings.repository or "")


def _verify(plan: Plan, ctx: Context, commit: str, deployment: Deployment | None) -> Result:
    r = plan.request
    log_url = _log_url(plan, ctx)
    env_url = plan.environment.url_for(r.service)
    deployments = ctx.deployments if deployment is not None else None
    if deployments is not None and deployment is not None:
        deployments.status(deployment, "in_progress", description=f"Argo CD syncing {commit[:12]}", log_url=log_url)
    dep_id = deployment.id if deployment is not None else None
    if ctx.argo is None:
        return _result(
            plan, "promoted", f"pushed {commit[:12]}; not verified (--no-wait)", commit=commit, deployment_id=dep_id
        )
    try:
        outcome = verify(
            ctx.argo,
            plan.app,
            commit,
            accept=_accept(plan, ctx, commit),
            timeout=ctx.timeout,
            poll=ctx.poll,
            clock=ctx.clock,
            wait=r.wait,
            progress=ctx.say,
        )
    except ArgoCDError as exc:
        if deployments is not None and deployment is not None:
            deployments.status(deployment, "error", description=f"not verified: {exc.message}", log_url=log_url)
        raise ArgoCDError(
            f"{r.service} {plan.digest.short} was pushed to {r.environment} ({commit[:12]}) but could not be "
            f"verified: {exc.message}",
            status=exc.status,
            hint=exc.hint or "run the same promotion again once Argo CD answers: it verifies without a new commit",
        ) from exc
    app_url = ctx.argo.app_url(plan.app)
    if not r.wait:
        return _result(
            plan,
            "promoted",
            f"pushed {commit[:12]}; {outcome.reason}",
            commit=commit,
            deployment_id=dep_id,
            app_url=app_url,
            polls=outcome.polls,
        )
    if outcome.ok:
        if deployments is not None and deployment is not None:
            deployments.status(
                deployment, "success", description=outcome.reason, log_url=log_url, environment_url=env_url
            )
            if deployment.production_environment:
                deployments.supersede(plan.environment.name, deployment.id, log_url=log_url)
        return _result(
            plan, "promoted", outcome.reason, commit=commit, deployment_id=dep_id, app_url=app_url, polls=outcome.polls
        )
    if deployments is not None and deployment is not None:
        deployments.status(deployment, "failure", description=outcome.reason, log_url=log_url)
    return _after_failure(plan, ctx, commit, outcome, dep_id, app_url)


def _after_failure(plan: Plan, ctx: Context, commit: str, outcome: Outcome, dep_id: int | None, app_url: str) -> Result:
    r = plan.request
    previous = plan.edited.previous
    failed = _result(
        plan, "failed", outcome.reason, commit=commit, deployment_id=dep_id, app_url=app_url, polls=outcome.polls
    )
    if ctx.settings.rollback != "auto" or r.rollback_of is not None or previous is None:
        return failed
    ctx.say(f"rolling {r.service} in {r.environment} back to {previous.short}: {outcome.reason}")
    rollback = promote(
        Request(
            service=r.service,
            environment=r.environment,
            digest=previous,
            wait=True,
            source_run=r.source_run,
            source_sha=r.source_sha,
            rollback_of=plan.digest,
            rollback_reason=outcome.reason,
        ),
        ctx,
    )
    return replace(failed, status="rolled-back" if rollback.ok else "failed", rollback=rollback)


def _accept(plan: Plan, ctx: Context, commit: str) -> Callable[[str], bool]:
    """A revision is right when it is ``commit`` or a later commit that still pins the digest."""
    known: dict[str, bool] = {commit: True}

    def accept(revision: str) -> bool:
        if revision not in known:
            if not ctx.repo.has_commit(revision):
                ctx.repo.fetch()
            known[revision] = (
                ctx.repo.has_commit(revision)
                and ctx.repo.is_ancestor(commit, revision)
                and _pinned_at(ctx, plan.request.service, plan.environment.name, revision) == plan.digest
            )
        return known[revision]

    return accept


def _result(plan: Plan, status: Status, reason: str, **extra: object) -> Result:
    return Result(
        status=status,
        service=plan.request.service,
        environment=plan.environment.name,
        digest=plan.digest,
        previous=plan.edited.previous,
        reason=reason,
        checks=plan.checks,
        **extra,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ picture


def pipeline(ctx: Context, service: str, *, highlight_digest: tuple[str, Digest] | None = None) -> list[Stage]:
    """Each environment's digest (from the GitOps repository) and, when Argo CD is at hand, its state."""
    stages = []
    for env in ctx.settings.environments:
        digest: Digest | None = None
        health = sync = None
        try:
            file = overlay_file(ctx.repo, ctx.settings, service, env.name)
            target = Target(
                layout=ctx.settings.layout,
                image=ctx.settings.image_for(service),
                values_key=ctx.settings.values_key,
                file=file,
            )
            digest = read_digest(ctx.repo.show(file) or "", target)
        except IdpError:
            pass
        if highlight_digest and highlight_digest[0] == env.name:
            digest = highlight_digest[1]
        if ctx.argo is not None:
            try:
                status = ctx.argo.application(env.app_for(service))
                health, sync = status.health, status.sync_status
            except IdpError:
                pass
        stages.append(Stage(name=env.name, digest=digest, health=health, sync=sync))
    return stages
