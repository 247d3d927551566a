# A Service reachable from outside the cluster (NodePort or LoadBalancer) needs a recorded
# approval: a non-empty annotation whose key the constraint chooses.
package idpserviceexposure

import data.lib.idp.core

obj := core.review_object

annotation := object.get(core.parameters, "approvalAnnotation", "idp.platform/exposure-approved-by")

restricted_types := object.get(core.parameters, "restrictedTypes", ["NodePort", "LoadBalancer"])

_approved if trim_space(obj.metadata.annotations[annotation]) != ""

violation contains {"msg": core.message(msg), "details": details} if {
	obj.kind == "Service"
	core.api_group(obj) == ""
	service_type := object.get(obj.spec, "type", "ClusterIP")
	service_type in restricted_types
	not _approved
	msg := sprintf("%s is of type %s, which exposes it outside the cluster: it needs the approval annotation %q (who approved, or the ticket)", [core.describe(obj), service_type, annotation])
	details := object.union(core.subject(obj), {"type": service_type, "annotation": annotation})
}
