"""Gatekeeper semantics on real OPA: every constraint against every object it matches, in one ``opa eval``.

Gatekeeper hands a template's Rego ``input.review`` (the admission request: the
object, its group/version/kind, name, namespace, operation), ``input.parameters``
(the constraint's ``spec.parameters``, ``{}`` when unset) and ``data.inventory``
(the cluster's synced objects: ``namespace[ns][apiVersion][kind][name]`` and
``cluster[apiVersion][kind][name]``). Here the inventory holds every object being
checked, like gator's; matching (``spec.match``) is decided in Python
(:mod:`.match`); a generated driver module then iterates the matched pairs with
``with input as …`` — one OPA process for all objects and constraints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from idp_actions.policy.documents import mapping
from idp_actions.policy.gatekeeper import Constraint, Template
from idp_actions.policy.inputs import KubeObject
from idp_actions.policy.match import MissingNamespace, api_group, is_namespace, matches
from idp_actions.policy.opa import Bundle, Source, evaluate
from idp_actions.policy.violation import Resource, Violation

#: The operation a CI check stands for: the object is being created.
OPERATION = "CREATE"


def review(obj: dict[str, Any], namespace: dict[str, Any] | None) -> dict[str, Any]:
    """Gatekeeper's ``input.review`` for admitting ``obj`` (``namespace``: its Namespace object, when known)."""
    api_version = str(obj.get("apiVersion", ""))
    group = api_group(api_version)
    version = api_version.split("/", 1)[1] if "/" in api_version else api_version
    metadata = mapping(obj.get("metadata"))
    data: dict[str, Any] = {
        "kind": {"group": group, "version": version, "kind": str(obj.get("kind", ""))},
        "name": str(metadata.get("name") or ""),
        "namespaceObject": namespace or {},
        "object": obj,
        "oldObject": None,
        "operation": OPERATION,
        "options": None,
        "resource": {"group": "", "resource": "", "version": ""},
        "uid": "",
        "userInfo": {},
    }
    if metadata.get("namespace"):
        data["namespace"] = str(metadata["namespace"])
    return data


def inventory(objects: Sequence[KubeObject]) -> dict[str, Any]:
    """``data.inventory`` as Gatekeeper lays it out, from the objects being checked (later objects win)."""
    cluster: dict[str, Any] = {}
    namespaced: dict[str, Any] = {}
    for item in objects:
        obj = item.obj
        metadata = mapping(obj.get("metadata"))
        name = metadata.get("name")
        if not isinstance(name, str) or not name:
            continue
        ns = metadata.get("namespace")
        api_version, kind = str(obj["apiVersion"]), str(obj["kind"])
        root = namespaced.setdefault(str(ns), {}) if ns else cluster
        root.setdefault(api_version, {}).setdefault(kind, {})[name] = obj
    return {"cluster": cluster, "namespace": namespaced}


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Which object each constraint reviews, and what could not be decided."""

    targets: dict[int, list[int]]
    notes: tuple[str, ...]


def plan(
    constraints: Sequence[Constraint], objects: Sequence[KubeObject], subset: set[int] | None = None
) -> Plan:
    """Match every constraint against every object (or the ``subset`` of their indexes) by ``spec.match``."""
    namespaces = {
        str((o.obj.get("metadata") or {}).get("name")): o.obj for o in objects if is_namespace(o.obj)
    }
    targets: dict[int, list[int]] = {}
    missing: dict[tuple[int, str], int] = {}
    for ci, constraint in enumerate(constraints):
        hits: list[int] = []
        for oi, item in enumerate(objects):
            if subset is not None and oi not in subset:
                continue
            ns_name = str((item.obj.get("metadata") or {}).get("namespace") or "")
            try:
                if matches(constraint.match, item.obj, namespaces.get(ns_name) if ns_name else None):
                    hits.append(oi)
            except MissingNamespace as exc:
                missing[(ci, exc.namespace)] = missing.get((ci, exc.namespace), 0) + 1
        targets[ci] = hits
    notes = tuple(
        f"constraint {constraints[ci].kind}/{constraints[ci].name} selects namespaces by label, but the "
        f"Namespace `{ns}` is not among the inputs: {count} object(s) in it were not checked by it"
        for (ci, ns), count in sorted(missing.items())
    )
    return Plan(targets=targets, notes=notes)


def driver(templates: Sequence[Template]) -> str:
    """The Rego that evaluates each template over its constraints' matched objects."""
    rules = [
        f"""violations contains [ci, oi, v] if {{
\tsome ci in data.idp_engine.by_kind["{t.kind}"]
\tconstraint := data.idp_engine.constraints[ci]
\tsome oi in constraint.targets
\treview := {{"review": data.idp_engine.reviews[oi], "parameters": constraint.parameters}}
\tfound := data.{t.package}.violation with input as review
\tsome v in found
}}
"""
        for t in templates
    ]
    return "package idp_driver.kubernetes\n\nimport rego.v1\n\n" + "\n".join(rules)


