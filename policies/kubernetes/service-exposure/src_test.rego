package idpserviceexposure_test

import data.idpserviceexposure

_service(type, annotations) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop", "annotations": annotations}, "spec": {"type": type}}

_review(obj, parameters) := {"review": {"object": obj}, "parameters": parameters}

test_cluster_ip_needs_nothing if {
	count(idpserviceexposure.violation) == 0 with input as _review(_service("ClusterIP", {}), {})
	no_type := json.remove(_service("ClusterIP", {}), ["spec/type"])
	count(idpserviceexposure.violation) == 0 with input as _review(no_type, {})
}

test_exposed_without_approval if {
	every type in ["NodePort", "LoadBalancer"] {
		count(idpserviceexposure.violation) == 1 with input as _review(_service(type, {}), {})
	}
	result := idpserviceexposure.violation with input as _review(json.remove(_service("LoadBalancer", {}), ["metadata/annotations"]), {})
	[v] := [v | some v in result]
	v.msg == `Service shop/web is of type LoadBalancer, which exposes it outside the cluster: it needs the approval annotation "idp.platform/exposure-approved-by" (who approved, or the ticket)`
	v.details.type == "LoadBalancer"
}

test_blank_approval_is_no_approval if {
	count(idpserviceexposure.violation) == 1 with input as _review(_service("NodePort", {"idp.platform/exposure-approved-by": "  "}), {})
}

test_approved if {
	count(idpserviceexposure.violation) == 0 with input as _review(_service("LoadBalancer", {"idp.platform/exposure-approved-by": "SEC-1234"}), {})
}

test_configured_annotation_and_types if {
	params := {"approvalAnnotation": "example.com/approved", "restrictedTypes": ["LoadBalancer"]}
	count(idpserviceexposure.violation) == 0 with input as _review(_service("NodePort", {}), params)
	count(idpserviceexposure.violation) == 1 with input as _review(_service("LoadBalancer", {"idp.platform/exposure-approved-by": "x"}), params)
	count(idpserviceexposure.violation) == 0 with input as _review(_service("LoadBalancer", {"example.com/approved": "x"}), params)
}

test_message_override if {
	result := idpserviceexposure.violation with input as _review(_service("NodePort", {}), {"message": "file a ticket"})
	[v] := [v | some v in result]
	v.msg == "file a ticket"
	v.details.annotation == "idp.platform/exposure-approved-by"
}
