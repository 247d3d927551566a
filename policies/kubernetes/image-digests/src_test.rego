package idpimagedigests_test

import data.idpimagedigests

_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_pod(ns, images) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns}, "spec": {"containers": [{"name": sprintf("c%d", [i]), "image": img} | some i, img in images]}}

_review(ns, images, parameters) := {"review": {"object": _pod(ns, images)}, "parameters": parameters}

_reasons(result) := {[v.details.image, v.details.reason] | some v in result}

test_tags_outside_production if {
	images := ["registry.example.com/web:1.4.2", concat("@", ["registry.example.com/api", _digest]), "registry.local:5000/tool:2"]
	count(idpimagedigests.violation) == 0 with input as _review("shop", images, {})
}

test_latest_and_untagged if {
	images := ["registry.example.com/web:latest", "registry.example.com/api", "registry.local:5000/tool"]
	result := idpimagedigests.violation with input as _review("shop", images, {})
	_reasons(result) == {
		["registry.example.com/web:latest", "latest"],
		["registry.example.com/api", "untagged"],
		["registry.local:5000/tool", "untagged"],
	}
	some v in result
	v.msg == `Pod shop/p: container "c0" image "registry.example.com/web:latest" must not use the :latest tag`
}

test_latest_even_with_a_digest if {
	ref := concat("@", ["registry.example.com/web:latest", _digest])
	_reasons(idpimagedigests.violation) == {[ref, "latest"]} with input as _review("shop", [ref], {})
}

test_malformed_digest if {
	result := idpimagedigests.violation with input as _review("shop", ["registry.example.com/web@sha256:abc"], {})
	_reasons(result) == {["registry.example.com/web@sha256:abc", "malformed-digest"]}
}

test_require_digest_parameter if {
	pinned := concat("@", ["registry.example.com/web:1.4.2", _digest])
	count(idpimagedigests.violation) == 0 with input as _review("shop", [pinned], {"requireDigest": true})
	result := idpimagedigests.violation with input as _review("shop", ["registry.example.com/web:1.4.2"], {"requireDigest": true})
	[v] := [v | some v in result]
	v.details.reason == "digest-required"
	v.msg == `Pod shop/p: container "c0" image "registry.example.com/web:1.4.2" must be pinned by digest in production (image@sha256:…; production by requireDigest)`
}

test_production_by_namespace_prefix if {
	params := {"prodNamespacePrefixes": ["prod-"]}
	count(idpimagedigests.violation) == 0 with input as _review("staging-shop", ["registry.example.com/web:1.4.2"], params)
	result := idpimagedigests.violation with input as _review("prod-shop", ["registry.example.com/web:1.4.2"], params)
	_reasons(result) == {["registry.example.com/web:1.4.2", "digest-required"]}
}

test_production_by_namespace_labels if {
	params := {"prodNamespaceLabels": {"env": "prod"}}
	inventory := {"cluster": {"v1": {"Namespace": {
		"shop": {"metadata": {"name": "shop", "labels": {"env": "prod", "team": "shop"}}},
		"lab": {"metadata": {"name": "lab", "labels": {"env": "dev"}}},
	}}}}
	result := idpimagedigests.violation with input as _review("shop", ["registry.example.com/web:1.4.2"], params) with data.inventory as inventory
	_reasons(result) == {["registry.example.com/web:1.4.2", "digest-required"]}
	count(idpimagedigests.violation) == 0 with input as _review("lab", ["registry.example.com/web:1.4.2"], params) with data.inventory as inventory
	count(idpimagedigests.violation) == 0 with input as _review("unsynced", ["registry.example.com/web:1.4.2"], params) with data.inventory as inventory
}

test_every_container_and_template if {
	spec := {"initContainers": [{"name": "i", "image": "a"}], "containers": [{"name": "c", "image": "b:latest"}], "ephemeralContainers": [{"name": "e", "image": "c"}]}
	statefulset := {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s", "namespace": "shop"}, "spec": {"template": {"spec": spec}}}
	count(idpimagedigests.violation) == 3 with input as {"review": {"object": statefulset}}
}

test_message_override if {
	result := idpimagedigests.violation with input as _review("shop", ["web"], {"message": "pin it"})
	[v] := [v | some v in result]
	v.msg == "pin it"
	v.details.reason == "untagged"
}
