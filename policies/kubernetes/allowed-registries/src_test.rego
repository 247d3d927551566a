package idpallowedregistries_test

import data.idpallowedregistries

_pod(images) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": sprintf("c%d", [i]), "image": img} | some i, img in images]}}

_review(obj, registries) := {"review": {"object": obj}, "parameters": {"registries": registries}}

test_allowed_registry if {
	count(idpallowedregistries.violation) == 0 with input as _review(_pod(["registry.example.com/shop/web:1.0", "registry.example.com/shop/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]), ["registry.example.com"])
}

test_prefix_tricks_are_refused if {
	images := [
		"registry.example.com.evil.io/shop/web:1.0",
		"registry.example.com:5000/shop/web:1.0",
		"evil.io/registry.example.com/web:1.0",
		"registry.example.comevil/web:1.0",
	]
	result := idpallowedregistries.violation with input as _review(_pod(images), ["registry.example.com"])
	{v.details.image | some v in result} == {i | some i in images}
}

test_repository_prefixes if {
	registries := ["registry.example.com/shop/", "docker.io/library/nginx"]
	ok := ["registry.example.com/shop/web:1.0", "nginx:1.27", "docker.io/library/nginx:1.27"]
	count(idpallowedregistries.violation) == 0 with input as _review(_pod(ok), registries)
	bad := ["registry.example.com/shop-evil/web:1.0", "registry.example.com/other/web:1.0", "nginx-evil:1", "redis:7"]
	count(idpallowedregistries.violation) == 4 with input as _review(_pod(bad), registries)
}

test_docker_hub_short_names_resolve if {
	result := idpallowedregistries.violation with input as _review(_pod(["redis:7"]), ["registry.example.com"])
	[v] := [v | some v in result]
	v.details.resolved == "docker.io/library/redis"
	v.msg == `Pod ns/p: container "c0" uses the image "redis:7" from docker.io, which is not an allowed registry (allowed: registry.example.com)`
}

test_no_registries_allows_nothing if {
	result := idpallowedregistries.violation with input as {"review": {"object": _pod(["registry.example.com/a:1"])}}
	[v] := [v | some v in result]
	endswith(v.msg, "(allowed: none configured)")
}

test_every_container_and_template if {
	spec := {"initContainers": [{"name": "i", "image": "evil.io/a:1"}], "containers": [{"name": "c", "image": "evil.io/b:1"}], "ephemeralContainers": [{"name": "e", "image": "evil.io/c:1"}]}
	cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
	count(idpallowedregistries.violation) == 3 with input as _review(cronjob, ["registry.example.com"])
}

test_message_override if {
	result := idpallowedregistries.violation with input as {"review": {"object": _pod(["evil.io/a:1"])}, "parameters": {"registries": ["registry.example.com"], "message": "mirror it first"}}
	[v] := [v | some v in result]
	v.msg == "mirror it first"
	v.details.image == "evil.io/a:1"
}
