"""``idp promote``: promote an image digest of a service to an environment by GitOps, verified in Argo CD.

=====================  ====================  ===========================================
option                 action input          meaning
=====================  ====================  ===========================================
``--service``          ``service``           the service (its folder in the GitOps repo)
``--to``               ``environment``       the environment to promote to
``--digest``           ``digest``            the image digest (``sha256:…``; no tags)
``--from``             ``from-environment``  promote what this environment runs instead
``--force``            ``force``             skip the promotion-order check …
``--reason``           ``reason``            … for this recorded reason (required)
``--no-wait``          ``wait: false``       request the sync, do not wait for it
``--timeout``          ``timeout``           seconds to wait for Synced and Healthy
=====================  ====================  ===========================================

Secrets come from the environment: ``ARGOCD_AUTH_TOKEN``, ``GITOPS_TOKEN`` (push and
pull requests in the GitOps repository; default ``GITHUB_TOKEN``) and ``GITHUB_TOKEN``
(deployments in this repository). Exit status: 0 when promoted, proposed or already
there; 1 when refused or when verification failed (also after an automatic rollback).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from idp_actions import gha
from idp_actions.errors import IdpError, UsageError
from idp_actions.gitops.session import add_common_arguments

if TYPE_CHECKING:
    from idp_actions.gitops.promotion import Context, Result


class PromotionFailed(IdpError):
    """The promotion was written but Argo CD did not confirm it."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp promote``."""
    parser.add_argument(
        "--to", dest="environment", metavar="ENV", help="environment to promote to; input `environment`"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--digest", metavar="SHA256", help="image digest to promote (sha256:…); input `digest`")
    source.add_argument(
        "--from",
        dest="from_environment",
        metavar="ENV",
        help="promote the digest this environment runs; input `from-environment`",
    )
    parser.add_argument("--force", action="store_true", help="skip the promotion-order check (needs --reason)")
    parser.add_argument("--reason", metavar="TEXT", help="why the order is overridden; recorded everywhere")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Promote, report, and exit 1 unless the promotion stands."""
    from idp_actions.gitops.promotion import Request, promote
    from idp_actions.gitops.session import Options, digest_option, session

    options = Options.from_args(args, environment=args.environment or gha.get_input("environment"))
    digest = digest_option(args)
    source = args.from_environment or gha.get_input("from-environment") or None
    if digest is not None and source is not None:
        raise UsageError("give either --digest or --from, not both")
    if digest is None and source is None:
        raise UsageError(
            "say what to promote: --digest sha256:… or --from ENVIRONMENT",
            hint="the digest is printed by the image build (`docker buildx imagetools inspect`)",
        )
    force = args.force or gha.get_bool_input("force")
    reason = args.reason or gha.get_input("reason") or None
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason TEXT: overriding the promotion order is recorded with its reason")
    request = Request(
        service=options.service,
        environment=options.environment,
        digest=digest,
        source_environment=source,
        force_reason=reason if force else None,
        wait=options.wait,
        source_run=options.source_run,
        source_sha=options.source_sha,
    )
    with session(options) as ctx, gha.group(f"promote {options.service} to {options.environment}"):
        result = promote(request, ctx)
        finish(result, ctx, title="Promotion")
    return 0


def finish(result: Result, ctx: Context, *, title: str) -> None:
    """Print, set outputs, write the summary; raise when the promotion did not stand."""
    from idp_actions.gitops import report
    from idp_actions.gitops.promotion import pipeline

    print(report.headline(result))
    for name, value in report.outputs(result).items():
        gha.set_output(name, value)
    if gha.in_actions():
        gha.write_summary(report.summary(result, pipeline(ctx, result.service), title=title))
    if not result.ok:
        rollback = result.rollback
        hint = None
        if rollback is not None and rollback.ok:
            hint = f"{result.environment} runs {rollback.digest.short} again; fix the image and promote a new digest"
        elif ctx.settings.rollback != "auto":
            hint = f"roll back with `idp rollback --service {result.service} --env {result.environment} --reason …`"
        raise PromotionFailed(
            f"{result.service} in {result.environment}: {result.digest.short} was not verified: {result.reason}",
            hint=hint,
        )
