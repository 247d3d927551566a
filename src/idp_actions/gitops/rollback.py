"""Rolling back: which digest an environment ran before, and promoting it again through the same path."""

from __future__ import annotations

from idp_actions.errors import IdpError, UsageError
from idp_actions.gitops.digest import Digest
from idp_actions.gitops.layout import Target, read_digest
from idp_actions.gitops.message import DIGEST, parse_trailers
from idp_actions.gitops.promotion import Context, Request, Result, overlay_file, promote
from idp_actions.gitops.repo import GitRepo
from idp_actions.gitops.settings import check_service


def digest_history(repo: GitRepo, file: str, target: Target, *, limit: int = 50) -> list[tuple[str, Digest]]:
    """``(commit, digest)`` for the last commits that changed ``file``, newest first, one entry per change.

    The digest is read from the file at each commit (the ``Idp-Digest`` trailer is
    used only when the file cannot be read), so hand-made commits count too.
    """
    out: list[tuple[str, Digest]] = []
    for commit, _date, message in repo.history(file, limit=limit):
        digest: Digest | None = None
        text = repo.show(file, commit)
        try:
            digest = read_digest(text, target) if text is not None else None
        except IdpError:
            digest = None
        if digest is None:
            raw = parse_trailers(message).get(DIGEST)
            digest = Digest(raw) if raw and raw.startswith("sha256:") and len(raw) == 71 else None
        if digest is not None and (not out or out[-1][1] != digest):
            out.append((commit, digest))
    return out


def previous_digest(repo: GitRepo, file: str, target: Target) -> tuple[Digest, Digest]:
    """``(current, previous)``: what the file pins now and the different digest it pinned before."""
    current_text = repo.show(file)
    current = read_digest(current_text, target) if current_text is not None else None
    if current is None:
        raise UsageError(f"{file} pins no digest: there is nothing to roll back")
    for _commit, digest in digest_history(repo, file, target):
        if digest != current:
            return current, digest
    raise UsageError(
        f"{file} has never pinned another digest than {current.short}: there is nothing to roll back to",
        hint="pass --to sha256:… to choose the digest explicitly",
    )


def rollback(
    ctx: Context,
    *,
    service: str,
    environment: str,
    reason: str,
    to: Digest | None = None,
    wait: bool = True,
    source_run: str | None = None,
    source_sha: str | None = None,
) -> Result:
    """Promote ``to`` (default: the digest before the current one) back into ``environment``, recording why."""
    if not reason.strip():
        raise UsageError("a rollback needs a reason (--reason TEXT); it is recorded in the commit and the deployment")
    check_service(service)
    env = ctx.settings.environment(environment)
    file = overlay_file(ctx.repo, ctx.settings, service, env.name)
    target = Target(
        layout=ctx.settings.layout, image=ctx.settings.image_for(service), values_key=ctx.settings.values_key, file=file
    )
    current_text = ctx.repo.show(file)
    current = read_digest(current_text, target) if current_text is not None else None
    if to is None:
        current, to = previous_digest(ctx.repo, file, target)
    if current is None:
        raise UsageError(f"{file} pins no digest: there is nothing to roll back")
    ctx.say(f"rolling {service} in {environment} back from {current.short} to {to.short}")
    return promote(
        Request(
            service=service,
            environment=env.name,
            digest=to,
            wait=wait,
            source_run=source_run,
            source_sha=source_sha,
            rollback_of=current,
            rollback_reason=reason,
        ),
        ctx,
    )
