"""Which objects a Constraint applies to: Gatekeeper's ``spec.match``, rule for rule.

Mirrors Gatekeeper's ``pkg/mutation/match`` (which constraints share): every
criterion that is set must hold — ``kinds`` (group and kind, ``*`` for any),
``scope`` (``Cluster``/``Namespaced``/``*``), ``namespaces`` and
``excludedNamespaces`` (exact, ``prefix-*``, ``*-suffix`` or ``*infix*``; a
Namespace is judged by its own name; an object that names no namespace cannot be
ruled out, as under gator), ``labelSelector``, ``namespaceSelector`` (against the
Namespace object, which must be among the inputs — see :class:`Namespaces`) and
``name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def wildcard(pattern: str, candidate: str) -> bool:
    """Gatekeeper's ``Wildcard.Matches``: a glob only at the start and/or end."""
    if pattern.startswith("*") and pattern.endswith("*") and len(pattern) >= 1:
        return pattern.strip("*") in candidate
    if pattern.startswith("*"):
        return candidate.endswith(pattern[1:])
    if pattern.endswith("*"):
        return candidate.startswith(pattern[:-1])
    return pattern == candidate


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A ``metav1.LabelSelector`` (``matchLabels`` and ``matchExpressions``, ANDed) over ``labels``."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if key not in labels or str(labels[key]) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key")
        operator = expression.get("operator")
        values = [str(v) for v in expression.get("values") or []]
        present = key in labels
        if operator == "In" and not (present and str(labels[key]) in values):
            return False
        if operator == "NotIn" and present and str(labels[key]) in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def check_match(match: Mapping[str, Any]) -> str | None:
    """What is wrong with a ``spec.match`` (as ``.field: problem``), or None."""
    kinds = match.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, dict) for k in kinds):
        return ".kinds: must be a list of {apiGroups, kinds}"
    for index, entry in enumerate(kinds):
        for field in ("apiGroups", "kinds"):
            values = entry.get(field, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return f".kinds[{index}].{field}: must be a list of strings"
    for field in ("namespaces", "excludedNamespaces"):
        values = match.get(field, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return f".{field}: must be a list of strings"
    if "name" in match and not isinstance(match["name"], str):
        return ".name: must be a string"
    if match.get("scope", "*") not in ("*", "Cluster", "Namespaced"):
        return f".scope: must be *, Cluster or Namespaced, got {match.get('scope')!r}"
    for field in ("labelSelector", "namespaceSelector"):
        selector = match.get(field)
        if selector is None:
            continue
        if not isinstance(selector, dict):
            return f".{field}: must be a label selector"
        if not isinstance(selector.get("matchLabels") or {}, dict):
            return f".{field}.matchLabels: must be a mapping"
        for index, expression in enumerate(selector.get("matchExpressions") or []):
            operator = expression.get("operator") if isinstance(expression, dict) else None
            if operator not in _OPERATORS:
                return f".{field}.matchExpressions[{index}].operator: must be one of {', '.join(_OPERATORS)}"
            values = expression.get("values") or []
            if operator in ("In", "NotIn") and not values:
                return f".{field}.matchExpressions[{index}].values: must be non-empty for {operator}"
            if operator in ("Exists", "DoesNotExist") and values:
                return f".{field}.matchExpressions[{index}].values: must be empty for {operator}"
    return None


def api_group(api_version: str) -> str:
    """``apps`` for ``apps/v1``, ``""`` for ``v1``."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def is_namespace(obj: Mapping[str, Any]) -> bool:
    """True for a core-group Namespace."""
    return obj.get("kind") == "Namespace" and api_group(str(obj.get("apiVersion", ""))) == ""


class MissingNamespace(Exception):
    """A namespaceSelector needs a Namespace that is not among the inputs."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.namespace = namespace


def matches(
    match: Mapping[str, Any],
    obj: Mapping[str, Any],
    namespace: Mapping[str, Any] | None,
) -> bool:
    """Whether ``obj`` is in scope of ``match``; ``namespace`` is its Namespace object when known.

    Raises :class:`MissingNamespace` when only the namespace's labels could decide
    (Gatekeeper fails such a review rather than guess).
    """
    metadata = obj.get("metadata") or {}
    obj_ns = str(metadata.get("namespace") or "")
    name = str(metadata.get("name") or "")
    labels = metadata.get("labels") or {}
    group = api_group(str(obj.get("apiVersion", "")))
    kind = str(obj.get("kind", ""))
    own_namespace = is_namespace(obj)
    ns_name = name if own_namespace else str((namespace or {}).get("metadata", {}).get("name") or obj_ns)

    kinds = match.get("kinds") or []
    if kinds and not any(_kind_matches(entry, group, kind) for entry in kinds):
        return False

    has_namespace = obj_ns != "" or namespace is not None
    scope = match.get("scope", "*")
    if scope == "Cluster" and not (own_namespace or not has_namespace):
        return False
    if scope == "Namespaced" and not (not own_namespace and has_namespace):
        return False

    namespaces = match.get("namespaces") or []
    if namespaces and (own_namespace or ns_name) and not any(wildcard(p, ns_name) for p in namespaces):
        return False
    excluded = match.get("excludedNamespaces") or []
    if excluded and (own_namespace or ns_name) and any(wildcard(p, ns_name) for p in excluded):
        return False

    selector = match.get("labelSelector")
    if selector is not None and not selector_matches(selector, labels):
        return False

    ns_selector = match.get("namespaceSelector")
    if ns_selector is not None:
        if own_namespace:
            if not selector_matches(ns_selector, labels):
                return False
        elif namespace is not None:
            if not selector_matches(ns_selector, (namespace.get("metadata") or {}).get("labels") or {}):
                return False
        elif obj_ns:
            raise MissingNamespace(obj_ns)

    pattern = match.get("name") or ""
    return not (pattern and not wildcard(pattern, name))


def _kind_matches(entry: Mapping[str, Any], group: str, kind: str) -> bool:
    kinds = entry.get("kinds") or []
    groups = entry.get("apiGroups") or []
    kind_ok = not kinds or "*" in kinds or kind in kinds
    group_ok = not groups or "*" in groups or group in groups
    return kind_ok and group_ok
