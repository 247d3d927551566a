"""Verify a promotion in Argo CD: sync at the promoted commit, then wait until it is really there.

``argocd app wait`` trusts the health it reads, but right after a sync that health
can still describe the previous revision. :func:`decide` (pure) accepts a
promotion only when all of these hold at once:

1. the last operation synced the promoted commit (or a later commit that still
   pins the digest: other services' promotions keep landing on the branch),
   ran to ``Succeeded`` and has finished;
2. the controller reconciled after it finished (``reconciledAt`` ≥
   ``operationState.finishedAt``), so the health it reports is about this revision;
3. ``status.sync.revision`` is that commit, ``status.sync.status`` is ``Synced``;
4. ``status.health.status`` is ``Healthy``.

``Degraded`` (after such a reconcile), a failed operation and a sync to an
unrelated revision fail at once. ``Progressing``, ``Suspended``, ``Missing`` and
``Unknown`` wait, and fail with their last message when the time is up.
:func:`verify` drives it: remember the operation before ours, sync, then poll with a
growing interval until :func:`decide` says yes or no, or the deadline passes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from idp_actions.gitops.argocd import IN_PROGRESS, AppStatus, ArgoCD, ArgoCDError
from idp_actions.gitops.backoff import Backoff, Clock

POLL = Backoff(attempts=1_000_000, base=2.0, factor=1.5, cap=15.0, jitter=False)
STATUS_EVERY = 30.0  # seconds between "still waiting" lines while nothing changes
_FAILED_PHASES = ("Failed", "Error")
_RUNNING_PHASES = ("Running", "Terminating")

Accept = Callable[[str], bool]
Progress = Callable[[str], None]


class Verdict(enum.Enum):
    """What one look at the Application says."""

    WAIT = "wait"
    OK = "ok"
    FAIL = "fail"


@dataclass(frozen=True)
class Decision:
    """A verdict and the reason a person reads."""

    verdict: Verdict
    reason: str


def decide(status: AppStatus, *, revision: str, baseline: tuple[object, ...] | None, accept: Accept) -> Decision:
    """Whether ``status`` shows ``revision`` synced and healthy (see the module docstring)."""
    short = revision[:12]
    op = status.operation
    new_op = op is not None and op.identity != baseline
    if op is None:
        return Decision(Verdict.WAIT, f"waiting for Argo CD to start syncing {short}")
    synced_to = op.result_revision or op.revision
    at_ours = synced_to is not None and accept(synced_to)
    if new_op and op.phase in _FAILED_PHASES:
        return Decision(Verdict.FAIL, f"the sync operation {op.phase.lower()}: {op.message or 'no message'}")
    if op.phase in _RUNNING_PHASES:
        return Decision(Verdict.WAIT, f"sync operation {op.phase.lower()} ({op.message or 'no message'})")
    if new_op and op.phase == "Succeeded" and synced_to is not None and not at_ours:
        return Decision(
            Verdict.FAIL,
            f"Argo CD synced {synced_to[:12]}, not {short}: the Application follows another revision "
            f"(targetRevision {status.target_revision or '?'})",
        )
    if not (at_ours and op.phase == "Succeeded" and op.finished_at is not None):
        return Decision(Verdict.WAIT, f"waiting for a sync of {short} to finish")
    if status.reconciled_at is None or status.reconciled_at < op.finished_at:
        return Decision(
            Verdict.WAIT,
            f"the sync finished; waiting for Argo CD to reconcile after it (health {status.health or '?'} "
            "may still describe the previous revision)",
        )
    if status.revision is None or not accept(status.revision):
        return Decision(
            Verdict.FAIL,
            f"Argo CD now compares against {status.revision[:12] if status.revision else 'no revision'}, "
            f"not {short}: something else was synced after this promotion",
        )
    health = status.health or "Unknown"
    detail = f": {status.health_message}" if status.health_message else ""
    if health == "Degraded":
        return Decision(Verdict.FAIL, f"the Application is Degraded at {short}{detail}")
    if status.sync_status != "Synced":
        return Decision(Verdict.WAIT, f"sync status is {status.sync_status or 'unknown'} at {short}")
    if health == "Healthy":
        return Decision(Verdict.OK, f"Synced and Healthy at {short}")
    explain = {
        "Progressing": "resources are still rolling out",
        "Suspended": "a resource is suspended (a paused rollout?)",
        "Missing": "resources are missing from the cluster",
        "Unknown": "Argo CD could not assess health",
    }.get(health, "waiting for Healthy")
    return Decision(Verdict.WAIT, f"health is {health} at {short}: {explain}{detail}")


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How verification ended."""

    ok: bool
    reason: str
    polls: int
    status: AppStatus | None


def verify(
    argo: ArgoCD,
    app: str,
    revision: str,
    *,
    accept: Accept | None = None,
    timeout: float,
    poll: Backoff = POLL,
    clock: Clock | None = None,
    wait: bool = True,
    progress: Progress | None = None,
) -> Outcome:
    """Sync ``app`` at ``revision`` and, unless ``wait`` is false, wait for :func:`decide` to say OK."""
    clock = clock or argo.clock
    accept = accept or (lambda candidate: candidate == revision)
    say = progress or (lambda _: None)
    deadline = clock.monotonic() + timeout
    before = argo.application(app)
    baseline = before.operation.identity if before.operation else None
    polls = 1
    status = _sync(argo, app, revision, deadline=deadline, clock=clock, poll=poll, say=say)
    say(f"{app}: sync of {revision[:12]} requested")
    if not wait:
        return Outcome(
            ok=True, reason=f"sync of {revision[:12]} requested (not waited for)", polls=polls, status=status
        )
    last = ""
    last_said = started = clock.monotonic()
    retry = 0
    while True:
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            return Outcome(
                ok=False,
                reason=f"not Synced and Healthy at {revision[:12]} after {timeout:g}s; last state: {last}",
                polls=polls,
                status=status,
            )
        clock.sleep(min(poll.delay(retry, clock.rng), remaining))
        retry += 1
        status = argo.application(app)
        polls += 1
        decision = decide(status, revision=revision, baseline=baseline, accept=accept)
        now = clock.monotonic()
        if decision.reason != last:
            say(f"{app}: {decision.reason}")
            last, last_said = decision.reason, now
        elif now - last_said >= STATUS_EVERY:
            say(f"{app}: still waiting after {now - started:.0f}s of {timeout:g}s: {decision.reason}")
            last_said = now
        if decision.verdict is Verdict.OK:
            return Outcome(ok=True, reason=decision.reason, polls=polls, status=status)
        if decision.verdict is Verdict.FAIL:
            return Outcome(ok=False, reason=decision.reason, polls=polls, status=status)


def _sync(
    argo: ArgoCD,
    app: str,
    revision: str,
    *,
    deadline: float,
    clock: Clock,
    poll: Backoff,
    say: Progress,
) -> AppStatus:
    """Request the sync; while another operation runs, wait for it (bounded by the deadline) and ask again."""
    retry = 0
    while True:
        try:
            return argo.sync(app, revision)
        except ArgoCDError as exc:
            if IN_PROGRESS not in str(exc):
                raise
            current = argo.application(app)
            running = current.operation
            if running is not None and running.revision == revision:
                return current  # a sync of this very revision is already running (a retried request)
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                raise ArgoCDError(
                    f"cannot sync `{app}`: another operation kept running until the deadline",
                    hint="see the Application in Argo CD; terminate the stuck operation if it is one",
                ) from None
            say(f"{app}: another operation is running; waiting to sync")
            clock.sleep(min(poll.delay(retry, clock.rng), remaining))
            retry += 1
