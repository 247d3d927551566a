package lib.idp.workload_test

import data.lib.idp.workload

_spec := {
	"initContainers": [{"name": "init"}],
	"containers": [{"name": "app"}],
	"ephemeralContainers": [{"name": "debug"}],
}

_names(cs) := {c.container.name | some c in cs}

test_pod if {
	pod := {"apiVersion": "v1", "kind": "Pod", "spec": _spec}
	workload.pod_spec(pod) == _spec
	_names(workload.containers(pod)) == {"init", "app", "debug"}
	_names(workload.app_containers(pod)) == {"app"}
	_names(workload.resourced_containers(pod)) == {"init", "app"}
}

test_pod_templates if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
		workload.pod_spec({"apiVersion": "apps/v1", "kind": kind, "spec": {"template": {"spec": _spec}}}) == _spec
	}
	workload.pod_spec({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": _spec}}}) == _spec
	workload.pod_spec({"apiVersion": "v1", "kind": "ReplicationController", "spec": {"template": {"spec": _spec}}}) == _spec
}

test_cronjob if {
	cronjob := {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": _spec}}}}}
	workload.pod_spec(cronjob) == _spec
	count(workload.containers(cronjob)) == 3
}

test_not_a_workload if {
	not workload.is_workload({"apiVersion": "v1", "kind": "Service", "spec": {}})
	not workload.is_workload({"apiVersion": "example.com/v1", "kind": "Deployment", "spec": {"template": {"spec": _spec}}})
	workload.containers({"apiVersion": "v1", "kind": "ConfigMap"}) == []
}

test_container_details if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": _spec}
	some c in workload.app_containers(pod)
	workload.container_details(pod, c) == {"kind": "Pod", "namespace": "ns", "name": "p", "container": "app", "field": "containers"}
	workload.describe_container(c) == `container "app"`
}
