# Production Deployments and StatefulSets run at least minReplicas (2 by default) replicas,
# so a single node or pod failure does not take the service down. Bind the constraint to
# production with its match (namespaces or a namespaceSelector).
package idpminreplicas

import data.lib.idp.core

obj := core.review_object

min_replicas := object.get(core.parameters, "minReplicas", 2)

violation contains {"msg": core.message(msg), "details": details} if {
	obj.kind in {"Deployment", "StatefulSet"}
	core.api_group(obj) == "apps"
	replicas := object.get(obj.spec, "replicas", 1)
	replicas < min_replicas
	msg := sprintf("%s runs %d replica(s); production needs at least %d (spec.replicas; unset means 1)", [core.describe(obj), replicas, min_replicas])
	details := object.union(core.subject(obj), {"replicas": replicas, "min_replicas": min_replicas})
}
