# Long-running containers tell Kubernetes when they are alive and ready: livenessProbe and
# readinessProbe on the containers of Pods, Deployments, StatefulSets and DaemonSets. Init and
# ephemeral containers cannot have them; Jobs, CronJobs and the Pods a Job runs are exempt.
package idpprobes

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

probed_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet"}

probes := object.get(core.parameters, "probes", ["livenessProbe", "readinessProbe"])

_run_by_a_job if {
	some owner in obj.metadata.ownerReferences
	owner.kind == "Job"
}

violation contains {"msg": core.message(msg), "details": details} if {
	obj.kind in probed_kinds
	not _run_by_a_job
	some c in workload.app_containers(obj)
	some probe in probes
	not c.container[probe]
	msg := sprintf("%s: %s must define a %s", [core.describe(obj), workload.describe_container(c), probe])
	details := object.union(workload.container_details(obj, c), {"missing": probe})
}
