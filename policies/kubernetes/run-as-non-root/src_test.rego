package idprunasnonroot_test

import data.idprunasnonroot

_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}

_review(obj) := {"review": {"object": obj}}

_settings(result) := {[v.details.container, v.details.setting] | some v in result}

test_pod_level_non_root if {
	pod := _pod({"securityContext": {"runAsNonRoot": true, "runAsUser": 10001}, "containers": [{"name": "app"}], "initContainers": [{"name": "init"}]})
	count(idprunasnonroot.violation) == 0 with input as _review(pod)
}

test_container_level_non_root if {
	pod := _pod({"containers": [{"name": "app", "securityContext": {"runAsNonRoot": true}}]})
	count(idprunasnonroot.violation) == 0 with input as _review(pod)
}

test_missing_everywhere if {
	pod := _pod({"containers": [{"name": "app"}]})
	result := idprunasnonroot.violation with input as _review(pod)
	_settings(result) == {["app", "runAsNonRoot"]}
	some v in result
	v.msg == `Pod ns/p: container "app" must run as non-root: set securityContext.runAsNonRoot: true on the pod or the container`
}

test_container_overrides_the_pod if {
	pod := _pod({
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "good"}, {"name": "bad", "securityContext": {"runAsNonRoot": false}}],
	})
	result := idprunasnonroot.violation with input as _review(pod)
	_settings(result) == {["bad", "runAsNonRoot"]}
}

test_uid_zero_on_the_pod_or_the_container if {
	on_pod := _pod({"securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "containers": [{"name": "app"}]})
	_settings(idprunasnonroot.violation) == {["app", "runAsUser"]} with input as _review(on_pod)
	on_container := _pod({"securityContext": {"runAsNonRoot": true}, "ephemeralContainers": [{"name": "debug", "securityContext": {"runAsUser": 0}}]})
	_settings(idprunasnonroot.violation) == {["debug", "runAsUser"]} with input as _review(on_container)
	overridden := _pod({"securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "containers": [{"name": "app", "securityContext": {"runAsUser": 1000}}]})
	count(idprunasnonroot.violation) == 0 with input as _review(overridden)
}

test_cronjob if {
	spec := {"containers": [{"name": "app"}]}
	cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
	count(idprunasnonroot.violation) == 1 with input as _review(cronjob)
}

test_message_override if {
	pod := _pod({"containers": [{"name": "app"}]})
	result := idprunasnonroot.violation with input as {"review": {"object": pod}, "parameters": {"message": "run as a user"}}
	[v] := [v | some v in result]
	v.msg == "run as a user"
	v.details.setting == "runAsNonRoot"
}
