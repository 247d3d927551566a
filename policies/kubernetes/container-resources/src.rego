# Every container and init container declares CPU and memory requests and limits, and its
# limits stay within the constraint's maxima when it sets them.
package idpcontainerresources

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

required := [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]]

max_limits := object.get(core.parameters, "maxLimits", {})

# A Kubernetes quantity ("500m", "2", 1, "1Gi") as a number; undefined when it is not one.
quantity(q) := q if is_number(q)

quantity(q) := units.parse(q) if is_string(q)

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.resourced_containers(obj)
	some [kind, resource] in required
	not _declared(c.container, kind, resource)
	msg := sprintf("%s: %s must set resources.%s.%s", [core.describe(obj), workload.describe_container(c), kind, resource])
	details := object.union(workload.container_details(obj, c), {"missing": sprintf("resources.%s.%s", [kind, resource])})
}

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.resourced_containers(obj)
	some resource, maximum in max_limits
	limit := c.container.resources.limits[resource]
	quantity(limit) > quantity(maximum)
	msg := sprintf("%s: %s has resources.limits.%s %v, above the maximum %v", [core.describe(obj), workload.describe_container(c), resource, limit, maximum])
	details := object.union(workload.container_details(obj, c), {"resource": resource, "limit": limit, "max": maximum})
}

_declared(container, kind, resource) if {
	value := container.resources[kind][resource]
	value != null
	value != ""
}
