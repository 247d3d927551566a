# Every container's root filesystem is read-only; writable paths come from volumes.
package idpreadonlyrootfilesystem

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	not c.container.securityContext.readOnlyRootFilesystem == true
	msg := sprintf("%s: %s must set securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it writes)", [core.describe(obj), workload.describe_container(c)])
	details := object.union(workload.container_details(obj, c), {"setting": "readOnlyRootFilesystem"})
}
