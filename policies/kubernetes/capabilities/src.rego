# Every container drops ALL Linux capabilities and adds back only those the constraint allows.
package idpcapabilities

import data.lib.idp.core
import data.lib.idp.workload

obj := core.review_object

# Capability names compare without the CAP_ prefix and case: "CAP_NET_BIND_SERVICE" is "NET_BIND_SERVICE".
normalize(capability) := trim_prefix(upper(capability), "CAP_")

allowed := {normalize(c) | some c in object.get(core.parameters, "allowedCapabilities", [])}

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	dropped := {normalize(d) | some d in object.get(c.container, ["securityContext", "capabilities", "drop"], [])}
	not "ALL" in dropped
	msg := sprintf("%s: %s must drop all capabilities (securityContext.capabilities.drop: [ALL])", [core.describe(obj), workload.describe_container(c)])
	details := object.union(workload.container_details(obj, c), {"setting": "capabilities.drop"})
}

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	added := {normalize(a) | some a in object.get(c.container, ["securityContext", "capabilities", "add"], [])}
	forbidden := added - allowed
	count(forbidden) > 0
	msg := sprintf("%s: %s adds capabilities that are not allowed: %s (allowed: %s)", [core.describe(obj), workload.describe_container(c), concat(", ", sort(forbidden)), _list(allowed)])
	details := object.union(workload.container_details(obj, c), {"setting": "capabilities.add", "forbidden": sort(forbidden), "allowed": sort(allowed)})
}

_list(s) := concat(", ", sort(s)) if {
	count(s) > 0
} else := "none"