def build(
    templates: dict[str, Template],
    constraints: Sequence[Constraint],
    objects: Sequence[KubeObject],
    subset: set[int] | None = None,
) -> tuple[Bundle, Plan]:
    """The bundle for one evaluation: every template's modules, the driver and the data.

    The inventory holds every object; only those in ``subset`` (all by default) are reviewed.
    """
    matched = plan(constraints, objects, subset)
    used = sorted({c.kind for c in constraints}, key=str)
    bundle = Bundle()
    for kind in used:
        template = templates[kind]
        for index, (source, text) in enumerate(template.modules()):
            bundle.add(
                f"templates/{template.slug}/{index}.rego",
                text,
                source=Source(file=source.file, first_line=source.first_line),
                version=source.version,
            )
    bundle.add("driver/kubernetes.rego", driver([templates[k] for k in used]), source=Source(file="<driver>"))
    namespaces = {
        str((o.obj.get("metadata") or {}).get("name")): o.obj for o in objects if is_namespace(o.obj)
    }
    reviewed = sorted({oi for hits in matched.targets.values() for oi in hits})
    bundle.data = {
        "inventory": inventory(objects),
        "idp_engine": {
            "reviews": {
                str(oi): review(
                    objects[oi].obj,
                    namespaces.get(str((objects[oi].obj.get("metadata") or {}).get("namespace") or "")),
                )
                for oi in reviewed
            },
            "constraints": [
                {
                    "targets": [str(oi) for oi in matched.targets[ci]],
                    "parameters": c.parameters if c.parameters is not None else {},
                }
                for ci, c in enumerate(constraints)
            ],
            "by_kind": {kind: [ci for ci, c in enumerate(constraints) if c.kind == kind] for kind in used},
        },
    }
    return bundle, matched


def check(
    templates: dict[str, Template],
    constraints: Sequence[Constraint],
    objects: Sequence[KubeObject],
    *,
    subset: set[int] | None = None,
    opa: str | None = None,
) -> tuple[list[Violation], tuple[str, ...]]:
    """Every violation of ``constraints`` by ``objects`` (or those in ``subset``), and what was not checked."""
    if not constraints or not objects:
        return [], ()
    bundle, matched = build(templates, constraints, objects, subset)
    if not any(matched.targets.values()):
        return [], matched.notes
    raw = evaluate(bundle, "data.idp_driver.kubernetes.violations", opa=opa) or []
    violations = [_violation(templates, constraints, objects, ci, int(oi), v) for ci, oi, v in raw]
    return violations, matched.notes


def _violation(
    templates: dict[str, Template],
    constraints: Sequence[Constraint],
    objects: Sequence[KubeObject],
    ci: int,
    oi: int,
    result: Any,
) -> Violation:
    constraint = constraints[ci]
    item = objects[oi]
    metadata = mapping(item.obj.get("metadata"))
    message = result.get("msg") if isinstance(result, dict) else None
    return Violation(
        policy=templates[constraint.kind].policy,
        constraint=f"{constraint.kind}/{constraint.name}",
        enforcement=constraint.enforcement,
        message=message if isinstance(message, str) else str(result),
        area="kubernetes",
        path=item.path,
        line=item.line,
        resource=Resource(
            kind=str(item.obj.get("kind", "")),
            namespace=str(metadata.get("namespace") or ""),
            name=str(metadata.get("name") or ""),
        ),
        details=result.get("details") if isinstance(result, dict) else None,
        via=item.via,
    )
