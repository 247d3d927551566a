package idpprobes_test

import data.idpprobes

_probe := {"httpGet": {"path": "/healthz", "port": 8080}}

_probed := {"name": "app", "livenessProbe": _probe, "readinessProbe": _probe}

_workload(kind, spec) := {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w", "namespace": "ns"}, "spec": {"template": {"spec": spec}}}

_review(obj) := {"review": {"object": obj}}

test_probed if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet"] {
		count(idpprobes.violation) == 0 with input as _review(_workload(kind, {"containers": [_probed]}))
	}
}

test_missing_probes if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet"] {
		count(idpprobes.violation) == 2 with input as _review(_workload(kind, {"containers": [{"name": "app"}]}))
	}
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "app", "livenessProbe": _probe}]}}
	result := idpprobes.violation with input as _review(pod)
	[v] := [v | some v in result]
	v.details.missing == "readinessProbe"
	v.msg == `Pod ns/p: container "app" must define a readinessProbe`
}

test_init_containers_are_exempt if {
	spec := {"initContainers": [{"name": "init"}], "containers": [_probed]}
	count(idpprobes.violation) == 0 with input as _review(_workload("Deployment", spec))
}

test_jobs_and_their_pods_are_exempt if {
	spec := {"containers": [{"name": "app"}]}
	count(idpprobes.violation) == 0 with input as _review({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": spec}}})
	count(idpprobes.violation) == 0 with input as _review({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}})
	job_pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j-x", "ownerReferences": [{"kind": "Job", "name": "j"}]}, "spec": spec}
	count(idpprobes.violation) == 0 with input as _review(job_pod)
	count(idpprobes.violation) == 0 with input as _review(_workload("ReplicaSet", spec))
}

test_configured_probes if {
	obj := _workload("Deployment", {"containers": [{"name": "app", "readinessProbe": _probe}]})
	count(idpprobes.violation) == 0 with input as {"review": {"object": obj}, "parameters": {"probes": ["readinessProbe"]}}
	result := idpprobes.violation with input as {"review": {"object": obj}, "parameters": {"probes": ["readinessProbe", "startupProbe"]}}
	{v.details.missing | some v in result} == {"startupProbe"}
}

test_message_override if {
	result := idpprobes.violation with input as {"review": {"object": _workload("Deployment", {"containers": [{"name": "app"}]})}, "parameters": {"message": "add probes"}}
	count(result) == 2
	every v in result {
		v.msg == "add probes"
	}
}
