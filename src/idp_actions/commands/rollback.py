"""``idp rollback``: put the digest an environment ran before back, through the same path as a promotion.

``idp rollback --service S --env ENV --reason TEXT [--to sha256:…]``: without
``--to``, the digest before the current one is read from the GitOps repository's
history of the overlay. The order check is skipped (going back is always allowed);
the reason is recorded in the commit's trailers, the pull request and the deployment.
Inputs: ``service``, ``environment``, ``to-digest``, ``reason``, ``wait``, ``timeout``.
"""

from __future__ import annotations

import argparse

from idp_actions import gha
from idp_actions.errors import UsageError
from idp_actions.gitops.session import add_common_arguments


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp rollback``."""
    parser.add_argument(
        "--env", dest="environment", metavar="ENV", help="environment to roll back; input `environment`"
    )
    parser.add_argument(
        "--to",
        dest="to_digest",
        metavar="SHA256",
        help="digest to go back to (default: the one before the current); input `to-digest`",
    )
    parser.add_argument("--reason", metavar="TEXT", help="why (required; recorded); input `reason`")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Roll back, report, and exit 1 unless the rollback was verified."""
    from idp_actions.commands.promote import finish
    from idp_actions.gitops.digest import parse_digest
    from idp_actions.gitops.rollback import rollback
    from idp_actions.gitops.session import Options, session

    options = Options.from_args(args, environment=args.environment or gha.get_input("environment"))
    reason = args.reason or gha.get_input("reason")
    if not reason or not reason.strip():
        raise UsageError(
            "--reason is required: a rollback records why it was made",
            hint='for example --reason "5xx after the 14:02 promotion"',
        )
    raw_to = args.to_digest or gha.get_input("to-digest")
    to = parse_digest(raw_to, source="--to") if raw_to else None
    with session(options) as ctx, gha.group(f"roll back {options.service} in {options.environment}"):
        result = rollback(
            ctx,
            service=options.service,
            environment=options.environment,
            reason=reason,
            to=to,
            wait=options.wait,
            source_run=options.source_run,
            source_sha=options.source_sha,
        )
        finish(result, ctx, title="Rollback")
    return 0
