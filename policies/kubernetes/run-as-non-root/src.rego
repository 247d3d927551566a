# Every container runs as a non-root user: runAsNonRoot true, set on the container or
# inherited from the pod, and never UID 0. The container's securityContext wins over the pod's,
# as in Kubernetes.
package idprunasnonroot

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

pod_context := object.get(workload.pod_spec(obj), "securityContext", {})

# The value a container runs with: its own setting, else the pod's; undefined when neither sets it.
effective(c, setting) := value if {
	value := c.container.securityContext[setting]
} else := value if {
	value := pod_context[setting]
}

# A helper rule, not `not effective(c, "runAsNonRoot") == true`: OPA evaluates a call inside
# `not` before negating, so an unset value would make that expression fail instead of hold.
runs_as_non_root(c) if effective(c, "runAsNonRoot") == true

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	not runs_as_non_root(c)
	msg := sprintf("%s: %s must run as non-root: set securityContext.runAsNonRoot: true on the pod or the container", [core.describe(obj), workload.describe_container(c)])
	details := object.union(workload.container_details(obj, c), {"setting": "runAsNonRoot"})
}

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	effective(c, "runAsUser") == 0
	msg := sprintf("%s: %s must not run as UID 0 (securityContext.runAsUser: 0)", [core.describe(obj), workload.describe_container(c)])
	details := object.union(workload.container_details(obj, c), {"setting": "runAsUser"})
}
