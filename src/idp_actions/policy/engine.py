"""``idp policy check`` as a function: discover inputs, evaluate each kind in one OPA run, apply exceptions.

Kinds are evaluated concurrently (one ``opa eval`` each). When OPA fails while
evaluating (a conflict or a builtin error on some input), the inputs are split
in halves and evaluated again until the input that triggers it is found: that
input is reported as a problem of its own and every other input is still checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from idp_actions.findings import Finding, Severity
from idp_actions.policy import conftest_style, kubernetes
from idp_actions.policy.exceptions import Outcome, PolicyException, apply
from idp_actions.policy.inputs import FileInput, InputProblem, Inputs
from idp_actions.policy.opa import EvalError
from idp_actions.policy.sets import Selection
from idp_actions.policy.violation import TOOL, Violation

T = TypeVar("T")
AREAS = ("kubernetes", "terraform", "docker", "workflows")


@dataclass(frozen=True, kw_only=True)
class PolicyInfo:
    """One policy as the report lists it."""

    name: str
    area: str
    version: str | None
    applied_as: tuple[str, ...]  # constraints (Kind/name: action) or the enforcement ceiling


@dataclass(kw_only=True)
class Result:
    """Everything one check found."""

    violations: list[Violation]
    problems: list[InputProblem]
    notes: list[str]
    counts: dict[str, int]
    sets: tuple[str, ...]
    policies: list[PolicyInfo]
    outcome: Outcome
    evaluations: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def denied(self) -> list[Violation]:
        """The violations that fail the check."""
        return [v for v in self.violations if v.gates]

    @property
    def exit_code(self) -> int:
        """1 on a deny, an input that could not be checked or an expired exception; else 0."""
        return 1 if self.denied or self.problems or self.outcome.expired else 0

    def findings(self) -> list[Finding]:
        """Violations, input problems and expired exceptions as findings."""
        found = [v.finding() for v in self.violations]
        found += [
            Finding(
                tool=TOOL,
                rule_id="input-error",
                severity=Severity.HIGH,
                title="input could not be checked",
                message=p.message,
                path=p.path,
                start_line=p.line,
            )
            for p in self.problems
        ]
        found += [
            Finding(
                tool=TOOL,
                rule_id="expired-exception",
                severity=Severity.HIGH,
                title="policy exception expired",
                message=f"policy exception {e.describe()} expired: renew it with a new date or fix the "
                f"violations it accepted ({e.reason})",
                path=e.file,
                start_line=e.line,
            )
            for e in self.outcome.expired
        ]
        return found


def _isolate(
    run: Callable[[list[int]], list[T]], indexes: list[int], describe: Callable[[int], str]
) -> tuple[list[T], list[tuple[int, str]]]:
    """``run`` over ``indexes``; on an :class:`EvalError`, halve until the failing indexes are found."""
    try:
        return run(indexes), []
    except EvalError as exc:
        if len(indexes) == 1:
            return [], [(indexes[0], f"a policy failed on it: {exc.message}")]
        middle = len(indexes) // 2
        left, left_failed = _isolate(run, indexes[:middle], describe)
        right, right_failed = _isolate(run, indexes[middle:], describe)
        return left + right, left_failed + right_failed


def check(
    inputs: Inputs,
    selection: Selection,
    *,
    exceptions: Sequence[PolicyException] = (),
    today: date | None = None,
    opa: str | None = None,
) -> Result:
    """Evaluate ``selection`` over ``inputs`` and apply ``exceptions`` as of ``today``."""
    today = today or date.today()
    notes = list(inputs.notes) + list(selection.notes)
    problems = list(inputs.problems)
    evaluations: dict[str, int] = {}

    def kube() -> tuple[list[Violation], list[InputProblem], list[str]]:
        objects = inputs.objects
        constraints = list(selection.constraints)
        collected_notes: list[str] = []

        def run(indexes: list[int]) -> list[Violation]:
            evaluations["kubernetes"] = evaluations.get("kubernetes", 0) + 1
            found, plan_notes = kubernetes.check(
                selection.templates, constraints, objects, subset=set(indexes), opa=opa
            )
            if not collected_notes:
                collected_notes.extend(plan_notes)
            return found

        if not objects or not constraints:
            return [], [], []
        found, failed = _isolate(run, list(range(len(objects))), lambda i: objects[i].path)
        failures = [InputProblem(path=objects[i].path, line=objects[i].line, message=m) for i, m in failed]
        return found, failures, collected_notes

    def files(area: str) -> tuple[list[Violation], list[InputProblem], list[str]]:
        items: list[FileInput] = inputs.files[area]
        modules = selection.rego.get(area, ())
        if not items or not any(m.is_policy for m in modules):
            return [], [], []

        def run(indexes: list[int]) -> list[Violation]:
            evaluations[area] = evaluations.get(area, 0) + 1
            subset = [items[i] for i in indexes]
            return conftest_style.check(
                area, modules, subset, parameters=selection.parameters, ceilings=selection.ceilings, opa=opa
            )

        found, failed = _isolate(run, list(range(len(items))), lambda i: items[i].path)
        return found, [InputProblem(path=items[i].path, line=None, message=m) for i, m in failed], []

    jobs: list[Callable[[], tuple[list[Violation], list[InputProblem], list[str]]]] = [kube]
    jobs += [lambda area=area: files(area) for area in ("terraform", "docker", "workflows")]  # type: ignore[misc]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcomes = list(pool.map(lambda job: job(), jobs))
    violations: list[Violation] = []
    for found, failed, more_notes in outcomes:
        violations += found
        problems += failed
        notes += more_notes
    violations = _dedupe(violations)
    outcome = apply(violations, exceptions, today)
    return Result(
        violations=sorted(outcome.violations, key=_order),
        problems=sorted(problems, key=lambda p: (p.path, p.line or 0, p.message)),
        notes=notes,
        counts=inputs.count(),
        sets=selection.sets,
        policies=policies(selection),
        outcome=outcome,
        evaluations=evaluations,
        sources=dict(inputs.sources),
    )


_RANK = {"deny": 0, "warn": 1, "dryrun": 2}
_CEILING_TEXT = {"deny": "deny and warn rules", "warn": "deny rules as warnings", "dryrun": "dry-run only"}


def _order(v: Violation) -> tuple[Any, ...]:
    return (v.path, v.line or 0, _RANK[v.enforcement], v.policy, v.constraint, v.message)


def _dedupe(violations: list[Violation]) -> list[Violation]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for violation in violations:
        key = (*violation.key(), violation.enforcement)
        if key not in seen:
            seen.add(key)
            out.append(violation)
    return out


def policies(selection: Selection) -> list[PolicyInfo]:
    """The policies a selection applies, for the report's policy table."""
    found: dict[tuple[str, str], PolicyInfo] = {}
    for constraint in selection.constraints:
        template = selection.templates[constraint.kind]
        key = (template.policy, "kubernetes")
        previous = found.get(key)
        applied = f"{constraint.kind}/{constraint.name}: {constraint.enforcement}"
        found[key] = PolicyInfo(
            name=template.policy,
            area="kubernetes",
            version=template.version,
            applied_as=(*(previous.applied_as if previous else ()), applied),
        )
    for area, modules in selection.rego.items():
        for module in modules:
            if module.is_policy and (module.policy, area) not in found:
                found[(module.policy, area)] = PolicyInfo(
                    name=module.policy,
                    area=area,
                    version=module.version,
                    applied_as=(_CEILING_TEXT[selection.ceiling(module.policy)],),
                )
    return sorted(found.values(), key=lambda p: (AREAS.index(p.area), p.name))
