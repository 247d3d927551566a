"""May this plan be applied? The apply-only-what-was-reviewed decision, as a pure function.

The apply job plans the merged commit again (or reads a saved plan) and calls
:func:`decide` with that plan's record and the records reviewed on the pull request
(from its sticky comment, or given by hand on ``workflow_dispatch``):

=================  ===================================================================
verdict            when
=================  ===================================================================
``superseded``     a newer commit on the branch has its own reviewed plan for this root
                   and workspace: its run applies (GitHub runs the newest job of a
                   concurrency group); this one says so and applies nothing
``refuse``         ``policy-denied``: the policy check denies the plan;
                   ``not-reviewed``: no reviewed plan for this root and workspace;
                   ``plan-changed``: the hash (or the backend, or destroy-or-not)
                   differs from the reviewed plan
``no-op``          the plan changes nothing (whatever was reviewed): nothing to apply
``apply``          the plan is the reviewed plan
=================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from idp_actions.terraform.record import PlanRecord
from idp_actions.terraform.render import PolicyOutcome, short_hash


@dataclass(frozen=True, kw_only=True)
class Newer:
    """A newer commit on the branch whose pull request has a reviewed plan for the same root."""

    commit: str
    pull: int | None
    record: PlanRecord


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The verdict, the failure reason when refused, and a message a person can act on."""

    verdict: str
    message: str
    reason: str | None = None
    reviewed: PlanRecord | None = None
    differences: tuple[str, ...] = ()

    @property
    def applies(self) -> bool:
        """True when the plan is to be applied."""
        return self.verdict == "apply"


def differences(reviewed: PlanRecord, current: PlanRecord) -> tuple[list[str], list[str]]:
    """``(blocking, informational)`` differences between a reviewed record and the current one."""
    blocking = []
    info = []
    if reviewed.plan_hash != current.plan_hash:
        blocking.append(
            f"the plan differs: reviewed {short_hash(reviewed.plan_hash)}, now {short_hash(current.plan_hash)}"
        )
    if reviewed.backend != current.backend:
        blocking.append("the backend (state location) differs from the one the plan was reviewed against")
    if reviewed.destroy != current.destroy:
        blocking.append(
            "the reviewed plan was a destroy plan" if reviewed.destroy else "this is a destroy plan; the review was not"
        )
    if reviewed.variables != current.variables:
        info.append("the variables differ from the reviewed plan's")
    if reviewed.tool != current.tool:
        info.append(f"the tool differs: reviewed with {reviewed.tool}, now {current.tool}")
    return blocking, info


def decide(
    current: PlanRecord,
    reviewed: Sequence[PlanRecord],
    *,
    has_changes: bool,
    policy: PolicyOutcome | None = None,
    newer: Newer | None = None,
    source: str = "the pull request's plan comment",
) -> Decision:
    """The decision for ``current`` given the ``reviewed`` records (see the module docstring)."""
    mine = [record for record in reviewed if record.key == current.key]
    # the newest record wins: sticky comments are edited in place, so comment order says little
    latest = sorted(mine, key=lambda r: r.created_at or "")[-1] if mine else None
    if newer is not None:
        pull = f" (pull request #{newer.pull})" if newer.pull else ""
        return Decision(
            verdict="superseded",
            message=(
                f"{current.key}: superseded by the newer reviewed plan of commit {newer.commit[:12]}{pull} "
                f"(plan {short_hash(newer.record.plan_hash)}); the apply run for that commit applies it, "
                "so this run applies nothing"
            ),
            reviewed=latest,
        )
    if policy is not None and policy.blocks_apply and has_changes:
        return Decision(
            verdict="refuse",
            reason="policy-denied",
            message=f"{current.key}: the policy check {'denied' if policy.status == 'deny' else 'failed on'} "
            "this plan; nothing was applied",
            reviewed=latest,
        )
    if not has_changes:
        note = ""
        if latest is not None and latest.has_changes:
            note = " (the reviewed changes are already in place)"
        return Decision(
            verdict="no-op",
            message=f"{current.key}: no changes; nothing to apply{note}",
            reviewed=latest,
        )
    if latest is None:
        return Decision(
            verdict="refuse",
            reason="not-reviewed",
            message=(
                f"{current.key}: no reviewed plan found in {source}; nothing was applied. Plan it on a pull "
                "request (or dispatch the apply with the hash of a plan you reviewed)"
            ),
        )
    blocking, info = differences(latest, current)
    if blocking:
        when = f" (planned at commit {latest.commit[:12]})" if latest.commit else ""
        return Decision(
            verdict="refuse",
            reason="plan-changed",
            message=(
                f"{current.key}: the plan changed since it was reviewed{when}: {'; '.join(blocking)}. "
                "Nothing was applied. Re-run the plan on a pull request and review it again"
            ),
            reviewed=latest,
            differences=tuple(blocking + info),
        )
    return Decision(
        verdict="apply",
        message=f"{current.key}: the plan is the reviewed plan ({short_hash(current.plan_hash)}); applying",
        reviewed=latest,
        differences=tuple(info),
    )
