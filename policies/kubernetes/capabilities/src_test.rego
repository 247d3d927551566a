package idpcapabilities_test

import data.idpcapabilities

_pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": containers}}

_review(obj, parameters) := {"review": {"object": obj}, "parameters": parameters}

_caps(caps) := {"name": "app", "securityContext": {"capabilities": caps}}

test_drop_all if {
	count(idpcapabilities.violation) == 0 with input as _review(_pod([_caps({"drop": ["ALL"]})]), {})
	count(idpcapabilities.violation) == 0 with input as _review(_pod([_caps({"drop": ["all"]})]), {})
}

test_drop_missing_or_partial if {
	result := idpcapabilities.violation with input as _review(_pod([{"name": "bare"}, _caps({"drop": ["NET_RAW"]})]), {})
	count(result) == 2
	every v in result {
		v.details.setting == "capabilities.drop"
	}
	some v in result
	v.msg == `Pod ns/p: container "app" must drop all capabilities (securityContext.capabilities.drop: [ALL])`
}

test_adds_need_allowing if {
	pod := _pod([_caps({"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SYS_ADMIN"]})])
	result := idpcapabilities.violation with input as _review(pod, {"allowedCapabilities": ["CAP_NET_BIND_SERVICE"]})
	[v] := [v | some v in result]
	v.details.forbidden == ["SYS_ADMIN"]
	v.msg == `Pod ns/p: container "app" adds capabilities that are not allowed: SYS_ADMIN (allowed: NET_BIND_SERVICE)`
	no_allowed := idpcapabilities.violation with input as _review(pod, {})
	[w] := [w | some w in no_allowed]
	w.msg == `Pod ns/p: container "app" adds capabilities that are not allowed: NET_BIND_SERVICE, SYS_ADMIN (allowed: none)`
}

test_allowed_adds if {
	pod := _pod([_caps({"drop": ["ALL"], "add": ["cap_net_bind_service"]})])
	count(idpcapabilities.violation) == 0 with input as _review(pod, {"allowedCapabilities": ["NET_BIND_SERVICE"]})
}

test_every_container_kind_and_template if {
	spec := {"initContainers": [{"name": "init"}], "ephemeralContainers": [{"name": "debug"}]}
	deployment := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}}
	count(idpcapabilities.violation) == 2 with input as _review(deployment, {})
}

test_message_override if {
	result := idpcapabilities.violation with input as _review(_pod([{"name": "app"}]), {"message": "drop them"})
	[v] := [v | some v in result]
	v.msg == "drop them"
	v.details.container == "app"
}
