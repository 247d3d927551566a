"""Gatekeeper's spec.match, criterion by criterion."""

from __future__ import annotations

from typing import Any

import pytest

from idp_actions.policy.match import MissingNamespace, check_match, matches, selector_matches, wildcard


def obj(kind: str = "Deployment", api: str = "apps/v1", ns: str | None = "shop", name: str = "web",
        labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": labels or {}}
    if ns:
        metadata["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"env": "prod"}}}


@pytest.mark.parametrize(
    ("pattern", "candidate", "expected"),
    [("kube-*", "kube-system", True), ("*-system", "kube-system", True), ("*ube*", "kube-system", True),
     ("*", "", True), ("kube", "kube-system", False), ("prod-*", "staging", False)],
)
def test_wildcards_glob_only_at_the_ends(pattern: str, candidate: str, expected: bool) -> None:
    assert wildcard(pattern, candidate) is expected


def test_kinds_groups_and_wildcards() -> None:
    assert matches({"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}]}, obj(), None)
    assert not matches({"kinds": [{"apiGroups": [""], "kinds": ["Deployment"]}]}, obj(), None)
    assert matches({"kinds": [{"apiGroups": ["*"], "kinds": ["*"]}]}, obj(), None)
    assert matches({}, obj(), None)


def test_namespaces_excluded_namespaces_and_objects_without_one() -> None:
    assert matches({"namespaces": ["sh*"]}, obj(), None)
    assert not matches({"namespaces": ["prod-*"]}, obj(), None)
    assert matches({"namespaces": ["prod-*"]}, obj(ns=None), None)  # cannot be ruled out, as under gator
    assert not matches({"excludedNamespaces": ["shop"]}, obj(), None)
    namespace = obj(kind="Namespace", api="v1", ns=None, name="kube-system")
    assert not matches({"excludedNamespaces": ["kube-*"]}, namespace, None)  # judged by its own name


def test_scope() -> None:
    assert matches({"scope": "Namespaced"}, obj(), None)
    assert not matches({"scope": "Cluster"}, obj(), None)
    assert matches({"scope": "Cluster"}, obj(kind="ClusterRole", api="rbac.authorization.k8s.io/v1", ns=None), None)
    assert matches({"scope": "Cluster"}, NS, None)


def test_label_and_namespace_selectors() -> None:
    selector = {"matchLabels": {"tier": "web"}, "matchExpressions": [{"key": "env", "operator": "NotIn",
                                                                     "values": ["dev"]}]}
    assert selector_matches(selector, {"tier": "web"})
    assert not selector_matches(selector, {"tier": "web", "env": "dev"})
    assert selector_matches({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, {})
    assert matches({"labelSelector": {"matchLabels": {"a": "b"}}}, obj(labels={"a": "b"}), None)
    prod = {"namespaceSelector": {"matchLabels": {"env": "prod"}}}
    assert matches(prod, obj(), NS)
    assert matches(prod, NS, None)
    assert matches(prod, obj(kind="ClusterRole", api="rbac.authorization.k8s.io/v1", ns=None), None)
    with pytest.raises(MissingNamespace):
        matches(prod, obj(), None)


def test_name() -> None:
    assert matches({"name": "we*"}, obj(), None)
    assert not matches({"name": "api"}, obj(), None)


@pytest.mark.parametrize(
    ("match", "problem"),
    [({"kinds": "Deployment"}, ".kinds"), ({"scope": "cluster"}, ".scope"), ({"namespaces": "a"}, ".namespaces"),
     ({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Has"}]}}, "operator"),
     ({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}, "values")],
)
def test_invalid_matches_are_named(match: dict[str, Any], problem: str) -> None:
    found = check_match(match)
    assert found is not None and problem in found
