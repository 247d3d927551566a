"""The verification state machine, look by look: when a promotion is accepted, waited on, or failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from idp_actions.gitops.argocd import AppStatus, OperationState
from idp_actions.gitops.wait import Verdict, decide

REV = "a" * 40
OTHER = "b" * 40
T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
BEFORE = OperationState(
    phase="Succeeded",
    message="",
    started_at=T0 - timedelta(hours=1),
    finished_at=T0 - timedelta(hours=1),
    revision=OTHER,
    result_revision=OTHER,
)


def op(
    phase: str = "Succeeded", *, finished: bool = True, result: str | None = REV, message: str = ""
) -> OperationState:
    return OperationState(
        phase=phase,
        message=message,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=5) if finished else None,
        revision=REV,
        result_revision=result if finished else None,
    )


def status(
    *,
    operation: OperationState | None = None,
    health: str = "Healthy",
    sync: str = "Synced",
    revision: str | None = REV,
    reconciled: datetime | None = T0 + timedelta(seconds=10),
    message: str | None = None,
) -> AppStatus:
    return AppStatus(
        name="payments-prod",
        sync_status=sync,
        revision=revision,
        health=health,
        health_message=message,
        reconciled_at=reconciled,
        operation=operation if operation is not None else op(),
        target_revision="main",
    )


def verdict(s: AppStatus) -> tuple[Verdict, str]:
    d = decide(s, revision=REV, baseline=BEFORE.identity, accept=lambda r: r == REV)
    return d.verdict, d.reason


def test_synced_reconciled_and_healthy_at_the_revision_is_ok() -> None:
    assert verdict(status()) == (Verdict.OK, f"Synced and Healthy at {REV[:12]}")


@pytest.mark.parametrize(
    ("look", "reason"),
    [
        (status(operation=BEFORE, revision=OTHER), "waiting for a sync of"),  # our sync has not started
        (status(operation=op("Running", finished=False)), "sync operation running"),
        (status(reconciled=T0), "waiting for Argo CD to reconcile after it (health Healthy"),  # stale health
        (status(reconciled=None), "waiting for Argo CD to reconcile"),
        (status(health="Progressing"), "resources are still rolling out"),
        (status(health="Suspended"), "a resource is suspended"),
        (status(health="Missing"), "resources are missing from the cluster"),
        (status(health="Unknown"), "Argo CD could not assess health"),
        (status(sync="OutOfSync"), "sync status is OutOfSync"),
    ],
)
def test_states_that_may_still_settle_wait(look: AppStatus, reason: str) -> None:
    got, why = verdict(look)
    assert got is Verdict.WAIT and reason in why


@pytest.mark.parametrize(
    ("look", "reason"),
    [
        (status(health="Degraded", message="CrashLoopBackOff"), f"Degraded at {REV[:12]}: CrashLoopBackOff"),
        (status(operation=op("Failed", message="apply failed")), "the sync operation failed: apply failed"),
        (status(operation=op(result=OTHER)), f"Argo CD synced {OTHER[:12]}, not {REV[:12]}"),
        (status(revision=OTHER), f"now compares against {OTHER[:12]}"),
    ],
)
def test_states_that_cannot_become_right_fail(look: AppStatus, reason: str) -> None:
    got, why = verdict(look)
    assert got is Verdict.FAIL and reason in why


def test_a_failed_operation_from_before_our_sync_does_not_fail_us() -> None:
    old_failure = OperationState(
        phase="Failed", message="old", started_at=T0, finished_at=T0, revision=OTHER, result_revision=None
    )
    d = decide(status(operation=old_failure), revision=REV, baseline=old_failure.identity, accept=lambda r: r == REV)
    assert d.verdict is Verdict.WAIT


def test_degraded_before_the_reconcile_is_stale_and_waits() -> None:
    assert verdict(status(health="Degraded", reconciled=T0))[0] is Verdict.WAIT
