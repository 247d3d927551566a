"""Policy sets: which constraints and conftest policies apply, with which parameters and enforcement.

A set (``policy-sets/<name>.yaml``) lists Gatekeeper Constraints exactly as they
are applied to a cluster, and the library's conftest-style policies by
``area/name`` (globs allowed)::

    apiVersion: idp-actions.dev/v1alpha1
    kind: PolicySet
    metadata: {name: production}
    spec:
      extends: [baseline]          # start from these sets; a constraint of the same kind and name replaces theirs
      constraints: [<Constraint>, ...]
      policies:
        - policy: terraform/*      # or {policy, parameters, enforcement}
          enforcement: deny

:func:`select` combines the chosen sets with the caller's ``.github/idp.yaml``
(``policy.parameters.<policy>`` merged over a constraint's parameters,
``policy.enforcement`` as a ceiling: ``warn`` turns every deny into a warning) and
the caller's own policy directories. ``idp policy check`` and ``idp policy bundle``
both start from its :class:`Selection`, so admission enforces what CI checked.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from idp_actions.policy import documents
from idp_actions.policy.gatekeeper import (
    ENFORCEMENT_ACTIONS,
    Constraint,
    PolicyError,
    Template,
    is_constraint,
    node_at,
    read_constraint,
)
from idp_actions.policy.library import AREAS, Library, RegoFile, load_user_policies
from idp_actions.policy.parameters import check_parameters

SET_API_VERSION = "idp-actions.dev/v1alpha1"
NO_SETS = "none"
_RANK = {action: rank for rank, action in enumerate(reversed(ENFORCEMENT_ACTIONS))}  # dryrun 0 … deny 2


def cap(action: str, ceiling: str) -> str:
    """The weaker of ``action`` and ``ceiling`` (deny > warn > dryrun)."""
    return action if _RANK[action] <= _RANK[ceiling] else ceiling


@dataclass(frozen=True, kw_only=True)
class PolicyRef:
    """One entry of a set's ``policies``: a pattern over ``area/name`` and what to apply."""

    pattern: str
    parameters: Mapping[str, Any] | None
    enforcement: str | None
    line: int


@dataclass(frozen=True, kw_only=True)
class PolicySet:
    """One ``policy-sets/<name>.yaml``."""

    name: str
    description: str
    extends: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    policies: tuple[PolicyRef, ...]
    path: str


def load_set(library: Library, name: str) -> PolicySet:
    """Read the set ``name``; an unknown name is a :class:`PolicyError` listing the valid ones."""
    available = library.set_names()
    if name not in available:
        raise PolicyError(
            f"unknown policy set `{name}`; valid sets: {', '.join(available) or '(none)'}",
            file="--set" if name else None,
            hint=f"pass one of {', '.join(available)} (or `{NO_SETS}` for only your own policies)",
        )
    path = library.sets_dir / f"{name}.yaml"
    shown = library.shown(path)
    try:
        text = path.read_text(encoding="utf-8")
        docs = documents.load_yaml(text)
        root = yaml.compose(text, Loader=documents.GoYamlLoader)
    except documents.DocumentError as exc:
        raise PolicyError(str(exc), file=shown, line=exc.line) from None
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise PolicyError("a policy set file holds exactly one PolicySet document", file=shown)
    data = docs[0].data
    if data.get("kind") != "PolicySet" or data.get("apiVersion") != SET_API_VERSION:
        raise PolicyError(f"not a PolicySet (apiVersion {SET_API_VERSION}, kind PolicySet)", file=shown, line=1)
    metadata = data.get("metadata") or {}
    if metadata.get("name") != name:
        raise PolicyError(f"metadata.name must be the file's name ({name})", file=shown, line=1)
    spec = data.get("spec") or {}
    extends = spec.get("extends") or []
    if not isinstance(extends, list) or not all(isinstance(e, str) for e in extends):
        raise PolicyError("spec.extends must be a list of set names", file=shown)
    constraints = []
    for index, manifest in enumerate(spec.get("constraints") or []):
        node = node_at(root, ["spec", "constraints", index])
        line = node.start_mark.line + 1 if node is not None else 1
        if not is_constraint(manifest):
            raise PolicyError("spec.constraints holds only Gatekeeper Constraints "
                              "(apiVersion constraints.gatekeeper.sh/v1beta1)", file=shown, line=line)
        constraints.append(read_constraint(manifest, path=shown, line=line))
    return PolicySet(
        name=name,
        description=str((metadata.get("annotations") or {}).get("description", "")),
        extends=tuple(extends),
        constraints=tuple(constraints),
        policies=tuple(_refs(spec.get("policies") or [], shown)),
        path=shown,
    )


