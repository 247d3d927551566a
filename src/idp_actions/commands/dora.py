"""``idp dora``: deployment frequency, lead time, change failure rate and time to restore.

Read from the GitHub deployments ``idp promote`` records (task ``deploy:promote``) of
one repository and environment over a window, and from the deployed commits' times.
``--format json`` (default) or ``prometheus`` (text exposition, for a Pushgateway or
a file the node exporter's textfile collector reads); ``--output FILE`` writes it
there instead of stdout. In Actions the step summary gets a table and a weekly chart.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

from idp_actions import gha
from idp_actions.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp dora``."""
    parser.add_argument(
        "--repo", metavar="OWNER/NAME", help="repository with the deployments (default: GITHUB_REPOSITORY)"
    )
    parser.add_argument("--env", default=None, metavar="ENV", help="environment (default: prod); input `environment`")
    parser.add_argument(
        "--days", type=float, default=None, metavar="N", help="window in days (default 30); input `days`"
    )
    parser.add_argument("--format", choices=("json", "prometheus"), default=None, help="output format (default json)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the metrics to FILE instead of stdout")
    parser.add_argument(
        "--limit", type=int, default=1000, metavar="N", help="read at most N deployments (default 1000)"
    )


def run(args: argparse.Namespace) -> int:
    """Compute and print the metrics."""
    from idp_actions.github import make_github, parse_repository
    from idp_actions.gitops import dora
    from idp_actions.gitops.deployments import Deployments

    repository = args.repo or gha.get_input("repository") or os.environ.get("GITHUB_REPOSITORY", "")
    if not repository:
        raise UsageError("no repository: pass --repo OWNER/NAME (GITHUB_REPOSITORY is not set outside Actions)")
    parse_repository(repository, source="--repo")
    environment = args.env or gha.get_input("environment") or "prod"
    days = args.days if args.days is not None else float(gha.get_input("days") or 30)
    if not 0 < days <= 366:
        raise UsageError(f"--days must be more than 0 and at most 366, got {days:g}")
    fmt = args.format or gha.get_choice_input("format", ("json", "prometheus"), default="json")
    start, end = dora.window(days)
    token = gha.get_input("github-token") or None
    if token:
        gha.mask(token)
    with make_github(token=token) as gh:
        deployments = Deployments(gh, repository)
        records = deployments.latest(environment, limit=args.limit, since=start - timedelta(days=1))
        commit_times = {}
        for sha in {r.sha for r in records if not r.payload.get("rollback_of")}:
            when = deployments.commit_time(sha)
            if when is not None:
                commit_times[sha] = when
    metrics = dora.compute(records, commit_times, repository=repository, environment=environment, start=start, end=end)
    text = dora.to_json(metrics) if fmt == "json" else dora.to_prometheus(metrics)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.output.with_name(args.output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.output)  # a textfile collector never reads half a file
        print(f"wrote {fmt} metrics for {repository} {environment} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    rate = metrics.change_failure_rate
    gha.set_output("deployment-frequency", f"{metrics.frequency_per_day:.4f}")
    gha.set_output("lead-time-seconds", "" if metrics.lead_time.median is None else f"{metrics.lead_time.median:.0f}")
    gha.set_output("change-failure-rate", "" if rate is None else f"{rate:.4f}")
    gha.set_output(
        "time-to-restore-seconds",
        "" if metrics.time_to_restore.median is None else f"{metrics.time_to_restore.median:.0f}",
    )
    if gha.in_actions():
        gha.write_summary(dora.to_markdown(metrics))
    return 0
