package idpcontainerresources_test

import data.idpcontainerresources

_full := {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}

_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}

_review(obj, parameters) := {"review": {"object": obj}, "parameters": parameters}

test_complete if {
	pod := _pod({"initContainers": [{"name": "init", "resources": _full}], "containers": [{"name": "app", "resources": _full}]})
	count(idpcontainerresources.violation) == 0 with input as _review(pod, {})
}

test_numbers_are_quantities_too if {
	pod := _pod({"containers": [{"name": "app", "resources": {"requests": {"cpu": 1, "memory": "1Gi"}, "limits": {"cpu": 2, "memory": "1Gi"}}}]})
	count(idpcontainerresources.violation) == 0 with input as _review(pod, {"maxLimits": {"cpu": "2", "memory": "1Gi"}})
}

test_each_missing_value if {
	pod := _pod({"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": ""}}}]})
	result := idpcontainerresources.violation with input as _review(pod, {})
	{v.details.missing | some v in result} == {"resources.requests.memory", "resources.limits.cpu", "resources.limits.memory"}
	some v in result
	v.msg == `Pod ns/p: container "app" must set resources.limits.cpu`
}

test_init_containers_count_ephemeral_do_not if {
	pod := _pod({"initContainers": [{"name": "init"}], "containers": [{"name": "app", "resources": _full}], "ephemeralContainers": [{"name": "debug"}]})
	result := idpcontainerresources.violation with input as _review(pod, {})
	{v.details.container | some v in result} == {"init"}
	count(result) == 4
}

test_max_limits if {
	big := {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
	pod := _pod({"containers": [{"name": "app", "resources": big}]})
	result := idpcontainerresources.violation with input as _review(pod, {"maxLimits": {"cpu": "2000m", "memory": "8Gi"}})
	[v] := [v | some v in result]
	v.details.resource == "cpu"
	v.msg == `Pod ns/p: container "app" has resources.limits.cpu 4, above the maximum 2000m`
}

test_pod_templates if {
	spec := {"containers": [{"name": "app"}]}
	cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
	count(idpcontainerresources.violation) == 4 with input as _review(cronjob, {})
	daemonset := {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}}
	count(idpcontainerresources.violation) == 4 with input as _review(daemonset, {})
}

test_message_override if {
	result := idpcontainerresources.violation with input as _review(_pod({"containers": [{"name": "app"}]}), {"message": "size it"})
	count(result) == 4
	every v in result {
		v.msg == "size it"
	}
}