def _refs(entries: Any, shown: str) -> list[PolicyRef]:
    if not isinstance(entries, list):
        raise PolicyError("spec.policies must be a list", file=shown)
    refs = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"policy": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("policy"), str) or "/" not in entry["policy"]:
            raise PolicyError(f"spec.policies[{index}] must name a policy as area/name (terraform/*)", file=shown)
        unknown = set(entry) - {"policy", "parameters", "enforcement"}
        if unknown:
            raise PolicyError(f"spec.policies[{index}]: unknown keys {', '.join(sorted(unknown))}", file=shown)
        enforcement = entry.get("enforcement")
        if enforcement is not None and enforcement not in ENFORCEMENT_ACTIONS:
            raise PolicyError(
                f"spec.policies[{index}].enforcement must be one of {', '.join(ENFORCEMENT_ACTIONS)}", file=shown
            )
        parameters = entry.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise PolicyError(f"spec.policies[{index}].parameters must be a mapping", file=shown)
        refs.append(PolicyRef(pattern=entry["policy"], parameters=parameters, enforcement=enforcement, line=index))
    return refs


@dataclass(frozen=True, kw_only=True)
class Selection:
    """Everything one check (or bundle) applies."""

    sets: tuple[str, ...]
    templates: dict[str, Template]
    constraints: tuple[Constraint, ...]
    rego: dict[str, tuple[RegoFile, ...]]
    parameters: dict[str, Any]
    ceilings: dict[str, str]
    library_policies: dict[str, tuple[str, ...]]
    notes: tuple[str, ...] = ()

    def ceiling(self, policy: str) -> str:
        """The enforcement ceiling of a conftest-style policy."""
        return self.ceilings.get(policy, "deny")


def _expand(library: Library, names: Sequence[str]) -> list[PolicySet]:
    ordered: list[PolicySet] = []
    seen: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise PolicyError(f"policy sets extend each other in a cycle: {' -> '.join([*trail, name])}")
        if name in seen:
            return
        policy_set = load_set(library, name)
        for parent in policy_set.extends:
            visit(parent, (*trail, name))
        seen.add(name)
        ordered.append(policy_set)

    for name in names:
        visit(name, ())
    return ordered


