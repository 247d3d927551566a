package idpreadonlyrootfilesystem_test

import data.idpreadonlyrootfilesystem

_ro := {"readOnlyRootFilesystem": true}

_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}

_review(obj) := {"review": {"object": obj}}

test_read_only if {
	pod := _pod({"initContainers": [{"name": "init", "securityContext": _ro}], "containers": [{"name": "app", "securityContext": _ro}]})
	count(idpreadonlyrootfilesystem.violation) == 0 with input as _review(pod)
}

test_missing_or_false if {
	pod := _pod({
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "app", "securityContext": {"readOnlyRootFilesystem": false}}, {"name": "ok", "securityContext": _ro}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {}}],
	})
	result := idpreadonlyrootfilesystem.violation with input as _review(pod)
	{v.details.container | some v in result} == {"init", "app", "debug"}
	some v in result
	v.msg == `Pod ns/p: container "app" must set securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it writes)`
}

test_pod_templates if {
	spec := {"containers": [{"name": "app"}]}
	count(idpreadonlyrootfilesystem.violation) == 1 with input as _review({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {"template": {"spec": spec}}})
	count(idpreadonlyrootfilesystem.violation) == 1 with input as _review({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": spec}}})
	count(idpreadonlyrootfilesystem.violation) == 0 with input as _review({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
}

test_message_override if {
	pod := _pod({"containers": [{"name": "app"}]})
	result := idpreadonlyrootfilesystem.violation with input as {"review": {"object": pod}, "parameters": {"message": "read-only please"}}
	[v] := [v | some v in result]
	v.msg == "read-only please"
	v.details.container == "app"
}
