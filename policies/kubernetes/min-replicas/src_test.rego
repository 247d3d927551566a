package idpminreplicas_test

import data.idpminreplicas

_workload(kind, replicas) := {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web", "namespace": "prod-shop"}, "spec": {"replicas": replicas}}

_review(obj, parameters) := {"review": {"object": obj}, "parameters": parameters}

test_enough_replicas if {
	every kind in ["Deployment", "StatefulSet"] {
		count(idpminreplicas.violation) == 0 with input as _review(_workload(kind, 2), {})
	}
}

test_too_few if {
	result := idpminreplicas.violation with input as _review(_workload("Deployment", 1), {})
	[v] := [v | some v in result]
	v.msg == "Deployment prod-shop/web runs 1 replica(s); production needs at least 2 (spec.replicas; unset means 1)"
	v.details.replicas == 1
	count(idpminreplicas.violation) == 1 with input as _review(_workload("StatefulSet", 0), {})
}

test_unset_means_one if {
	obj := json.remove(_workload("Deployment", 5), ["spec/replicas"])
	result := idpminreplicas.violation with input as _review(obj, {})
	[v] := [v | some v in result]
	v.details.replicas == 1
}

test_minimum_by_parameter if {
	count(idpminreplicas.violation) == 1 with input as _review(_workload("Deployment", 2), {"minReplicas": 3})
	count(idpminreplicas.violation) == 0 with input as _review(_workload("Deployment", 3), {"minReplicas": 3})
}

test_other_kinds_are_ignored if {
	count(idpminreplicas.violation) == 0 with input as _review(_workload("DaemonSet", 1), {})
	count(idpminreplicas.violation) == 0 with input as _review(object.union(_workload("Deployment", 1), {"apiVersion": "example.com/v1"}), {})
}

test_message_override if {
	result := idpminreplicas.violation with input as _review(_workload("Deployment", 1), {"message": "scale out"})
	[v] := [v | some v in result]
	v.msg == "scale out"
	v.details.min_replicas == 2
}
