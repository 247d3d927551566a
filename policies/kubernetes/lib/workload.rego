# Where the pod spec sits in every workload kind, so that each workload policy checks
# Pods and the pod templates of controllers alike.
package lib.idp.workload

import data.lib.idp.core

# Kinds whose pod template sits at spec.template.spec, by API group.
template_kinds := {
	"apps": {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"},
	"batch": {"Job"},
	"": {"ReplicationController"},
}

# The pod spec of a Pod or of a workload's pod template; undefined for anything else.
pod_spec(obj) := obj.spec if {
	obj.kind == "Pod"
	core.api_group(obj) == ""
}

pod_spec(obj) := obj.spec.template.spec if {
	obj.kind in template_kinds[core.api_group(obj)]
}

pod_spec(obj) := obj.spec.jobTemplate.spec.template.spec if {
	obj.kind == "CronJob"
	core.api_group(obj) == "batch"
}

# True for a Pod or any workload with a pod template.
is_workload(obj) if pod_spec(obj)

# The three places a pod spec lists containers, and how messages name each.
container_fields := {
	"initContainers": "init container",
	"containers": "container",
	"ephemeralContainers": "ephemeral container",
}

# Every container of the object's pod spec in the given fields, as
# {"field": "containers", "label": "container", "container": {...}}; [] for non-workloads.
containers_in(obj, fields) := [c |
	spec := pod_spec(obj)
	some field in fields
	some container in object.get(spec, field, [])
	c := {"field": field, "label": container_fields[field], "container": container}
]

# Every container: init, regular and ephemeral.
containers(obj) := containers_in(obj, ["initContainers", "containers", "ephemeralContainers"])

# Containers that run for the pod's lifetime (probes apply to these only).
app_containers(obj) := containers_in(obj, ["containers"])

# Containers that can declare resources (ephemeral containers cannot).
resourced_containers(obj) := containers_in(obj, ["initContainers", "containers"])

# The violation details naming one container of the object.
container_details(obj, c) := object.union(core.subject(obj), {"container": object.get(c.container, "name", ""), "field": c.field})

# A container for messages: `container "app"`, `init container "setup"`.
describe_container(c) := sprintf("%s %q", [c.label, object.get(c.container, "name", "")])