def select(
    library: Library,
    sets: Sequence[str],
    *,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement: str = "deny",
    user_dirs: Iterable[Path] = (),
    base: Path | None = None,
) -> Selection:
    """Resolve ``sets`` (with their ``extends``), the caller's parameters and ceiling, and user directories."""
    chosen = [] if list(sets) == [NO_SETS] else _expand(library, sets)
    parameters = dict(parameters or {})
    constraints: dict[tuple[str, str], Constraint] = {}
    conftest: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for policy_set in chosen:
        for constraint in policy_set.constraints:
            constraints[constraint.key] = constraint
        for ref in policy_set.policies:
            area, _, pattern = ref.pattern.partition("/")
            if area not in AREAS:
                raise PolicyError(f"{ref.pattern}: unknown area `{area}`; areas: {', '.join(AREAS)}",
                                  file=policy_set.path)
            names = [n for n in library.conftest_names(area) if fnmatch.fnmatchcase(n, pattern)]
            if not names and not any(c in pattern for c in "*?["):
                raise PolicyError(f"no library policy {ref.pattern}", file=policy_set.path,
                                  hint=f"policies of {area}: {', '.join(library.conftest_names(area)) or '(none)'}")
            for name in names:
                params, action = conftest.get((area, name), ({}, "deny"))
                conftest[(area, name)] = ({**params, **(ref.parameters or {})}, ref.enforcement or action)

    user = load_user_policies(user_dirs, base=base or library.base)
    templates: dict[str, Template] = {}
    for candidate in list(library.templates.values()) + list(user.templates):
        if candidate.kind in templates and templates[candidate.kind].path != candidate.path:
            raise PolicyError(
                f"two ConstraintTemplates define the kind {candidate.kind}: {templates[candidate.kind].path} "
                f"and {candidate.path}",
                file=candidate.path,
                line=candidate.line,
            )
        templates[candidate.kind] = candidate
    for constraint in user.constraints:
        if constraint.key in constraints and constraints[constraint.key].path != constraint.path:
            raise PolicyError(f"constraint {constraint.kind}/{constraint.name} is defined twice "
                              f"({constraints[constraint.key].path})", file=constraint.path, line=constraint.line)
        constraints[constraint.key] = constraint

    final: list[Constraint] = []
    for constraint in constraints.values():
        template = templates.get(constraint.kind)
        if template is None:
            raise PolicyError(
                f"constraint {constraint.kind}/{constraint.name}: no ConstraintTemplate defines kind "
                f"{constraint.kind}",
                file=constraint.path,
                line=constraint.line,
                hint=f"known kinds: {', '.join(sorted(templates))}",
            )
        adjusted = _configure(constraint, parameters.get(template.policy), enforcement)
        check_parameters(adjusted, template)
        final.append(adjusted)
    used_kinds = {c.kind for c in final}
    notes = [
        f"ConstraintTemplate {t.kind} ({t.path}) has no Constraint: it checks nothing until one is added"
        for t in user.templates
        if t.kind not in used_kinds
    ]

    rego: dict[str, list[RegoFile]] = {area: [] for area in AREAS}
    data_parameters: dict[str, Any] = {}
    ceilings: dict[str, str] = {}
    library_policies: dict[str, list[str]] = {area: [] for area in AREAS}
    for (area, name), (params, action) in sorted(conftest.items()):
        library_policies[area].append(name)
        merged = {**params, **dict(parameters.get(name) or {})}
        if merged:
            data_parameters[name] = merged
        ceilings[name] = cap(action, enforcement)
    for area in AREAS:
        if library_policies[area]:
            rego[area] += library.conftest_files(area, library_policies[area])
    for module in user.rego:
        for area in module.areas:
            rego[area].append(module)
        if module.is_policy:
            ceilings.setdefault(module.policy, enforcement)
            if module.policy in parameters:
                data_parameters[module.policy] = dict(parameters[module.policy])
    return Selection(
        sets=tuple(s.name for s in chosen),
        templates={k: templates[k] for k in sorted(used_kinds)},
        constraints=tuple(final),
        rego={area: tuple(files) for area, files in rego.items()},
        parameters=data_parameters,
        ceilings=ceilings,
        library_policies={area: tuple(names) for area, names in library_policies.items()},
        notes=tuple(notes),
    )


def _configure(constraint: Constraint, params: Mapping[str, Any] | None, ceiling: str) -> Constraint:
    """``constraint`` with the caller's parameters merged in and its action capped (manifest updated too)."""
    parameters = constraint.parameters
    if params:
        parameters = {**(parameters if isinstance(parameters, dict) else {}), **dict(params)}
    action = cap(constraint.enforcement, ceiling)
    if parameters is constraint.parameters and action == constraint.enforcement:
        return constraint
    manifest = copy.deepcopy(constraint.manifest)
    spec = manifest.setdefault("spec", {})
    if parameters is not None:
        spec["parameters"] = parameters
    spec["enforcementAction"] = action
    return replace(constraint, parameters=parameters, enforcement=action, manifest=manifest)
