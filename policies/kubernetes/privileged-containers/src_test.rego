package idpprivilegedcontainers_test

import data.idpprivilegedcontainers

_safe := {"allowPrivilegeEscalation": false}

_pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": containers}

_review(obj) := {"review": {"object": obj}}

test_safe_pod if {
	pod := _pod({"containers": [{"name": "app", "securityContext": _safe}]})
	count(idpprivilegedcontainers.violation) == 0 with input as _review(pod)
}

test_privileged_container if {
	pod := _pod({"containers": [{"name": "app", "securityContext": {"privileged": true, "allowPrivilegeEscalation": false}}]})
	result := idpprivilegedcontainers.violation with input as _review(pod)
	[v] := [v | some v in result]
	v.msg == `Pod ns/p: container "app" must not run privileged (securityContext.privileged: true)`
	v.details == {"kind": "Pod", "namespace": "ns", "name": "p", "container": "app", "field": "containers", "setting": "securityContext.privileged"}
}

test_escalation_must_be_explicitly_false if {
	missing := _pod({"containers": [{"name": "app"}]})
	count(idpprivilegedcontainers.violation) == 1 with input as _review(missing)
	allowed := _pod({"containers": [{"name": "app", "securityContext": {"allowPrivilegeEscalation": true}}]})
	count(idpprivilegedcontainers.violation) == 1 with input as _review(allowed)
}

test_init_and_ephemeral_containers if {
	pod := _pod({
		"initContainers": [{"name": "init", "securityContext": {"privileged": true}}],
		"containers": [{"name": "app", "securityContext": _safe}],
		"ephemeralContainers": [{"name": "debug"}],
	})
	result := idpprivilegedcontainers.violation with input as _review(pod)
	{[v.details.container, v.details.setting] | some v in result} == {
		["init", "securityContext.privileged"],
		["init", "securityContext.allowPrivilegeEscalation"],
		["debug", "securityContext.allowPrivilegeEscalation"],
	}
}

test_pod_templates if {
	spec := {"containers": [{"name": "app", "securityContext": {"privileged": true}}]}
	deployment := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}}
	count(idpprivilegedcontainers.violation) == 2 with input as _review(deployment)
	cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
	count(idpprivilegedcontainers.violation) == 2 with input as _review(cronjob)
}

test_message_override if {
	pod := _pod({"containers": [{"name": "app"}]})
	result := idpprivilegedcontainers.violation with input as {"review": {"object": pod}, "parameters": {"message": "no privileges"}}
	[v] := [v | some v in result]
	v.msg == "no privileges"
	v.details.container == "app"
}
