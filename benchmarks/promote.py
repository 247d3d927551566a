"""``python -m benchmarks.promote [-n N]``: what one promotion costs, counted and timed against the local fakes.

Not an A/B timing like the harness's other benchmarks (``python -m benchmarks``):
promotion's costs are mostly counts, so this runs real promotions in-process against
a local bare GitOps repository, the fake Argo CD and the fake GitHub (tests/fakes/),
and reports

1. **GitHub API calls per pull-request promotion** (prod, ``mode: pull-request``),
   by operation, against the target of at most 6;
2. **commit-and-push latency** of direct promotions (the time inside ``git commit``
   and ``git push``, rebase retries included), median, min and max over N runs;
3. **Argo CD polls** for a healthy rollout and for one stuck in Progressing until the
   timeout, against the bound the poll backoff allows (the first look, the sync, then
   one look per wait until the deadline).

GitHub's client runs with the project's retry policy but without the one-second spacing
of writes (``seconds_between_writes``), which would only add sleeping to the run.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

from tests.fakes.argocd_server import GET_APP, SYNC_APP
from tests.fakes.promotion_world import PromotionWorld, digest

from idp_actions import cli
from idp_actions.gitops.backoff import Backoff
from idp_actions.gitops.repo import GitRepo

API_CALLS_TARGET = 6
POLL_INTERVAL = 0.05


@contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextmanager
def _environment(values: dict[str, str], cwd: Path) -> Iterator[None]:
    saved = dict(os.environ)
    here = Path.cwd()
    os.environ.update(values)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


def _idp(*args: str) -> int:
    with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
        return cli.main(list(args))


def _timed(method: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            into.append((time.perf_counter() - start) * 1000)

    return wrapper


def poll_bound(timeout: float, poll: Backoff) -> int:
    """The most GETs one verification may make: the first look, then one per wait that fits the deadline."""
    looks, waited, retry = 1, 0.0, 0
    while waited < timeout:
        waited += poll.step(retry)
        retry += 1
        looks += 1
    return looks


def run(runs: int) -> int:
    import idp_actions.github as github_module
    from idp_actions.github import RetrySettings

    retry = RetrySettings(seconds_between_writes=None)
    failures: list[str] = []
    lines: list[str] = ["promote: GitHub API calls, commit-and-push latency and Argo CD polls (local fakes)"]
    with (
        tempfile.TemporaryDirectory(prefix="idp-bench-") as tmp,
        PromotionWorld(Path(tmp), services=["payments"], check_contracts=False) as world,
        _environment(world.env(), world.service_dir),
        _patched(github_module, "make_github", functools.partial(github_module.make_github, retry=retry)),
    ):
        poll = ["--poll-interval", str(POLL_INTERVAL)]
        for env in ("dev", "staging"):
            if _idp("promote", "--service", "payments", "--to", env, "--digest", digest(2), *poll) != 0:
                raise SystemExit(f"benchmarks.promote: setting up {env} failed")

        # 1. GitHub API calls of one pull-request promotion
        before = len(world.github.exchanges)
        code = _idp("promote", "--service", "payments", "--to", "prod", "--digest", digest(2), *poll)
        calls = world.github.exchanges[before:]
        by_operation = Counter(f"{e.method} {e.template}" for e in calls)
        lines.append(
            f"  1. pull-request promotion to prod (exit {code}): {len(calls)} GitHub API calls "
            f"(target <= {API_CALLS_TARGET}): {'PASS' if len(calls) <= API_CALLS_TARGET else 'FAIL'}"
        )
        lines += [f"       {count} x {operation}" for operation, count in sorted(by_operation.items())]
        if code != 0 or len(calls) > API_CALLS_TARGET:
            failures.append("GitHub API calls per pull-request promotion")

        # 2. commit-and-push latency, and Argo CD polls of healthy rollouts
        commits: list[float] = []
        pushes: list[float] = []
        polls: list[int] = []
        with (
            _patched(GitRepo, "commit", _timed(GitRepo.commit, commits)),
            _patched(GitRepo, "push", _timed(GitRepo.push, pushes)),
        ):
            for n in range(runs):
                gets = world.argocd.count("GET", GET_APP)
                code = _idp(
                    "promote",
                    "--service",
                    "payments",
                    "--to",
                    "dev",
                    "--digest",
                    digest(100 + n),
                    "--no-deployment",
                    *poll,
                )
                if code != 0:
                    failures.append(f"direct promotion {n} exited {code}")
                polls.append(world.argocd.count("GET", GET_APP) - gets)
        both = [c + p for c, p in zip(commits, pushes, strict=True)]
        lines.append(
            f"  2. commit and push of a direct promotion, {runs} runs: median {statistics.median(both):.1f} ms "
            f"(min {min(both):.1f}, max {max(both):.1f}; commit {statistics.median(commits):.1f}, "
            f"push {statistics.median(pushes):.1f})"
        )
        lines.append(
            f"     Argo CD looks per healthy verification: median {statistics.median(polls):g} "
            f"(max {max(polls)}), 1 sync each"
        )

        # 3. a rollout stuck in Progressing: polls stay within what the backoff allows
        timeout = 2.0
        world.argocd.behaviour[digest(999)] = "stuck"
        gets, syncs = world.argocd.count("GET", GET_APP), world.argocd.count("POST", SYNC_APP)
        start = time.perf_counter()
        code = _idp(
            "promote",
            "--service",
            "payments",
            "--to",
            "dev",
            "--digest",
            digest(999),
            "--no-deployment",
            "--timeout",
            str(timeout),
            *poll,
        )
        elapsed = time.perf_counter() - start
        looks = world.argocd.count("GET", GET_APP) - gets
        backoff = Backoff(
            attempts=1_000_000, base=POLL_INTERVAL, factor=1.5, cap=min(15.0, POLL_INTERVAL * 7.5), jitter=False
        )
        bound = poll_bound(timeout, backoff)
        ok = code == 1 and looks <= bound and world.argocd.count("POST", SYNC_APP) - syncs == 1
        lines.append(
            f"  3. stuck rollout, timeout {timeout:g}s, first interval {POLL_INTERVAL:g}s: {looks} looks in "
            f"{elapsed:.1f}s (bound {bound}; a fixed {POLL_INTERVAL:g}s poller would make "
            f"{int(timeout / POLL_INTERVAL) + 1}): {'PASS' if ok else 'FAIL'}"
        )
        if not ok:
            failures.append("Argo CD polls of a stuck rollout")
    print("\n".join(lines))
    if failures:
        print("missed: " + "; ".join(failures), file=sys.stderr)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.promote", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="direct promotions to time (default 10)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    return run(args.n)


if __name__ == "__main__":
    raise SystemExit(main())
