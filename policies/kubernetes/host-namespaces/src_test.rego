package idphostnamespaces_test

import data.idphostnamespaces

_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}

_review(obj) := {"review": {"object": obj}}

test_plain_pod if {
	pod := _pod({"containers": [{"name": "app"}], "hostNetwork": false, "volumes": [{"name": "tmp", "emptyDir": {}}]})
	count(idphostnamespaces.violation) == 0 with input as _review(pod)
}

test_each_host_namespace if {
	pod := _pod({"containers": [{"name": "app"}], "hostNetwork": true, "hostPID": true, "hostIPC": true})
	result := idphostnamespaces.violation with input as _review(pod)
	{v.details.setting | some v in result} == {"hostNetwork", "hostPID", "hostIPC"}
	some v in result
	v.msg == "Pod ns/p must not set hostPID: true"
}

test_host_path_volume if {
	pod := _pod({"containers": [{"name": "app"}], "volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]})
	result := idphostnamespaces.violation with input as _review(pod)
	[v] := [v | some v in result]
	v.msg == `Pod ns/p must not mount the host path "/var/run/docker.sock" (volume "docker")`
	v.details.path == "/var/run/docker.sock"
}

test_pod_templates if {
	spec := {"hostNetwork": true, "containers": [{"name": "app"}]}
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
		count(idphostnamespaces.violation) == 1 with input as _review({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "x"}, "spec": {"template": {"spec": spec}}})
	}
	count(idphostnamespaces.violation) == 1 with input as _review({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": spec}}})
	cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
	count(idphostnamespaces.violation) == 1 with input as _review(cronjob)
}

test_message_override if {
	pod := _pod({"containers": [{"name": "app"}], "hostPID": true})
	result := idphostnamespaces.violation with input as {"review": {"object": pod}, "parameters": {"message": "ask the platform team"}}
	[v] := [v | some v in result]
	v.msg == "ask the platform team"
	v.details.setting == "hostPID"
}
