# No container runs privileged or can gain more privileges than its parent process:
# containers, init containers and ephemeral containers of Pods and every pod template.
package idpprivilegedcontainers

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	c.container.securityContext.privileged == true
	msg := sprintf("%s: %s must not run privileged (securityContext.privileged: true)", [core.describe(obj), workload.describe_container(c)])
	details := object.union(workload.container_details(obj, c), {"setting": "securityContext.privileged"})
}

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	not c.container.securityContext.allowPrivilegeEscalation == false
	msg := sprintf("%s: %s must set securityContext.allowPrivilegeEscalation: false", [core.describe(obj), workload.describe_container(c)])
	details := object.union(workload.container_details(obj, c), {"setting": "securityContext.allowPrivilegeEscalation"})
}
